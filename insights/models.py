"""The insights page's roll-ups: tickets counted per local day, kept by the database itself.

Triggers on the ticket, initiative and user tables (insights/migrations/0001_initial.py) append
rows of changes for every statement that adds, moves, changes or removes tickets, in the same
transaction; the page sums the rows (insights.figures) and `rollups_compact` folds them
together from time to time. `manage.py rollups` checks them against the tickets.
"""

from __future__ import annotations

from django.db import models


class RollupZone(models.Model):
    """A time zone whose days the roll-ups count: settings.TIME_ZONE and every zone a user has
    chosen (a user choosing a new one adds it, counted at once, in the same transaction)."""

    zone = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.zone


class TicketDay(models.Model):
    """A change to how many tickets were received on one day (in `zone`), by what the insights
    page filters them on: rows with the same keys add up."""

    zone = models.ForeignKey(RollupZone, on_delete=models.CASCADE, db_index=False)
    day = models.DateField()
    source_team = models.CharField(max_length=20)
    source = models.CharField(max_length=10)
    # The ticket's product area and its initiative's, 0 for none: the page's area filter is
    # "either of them", which these two keys answer exactly.
    product_area_id = models.IntegerField()
    initiative_area_id = models.IntegerField()
    # Still waiting in the inbox (status new): the inbox health's count and median.
    waiting = models.BooleanField()
    tickets = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["zone", "day"], name="ticket_day_zone_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.source_team}/{self.source}: {self.tickets:+d}"

"""Keeping what the database precomputes honest: the insights roll-ups (insights.models.TicketDay)
and each ticket's copy of its customer's segment (the board's filter). Fold the roll-ups'
rows together, build both again from the tickets, and compare them with the tickets.

The triggers that keep them live in insights/migrations/0001_initial.py and
intake/migrations/0010_ticket_customer_segment.py; the expressions below are theirs, so a
rebuild counts exactly what the triggers count.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection, connections, transaction

from accounts.models import User
from insights.models import RollupZone

_NAMES = "zone_id, day, source_team, source, product_area_id, initiative_area_id, waiting"
# What a ticket (`t`, its initiative `i`) counts under in a zone (`z`).
_FROM_TICKETS = """
    SELECT z.id AS zone_id, (t.created_at AT TIME ZONE z.zone)::date AS day, t.source_team,
        t.source, coalesce(t.product_area_id, 0) AS product_area_id,
        coalesce(i.product_area_id, 0) AS initiative_area_id, t.status = 'new' AS waiting,
        count(*) AS tickets
    FROM intake_ticket t LEFT JOIN triage_initiative i ON i.id = t.initiative_id
        CROSS JOIN insights_rollupzone z
    GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
_FROM_ROLLUP = f"""
    SELECT {_NAMES}, sum(tickets) AS tickets FROM insights_ticketday
    GROUP BY {_NAMES} HAVING sum(tickets) <> 0
"""  # noqa: S608  (only names in the text)
_SAME_KEYS = """
    ({a}.zone_id, {a}.day, {a}.source_team, {a}.source, {a}.product_area_id,
     {a}.initiative_area_id, {a}.waiting)
  = ({b}.zone_id, {b}.day, {b}.source_team, {b}.source, {b}.product_area_id,
     {b}.initiative_area_id, {b}.waiting)
"""
# One lock for whoever rewrites the rows (compaction, rebuild): the triggers only append.
_REWRITE_LOCK = 0x1A516475


def rollups_zones() -> list[str]:
    """The zones worth keeping: the installation's and every user's."""
    zones = {settings.TIME_ZONE}
    zones.update(User.objects.exclude(time_zone="").values_list("time_zone", flat=True))
    return sorted(zones)


def rollups_zone_add(zone: str, *, using: str = "default") -> bool:
    """Count the tickets' days in `zone` too, unless they are already; whether it was added.
    After `migrate` (and a test database's flush) for TIME_ZONE, so a changed setting is
    counted from then on; a user choosing a zone does the same in the database."""
    connection_ = connections[using]
    with transaction.atomic(using=using), connection_.cursor() as cursor:
        if RollupZone.objects.using(using).filter(zone=zone).exists():
            return False
        # Ticket writes wait, so none is missed between the count and the zone's first trigger.
        cursor.execute("LOCK TABLE intake_ticket, triage_initiative IN SHARE MODE")
        added = RollupZone.objects.using(using).get_or_create(zone=zone)[1]
        if added:
            cursor.execute(
                f"INSERT INTO insights_ticketday ({_NAMES}, tickets) SELECT * FROM "  # noqa: S608
                f"({_FROM_TICKETS}) AS counted WHERE zone_id = "
                "(SELECT id FROM insights_rollupzone WHERE zone = %s)",
                [zone],
            )
        return added


def rollups_compact() -> int:
    """Fold the rows that share their keys into one (dropping those that add up to nothing);
    how many rows went. Safe beside the triggers: rows appended meanwhile stay as they are."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REWRITE_LOCK])
        cursor.execute(
            f"""
            WITH folded AS (
                SELECT {_NAMES} FROM insights_ticketday
                GROUP BY {_NAMES} HAVING count(*) > 1 OR sum(tickets) = 0
            ), gone AS (
                DELETE FROM insights_ticketday d USING folded f
                WHERE {_SAME_KEYS.format(a="d", b="f")}
                RETURNING d.*
            ), kept AS (
                INSERT INTO insights_ticketday ({_NAMES}, tickets)
                SELECT {_NAMES}, sum(tickets) FROM gone
                GROUP BY {_NAMES} HAVING sum(tickets) <> 0
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)
            """  # noqa: S608
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def rollups_rebuild() -> int:
    """Count every ticket again into the roll-ups, for the zones worth keeping, and copy each
    customer's segment again onto the tickets that disagree; how many roll-up rows."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REWRITE_LOCK])
        cursor.execute(
            "UPDATE intake_ticket t SET customer_segment = c.segment FROM intake_customer c "
            "WHERE c.id = t.customer_id AND t.customer_segment <> c.segment"
        )
        # Ticket writes wait for the rebuild, so none is counted twice or lost.
        cursor.execute("LOCK TABLE intake_ticket, triage_initiative IN SHARE MODE")
        cursor.execute("DELETE FROM insights_ticketday")
        zones = rollups_zones()
        RollupZone.objects.exclude(zone__in=zones).delete()
        RollupZone.objects.bulk_create(
            [RollupZone(zone=zone) for zone in zones], ignore_conflicts=True
        )
        cursor.execute(f"INSERT INTO insights_ticketday ({_NAMES}, tickets) {_FROM_TICKETS}")
        return int(cursor.rowcount)


@dataclass(frozen=True)
class Difference:
    """One key whose count the roll-ups and the tickets disagree on."""

    zone: str
    day: str
    source_team: str
    source: str
    product_area_id: int
    initiative_area_id: int
    waiting: bool
    rollup: int
    tickets: int

    def __str__(self) -> str:
        return (
            f"{self.day} ({self.zone}), {self.source_team} via {self.source}, area "
            f"{self.product_area_id or '-'}, initiative's area {self.initiative_area_id or '-'}, "
            f"{'waiting' if self.waiting else 'not waiting'}: the roll-ups say {self.rollup}, "
            f"the tickets say {self.tickets}"
        )


def rollups_differences(*, limit: int = 1000) -> tuple[list[str], list[Difference]]:
    """What is wrong: tickets whose segment is not their customer's, time zones not counted,
    then each roll-up key whose count differs from the tickets' (up to `limit`). Both empty
    when everything precomputed equals what it summarizes."""
    kept = set(RollupZone.objects.values_list("zone", flat=True))
    problems = [
        f"Days in {zone} are not counted: the insights page counts from the tickets for "
        "whoever uses that zone."
        for zone in rollups_zones()
        if zone not in kept
    ]
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            # One snapshot for both sides, so a ticket filed meanwhile is on both or neither.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute(
            "SELECT count(*), min(t.id) FROM intake_ticket t JOIN intake_customer c "
            "ON c.id = t.customer_id WHERE t.customer_segment <> c.segment"
        )
        wrong, first = cursor.fetchone() or (0, None)
        if wrong:
            problems.append(
                f"{wrong} ticket{'s' if wrong != 1 else ''} (the first #{first}) "
                f"{'carry' if wrong != 1 else 'carries'} a segment other than their customer's: "
                "the board's segment filter misses or adds them."
            )
        cursor.execute(
            f"""
            SELECT z.zone, coalesce(r.day, s.day)::text, coalesce(r.source_team, s.source_team),
                coalesce(r.source, s.source), coalesce(r.product_area_id, s.product_area_id),
                coalesce(r.initiative_area_id, s.initiative_area_id),
                coalesce(r.waiting, s.waiting), coalesce(r.tickets, 0), coalesce(s.tickets, 0)
            FROM ({_FROM_ROLLUP}) r
                FULL JOIN ({_FROM_TICKETS}) s ON {_SAME_KEYS.format(a="r", b="s")}
                JOIN insights_rollupzone z ON z.id = coalesce(r.zone_id, s.zone_id)
            WHERE coalesce(r.tickets, 0) <> coalesce(s.tickets, 0)
            ORDER BY 1, 2, 3, 4, 5, 6, 7
            LIMIT %s
            """,  # noqa: S608
            [limit],
        )
        differences = [Difference(*row) for row in cursor.fetchall()]
    return problems, differences

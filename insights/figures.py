"""The loop's health in numbers: each figure is one database aggregate over the filtered tickets.

Every function takes the same `InsightFilters` and answers plain data (lists of rows) that the
page draws as SVG, shows as a table and offers as CSV. Tickets per week and the inbox's health
read the daily roll-ups (insights.models.TicketDay) instead of months of tickets; the scans
they replace are kept (`*_scan`): the tests hold the two equal, and the page falls back to them
in a time zone the roll-ups do not count.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections, router
from django.db.models import (
    Aggregate,
    BigIntegerField,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    Field,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from core.dates import month_next, month_start, months_back
from insights.models import RollupZone, TicketDay
from intake.models import ProductArea, Segment, SourceTeam, Ticket, TicketStatus
from notifications.models import DeliveryStatus, Notification, NotificationKind
from sessions.models import AgendaItem, Outcome
from triage.models import Initiative, InitiativeStatus, ScoreSnapshot

PERIODS = {"1": "This month", "3": "Last 3 months", "6": "Last 6 months", "12": "Last 12 months"}
TOP_INITIATIVES = 5


class Median(Aggregate):
    """PostgreSQL's exact median (percentile_cont), for numbers and intervals."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


@dataclass(frozen=True)
class InsightFilters:
    months: int = 3
    source_team: str = ""
    source: str = ""
    product_area: str = ""

    def since(self, today: datetime.date | None = None) -> datetime.datetime:
        """The start of the period: the first day of the month `months - 1` months ago."""
        first = months_back(today or timezone.localdate(), self.months)[0]
        return timezone.make_aware(datetime.datetime.combine(first, datetime.time()))


def _tickets(filters: InsightFilters) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    if filters.source_team:
        tickets = tickets.filter(source_team=filters.source_team)
    if filters.source:
        tickets = tickets.filter(source=filters.source)
    if filters.product_area:
        tickets = tickets.filter(
            Q(product_area__slug=filters.product_area)
            | Q(initiative__product_area__slug=filters.product_area)
        )
    return tickets


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _days(value: datetime.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 86_400, 1)


# ---------------------------------------------------------------------------------------------


def _ticket_days(filters: InsightFilters) -> QuerySet[TicketDay]:
    """The roll-up rows of the filtered tickets, in the current time zone (none if the roll-ups
    do not count its days)."""
    days = TicketDay.objects.filter(zone__zone=timezone.get_current_timezone_name())
    if filters.source_team:
        days = days.filter(source_team=filters.source_team)
    if filters.source:
        days = days.filter(source=filters.source)
    if filters.product_area:
        area = ProductArea.objects.filter(slug=filters.product_area).values("pk")
        days = days.filter(Q(product_area_id__in=area) | Q(initiative_area_id__in=area))
    return days


def _zone_counted(**columns: Field[Any, Any]) -> QuerySet[RollupZone, Any]:
    """One row of nulls if the roll-ups count the current time zone's days, else none: added to
    a roll-up query, it tells "nothing counted" from "not counted here" in the same query."""
    return RollupZone.objects.filter(zone=timezone.get_current_timezone_name()).values(
        **{name: Value(None, output_field=field) for name, field in columns.items()}
    )


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def tickets_per_week(*, filters: InsightFilters) -> list[dict[str, Any]]:
    """Tickets received per week, by source team: [{week, team: n, ..., total}] (one query,
    on the daily roll-ups)."""
    since = timezone.localtime(filters.since()).date()
    rows = list(
        _ticket_days(filters)
        .filter(day__gte=since)
        .annotate(week=TruncWeek("day"))
        .values("week", "source_team")
        .annotate(n=Sum("tickets"))
        .order_by()
        .union(
            _zone_counted(week=DateField(), source_team=CharField(), n=BigIntegerField()),
            all=True,
        )
    )
    if not rows:
        return tickets_per_week_scan(filters=filters)
    return _weeks(
        filters, [(row["week"], row["source_team"], row["n"]) for row in rows if row["week"]]
    )


def tickets_per_week_scan(*, filters: InsightFilters) -> list[dict[str, Any]]:
    """tickets_per_week counted from the tickets themselves (one query)."""
    rows = (
        _tickets(filters)
        .filter(created_at__gte=filters.since())
        .annotate(week=TruncWeek("created_at"))
        .values("week", "source_team")
        .annotate(n=Count("id"))
        .order_by()
    )
    return _weeks(
        filters,
        [(timezone.localtime(row["week"]).date(), row["source_team"], row["n"]) for row in rows],
    )


def _weeks(
    filters: InsightFilters, counts: list[tuple[datetime.date, str, int]]
) -> list[dict[str, Any]]:
    # Every week of the period has a row, so quiet weeks show as zero rather than vanish.
    start = timezone.localtime(filters.since()).date()
    start -= datetime.timedelta(days=start.weekday())
    weeks: dict[datetime.date, dict[str, Any]] = {}
    week = start
    while week <= timezone.localdate():
        weeks[week] = {"week": week, **dict.fromkeys(SourceTeam.values, 0)}
        week += datetime.timedelta(weeks=1)
    for week, team, n in counts:
        entry = weeks.setdefault(week, {"week": week, **dict.fromkeys(SourceTeam.values, 0)})
        entry[team] += n
    result = sorted(weeks.values(), key=lambda entry: entry["week"])
    for entry in result:
        entry["total"] = sum(entry[team] for team in SourceTeam.values)
    return result


@dataclass(frozen=True)
class InboxHealth:
    waiting: int
    median_days: float | None
    oldest_days: float | None


@dataclass(frozen=True)
class Waiting:
    """The tickets waiting for triage now: how many, when the median one came in (exactly
    PostgreSQL's percentile_cont: the middle one, or halfway between the two middle ones) and
    when the oldest did."""

    tickets: int
    median_at: datetime.datetime | None
    oldest_at: datetime.datetime | None


def inbox_health(*, filters: InsightFilters) -> InboxHealth:
    """How many tickets wait for triage now, and for how long (two queries)."""
    return _health(waiting(filters=filters))


def inbox_health_scan(*, filters: InsightFilters) -> InboxHealth:
    """inbox_health from the waiting tickets themselves (one query)."""
    return _health(waiting_scan(filters=filters))


def _health(found: Waiting) -> InboxHealth:
    now = timezone.now()
    return InboxHealth(
        waiting=found.tickets,
        median_days=_days(now - found.median_at) if found.median_at else None,
        oldest_days=_days(now - found.oldest_at) if found.oldest_at else None,
    )


def waiting(*, filters: InsightFilters) -> Waiting:
    """The waiting tickets (two queries): the roll-ups say how many came in on each day; the
    median is then the middle one or two of them, read from that day on along the waiting
    tickets' index (a few hundred rows, not every waiting ticket), the oldest the first."""
    counted = list(
        _ticket_days(filters)
        .filter(waiting=True)
        .values("day")
        .annotate(n=Sum("tickets"))
        .filter(n__gt=0)
        .order_by()
        .union(_zone_counted(day=DateField(), n=BigIntegerField()), all=True)
    )
    if not counted:
        return waiting_scan(filters=filters)
    days = sorted((row["day"], row["n"]) for row in counted if row["day"] is not None)
    tickets = sum(n for _, n in days)
    if not tickets:
        return Waiting(tickets=0, median_at=None, oldest_at=None)
    # percentile_cont(0.5): the middle value, or halfway between the two middle ones.
    low, high = (tickets - 1) // 2, tickets // 2
    # The day the middle one came in, and how many waiting tickets came in before that day.
    before = 0
    middle_day = days[-1][0]
    for day, n in days:
        if before + n > low:
            middle_day = day
            break
        before += n
    oldest_first = _tickets(filters).filter(status=TicketStatus.NEW).order_by("created_at")
    first = oldest_first.filter(created_at__gte=_day_start(days[0][0])).annotate(
        which=Value(0, output_field=IntegerField())
    )
    middle = oldest_first.filter(created_at__gte=_day_start(middle_day)).annotate(
        which=Value(1, output_field=IntegerField())
    )
    offset = low - before
    found = list(
        first.values_list("which", "created_at")[:1].union(
            middle.values_list("which", "created_at")[offset : offset + 1 + high - low],
            all=True,
        )
    )
    middle_at = [at for which, at in found if which == 1]
    return Waiting(
        tickets=tickets,
        median_at=middle_at[0] + (middle_at[-1] - middle_at[0]) / 2,
        oldest_at=next(at for which, at in found if which == 0),
    )


def waiting_scan(*, filters: InsightFilters) -> Waiting:
    """`waiting` from every waiting ticket, with percentile_cont (one query)."""
    epoch = Func(F("created_at"), template="extract(epoch FROM %(expressions)s)")
    result = (
        _tickets(filters)
        .filter(status=TicketStatus.NEW)
        .aggregate(
            tickets=Count("id"),
            median=Median(epoch, output_field=FloatField()),
            oldest_at=Min("created_at"),
        )
    )
    median = result["median"]
    return Waiting(
        tickets=result["tickets"],
        median_at=None if median is None else datetime.datetime.fromtimestamp(median, datetime.UTC),
        oldest_at=result["oldest_at"],
    )


def _months(filters: InsightFilters) -> list[datetime.date]:
    first = timezone.localtime(filters.since()).date()
    months = [first]
    this_month = month_start(timezone.localdate())
    while months[-1] < this_month:
        months.append(month_next(months[-1]))
    return months


@dataclass(frozen=True)
class ScoreTrend:
    initiative: Initiative
    points: list[tuple[datetime.date, float | None]]


def top_initiatives_trend(*, filters: InsightFilters) -> list[ScoreTrend]:
    """The open initiatives with the highest score, and their score at each month's start in the
    period, ending with today's (two queries)."""
    initiatives = Initiative.objects.filter(status__in=InitiativeStatus.open()).defer(
        "search_vector"
    )
    if filters.product_area:
        initiatives = initiatives.filter(product_area__slug=filters.product_area)
    if filters.source_team or filters.source:
        # A semi-join, not a join made distinct: walking the best scored ones, each stops at
        # its first such ask (the join read every ask of the top initiatives, 44,000 rows).
        asks = Ticket.objects.filter(initiative=OuterRef("pk"), status__in=TicketStatus.counted())
        if filters.source_team:
            asks = asks.filter(source_team=filters.source_team)
        if filters.source:
            asks = asks.filter(source=filters.source)
        initiatives = initiatives.filter(Exists(asks))
    top = list(initiatives.order_by("-priority_score", "-id")[:TOP_INITIATIVES])
    months = _months(filters)
    snapshots = ScoreSnapshot.objects.filter(initiative__in=top, month__gte=months[0]).values_list(
        "initiative_id", "month", "priority_score"
    )
    scores: dict[tuple[int, datetime.date], Decimal] = {
        (pk, month): score for pk, month, score in snapshots
    }
    today = timezone.localdate()
    return [
        ScoreTrend(
            initiative=initiative,
            points=[
                (
                    month,
                    float(scores[(initiative.pk, month)])
                    if (initiative.pk, month) in scores
                    else None,
                )
                for month in months
            ]
            + [(today, float(initiative.priority_score))],
        )
        for initiative in top
    ]


@dataclass(frozen=True)
class ClosedLoop:
    tickets: int
    told: int
    median_days: float | None

    @property
    def rate(self) -> float | None:
        return None if not self.tickets else round(100 * self.told / self.tickets, 1)


def closed_loop(*, filters: InsightFilters) -> ClosedLoop:
    """Of the tickets whose initiative shipped in the period, how many customers were told, and
    the median days from the ticket to that email (one query)."""
    asks = (
        _tickets(filters)
        .filter(
            status__in=TicketStatus.counted(),
            initiative__status=InitiativeStatus.SHIPPED,
            initiative__shipped_at__gte=filters.since(),
        )
        .order_by()
        .values("contact_id", "initiative_id", "created_at")
    )
    asks_sql, asks_params = asks.query.sql_with_params()
    # Joined to the emails rather than looking each ticket's up in a subquery: Django repeats
    # an annotation's subquery wherever it is used, and 32,000 asks shipped in a year ran two
    # lookups each (100 ms at a million tickets); a hash join reads each email once. One email
    # per contact per initiative (its idempotency key), so no ask counts twice.
    # Where the router reads tickets (the replica for a page whose reads may lag).
    database = connections[router.db_for_read(Ticket)]
    notifications = database.ops.quote_name(Notification._meta.db_table)
    sql = (
        "SELECT count(*), count(n.sent_at), "  # noqa: S608 (table names only; values are parameters)
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY n.sent_at - a.created_at) "
        f"FROM ({asks_sql}) AS a LEFT JOIN {notifications} AS n "
        "ON n.contact_id = a.contact_id AND n.initiative_id = a.initiative_id "
        "AND n.kind = %s AND n.status = %s"
    )
    with database.cursor() as cursor:
        cursor.execute(sql, [*asks_params, NotificationKind.CUSTOMER_SHIPPED, DeliveryStatus.SENT])
        tickets, told, median = cursor.fetchone()
    result = {"tickets": tickets, "told": told, "median": median}
    return ClosedLoop(
        tickets=result["tickets"], told=result["told"], median_days=_days(result["median"])
    )


def decisions_per_month(*, filters: InsightFilters) -> list[dict[str, Any]]:
    """Decisions recorded in reviews (the deciders' own: not the items a review closed on
    unreached) and outcomes recorded in workshops, per month (two queries)."""
    since = filters.since()
    decided = (
        AgendaItem.objects.decided()
        .filter(decided_at__gte=since)
        .annotate(month=TruncMonth("decided_at"))
        .values("month")
        .annotate(n=Count("id"))
    )
    outcomes = (
        Outcome.objects.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
    )
    rows = {month: {"month": month, "reviews": 0, "workshops": 0} for month in _months(filters)}
    for key, query in (("reviews", decided), ("workshops", outcomes)):
        for row in query:
            month = month_start(timezone.localtime(row["month"]).date())
            if month in rows:
                rows[month][key] += row["n"]
    return list(rows.values())


def shipped_from(*, filters: InsightFilters) -> dict[str, list[dict[str, Any]]]:
    """Which teams and which customer segments the work shipped in the period came from: tickets
    on those initiatives, by source team and by segment (two queries)."""
    shipped = _tickets(filters).filter(
        status__in=TicketStatus.counted(),
        initiative__status=InitiativeStatus.SHIPPED,
        initiative__shipped_at__gte=filters.since(),
    )
    teams = dict(shipped.values_list("source_team").annotate(n=Count("id")).order_by())
    # The ticket's copy of its customer's segment: read from the index, no join per ticket.
    segments = dict(shipped.values_list("customer_segment").annotate(n=Count("id")).order_by())
    return {
        "teams": [
            {"key": value, "label": label, "n": teams.get(value, 0)}
            for value, label in SourceTeam.choices
        ],
        "segments": [
            {"key": value, "label": label, "n": segments.get(value, 0)}
            for value, label in Segment.choices
        ],
    }

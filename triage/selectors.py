"""Reads for the inbox, the board and initiatives, each in a fixed number of queries."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from typing import Any, TypeVar

from django.contrib.postgres.aggregates import JSONBAgg
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import JSONObject, Lower, RowNumber
from django.utils import timezone

from core.dates import month_previous, month_start, review_day
from intake.models import Customer, Ticket, TicketStatus
from triage import similarity
from triage.models import (
    Initiative,
    InitiativeEvent,
    InitiativeStatus,
    ScoreSnapshot,
    WorkItem,
)

BOARD_CARDS_PER_COLUMN = 30
# Closed columns are for reference; the board is about what is still to decide.
CLOSED_CARDS_PER_COLUMN = 10


def initiatives_top(*, limit: int = 5) -> list[Initiative]:
    """The open initiatives with the highest priority score."""
    return list(
        Initiative.objects.filter(status__in=InitiativeStatus.open())
        .defer("search_vector")
        .order_by("-priority_score", "-id")[:limit]
    )


def initiative_get(*, initiative_id: int | str) -> Initiative | None:
    """One initiative by id, or None (also for an id that is not a number)."""
    try:
        pk = int(initiative_id)
    except (TypeError, ValueError):
        return None
    return (
        Initiative.objects.select_related("owner", "product_area", "merged_into")
        .defer("search_vector")
        .filter(pk=pk)
        .first()
    )


# What `?ordering=` accepts, and the order each one means (ties broken by id, so pages are
# stable; titles A to Z whatever their case). The first is the default: the most asked-for first.
ORDERINGS: dict[str, tuple[str | OrderBy, str]] = {
    "-priority_score": ("-priority_score", "-id"),
    "priority_score": ("priority_score", "id"),
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "title": (Lower("title").asc(), "id"),
}
DEFAULT_ORDERING = "-priority_score"


def initiative_list(*, status: str = "", ordering: str = DEFAULT_ORDERING) -> QuerySet[Initiative]:
    """Initiatives for the API's list: two queries (count and page) however many there are."""
    rows = Initiative.objects.select_related("owner", "product_area").defer("search_vector")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by(*ORDERINGS[ordering])


MENU_SIZE = 100


def initiative_menu(*, exclude: int | None = None) -> list[tuple[int, str]]:
    """(id, title) of the best-scored open initiatives, for a select that stays light with
    thousands of them (the form still accepts any open one)."""
    return list(initiative_choices(exclude=exclude).values_list("pk", "title")[:MENU_SIZE])


def initiative_choices(
    *, exclude: int | None = None, shipped: bool = False
) -> QuerySet[Initiative]:
    """Open initiatives to link or merge into, best scored first; with `shipped`, shipped ones
    too (a ticket linked to one tells its customer at once)."""
    statuses = [*InitiativeStatus.open(), *([InitiativeStatus.SHIPPED] if shipped else [])]
    rows = Initiative.objects.filter(status__in=statuses).only("pk", "title", "status")
    if exclude:
        rows = rows.exclude(pk=exclude)
    return rows.order_by("-priority_score", "title")


# ---------------------------------------------------------------------------------------------
# The inbox


INBOX_VIEWS = {
    "waiting": (TicketStatus.NEW, "Waiting", "New tickets, most important and oldest first."),
    "asked": (
        TicketStatus.NEEDS_INFO,
        "Asked",
        "Tickets whose submitter owes an answer to a question.",
    ),
    "snoozed": (TicketStatus.SNOOZED, "Snoozed", "Put aside until a date; they come back."),
}


def inbox_list(*, view: str = "waiting") -> QuerySet[Ticket]:
    """Tickets waiting for triage (or asked / snoozed), most important and oldest first."""
    status = INBOX_VIEWS.get(view, INBOX_VIEWS["waiting"])[0]
    tickets = (
        Ticket.objects.filter(status=status)
        .select_related("customer", "contact", "submitted_by", "product_area")
        .defer("search_vector", "customer__name_key")
    )
    if status == TicketStatus.SNOOZED:
        return tickets.order_by("snoozed_until", "-importance_rank", "id")
    return tickets.order_by("-importance_rank", "created_at", "id")


# The inbox counts its views up to this many (and shows "10,000+" past it): counting every
# waiting ticket takes a quarter of a second at 360,000 of them (bench/loop.py --size 1m), and
# no product manager pages that far: they sort, group by theme and act in bulk.
INBOX_COUNT_CAP = 10_000


def inbox_counts() -> dict[str, int]:
    """How many tickets each inbox view holds, up to INBOX_COUNT_CAP + 1 (one query, read on
    the inbox index: a few milliseconds however many wait)."""
    table = connection.ops.quote_name(Ticket._meta.db_table)
    # Only the table's name is put in the text; the values are parameters.
    capped = f"(SELECT count(*) FROM (SELECT 1 FROM {table} WHERE status = %s LIMIT %s) AS n)"  # noqa: S608
    params: list[str | int] = []
    for status, _, _ in INBOX_VIEWS.values():
        params += [status, INBOX_COUNT_CAP + 1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([capped] * len(INBOX_VIEWS)), params)
        row = cursor.fetchone()
    return dict(zip(INBOX_VIEWS, row, strict=True))


# ---------------------------------------------------------------------------------------------
# The board


# When the last monthly review was held is known to the sessions app, which sits above triage;
# it registers how to find it (sessions.apps.ready), so triage never imports it.
LastReviewHeld = Callable[[datetime.date], datetime.datetime | None]
_last_review_held: list[LastReviewHeld] = []


def last_review_held_register(finder: LastReviewHeld) -> None:
    """Tell the board how to find when the last monthly review up to a day was held."""
    _last_review_held[:] = [finder]


def last_review_day(today: datetime.date | None = None) -> datetime.date:
    """The day of the latest monthly review: the last one held, or else the configured review
    day (by default the first Tuesday) of this month once it has come, else of last month."""
    today = today or timezone.localdate()
    held = _last_review_held[0](today) if _last_review_held else None
    if held is not None:
        return timezone.localtime(held).date()
    this_month = review_day(today).date()
    if this_month <= today:
        return this_month
    return review_day(month_previous(today)).date()


PERIODS = {
    "review": "Since the last monthly review",
    "30": "Last 30 days",
    "90": "Last 90 days",
    "all": "All time",
}


def period_start(period: str, today: datetime.date | None = None) -> datetime.date | None:
    today = today or timezone.localdate()
    if period == "review":
        return last_review_day(today)
    if period in ("30", "90"):
        return today - datetime.timedelta(days=int(period))
    return None


@dataclass(frozen=True)
class BoardFilters:
    period: str = "all"
    source_team: str = ""
    product_area: str = ""
    segment: str = ""

    @property
    def narrows_tickets(self) -> bool:
        return self.period != "all" or bool(self.source_team or self.segment)


@dataclass
class BoardColumn:
    status: InitiativeStatus
    cards: Sequence[Initiative] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.cards)


def _board_initiatives(filters: BoardFilters) -> QuerySet[Initiative]:
    initiatives = Initiative.objects.all()
    if filters.product_area:
        initiatives = initiatives.filter(product_area__slug=filters.product_area)
    if filters.narrows_tickets:
        asks = Ticket.objects.filter(initiative=OuterRef("pk"), status__in=TicketStatus.counted())
        start = period_start(filters.period)
        if start is not None:
            # The start of that day here, so the comparison can use the ticket index.
            since = datetime.datetime.combine(start, datetime.time.min)
            asks = asks.filter(created_at__gte=timezone.make_aware(since))
        if filters.source_team:
            asks = asks.filter(source_team=filters.source_team)
        if filters.segment:
            asks = asks.filter(customer__segment=filters.segment)
        initiatives = initiatives.filter(Exists(asks))
    return initiatives


def board(*, filters: BoardFilters, per_column: int = BOARD_CARDS_PER_COLUMN) -> list[BoardColumn]:
    """The board's columns, each with its best-scored cards (and their work items) and how many
    it holds (two queries)."""
    initiatives = _board_initiatives(filters)
    # Counting `status` lets PostgreSQL answer from the board index alone (the rows are wide).
    totals = dict(initiatives.values_list("status").annotate(n=Count("status")).order_by())
    month = month_start(timezone.localdate())
    last_month_score = ScoreSnapshot.objects.filter(initiative=OuterRef("pk"), month=month).values(
        "priority_score"
    )[:1]
    # Each card's work items, as [{"key", "url", "done"}] in the same query (the board stays at
    # two queries however many cards and links).
    work_links = (
        WorkItem.objects.filter(initiative=OuterRef("pk"))
        .order_by()
        .values("initiative")
        .annotate(
            links=JSONBAgg(
                JSONObject(key="key", url="url", done="done_at"), order_by=("created_at", "id")
            )
        )
        .values("links")
    )
    # Each column's cards are picked first, best scored first along the board's index (a few
    # rows each), and only they are read with their last month's score and work items: ranking
    # and reading every initiative took most of the board's time at 20,000 of them.
    columns = []
    for status in InitiativeStatus:
        closed = status in InitiativeStatus.closed()
        count = min(per_column, CLOSED_CARDS_PER_COLUMN) if closed else per_column
        best = initiatives.filter(status=status).order_by("-priority_score", "-id")
        columns.append(best.values("pk")[:count])
    shown = Q(pk__in=columns[0].union(*columns[1:], all=True))
    ranked = (
        initiatives.filter(shown)
        .select_related("owner", "product_area")
        .defer(
            "search_vector", "description", "release_note", "decline_reason", "release_note_draft"
        )
        .annotate(
            month_start_score=Subquery(last_month_score),
            work_item_links=Subquery(work_links),
        )
        .order_by("status", "-priority_score", "-id")
    )
    cards = {
        status: list(rows)
        for status, rows in groupby(ranked, key=lambda initiative: initiative.status)
    }
    return [
        BoardColumn(status=status, cards=cards.get(status, []), total=totals.get(status, 0))
        for status in InitiativeStatus
    ]


# ---------------------------------------------------------------------------------------------
# One initiative


@dataclass(frozen=True)
class CustomerAsks:
    customer: Customer
    tickets: Sequence[Ticket]  # the most important few (ASKS_SHOWN_PER_CUSTOMER)
    asks: int  # all of them

    @property
    def more(self) -> int:
        return self.asks - len(self.tickets)

    @property
    def top_importance_rank(self) -> int:
        return max(int(ticket.importance_rank) for ticket in self.tickets)


ASKS_PER_PAGE = 25
# A customer who asked many times shows the most important few; their history has the rest.
ASKS_SHOWN_PER_CUSTOMER = 3


def initiative_asks(
    *, initiative: Initiative, page: int | str | None = 1
) -> tuple[Page[Any], list[CustomerAsks]]:
    """One page of the customers asking for the initiative, most important first, then those
    who asked most often, each with its tickets (three queries however many customers ask).
    The order and the count come from the asks index alone: ordering by the customers' names
    joined all 200,000 customers to sort the 16,000 of the biggest initiative (160 ms)."""
    customers = (
        Ticket.objects.filter(initiative=initiative, status__in=TicketStatus.counted())
        .values("customer_id")
        .annotate(top=Max("importance_rank"), asks=Count("customer_id"))
        .order_by("-top", "-asks", "customer_id")
    )
    customer_page = Paginator(customers, ASKS_PER_PAGE).get_page(page)
    asks = {row["customer_id"]: row["asks"] for row in customer_page}
    shown = Window(
        RowNumber(),
        partition_by=[F("customer_id")],
        order_by=[F("importance_rank").desc(), F("created_at").asc(), F("id").asc()],
    )
    tickets = (
        Ticket.objects.filter(
            initiative=initiative, status__in=TicketStatus.counted(), customer_id__in=list(asks)
        )
        .annotate(shown=shown)
        .filter(shown__lte=ASKS_SHOWN_PER_CUSTOMER)
        .select_related("customer", "contact", "submitted_by", "duplicate_of")
        .defer("search_vector", "customer__name_key", "duplicate_of__search_vector")
        .order_by("customer_id", "shown")
    )
    by_customer = {
        customer_id: list(rows)
        for customer_id, rows in groupby(tickets, key=lambda t: t.customer_id)
    }
    groups = [
        CustomerAsks(customer=by_customer[i][0].customer, tickets=by_customer[i], asks=n)
        for i, n in asks.items()
        if i in by_customer
    ]
    return customer_page, groups


@dataclass(frozen=True)
class RevenueAtStake:
    """What the reps entered as revenue at stake on an initiative's counted tickets."""

    total: Decimal
    largest: Decimal
    tickets: int


def initiative_revenue_at_stake(*, initiative: Initiative) -> RevenueAtStake:
    """The revenue at stake the reps entered on the tickets that count for the initiative, for
    the page that explains its score (one query)."""
    row = Ticket.objects.filter(
        initiative=initiative,
        status__in=TicketStatus.counted(),
        revenue_at_stake__gt=0,
    ).aggregate(
        total=Sum("revenue_at_stake"),
        largest=Max("revenue_at_stake"),
        # Counting the amount, not the id, lets PostgreSQL read the asks index alone.
        tickets=Count("revenue_at_stake"),
    )
    return RevenueAtStake(
        total=row["total"] or Decimal(0),
        largest=row["largest"] or Decimal(0),
        tickets=row["tickets"],
    )


def initiative_history(*, initiative: Initiative, limit: int = 100) -> list[InitiativeEvent]:
    """The newest changes to the initiative, with who made them."""
    return list(initiative.events.select_related("actor")[:limit])


# ---------------------------------------------------------------------------------------------
# Similar feedback, while a ticket is typed or triaged


@dataclass(frozen=True)
class SimilarFeedback:
    """Initiatives (any status) and waiting tickets, best first; each carries `.score` (0..1)
    and `.why` ("shared words: csv, invoices" or "similar meaning")."""

    initiatives: Sequence[Initiative]
    tickets: Sequence[Ticket]

    def __bool__(self) -> bool:
        return bool(self.initiatives or self.tickets)


def similar_feedback(
    *,
    text: str,
    limit: int = 5,
    exclude_ticket: int | None = None,
    blend: similarity.Blend = similarity.BLEND,
) -> SimilarFeedback:
    """The initiatives and untriaged tickets that look like the same ask as `text`, by meaning
    and by shared words (triage.similarity; at most six queries, two of them usually empty). `blend`
    says what is good enough (a workshop's research keeps everything over the floor)."""
    initiatives, tickets = similarity.similar(
        text=text, limit=limit, exclude_ticket=exclude_ticket, blend=blend
    )
    return SimilarFeedback(
        [_with_score(c.item, score, c.why) for c, score in initiatives if c.item is not None],
        [_with_score(c.item, score, c.why) for c, score in tickets if c.item is not None],
    )


_Found = TypeVar("_Found", Initiative, Ticket)


def _with_score(item: _Found, score: float, why: str) -> _Found:
    # Plain attributes, read by the templates and the API like the model's own fields.
    item.score = round(min(1.0, max(0.0, score)), 2)  # type: ignore[attr-defined]
    item.why = why  # type: ignore[attr-defined]
    return item


def initiative_work_items(*, initiative: Initiative) -> list[WorkItem]:
    """The work items linked to an initiative, in the order linked (one query)."""
    return list(WorkItem.objects.filter(initiative=initiative).order_by("created_at", "id"))


def work_item_get(*, initiative: Initiative, work_item_id: int) -> WorkItem | None:
    return (
        WorkItem.objects.filter(initiative=initiative, pk=work_item_id)
        .select_related("initiative")
        .first()
    )

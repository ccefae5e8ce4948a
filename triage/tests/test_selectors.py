"""The inbox, the board and one initiative's asks: what they show, in which order, and in a
number of queries that does not grow with the data."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from intake.models import (
    Customer,
    Importance,
    ProductArea,
    Segment,
    SourceTeam,
    Ticket,
    TicketStatus,
)
from intake.tests.factories import (
    ContactFactory,
    CustomerFactory,
    ProductAreaFactory,
    TicketFactory,
)
from triage.models import Initiative, InitiativeStatus, ScoreSnapshot
from triage.selectors import (
    BoardColumn,
    BoardFilters,
    board,
    inbox_counts,
    inbox_list,
    initiative_asks,
    last_review_day,
)
from triage.services import (
    scores_snapshot,
    ticket_decline,
    ticket_link,
    ticket_mark_duplicate,
    ticket_snooze,
)
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

NICE = Importance.NICE_TO_HAVE
IMPORTANT = Importance.IMPORTANT
CRITICAL = Importance.CRITICAL


def ask(
    company: Customer | str = "",
    importance: str = IMPORTANT,
    *,
    days_ago: int = 0,
    **fields: Any,
) -> Ticket:
    """A new ticket from the company, filed `days_ago`."""
    if isinstance(company, str):
        company = CustomerFactory.create(name=company) if company else CustomerFactory.create()
    ticket = TicketFactory.create(
        contact=ContactFactory.create(customer=company), importance=importance, **fields
    )
    if days_ago:
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
        ticket.refresh_from_db()
    return ticket


def linked(initiative: Initiative, pm: User, *args: Any, **fields: Any) -> Ticket:
    ticket = ask(*args, **fields)
    ticket_link(ticket=ticket, initiative=initiative, by=pm)
    return ticket


def column(columns: list[BoardColumn], status: InitiativeStatus) -> BoardColumn:
    return next(c for c in columns if c.status == status)


def titles(cards: Any) -> list[str]:
    return [card.title for card in cards]


def on_board(filters: BoardFilters) -> set[str]:
    return {card.title for c in board(filters=filters) for card in c.cards}


def month_start_score(card: Initiative) -> Decimal | None:
    score: Decimal | None = card.__dict__["month_start_score"]
    return score


# ---------------------------------------------------------------------------------------------
# The inbox


def test_the_inbox_shows_the_most_important_first_then_the_oldest(pm) -> None:
    nice_old = ask("Acme", NICE, days_ago=9)
    critical_new = ask("Globex", CRITICAL, days_ago=1)
    critical_old = ask("Initech", CRITICAL, days_ago=5)
    important = ask("Umbrella", IMPORTANT, days_ago=2)
    ticket_link(ticket=ask("Hooli", CRITICAL), initiative=InitiativeFactory.create(), by=pm)
    ticket_decline(ticket=ask("Hooli", CRITICAL), by=pm, reason="No.")
    Ticket.objects.filter(pk=ask("Hooli", CRITICAL).pk).update(status=TicketStatus.NEEDS_INFO)

    assert list(inbox_list()) == [critical_old, critical_new, important, nice_old]


def test_tickets_filed_at_the_same_moment_keep_a_stable_order() -> None:
    tickets = [ask(importance=IMPORTANT) for _ in range(3)]
    Ticket.objects.update(created_at=timezone.now())
    assert list(inbox_list()) == tickets


def test_the_asked_and_snoozed_views(pm) -> None:
    asked = ask("Acme")
    Ticket.objects.filter(pk=asked.pk).update(status=TicketStatus.NEEDS_INFO)
    today = timezone.localdate()
    later_critical = ask("Globex", CRITICAL)
    sooner = ask("Initech", NICE)
    same_day_nice = ask("Umbrella", NICE)
    ticket_snooze(ticket=later_critical, by=pm, until=today + datetime.timedelta(days=20))
    ticket_snooze(ticket=sooner, by=pm, until=today + datetime.timedelta(days=3))
    ticket_snooze(ticket=same_day_nice, by=pm, until=today + datetime.timedelta(days=20))
    waiting = ask("Hooli")

    assert list(inbox_list(view="asked")) == [asked]
    # Snoozed: the soonest back first; on the same day, the most important first.
    assert list(inbox_list(view="snoozed")) == [sooner, later_critical, same_day_nice]
    assert list(inbox_list(view="nonsense")) == [waiting]


def test_inbox_counts_each_view(pm) -> None:
    assert inbox_counts() == {"waiting": 0, "asked": 0, "snoozed": 0}
    for _ in range(3):
        ask()
    Ticket.objects.filter(pk=ask().pk).update(status=TicketStatus.NEEDS_INFO)
    ticket_snooze(ticket=ask(), by=pm, until=timezone.localdate() + datetime.timedelta(days=1))
    ticket_link(ticket=ask(), initiative=InitiativeFactory.create(), by=pm)
    assert inbox_counts() == {"waiting": 3, "asked": 1, "snoozed": 1}


def test_inbox_counts_stop_one_past_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("triage.selectors.INBOX_COUNT_CAP", 2)
    for _ in range(5):
        ask()
    # One past the cap says "more than the cap"; the rest are never read.
    assert inbox_counts() == {"waiting": 3, "asked": 0, "snoozed": 0}


# ---------------------------------------------------------------------------------------------
# The board


def test_the_board_has_a_column_per_status_ranked_by_score(pm) -> None:
    low = InitiativeFactory.create(title="low")
    high = InitiativeFactory.create(title="high")
    middle = InitiativeFactory.create(title="middle")
    empty = InitiativeFactory.create(title="empty")
    linked(low, pm, "Acme", NICE)
    linked(high, pm, "Acme", CRITICAL)
    linked(high, pm, "Globex", IMPORTANT)
    linked(middle, pm, "Acme", CRITICAL)
    planned = InitiativeFactory.create(title="planned", status=InitiativeStatus.PLANNED)

    columns = board(filters=BoardFilters())

    assert [c.status for c in columns] == list(InitiativeStatus)
    proposed = column(columns, InitiativeStatus.PROPOSED)
    assert titles(proposed.cards) == ["high", "middle", "low", "empty"]
    assert [card.pk for card in proposed.cards] == [high.pk, middle.pk, low.pk, empty.pk]
    assert (proposed.total, proposed.more) == (4, 0)
    assert titles(column(columns, InitiativeStatus.PLANNED).cards) == [planned.title]
    assert column(columns, InitiativeStatus.SHIPPED).cards == []
    assert column(columns, InitiativeStatus.SHIPPED).total == 0


def test_each_column_shows_its_best_cards_and_how_many_more(pm) -> None:
    for n in range(5):
        initiative = InitiativeFactory.create(title=f"proposed {n}")
        for m in range(n):
            linked(initiative, pm, f"Company {m}", NICE)
    InitiativeFactory.create(title="planned", status=InitiativeStatus.PLANNED)

    columns = board(filters=BoardFilters(), per_column=2)

    proposed = column(columns, InitiativeStatus.PROPOSED)
    assert titles(proposed.cards) == ["proposed 4", "proposed 3"]
    assert (proposed.total, proposed.more) == (5, 3)
    planned = column(columns, InitiativeStatus.PLANNED)
    assert (len(planned.cards), planned.total, planned.more) == (1, 1, 0)


def test_the_board_filters_by_product_area(pm) -> None:
    billing = ProductAreaFactory.create(name="Billing", slug="billing")
    InitiativeFactory.create(title="invoices", product_area=billing)
    InitiativeFactory.create(title="dark mode", product_area=ProductAreaFactory.create())
    InitiativeFactory.create(title="no area")
    assert on_board(BoardFilters(product_area="billing")) == {"invoices"}
    assert on_board(BoardFilters()) == {"invoices", "dark mode", "no area"}


def test_the_board_filters_by_the_team_that_heard_the_ask(pm) -> None:
    from_sales, from_support = InitiativeFactory.create(title="sales"), InitiativeFactory.create()
    linked(from_sales, pm, source_team=SourceTeam.SALES)
    linked(from_support, pm, source_team=SourceTeam.SUPPORT)
    # A duplicate counts for its initiative, so its team does too.
    both = InitiativeFactory.create(title="both")
    original = linked(both, pm, source_team=SourceTeam.SUPPORT)
    ticket_mark_duplicate(ticket=ask(source_team=SourceTeam.SALES), of=original, by=pm)
    # A declined ask no longer counts anywhere.
    declined = InitiativeFactory.create(title="declined ask")
    ticket_decline(
        ticket=linked(declined, pm, source_team=SourceTeam.SALES), by=pm, reason="Not a fit."
    )
    InitiativeFactory.create(title="no asks")

    assert on_board(BoardFilters(source_team="sales")) == {"sales", "both"}


def test_the_board_filters_by_customer_segment(pm) -> None:
    enterprise = CustomerFactory.create(name="Acme", segment=Segment.ENTERPRISE)
    startup = CustomerFactory.create(name="Pied Piper", segment=Segment.STARTUP)
    linked(InitiativeFactory.create(title="sso"), pm, enterprise)
    linked(InitiativeFactory.create(title="free tier"), pm, startup)
    assert on_board(BoardFilters(segment=Segment.ENTERPRISE)) == {"sso"}


def test_the_board_filters_by_when_the_asks_came_in(pm) -> None:
    recent, old, mixed = (InitiativeFactory.create(title=t) for t in ("recent", "old", "mixed"))
    linked(recent, pm, days_ago=5)
    linked(old, pm, days_ago=100)
    linked(mixed, pm, days_ago=60)
    linked(mixed, pm, days_ago=120)
    InitiativeFactory.create(title="no asks")

    assert on_board(BoardFilters(period="30")) == {"recent"}
    assert on_board(BoardFilters(period="90")) == {"recent", "mixed"}
    assert on_board(BoardFilters(period="all")) == {"recent", "old", "mixed", "no asks"}


def test_the_review_period_starts_at_the_last_monthly_review(pm) -> None:
    review = last_review_day(timezone.localdate())
    since = (timezone.localdate() - review).days
    before, after = InitiativeFactory.create(title="before"), InitiativeFactory.create(title="on")
    linked(before, pm, days_ago=since + 1)
    linked(after, pm, days_ago=since)
    assert on_board(BoardFilters(period="review")) == {"on"}


def test_filters_combine_on_the_same_ask(pm) -> None:
    enterprise = CustomerFactory.create(name="Acme", segment=Segment.ENTERPRISE)
    startup = CustomerFactory.create(name="Pied Piper", segment=Segment.STARTUP)
    split = InitiativeFactory.create(title="split")
    linked(split, pm, enterprise, source_team=SourceTeam.SUPPORT)
    linked(split, pm, startup, source_team=SourceTeam.SALES)
    together = InitiativeFactory.create(title="together")
    linked(together, pm, enterprise, source_team=SourceTeam.SALES)
    assert on_board(BoardFilters(source_team="sales", segment=Segment.ENTERPRISE)) == {"together"}


def test_cards_show_the_score_at_the_start_of_the_month(pm) -> None:
    growing = InitiativeFactory.create(title="growing")
    linked(growing, pm, "Acme", IMPORTANT)
    ScoreSnapshot.objects.create(
        initiative=growing,
        month=(timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1),
        priority_score=Decimal(99),
        customer_count=9,
    )
    assert scores_snapshot() == 1
    linked(growing, pm, "Globex", CRITICAL)
    InitiativeFactory.create(title="new this month")

    cards = {
        card.title: card
        for card in column(board(filters=BoardFilters()), InitiativeStatus.PROPOSED).cards
    }

    assert cards["growing"].priority_score == Decimal(5)
    assert month_start_score(cards["growing"]) == Decimal(2)
    assert month_start_score(cards["new this month"]) is None


def test_score_snapshots_are_taken_once_a_month(pm) -> None:
    first, second = InitiativeFactory.create(), InitiativeFactory.create()
    linked(first, pm, "Acme", CRITICAL)
    today = timezone.localdate()

    assert scores_snapshot(today=today) == 2
    linked(first, pm, "Globex", CRITICAL)
    assert scores_snapshot(today=today) == 0
    assert scores_snapshot(today=today.replace(day=1)) == 0
    assert ScoreSnapshot.objects.count() == 2
    snapshot = ScoreSnapshot.objects.get(initiative=first)
    assert (snapshot.month, snapshot.priority_score, snapshot.customer_count) == (
        today.replace(day=1),
        Decimal(3),
        1,
    )

    next_month = (today.replace(day=28) + datetime.timedelta(days=7)).replace(day=1)
    assert scores_snapshot(today=next_month + datetime.timedelta(days=3)) == 2
    assert ScoreSnapshot.objects.get(initiative=first, month=next_month).priority_score == 6
    assert ScoreSnapshot.objects.filter(initiative=second).count() == 2


# Known dates on purpose: given `today`, last_review_day only counts the calendar (and reads
# reviews held up to that day; there are none here), never comparing with now.
@pytest.mark.parametrize(
    ("today", "review"),
    [
        ("2024-10-01", "2024-10-01"),  # the first Tuesday itself
        ("2024-10-31", "2024-10-01"),
        ("2024-11-04", "2024-10-01"),  # November's first Tuesday is the 5th: October's
        ("2024-11-05", "2024-11-05"),
        ("2024-12-02", "2024-11-05"),
        ("2024-12-03", "2024-12-03"),  # 1 December is a Sunday
        ("2025-01-06", "2024-12-03"),  # before January's first Tuesday: last year's December
        ("2025-01-07", "2025-01-07"),
        ("2025-03-03", "2025-02-04"),
        ("2025-03-04", "2025-03-04"),
    ],
)
def test_the_last_review_is_the_latest_first_tuesday(today, review) -> None:
    day = last_review_day(datetime.date.fromisoformat(today))
    assert day == datetime.date.fromisoformat(review)
    assert day.weekday() == 1


# ---------------------------------------------------------------------------------------------
# One initiative's asks


def test_asks_are_grouped_by_customer_strongest_first(pm) -> None:
    initiative = InitiativeFactory.create()
    acme_nice = linked(initiative, pm, "Acme", NICE)
    globex = linked(initiative, pm, "Globex", IMPORTANT)
    initech = linked(initiative, pm, "initech", CRITICAL)
    acme_critical = linked(initiative, pm, "Acme", CRITICAL)
    umbrella = ask("Umbrella", NICE)
    ticket_mark_duplicate(ticket=umbrella, of=globex, by=pm)
    ticket_decline(ticket=linked(initiative, pm, "Hooli", CRITICAL), by=pm, reason="No.")
    ask("Acme", CRITICAL)  # in the inbox, not on the initiative

    _, groups = initiative_asks(initiative=initiative)

    assert [(g.customer.name, g.top_importance_rank) for g in groups] == [
        ("Acme", 3),
        ("initech", 3),
        ("Globex", 2),
        ("Umbrella", 1),
    ]
    assert [list(g.tickets) for g in groups] == [
        [acme_critical, acme_nice],
        [initech],
        [globex],
        [umbrella],
    ]


def test_a_customer_who_asked_often_shows_their_most_important_asks_first(pm) -> None:
    initiative = InitiativeFactory.create()
    acme = CustomerFactory.create(name="Acme")
    nice = [linked(initiative, pm, acme, NICE) for _ in range(3)]
    critical = linked(initiative, pm, acme, CRITICAL)
    important = linked(initiative, pm, acme, IMPORTANT)
    once = linked(initiative, pm, "Globex", CRITICAL)

    page, groups = initiative_asks(initiative=initiative)

    # Both asked critically; Acme asked five times, so it comes first, with its three most
    # important asks (the oldest first among equals) and two more left to its history.
    assert page.paginator.count == 2
    assert [(g.customer.name, g.asks, g.more) for g in groups] == [("Acme", 5, 2), ("Globex", 1, 0)]
    assert list(groups[0].tickets) == [critical, important, nice[0]]
    assert list(groups[1].tickets) == [once]


# ---------------------------------------------------------------------------------------------
# Queries do not grow with the data


def _initiatives(pm: User, count: int) -> None:
    """`count` initiatives spread over every column, with owners, areas, asks and snapshots."""
    statuses = list(InitiativeStatus)
    for n in range(count):
        owner = UserFactory.create(username=f"owner{n}", role=Role.PRODUCT_MANAGER)
        initiative = InitiativeFactory.create(
            owner=owner, product_area=ProductAreaFactory.create(slug=f"area-{n % 4}")
        )
        linked(initiative, pm, f"Company {n}", CRITICAL, source_team=SourceTeam.SALES)
        linked(initiative, pm, f"Company {n + 1}", NICE, source_team=SourceTeam.SUPPORT)
        Initiative.objects.filter(pk=initiative.pk).update(status=statuses[n % len(statuses)])
    scores_snapshot()


def _read_board(filters: BoardFilters) -> None:
    for board_column in board(filters=filters):
        assert board_column.more >= 0
        for card in board_column.cards:
            str(card.owner)
            str(card.product_area)
            card.score_explanation  # noqa: B018
            month_start_score(card)


def _tickets(count: int) -> None:
    for n in range(count):
        area: ProductArea = ProductAreaFactory.create(slug=f"area-{n % 4}")
        submitter = UserFactory.create(username=f"submitter{n}")
        importance = [NICE, IMPORTANT, CRITICAL][n % 3]
        ask(f"Company {n}", importance, product_area=area, submitted_by=submitter)


def _read_inbox() -> None:
    for ticket in list(inbox_list()[:25]):
        str(ticket.customer)
        str(ticket.contact)
        str(ticket.submitted_by)
        str(ticket.product_area)


@pytest.mark.parametrize("count", [3, 40])
@pytest.mark.parametrize(
    "filters",
    [BoardFilters(), BoardFilters(period="30", source_team="sales", product_area="area-1")],
    ids=["all", "filtered"],
)
def test_the_board_takes_two_queries_however_many_initiatives(
    pm, django_assert_num_queries, count, filters
) -> None:
    _initiatives(pm, count)
    with django_assert_num_queries(2):
        _read_board(filters)


@pytest.mark.parametrize("count", [3, 40])
def test_the_inbox_takes_one_query_however_many_tickets(django_assert_num_queries, count) -> None:
    _tickets(count)
    assert Ticket.objects.count() == count
    with django_assert_num_queries(1):
        _read_inbox()

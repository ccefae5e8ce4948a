"""The insights page's figures: a known history in, the exact numbers out, and a number of
queries per chart that stays the same whatever the size of the data.

Times are set relative to `timezone.now()` and to the period's own first day, so the tests give
the same answers on any day of the month and in any TIME_ZONE.
"""

from __future__ import annotations

import datetime
import itertools
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from insights.figures import (
    ClosedLoop,
    InboxHealth,
    InsightFilters,
    closed_loop,
    decisions_per_month,
    inbox_health,
    shipped_from,
    tickets_per_week,
    top_initiatives_trend,
)
from intake.models import (
    Contact,
    Customer,
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
from notifications.models import DeliveryStatus, Notification, NotificationKind
from sessions.models import AgendaItem, Decision, Outcome, Session, SessionKind
from sessions.services import decision_record, session_close
from sessions.tests.factories import AgendaItemFactory, SessionFactory
from triage.models import Initiative, InitiativeStatus, ScoreSnapshot
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

SALES = SourceTeam.SALES
SUCCESS = SourceTeam.CUSTOMER_SUCCESS
ONBOARDING = SourceTeam.ONBOARDING
SUPPORT = SourceTeam.SUPPORT
DAY = datetime.timedelta(days=1)


# --- building a known history -----------------------------------------------------------------


def ago(*, days: float = 0) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def local(day: datetime.date, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """Midnight (or the given time) of a day in the current time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def monday(moment: datetime.datetime) -> datetime.date:
    """The first day of the ISO week the moment falls in, in the current time zone."""
    day = timezone.localtime(moment).date()
    return day - datetime.timedelta(days=day.weekday())


def month_starts(months: int) -> list[datetime.date]:
    """The first days of the period's months, oldest first, ending with this month."""
    starts = [timezone.localdate().replace(day=1)]
    for _ in range(months - 1):
        starts.insert(0, (starts[0] - DAY).replace(day=1))
    return starts


def filed(when: datetime.datetime, *, team: str = SALES, **fields: Any) -> Ticket:
    """A ticket received at `when`."""
    ticket = TicketFactory.create(source_team=team, **fields)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=when)
    ticket.refresh_from_db()
    return ticket


def shipped(when: datetime.datetime, **fields: Any) -> Initiative:
    return InitiativeFactory.create(status=InitiativeStatus.SHIPPED, shipped_at=when, **fields)


def asked_on(
    initiative: Initiative,
    when: datetime.datetime,
    *,
    status: str = TicketStatus.LINKED,
    **fields: Any,
) -> Ticket:
    """A ticket received at `when` that counts for the initiative."""
    return filed(when, initiative=initiative, status=status, **fields)


def told(
    ticket: Ticket,
    *,
    after_days: float,
    status: str = DeliveryStatus.SENT,
    kind: str = NotificationKind.CUSTOMER_SHIPPED,
) -> Notification:
    """The "your feedback shipped" email to the ticket's contact about its initiative, with a
    `sent_at` `after_days` after the ticket came in."""
    key = f"{kind}:{ticket.initiative_id}:{ticket.contact_id}:{status}"
    return Notification.objects.create(
        kind=kind,
        idempotency_key=key,
        recipient_email=ticket.contact.email,
        contact=ticket.contact,
        ticket=ticket,
        initiative_id=ticket.initiative_id,
        subject="What you asked for has shipped",
        body_text="It is live.",
        message_id=f"<{key}@feedbackloop.test>",
        status=status,
        sent_at=ticket.created_at + datetime.timedelta(days=after_days),
    )


def decided(when: datetime.datetime, *, session: Session) -> None:
    AgendaItemFactory.create(session=session, decision=Decision.PLAN, decided_at=when)


def outcome(when: datetime.datetime, *, session: Session) -> None:
    row = Outcome.objects.create(session=session, kind=Outcome.Kind.INSIGHT, body="An insight")
    Outcome.objects.filter(pk=row.pk).update(created_at=when)


def reports() -> ProductArea:
    return ProductAreaFactory.create(name="Reports", slug="reports")


# --- the period -------------------------------------------------------------------------------


# Known dates on purpose: since(today=...) is calendar arithmetic that never compares with now.
@pytest.mark.parametrize(
    ("months", "first"),
    [
        (1, datetime.date(2026, 1, 1)),
        (3, datetime.date(2025, 11, 1)),
        (6, datetime.date(2025, 8, 1)),
        (12, datetime.date(2025, 2, 1)),
    ],
)
def test_the_period_starts_on_the_first_of_a_month(months: int, first: datetime.date) -> None:
    since = InsightFilters(months=months).since(today=datetime.date(2026, 1, 31))
    assert since == local(first)


# --- tickets per week -------------------------------------------------------------------------


def test_tickets_per_week_counts_every_week_of_the_period_by_team() -> None:
    filters = InsightFilters(months=3)
    since = filters.since()
    this_week = monday(timezone.now())
    last_week = this_week - 7 * DAY
    received: list[tuple[datetime.datetime, str]] = [
        (timezone.now(), SALES),
        (timezone.now(), SALES),
        (timezone.now(), SUPPORT),
        # A week runs Monday to Sunday in the current time zone.
        (local(last_week), SUCCESS),
        (local(last_week - DAY, 23, 59), SALES),
        (since, ONBOARDING),
    ]
    for when, team in received:
        filed(when, team=team)
    # Every ticket received counts, whatever became of it since.
    declined = filed(ago(days=21), team=SUPPORT, status=TicketStatus.DECLINED)
    received.append((declined.created_at, SUPPORT))
    filed(since - datetime.timedelta(seconds=1), team=SALES)  # before the period

    rows = tickets_per_week(filters=filters)

    weeks = [row["week"] for row in rows]
    assert weeks[0] == monday(since)
    assert weeks[-1] == this_week
    assert all(later - earlier == 7 * DAY for earlier, later in itertools.pairwise(weeks))
    expected = Counter((monday(when), team) for when, team in received)
    for row in rows:
        for key in SourceTeam.values:
            assert row[key] == expected[(row["week"], key)], (row["week"], key)
        assert row["total"] == sum(row[key] for key in SourceTeam.values)
    assert sum(row["total"] for row in rows) == 7
    assert rows[-1] == {
        "week": this_week,
        "sales": 2,
        "customer_success": 0,
        "onboarding": 0,
        "support": 1,
        "other": 0,
        "total": 3,
    }
    assert rows[-2]["customer_success"] == 1
    assert rows[-3]["sales"] == 1
    assert rows[0]["onboarding"] == 1


def test_tickets_per_week_follows_the_filters() -> None:
    area = reports()
    on_reports = InitiativeFactory.create(product_area=area)
    filed(ago(days=1), team=SALES)
    filed(ago(days=1), team=SALES, product_area=area)
    filed(ago(days=8), team=SUPPORT, initiative=on_reports, status=TicketStatus.LINKED)
    filed(ago(days=8), team=SUPPORT)

    support = tickets_per_week(filters=InsightFilters(source_team=SUPPORT))
    assert sum(row["total"] for row in support) == 2
    assert sum(row["support"] for row in support) == 2
    assert sum(row["sales"] for row in support) == 0

    # The product area is the ticket's own, or its initiative's.
    on_area = tickets_per_week(filters=InsightFilters(product_area="reports"))
    assert sum(row["sales"] for row in on_area) == 1
    assert sum(row["support"] for row in on_area) == 1

    both = tickets_per_week(filters=InsightFilters(source_team=SALES, product_area="reports"))
    assert sum(row["total"] for row in both) == 1


def test_the_figures_follow_the_source_filter() -> None:
    initiative = InitiativeFactory.create(priority_score=10)
    filed(ago(days=1), team=SALES)
    filed(ago(days=1), team=SALES, source="email", source_reference="<a@b>")
    asked_on(initiative, ago(days=2), team=SUPPORT, source="slack")

    emailed = tickets_per_week(filters=InsightFilters(source="email"))
    assert sum(row["total"] for row in emailed) == 1
    assert sum(row["total"] for row in tickets_per_week(filters=InsightFilters())) == 3
    assert inbox_health(filters=InsightFilters(source="email")).waiting == 1

    def shown(filters: InsightFilters) -> list[Initiative]:
        return [row.initiative for row in top_initiatives_trend(filters=filters)]

    assert shown(InsightFilters(source="slack")) == [initiative]
    assert shown(InsightFilters(source="email")) == []
    assert shown(InsightFilters(source="slack", source_team=SALES)) == []


def test_tickets_per_week_covers_the_weeks_of_the_chosen_months() -> None:
    for months in (1, 3, 6, 12):
        filters = InsightFilters(months=months)
        rows = tickets_per_week(filters=filters)
        first = monday(filters.since())
        last = monday(timezone.now())
        assert len(rows) == (last - first).days // 7 + 1


# --- inbox health -----------------------------------------------------------------------------


def test_inbox_health_is_how_many_tickets_wait_and_for_how_long() -> None:
    initiative = InitiativeFactory.create()
    for days in (1, 3, 10):
        filed(ago(days=days))
    # Still waiting, even though it came in long before the period.
    filed(ago(days=200), team=SUPPORT)
    # Not waiting for triage: asked for more, snoozed, triaged.
    filed(ago(days=300), status=TicketStatus.NEEDS_INFO)
    filed(ago(days=300), status=TicketStatus.SNOOZED)
    filed(ago(days=300), status=TicketStatus.LINKED, initiative=initiative)
    filed(ago(days=300), status=TicketStatus.DECLINED)

    expected = InboxHealth(waiting=4, median_days=6.5, oldest_days=200.0)
    assert inbox_health(filters=InsightFilters()) == expected
    assert inbox_health(filters=InsightFilters(months=1)) == expected


def test_inbox_health_follows_the_filters() -> None:
    area = reports()
    filed(ago(days=2), team=SALES)
    filed(ago(days=4), team=SUPPORT, product_area=area)
    filed(ago(days=6), team=SUPPORT)

    assert inbox_health(filters=InsightFilters(source_team=SUPPORT)) == InboxHealth(
        waiting=2, median_days=5.0, oldest_days=6.0
    )
    assert inbox_health(filters=InsightFilters(product_area="reports")) == InboxHealth(
        waiting=1, median_days=4.0, oldest_days=4.0
    )
    assert inbox_health(filters=InsightFilters(source_team=ONBOARDING)) == InboxHealth(
        waiting=0, median_days=None, oldest_days=None
    )


# --- the top initiatives' scores over time ---------------------------------------------------


def test_top_initiatives_trend_is_the_five_best_open_ones_month_by_month() -> None:
    first, middle, this_month = month_starts(3)
    top = InitiativeFactory.create(priority_score=60, status=InitiativeStatus.IN_PROGRESS)
    second = InitiativeFactory.create(priority_score=50, status=InitiativeStatus.PLANNED)
    third = InitiativeFactory.create(priority_score=40)
    fourth = InitiativeFactory.create(priority_score=30)
    tied_older = InitiativeFactory.create(priority_score=20)
    tied_newer = InitiativeFactory.create(priority_score=20)
    # Closed initiatives are not in the running, however high their score.
    InitiativeFactory.create(priority_score=100, status=InitiativeStatus.SHIPPED)
    InitiativeFactory.create(priority_score=90, status=InitiativeStatus.DECLINED)
    ScoreSnapshot.objects.create(
        initiative=top, month=(first - DAY).replace(day=1), priority_score=7, customer_count=1
    )
    ScoreSnapshot.objects.create(
        initiative=top, month=first, priority_score=Decimal("45.5"), customer_count=4
    )
    ScoreSnapshot.objects.create(
        initiative=top, month=this_month, priority_score=55, customer_count=5
    )
    ScoreSnapshot.objects.create(
        initiative=second, month=middle, priority_score=48, customer_count=4
    )

    trend = top_initiatives_trend(filters=InsightFilters(months=3))

    today = timezone.localdate()
    assert [row.initiative for row in trend] == [top, second, third, fourth, tied_newer]
    assert trend[0].points == [(first, 45.5), (middle, None), (this_month, 55.0), (today, 60.0)]
    assert trend[1].points == [(first, None), (middle, 48.0), (this_month, None), (today, 50.0)]
    assert trend[4].points == [(first, None), (middle, None), (this_month, None), (today, 20.0)]
    assert tied_older not in [row.initiative for row in trend]


def test_top_initiatives_trend_follows_the_filters() -> None:
    area = reports()
    on_area = InitiativeFactory.create(priority_score=10, product_area=area)
    from_sales = InitiativeFactory.create(priority_score=30)
    from_support = InitiativeFactory.create(priority_score=20)
    asked_on(from_sales, ago(days=3), team=SALES)
    asked_on(from_support, ago(days=3), team=SUPPORT)
    asked_on(from_support, ago(days=4), team=SUPPORT)
    asked_on(from_support, ago(days=5), team=SUPPORT, status=TicketStatus.DUPLICATE)
    # A support ticket that is not (or no longer) counted for its initiative.
    filed(ago(days=3), team=SUPPORT, initiative=from_sales, status=TicketStatus.DECLINED)

    def shown(filters: InsightFilters) -> list[Initiative]:
        return [row.initiative for row in top_initiatives_trend(filters=filters)]

    assert shown(InsightFilters()) == [from_sales, from_support, on_area]
    assert shown(InsightFilters(product_area="reports")) == [on_area]
    assert shown(InsightFilters(source_team=SUPPORT)) == [from_support]
    assert shown(InsightFilters(source_team=SUPPORT, product_area="reports")) == []
    # One point per month of the period, then today's score.
    for months in (1, 3, 6, 12):
        trend = top_initiatives_trend(filters=InsightFilters(months=months))
        assert [when for when, _ in trend[0].points] == [
            *month_starts(months),
            timezone.localdate(),
        ]


# --- the closed loop --------------------------------------------------------------------------


def closed_loop_history() -> None:
    """Two initiatives shipped ten days ago with four counted tickets: three customers were
    emailed 2, 4 and 10 days after they asked, the fourth email failed. Plus an initiative
    shipped before the period and one still in progress, which do not count."""
    area = reports()
    since = InsightFilters(months=3).since()
    emailed = ago(days=10)
    csv = shipped(emailed - datetime.timedelta(hours=1))
    sso = shipped(emailed - datetime.timedelta(hours=1), product_area=area)
    a = asked_on(csv, emailed - 2 * DAY, team=SALES, product_area=area)
    b = asked_on(csv, emailed - 4 * DAY, team=SALES)
    d = asked_on(sso, emailed - 30 * DAY, team=SUCCESS)
    c = asked_on(sso, emailed - 10 * DAY, team=SUPPORT, status=TicketStatus.DUPLICATE)
    Ticket.objects.filter(pk=c.pk).update(duplicate_of=d)
    told(a, after_days=2)
    told(b, after_days=4)
    told(c, after_days=10)
    # The status says whether the email went out, whatever timestamps the row carries.
    told(d, after_days=30, status=DeliveryStatus.FAILED)

    # d's contact was told about an earlier initiative, shipped before the period: that email
    # is not about sso, and that ticket is not in the period.
    old = shipped(since - DAY)
    e = asked_on(old, since - 2 * DAY, team=SUCCESS, contact=d.contact)
    told(e, after_days=1)

    # Only linked and duplicate tickets count, whatever initiative a declined one still names.
    told(asked_on(csv, emailed - DAY, team=SALES, status=TicketStatus.DECLINED), after_days=1)
    in_progress = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    asked_on(in_progress, emailed, team=SALES)
    filed(emailed, team=SALES)


def test_closed_loop_is_how_many_customers_were_told_and_how_fast() -> None:
    closed_loop_history()

    result = closed_loop(filters=InsightFilters(months=3))

    assert result == ClosedLoop(tickets=4, told=3, median_days=4.0)
    assert result.rate == 75.0


@pytest.mark.parametrize(
    ("filters", "expected", "rate"),
    [
        # a and b: the median of 2 and 4 days is 3.
        (InsightFilters(source_team=SALES), ClosedLoop(tickets=2, told=2, median_days=3.0), 100.0),
        (InsightFilters(source_team=SUPPORT), ClosedLoop(tickets=1, told=1, median_days=10.0), 100),
        (InsightFilters(source_team=SUCCESS), ClosedLoop(tickets=1, told=0, median_days=None), 0),
        (InsightFilters(source_team=ONBOARDING), ClosedLoop(0, 0, None), None),
        # a by its own product area, c and d by their initiative's.
        (InsightFilters(product_area="reports"), ClosedLoop(3, 2, median_days=6.0), 66.7),
        (InsightFilters(source_team=SALES, product_area="reports"), ClosedLoop(1, 1, 2.0), 100),
        # Twelve months reach back to the earlier initiative: e, told a day after asking.
        (InsightFilters(months=12), ClosedLoop(tickets=5, told=4, median_days=3.0), 80.0),
    ],
)
def test_closed_loop_follows_the_filters(
    filters: InsightFilters, expected: ClosedLoop, rate: float | None
) -> None:
    closed_loop_history()

    result = closed_loop(filters=filters)

    assert result == expected
    assert result.rate == rate


def test_closed_loop_counts_an_email_for_its_contact_and_initiative() -> None:
    initiative = shipped(ago(days=3))
    company = CustomerFactory.create()
    asked_twice = ContactFactory.create(customer=company)
    never_told = ContactFactory.create(customer=company, unsubscribed_at=ago(days=30))
    first = asked_on(initiative, ago(days=5), contact=asked_twice)
    asked_on(initiative, ago(days=7), contact=asked_twice)
    unsubscribed = asked_on(initiative, ago(days=6), contact=never_told)
    # One email tells a contact about all their asks there: 3 and 5 days after them.
    told(first, after_days=3)
    # The colleague who unsubscribed was not emailed; an email of another kind is not telling.
    told(unsubscribed, after_days=3, status=DeliveryStatus.SUPPRESSED)
    told(unsubscribed, after_days=3, kind=NotificationKind.STAFF_SHIPPED)

    result = closed_loop(filters=InsightFilters())

    assert result == ClosedLoop(tickets=3, told=2, median_days=4.0)
    assert result.rate == 66.7


def test_closed_loop_period_starts_at_the_first_of_the_month() -> None:
    since = InsightFilters(months=1).since()
    on_the_first = shipped(since)
    the_second_before = shipped(since - datetime.timedelta(seconds=1))
    told(asked_on(on_the_first, since - 3 * DAY), after_days=3)
    told(asked_on(the_second_before, since - 5 * DAY), after_days=5)

    assert closed_loop(filters=InsightFilters(months=1)) == ClosedLoop(1, 1, 3.0)
    assert closed_loop(filters=InsightFilters(months=3)) == ClosedLoop(2, 2, 4.0)


# --- decisions per month ----------------------------------------------------------------------


def test_decisions_per_month_counts_review_decisions_and_workshop_outcomes() -> None:
    first, middle, this_month = month_starts(3)
    review = SessionFactory.create(kind=SessionKind.MONTHLY_REVIEW, month=first)
    workshop = SessionFactory.create()
    decided(local(first + DAY, 12), session=review)
    decided(local(first + DAY, 13), session=review)
    decided(timezone.now(), session=review)
    outcome(local(first, 0, 1), session=workshop)
    outcome(local(middle + 9 * DAY, 9), session=workshop)
    outcome(local(middle + 9 * DAY, 10), session=workshop)
    outcome(timezone.now(), session=workshop)
    # Not decided yet; and a decision and an outcome from before the period.
    AgendaItemFactory.create(session=review)
    decided(local(first) - datetime.timedelta(seconds=1), session=review)
    outcome(local(first) - DAY, session=workshop)

    rows = decisions_per_month(filters=InsightFilters(months=3))

    assert rows == [
        {"month": first, "reviews": 2, "workshops": 1},
        {"month": middle, "reviews": 0, "workshops": 2},
        {"month": this_month, "reviews": 1, "workshops": 1},
    ]
    assert decisions_per_month(filters=InsightFilters(months=1)) == [
        {"month": this_month, "reviews": 1, "workshops": 1},
    ]
    assert [row["month"] for row in decisions_per_month(filters=InsightFilters(months=12))] == (
        month_starts(12)
    )


def test_decisions_per_month_leaves_out_what_a_closed_review_did_not_reach(pm) -> None:
    """The count the issue found wrong: two decisions made, four items not reached, and the
    chart said six."""
    review = SessionFactory.create(
        kind=SessionKind.MONTHLY_REVIEW,
        month=timezone.localdate().replace(day=1),
        starts_at=timezone.now() - datetime.timedelta(minutes=30),
        facilitator=pm,
    )
    items = [AgendaItemFactory.create(session=review) for _ in range(6)]
    decision_record(item=items[0], by=pm, decision=Decision.NEEDS_RESEARCH)
    decision_record(item=items[1], by=pm, decision=Decision.DEFER, rationale="Next month.")
    session_close(session=review, by=pm)

    (row,) = decisions_per_month(filters=InsightFilters(months=1))
    assert row["reviews"] == 2
    assert AgendaItem.objects.filter(decision=Decision.NOT_REACHED).count() == 4


# --- where shipped work came from -------------------------------------------------------------


def test_shipped_from_counts_the_tickets_on_shipped_initiatives_by_team_and_segment() -> None:
    area = reports()
    since = InsightFilters(months=3).since()
    enterprise = CustomerFactory.create(segment=Segment.ENTERPRISE)
    smb = CustomerFactory.create(segment=Segment.SMB)
    startup = CustomerFactory.create(segment=Segment.STARTUP)
    mid_market = CustomerFactory.create(segment=Segment.MID_MARKET)

    def contact(company: Customer) -> Contact:
        return ContactFactory.create(customer=company)

    csv = shipped(ago(days=5))
    asked_on(csv, ago(days=20), team=SALES, contact=contact(enterprise))
    asked_on(csv, ago(days=20), team=SALES, contact=contact(smb), product_area=area)
    asked_on(
        csv, ago(days=20), team=SUPPORT, contact=contact(enterprise), status=TicketStatus.DUPLICATE
    )
    # Not counted for it, shipped before the period, not shipped.
    asked_on(csv, ago(days=20), team=ONBOARDING, status=TicketStatus.DECLINED)
    asked_on(shipped(since - DAY), since - 9 * DAY, team=ONBOARDING, contact=contact(startup))
    in_progress = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    asked_on(in_progress, ago(days=20), team=SUCCESS, contact=contact(mid_market))

    def counts(filters: InsightFilters) -> tuple[dict[str, int], dict[str, int]]:
        result = shipped_from(filters=filters)
        assert [row["key"] for row in result["teams"]] == SourceTeam.values
        assert [row["label"] for row in result["segments"]] == Segment.labels
        return (
            {row["key"]: row["n"] for row in result["teams"] if row["n"]},
            {row["key"]: row["n"] for row in result["segments"] if row["n"]},
        )

    assert counts(InsightFilters()) == ({"sales": 2, "support": 1}, {"enterprise": 2, "smb": 1})
    assert counts(InsightFilters(source_team=SUPPORT)) == ({"support": 1}, {"enterprise": 1})
    assert counts(InsightFilters(product_area="reports")) == ({"sales": 1}, {"smb": 1})
    assert counts(InsightFilters(months=12)) == (
        {"sales": 2, "support": 1, "onboarding": 1},
        {"enterprise": 2, "smb": 1, "startup": 1},
    )


# --- an empty database ------------------------------------------------------------------------


@pytest.mark.parametrize("months", [1, 3, 6, 12])
def test_every_figure_is_zero_or_none_with_no_data(
    months: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    filtered = InsightFilters(months=months, source_team=SALES, product_area="nowhere")
    for filters in (InsightFilters(months=months), filtered):
        with django_assert_max_num_queries(10):
            weeks = tickets_per_week(filters=filters)
            health = inbox_health(filters=filters)
            trend = top_initiatives_trend(filters=filters)
            loop = closed_loop(filters=filters)
            decisions = decisions_per_month(filters=filters)
            origins = shipped_from(filters=filters)

        assert weeks
        assert all(row["total"] == 0 for row in weeks)
        assert health == InboxHealth(waiting=0, median_days=None, oldest_days=None)
        assert trend == []
        assert loop == ClosedLoop(tickets=0, told=0, median_days=None)
        assert loop.rate is None
        assert decisions == [
            {"month": month, "reviews": 0, "workshops": 0} for month in month_starts(months)
        ]
        assert all(row["n"] == 0 for row in origins["teams"] + origins["segments"])


# --- queries ----------------------------------------------------------------------------------


def history(size: int) -> None:
    """`size` of everything each chart reads, on the product area "reports" and from sales."""
    area = ProductArea.objects.get_or_create(slug="reports", defaults={"name": "Reports"})[0]
    first, *_, this_month = month_starts(3)
    review = SessionFactory.create(kind=SessionKind.MONTHLY_REVIEW, month=this_month)
    workshop = SessionFactory.create()
    for n in range(size):
        open_one = InitiativeFactory.create(priority_score=n + 1, product_area=area)
        for month in (first, this_month):
            ScoreSnapshot.objects.create(
                initiative=open_one, month=month, priority_score=n, customer_count=1
            )
        asked_on(open_one, ago(days=n + 1), team=SALES)
        done = shipped(ago(days=1), product_area=area)
        told(asked_on(done, ago(days=n + 2), team=SALES), after_days=1)
        filed(ago(days=n), team=SALES, product_area=area)
        decided(timezone.now(), session=review)
        outcome(timezone.now(), session=workshop)


FIGURES: list[tuple[Any, int]] = [
    (tickets_per_week, 1),
    (inbox_health, 2),
    (top_initiatives_trend, 2),
    (closed_loop, 1),
    (decisions_per_month, 2),
    (shipped_from, 2),
]


@pytest.mark.parametrize("size", [1, 20])
@pytest.mark.parametrize(
    "filters",
    [InsightFilters(), InsightFilters(months=12, source_team=SALES, product_area="reports")],
    ids=["all", "filtered"],
)
@pytest.mark.parametrize(("figure", "queries"), FIGURES, ids=[f.__name__ for f, _ in FIGURES])
def test_each_figure_takes_a_fixed_number_of_queries(
    figure: Any,
    queries: int,
    size: int,
    filters: InsightFilters,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    history(size)

    with django_assert_num_queries(queries):
        figure(filters=filters)


def test_the_figures_see_the_whole_history(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    history(20)
    filters = InsightFilters(source_team=SALES, product_area="reports")

    with django_assert_max_num_queries(10):
        weeks = tickets_per_week(filters=filters)
        health = inbox_health(filters=filters)
        trend = top_initiatives_trend(filters=filters)
        loop = closed_loop(filters=filters)
        decisions = decisions_per_month(filters=filters)
        origins = shipped_from(filters=filters)

    assert sum(row["total"] for row in weeks) == 60
    assert health.waiting == 20
    assert [float(row.initiative.priority_score) for row in trend] == [20, 19, 18, 17, 16]
    assert loop == ClosedLoop(tickets=20, told=20, median_days=1.0)
    assert decisions[-1] == {"month": month_starts(1)[0], "reviews": 20, "workshops": 20}
    assert origins["teams"][0] == {"key": "sales", "label": "Sales", "n": 20}

"""Reads on sessions: what is upcoming and past, the agenda with its dots and threads, and a
workshop's research material, each in a number of queries that does not grow with the data."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from intake.models import Importance, Kind
from intake.tests.factories import ProductAreaFactory, TicketFactory
from sessions.models import Decision, ItemComment, Session, SessionStatus, Topic, Vote
from sessions.selectors import (
    RESEARCH_BLEND,
    agenda_of,
    dots_left,
    invited,
    research_material,
    session_get,
    session_list,
    sessions_in_month,
    sessions_past,
    sessions_upcoming,
)
from sessions.services import VOTES_PER_PERSON
from sessions.tests.factories import AgendaItemFactory, ParticipantFactory, SessionFactory
from tests.dates import day_at, month_start
from triage.models import InitiativeStatus
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def at(hours: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=hours)


def with_people(session: Session, count: int) -> Session:
    for _ in range(count):
        ParticipantFactory.create(session=session)
    return session


# ---------------------------------------------------------------------------------------------
# Upcoming, past, this month


def test_upcoming_is_what_has_not_ended_soonest_first_and_past_is_the_rest() -> None:
    later = SessionFactory.create(starts_at=at(48))
    soon = SessionFactory.create(starts_at=at(24))
    under_way = SessionFactory.create(starts_at=at(-2), duration_minutes=180)
    long_ago = SessionFactory.create(starts_at=at(-9))
    cancelled = SessionFactory.create(starts_at=at(5), status=SessionStatus.CANCELLED)
    closed = SessionFactory.create(starts_at=at(-1), status=SessionStatus.CLOSED)

    assert list(sessions_upcoming()) == [under_way, soon, later]
    assert list(sessions_past()) == [cancelled, closed, long_ago]
    assert list(sessions_upcoming(now=at(33))) == [later]


def test_upcoming_lists_who_is_invited_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
) -> None:
    area = ProductAreaFactory.create()

    def read() -> list[tuple[str, str, str, list[str]]]:
        return [
            (
                s.title,
                s.facilitator.display_name if s.facilitator else "",
                s.product_area.name if s.product_area else "",
                [p.user.display_name for p in s.participants.all()],
            )
            for s in sessions_upcoming()
        ]

    for _ in range(3):
        with_people(SessionFactory.create(product_area=area), 3)
    with django_assert_max_num_queries(2):
        assert len(read()) == 3

    for _ in range(17):
        with_people(SessionFactory.create(product_area=area), 5)
    with django_assert_max_num_queries(2):
        rows = read()
    assert len(rows) == 20
    assert sum(len(people) for *_, people in rows) == 3 * 3 + 17 * 5


def test_participants_are_listed_by_first_name() -> None:
    session = SessionFactory.create()
    for first_name in ("Zoe", "Adam", "Mia"):
        ParticipantFactory.create(session=session, user__first_name=first_name)
    (listed,) = sessions_upcoming()
    assert [p.user.first_name for p in listed.participants.all()] == ["Adam", "Mia", "Zoe"]


def test_a_months_calendar_holds_the_sessions_starting_in_it(settings) -> None:
    settings.TIME_ZONE = "America/New_York"
    utc = datetime.UTC
    before, month, after = month_start(1), month_start(2), month_start(3)
    # 03:00 UTC on the 1st is still the month before in New York (UTC-5 or UTC-4).
    still_before = SessionFactory.create(starts_at=day_at(month, 3, tz=utc))
    first = SessionFactory.create(starts_at=day_at(month, 6, tz=utc))
    last = SessionFactory.create(starts_at=day_at(after, 3, tz=utc))
    SessionFactory.create(starts_at=day_at(after, 5, tz=utc))

    assert sessions_in_month(month=month + datetime.timedelta(days=14)) == [first, last]
    assert sessions_in_month(month=before) == [still_before]


@pytest.mark.parametrize("session_id", ["abc", None, "", "999999"])
def test_a_session_that_is_not_there_is_none(session_id: Any) -> None:
    assert session_get(session_id=session_id) is None


def test_a_session_by_id_with_who_is_invited(submitter, other_submitter) -> None:
    session = SessionFactory.create()
    ParticipantFactory.create(session=session, user=submitter)

    found = session_get(session_id=str(session.pk))

    assert found == session
    assert found is not None
    mine = invited(session=found, user=submitter)
    assert mine is not None
    assert mine.user == submitter
    assert invited(session=found, user=other_submitter) is None


def test_session_lists_carry_their_agendas_in_a_fixed_number_of_queries(
    submitter, django_assert_max_num_queries
) -> None:
    made: list[Session] = []

    def make(count: int) -> None:
        for _ in range(count):
            n = len(made)
            session = with_people(
                SessionFactory.create(
                    starts_at=at(24 + n if n % 3 else -48 - n),
                    kind="monthly_review" if n % 2 else "workshop",
                    month=month_start(n) if n % 2 else None,
                ),
                2,
            )
            for item in AgendaItemFactory.create_batch(2, session=session):
                vote(item, submitter, 2)
            AgendaItemFactory.create(
                session=session, ticket=None, initiative=InitiativeFactory.create()
            )
            made.append(session)

    def read(**filters: Any) -> list[tuple[str, list[str], list[tuple[str, int]]]]:
        rows = []
        for session in session_list(**filters):
            agenda: list[Any] = list(session.agenda.all())
            rows.append(
                (
                    session.title,
                    [p.user.display_name for p in session.participants.all()],
                    [
                        (i.ticket.customer.name if i.ticket else i.initiative.title, i.dots)
                        for i in agenda
                    ],
                )
            )
        return rows

    make(3)
    with django_assert_max_num_queries(3):
        assert len(read()) == 3
    make(17)
    for filters in ({}, {"upcoming": True}, {"upcoming": False}, {"kind": "workshop"}):
        with django_assert_max_num_queries(3):
            assert read(**filters)
    everything = read()
    assert len(everything) == 20
    assert all([dots for _, dots in agenda] == [2, 2, 0] for _, _, agenda in everything)
    assert all(len(people) == 2 for _, people, _ in everything)
    upcoming = {s.pk for s in session_list(upcoming=True)}
    past = {s.pk for s in session_list(upcoming=False)}
    assert upcoming | past == {s.pk for s in made}
    assert not upcoming & past
    assert {s.kind for s in session_list(kind="workshop")} == {"workshop"}


def test_a_session_with_its_agenda_and_dots(submitter) -> None:
    session = SessionFactory.create()
    first, second = AgendaItemFactory.create_batch(2, session=session)
    vote(second, submitter, 3)

    found = session_get(session_id=session.pk, with_agenda=True)

    assert found is not None
    items: list[Any] = list(found.agenda.all())
    assert [(i, i.dots) for i in items] == [(first, 0), (second, 3)]


# ---------------------------------------------------------------------------------------------
# The agenda


def vote(item: Any, user: User, times: int = 1) -> None:
    Vote.objects.bulk_create([Vote(item=item, user=user) for _ in range(times)])


def test_the_agenda_shows_everyones_dots_and_mine_and_sorts_by_them(
    submitter, other_submitter
) -> None:
    session = SessionFactory.create()
    first, second, third = AgendaItemFactory.create_batch(3, session=session)
    vote(second, submitter, 2)
    vote(second, other_submitter, 1)
    vote(third, other_submitter, 3)
    vote(first, other_submitter, 1)
    elsewhere = AgendaItemFactory.create()
    vote(elsewhere, submitter, 4)

    # `dots` and `my_dots` are annotations the model type does not know.
    in_order: list[Any] = agenda_of(session=session, user=submitter)
    by_votes = agenda_of(session=session, user=submitter, by_votes=True)

    assert in_order == [first, second, third]
    assert [(i.dots, i.my_dots) for i in in_order] == [(1, 0), (3, 2), (3, 0)]
    # Equal dots keep their agenda order.
    assert by_votes == [second, third, first]
    assert dots_left(session=session, user=submitter) == VOTES_PER_PERSON - 2
    assert dots_left(session=session, user=other_submitter) == 0


def test_the_agenda_carries_each_items_thread_in_order(submitter, other_submitter) -> None:
    session = SessionFactory.create()
    item = AgendaItemFactory.create(session=session)
    ItemComment.objects.create(item=item, author=submitter, body="Why?", kind="question")
    ItemComment.objects.create(item=item, author=other_submitter, body="Because.", kind="answer")

    (listed,) = agenda_of(session=session, user=submitter)

    assert [(c.author.username, c.body) for c in listed.comments.all()] == [
        ("sales", "Why?"),
        ("success", "Because."),
    ]


def test_the_agenda_is_read_in_a_fixed_number_of_queries(
    submitter, other_submitter, pm, django_assert_max_num_queries
) -> None:
    last = SessionFactory.create(starts_at=at(-24 * 30))
    session = SessionFactory.create()

    def add_items(count: int) -> None:
        for n in range(count):
            if n % 2:
                item = AgendaItemFactory.create(
                    session=session, ticket=None, initiative=InitiativeFactory.create()
                )
            else:
                earlier = AgendaItemFactory.create(session=last, decision=Decision.DEFER)
                item = AgendaItemFactory.create(
                    session=session,
                    ticket=earlier.ticket,
                    deferred_from=earlier,
                    decision=Decision.CREATE_INITIATIVE,
                    decided_by=pm,
                    result=InitiativeFactory.create(),
                )
            vote(item, submitter, 1)
            vote(item, other_submitter, 2)
            ItemComment.objects.create(item=item, author=submitter, body="Context")
            ItemComment.objects.create(item=item, author=other_submitter, body="More")

    def read(by_votes: bool) -> list[str]:
        rows = []
        items: list[Any] = agenda_of(session=session, user=submitter, by_votes=by_votes)
        for item in items:
            about = (
                f"{item.ticket.title} {item.ticket.customer.name} "
                f"{item.ticket.submitted_by.display_name}"
                if item.ticket
                else f"{item.initiative.title if item.initiative else ''}"
            )
            decided = (
                f"{item.decided_by.display_name if item.decided_by else ''} "
                f"{item.result.title if item.result else ''} "
                f"{item.deferred_from.session.title if item.deferred_from else ''}"
            )
            thread = " ".join(f"{c.author.display_name}: {c.body}" for c in item.comments.all())
            rows.append(f"{about} {decided} {item.dots} {item.my_dots} {thread}")
        return rows

    add_items(3)
    for by_votes in (False, True):
        with django_assert_max_num_queries(2):
            assert len(read(by_votes)) == 3
    add_items(17)
    for by_votes in (False, True):
        with django_assert_max_num_queries(2):
            assert len(read(by_votes)) == 20


# ---------------------------------------------------------------------------------------------
# Research material for a workshop


def _security_workshop(**fields: Any) -> Session:
    return SessionFactory.create(
        title="Security review",
        description="Login security: single sign-on, two-factor authentication, passwords.",
        topic=Topic.OTHER,
        **fields,
    )


def test_research_material_is_what_is_close_to_the_topic_best_first(
    django_assert_max_num_queries,
) -> None:
    billing = ProductAreaFactory.create(name="Billing", slug="billing")
    sso = TicketFactory.create(
        title="Single sign-on login with Okta",
        description="Staff should log in through single sign-on instead of passwords.",
    )
    two_factor = TicketFactory.create(
        title="Two-factor authentication for admins",
        description="Security asks for 2FA on admin accounts.",
    )
    # The security workshop of the issue showed these: same product area, friction, tags.
    export = TicketFactory.create(
        title="Export invoices to CSV",
        description="Finance exports every invoice by hand each month.",
        product_area=billing,
        kind=Kind.FRICTION,
        importance=Importance.CRITICAL,
    )
    pdf = TicketFactory.create(
        title="Invoice PDF has the wrong tax rounding",
        description="Totals are off by a cent.",
        tags=["security"],
    )
    saml = InitiativeFactory.create(
        title="SAML single sign-on", description="Log in through the company's identity provider."
    )
    shipped = InitiativeFactory.create(
        title="Password strength rules",
        description="Passwords must be long and checked against breaches.",
        status=InitiativeStatus.SHIPPED,
    )
    invoices = InitiativeFactory.create(
        title="Invoice export", description="CSV and PDF export of invoices.", priority_score=9
    )
    session = _security_workshop(product_area=billing, tags=["security"])

    with django_assert_max_num_queries(6):
        found = research_material(session=session)
        names = [t.customer.name for t in found.tickets]

    assert {sso, two_factor} <= set(found.tickets)
    assert not {export, pdf} & set(found.tickets)
    assert {saml, shipped} <= set(found.initiatives)
    assert invoices not in found.initiatives
    assert len(names) == len(found.tickets)
    for kind in (found.tickets, found.initiatives):
        scores = [getattr(item, "score") for item in kind]  # noqa: B009  (annotated, not typed)
        assert scores == sorted(scores, reverse=True)
        assert all(score >= RESEARCH_BLEND.floor for score in scores)


def test_research_material_is_capped() -> None:
    for n in range(5):
        TicketFactory.create(
            title=f"Single sign-on through provider {n}",
            description="Log in with the company's SSO identity provider.",
        )
    found = research_material(session=_security_workshop(), limit=3)
    assert len(found.tickets) == 3
    assert len(research_material(session=_security_workshop()).tickets) == 5


def test_research_material_is_empty_when_nothing_is_close() -> None:
    TicketFactory.create(title="Export invoices to CSV", description="Finance needs it.")
    InitiativeFactory.create(title="Dark mode", description="A darker theme for the evening.")
    found = research_material(session=_security_workshop())
    assert not found
    assert (found.tickets, found.initiatives) == ([], [])
    session = SessionFactory.create(title="The", description="", topic="")
    assert not research_material(session=session)

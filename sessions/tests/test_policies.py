"""Who may run, take part in and decide in sessions: every role against every act; and the
authority a decider's decisions carry into the triage services, which nothing else gives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Role, Team, User
from accounts.tests.factories import UserFactory
from core.errors import DomainError
from intake.models import Ticket, TicketStatus
from intake.tests.factories import TicketFactory
from sessions.models import AgendaItem, Decision, Session, SessionKind
from sessions.policies import (
    decision_authority,
    ensure_may_decide,
    ensure_may_organize,
    ensure_may_record_outcome,
    ensure_may_rsvp,
    ensure_may_run_sessions,
    ensure_may_take_part,
    may_decide,
    may_rsvp,
    may_run_sessions,
    may_take_part,
)
from sessions.services import decision_record, outcome_add
from sessions.tests.factories import AgendaItemFactory, ParticipantFactory, SessionFactory
from triage.models import Initiative, InitiativeStatus
from triage.policies import Authority
from triage.services import initiative_create, ticket_decline, ticket_link
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

May = Callable[[User | AnonymousUser, Session], bool]
Ensure = Callable[[User | AnonymousUser, Session], None]

# An act, and the session it is tried on: who facilitates it and whether the user is invited.
ACTS: dict[str, tuple[May, Ensure, dict[str, Any]]] = {
    "run sessions": (
        lambda u, s: may_run_sessions(u),
        lambda u, s: ensure_may_run_sessions(u),
        {},
    ),
    "schedule or keep the agenda (services)": (
        lambda u, s: may_run_sessions(u),
        lambda u, s: ensure_may_organize(u),
        {},
    ),
    "decide where another facilitates": (may_decide, ensure_may_decide, {}),
    "decide where they facilitate": (may_decide, ensure_may_decide, {"facilitator": "them"}),
    "decide in a review nobody runs yet": (may_decide, ensure_may_decide, {"facilitator": None}),
    "take part, not invited": (may_take_part, ensure_may_take_part, {}),
    "take part, invited": (may_take_part, ensure_may_take_part, {"invited": True}),
    "record an outcome, not invited": (may_take_part, ensure_may_record_outcome, {}),
    "record an outcome, invited": (may_take_part, ensure_may_record_outcome, {"invited": True}),
    "answer the invitation, not invited": (may_rsvp, ensure_may_rsvp, {}),
    "answer the invitation, invited": (may_rsvp, ensure_may_rsvp, {"invited": True}),
}

S, PM, F, A = Role.SUBMITTER, Role.PRODUCT_MANAGER, Role.FACILITATOR, Role.ADMIN
EVERYONE = {S, PM, F, A}

# fmt: off
# act                                         who may
TABLE = [
    ("run sessions",                            {PM, F}),
    ("schedule or keep the agenda (services)",  {PM, F}),
    ("decide where another facilitates",        {PM}),
    ("decide where they facilitate",            EVERYONE),
    ("decide in a review nobody runs yet",      {PM, F}),
    ("take part, not invited",                  {PM, F}),
    ("take part, invited",                      EVERYONE),
    ("record an outcome, not invited",          {PM, F}),
    ("record an outcome, invited",              EVERYONE),
    ("answer the invitation, not invited",      set()),
    ("answer the invitation, invited",          EVERYONE),
]
# fmt: on

CASES = [
    pytest.param(act, role, role in allowed, id=f"{role}-{act}")
    for act, allowed in TABLE
    for role in Role
]


def _session(user: User, *, facilitator: str | None = "another", invited: bool = False) -> Session:
    if facilitator == "another":
        runner: User | None = UserFactory.create(role=Role.FACILITATOR, team=Team.PRODUCT)
    else:
        runner = user if facilitator == "them" else None
    session = SessionFactory.create(kind=SessionKind.MONTHLY_REVIEW, topic="", facilitator=runner)
    if invited:
        ParticipantFactory.create(session=session, user=user)
    return session


def test_the_table_covers_every_act() -> None:
    assert {act for act, _ in TABLE} == set(ACTS)


@pytest.mark.parametrize(("act", "role", "allowed"), CASES)
def test_who_may_do_what_in_a_session(act: str, role: str, allowed: bool) -> None:
    may, ensure, setup = ACTS[act]
    user = UserFactory.create(role=role)
    session = _session(user, **setup)
    assert may(user, session) is allowed
    if allowed:
        ensure(user, session)
    else:
        with pytest.raises(DomainError) as error:
            ensure(user, session)
        assert error.value.code == "forbidden"
        assert error.value.message


@pytest.mark.parametrize("act", ACTS)
def test_nobody_signed_out_may_do_anything(act: str) -> None:
    may, _, _ = ACTS[act]
    # Not even in a review nobody runs yet, where "the facilitator" is no one.
    session = SessionFactory.create(kind=SessionKind.MONTHLY_REVIEW, topic="", facilitator=None)
    assert not may(AnonymousUser(), session)


# ---------------------------------------------------------------------------------------------
# The authority a decision carries into triage


def test_a_decider_gets_authority_for_that_session_only(facilitator, submitter) -> None:
    session = _session(facilitator, facilitator="them")
    assert decision_authority(facilitator, session) == Authority(
        user_id=facilitator.pk, session_id=session.pk
    )
    with pytest.raises(DomainError) as error:
        decision_authority(submitter, session)
    assert error.value.code == "forbidden"
    assert error.value.message == (
        "Only the session's facilitator or a product manager records decisions."
    )


def _ticket_state(ticket: Ticket) -> tuple[str, int | None, str]:
    ticket.refresh_from_db()
    return ticket.status, ticket.initiative_id, ticket.decline_reason


def test_a_facilitator_deciding_in_a_review_links_and_declines(facilitator) -> None:
    session = _session(facilitator, facilitator="them")
    initiative = InitiativeFactory.create(title="CSV export")
    to_link = AgendaItemFactory.create(session=session)
    to_decline = AgendaItemFactory.create(session=session)
    to_drop = AgendaItemFactory.create(
        session=session, ticket=None, initiative=InitiativeFactory.create()
    )

    decision_record(item=to_link, by=facilitator, decision=Decision.LINK, initiative=initiative)
    decision_record(item=to_decline, by=facilitator, decision=Decision.DECLINE, rationale="No.")
    decision_record(item=to_drop, by=facilitator, decision=Decision.DECLINE, rationale="Not now.")

    assert to_link.ticket is not None
    assert to_decline.ticket is not None
    assert _ticket_state(to_link.ticket) == (TicketStatus.LINKED, initiative.pk, "")
    assert _ticket_state(to_decline.ticket) == (TicketStatus.DECLINED, None, "No.")
    assert to_drop.initiative is not None
    to_drop.initiative.refresh_from_db()
    assert to_drop.initiative.status == InitiativeStatus.DECLINED
    assert AgendaItem.objects.filter(session=session, decided_by=facilitator).count() == 3


def test_the_same_facilitator_outside_a_review_may_not(facilitator, pm) -> None:
    session = _session(facilitator, facilitator="them")
    initiative = InitiativeFactory.create()
    ticket = TicketFactory.create()
    before = _ticket_state(ticket)
    someone_elses = decision_authority(pm, session)
    attempts = {
        "link without authority": lambda: ticket_link(
            ticket=ticket, initiative=initiative, by=facilitator
        ),
        "decline without authority": lambda: ticket_decline(
            ticket=ticket, by=facilitator, reason="No."
        ),
        "link with a PM's authority": lambda: ticket_link(
            ticket=ticket, initiative=initiative, by=facilitator, authority=someone_elses
        ),
        "decline with a PM's authority": lambda: ticket_decline(
            ticket=ticket, by=facilitator, reason="No.", authority=someone_elses
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(DomainError) as error:
            attempt()
        assert error.value.code == "forbidden", name
        assert error.value.message == (
            "Only product managers triage tickets and change initiatives."
        ), name
        assert _ticket_state(ticket) == before, name


def test_a_workshop_action_item_becomes_an_initiative_only_by_its_decider(
    facilitator, submitter
) -> None:
    workshop = SessionFactory.create(facilitator=facilitator)
    ParticipantFactory.create(session=workshop, user=submitter)

    outcome = outcome_add(
        session=workshop,
        by=facilitator,
        kind="action",
        body="Try a CSV export",
        create_initiative=True,
    )
    assert outcome.initiative is not None
    assert outcome.initiative.title == "Try a CSV export"

    with pytest.raises(DomainError) as error:
        outcome_add(
            session=workshop, by=submitter, kind="action", body="Mine too", create_initiative=True
        )
    assert error.value.code == "forbidden"
    with pytest.raises(DomainError):
        initiative_create(by=facilitator, title="Outside the workshop")
    assert Initiative.objects.count() == 1

"""Who may file, edit and write on tickets: every role against every act, on someone else's
ticket and on their own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from core.errors import DomainError
from intake.models import Ticket
from intake.policies import (
    ensure_may_answer,
    ensure_may_ask,
    ensure_may_comment,
    ensure_may_edit_ticket,
    ensure_may_file_ticket,
    may_answer,
    may_ask,
    may_comment,
    may_edit_ticket,
    may_file_ticket,
)

Act = tuple[Callable[[User | AnonymousUser, Ticket], bool], Callable[..., None]]

ACTS: dict[str, Act] = {
    "file a ticket": (lambda u, t: may_file_ticket(u), lambda u, t: ensure_may_file_ticket(u)),
    "comment": (lambda u, t: may_comment(u), lambda u, t: ensure_may_comment(u)),
    "ask a question": (may_ask, ensure_may_ask),
    "answer a question": (may_answer, ensure_may_answer),
    "edit the ticket": (may_edit_ticket, ensure_may_edit_ticket),
}

S, PM, F, A = Role.SUBMITTER, Role.PRODUCT_MANAGER, Role.FACILITATOR, Role.ADMIN

# fmt: off
# act                   who may, on someone else's ticket     ... and on their own
TABLE = [
    ("file a ticket",     {S, PM, F, A},                          {S, PM, F, A}),
    ("comment",           {S, PM, F, A},                          {S, PM, F, A}),
    ("ask a question",    {PM},                                   {PM}),
    ("answer a question", set(),                                  {S, PM, F, A}),
    ("edit the ticket",   set(),                                  {S, PM, F, A}),
]
# fmt: on

CASES = [
    pytest.param(act, role, own, role in (mine if own else others), id=f"{role}-{act}-{own=}")
    for act, others, mine in TABLE
    for role in Role
    for own in (False, True)
]


def _user(role: str) -> User:
    return UserFactory.build(pk=7, username=f"someone-{role}", role=role)


def _ticket(submitted_by_id: int) -> Ticket:
    return Ticket(pk=1, submitted_by_id=submitted_by_id, title="Export invoices")


def test_the_table_covers_every_act() -> None:
    assert {act for act, *_ in TABLE} == set(ACTS)


@pytest.mark.parametrize(("act", "role", "own", "allowed"), CASES)
def test_who_may_do_what_with_a_ticket(act: str, role: str, own: bool, allowed: bool) -> None:
    user = _user(role)
    ticket = _ticket(user.pk if own else 99)
    may, ensure = ACTS[act]
    assert may(user, ticket) is allowed
    if allowed:
        ensure(user, ticket)
    else:
        with pytest.raises(DomainError) as error:
            ensure(user, ticket)
        assert error.value.code == "forbidden"
        assert error.value.message


@pytest.mark.parametrize("act", ACTS)
def test_nobody_signed_out_or_inactive_may_do_anything(act: str) -> None:
    may, _ = ACTS[act]
    inactive = UserFactory.build(pk=7, role=Role.PRODUCT_MANAGER, is_active=False)
    assert not may(AnonymousUser(), _ticket(99))
    # An anonymous visitor has no pk; a ticket with none filed by nobody is still not theirs.
    assert not may(AnonymousUser(), Ticket(pk=1))
    if act in ("file a ticket", "comment", "ask a question"):
        assert not may(inactive, _ticket(7))


def test_the_words_of_each_refusal() -> None:
    submitter = _user(Role.SUBMITTER)
    someone_elses = _ticket(99)
    refusals = {
        "Only product managers ask questions on tickets.": lambda: ensure_may_ask(
            submitter, someone_elses
        ),
        "Only the person who filed the ticket answers its questions.": lambda: ensure_may_answer(
            submitter, someone_elses
        ),
        "Only the person who filed a ticket can edit it.": lambda: ensure_may_edit_ticket(
            submitter, someone_elses
        ),
        "Your role may not file tickets.": lambda: ensure_may_file_ticket(AnonymousUser()),
        "Your role may not comment on tickets.": lambda: ensure_may_comment(AnonymousUser()),
    }
    for words, refuse in refusals.items():
        with pytest.raises(DomainError) as error:
            refuse()
        assert error.value.message == words

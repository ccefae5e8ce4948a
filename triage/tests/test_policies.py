"""Who may triage and change initiatives: every role against every act, with and without a
meeting's authority."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from core.errors import DomainError
from triage.policies import (
    Authority,
    ensure_may_change_triage,
    ensure_may_triage,
    may_change_triage,
    may_triage,
)

ME = 7
Act = tuple[Callable[[User | AnonymousUser], bool], Callable[[User | AnonymousUser], None]]

ACTS: dict[str, Act] = {
    "open the inbox and the board": (may_triage, ensure_may_triage),
    "change triage": (may_change_triage, ensure_may_change_triage),
    "change triage a meeting decided": (
        lambda u: may_change_triage(u, authority=Authority(user_id=ME, session_id=1)),
        lambda u: ensure_may_change_triage(u, authority=Authority(user_id=ME, session_id=1)),
    ),
    "change triage with another's authority": (
        lambda u: may_change_triage(u, authority=Authority(user_id=ME + 1, session_id=1)),
        lambda u: ensure_may_change_triage(u, authority=Authority(user_id=ME + 1, session_id=1)),
    ),
}

S, PM, F, A = Role.SUBMITTER, Role.PRODUCT_MANAGER, Role.FACILITATOR, Role.ADMIN

# fmt: off
# act                                        who may
TABLE = [
    ("open the inbox and the board",           {PM}),
    ("change triage",                          {PM}),
    ("change triage a meeting decided",        {S, PM, F, A}),
    ("change triage with another's authority", {PM}),
]
# fmt: on

CASES = [
    pytest.param(act, role, role in allowed, id=f"{role}-{act}")
    for act, allowed in TABLE
    for role in Role
]


def test_the_table_covers_every_act() -> None:
    assert {act for act, _ in TABLE} == set(ACTS)


@pytest.mark.parametrize(("act", "role", "allowed"), CASES)
def test_who_may_triage(act: str, role: str, allowed: bool) -> None:
    user = UserFactory.build(pk=ME, username=f"someone-{role}", role=role)
    may, ensure = ACTS[act]
    assert may(user) is allowed
    if allowed:
        ensure(user)
    else:
        with pytest.raises(DomainError) as error:
            ensure(user)
        assert error.value.code == "forbidden"


@pytest.mark.parametrize("act", ACTS)
def test_nobody_signed_out_may_do_anything(act: str) -> None:
    may, _ = ACTS[act]
    assert not may(AnonymousUser())


def test_the_pages_and_the_services_say_why_in_their_own_words() -> None:
    facilitator = UserFactory.build(pk=ME, role=Role.FACILITATOR)
    with pytest.raises(DomainError) as page:
        ensure_may_triage(facilitator)
    assert page.value.message == "Your role may not triage tickets or change initiatives."
    with pytest.raises(DomainError) as service:
        ensure_may_change_triage(facilitator)
    assert service.value.message == "Only product managers triage tickets and change initiatives."

"""Who may see the delivery log and retry a failed email, and who administers: every role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Role, User
from accounts.policies import may_administer
from accounts.tests.factories import UserFactory
from core.errors import DomainError
from notifications.policies import (
    ensure_may_retry_delivery,
    ensure_may_view_deliveries,
    may_retry_delivery,
    may_view_deliveries,
)

Act = tuple[Callable[[User | AnonymousUser], bool], Callable[[User | AnonymousUser], None] | None]

ACTS: dict[str, Act] = {
    "see the delivery log": (may_view_deliveries, ensure_may_view_deliveries),
    "retry a failed email": (may_retry_delivery, ensure_may_retry_delivery),
    # Only templates ask; Django admin checks is_staff itself.
    "administer": (may_administer, None),
}

S, PM, F, A = Role.SUBMITTER, Role.PRODUCT_MANAGER, Role.FACILITATOR, Role.ADMIN

# fmt: off
# act                     who may
TABLE = [
    ("see the delivery log", {PM, A}),
    ("retry a failed email", {PM, A}),
    ("administer",           {A}),
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
def test_who_may_see_and_retry_deliveries(act: str, role: str, allowed: bool) -> None:
    user = UserFactory.build(pk=7, username=f"someone-{role}", role=role)
    may, ensure = ACTS[act]
    assert may(user) is allowed
    assert not may(AnonymousUser())
    if ensure is None:
        return
    if allowed:
        ensure(user)
    else:
        with pytest.raises(DomainError) as error:
            ensure(user)
        assert error.value.code == "forbidden"
        assert error.value.message

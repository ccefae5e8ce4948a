"""Who may see the insights: every role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.errors import DomainError
from insights.policies import ensure_may_view_insights, may_view_insights

# Everyone but submitters.
ALLOWED = {Role.PRODUCT_MANAGER, Role.FACILITATOR, Role.ADMIN}


@pytest.mark.parametrize("role", Role)
def test_who_may_see_insights(role: Role) -> None:
    user = UserFactory.build(pk=7, username=f"someone-{role}", role=role)
    allowed = role in ALLOWED
    assert may_view_insights(user) is allowed
    assert not may_view_insights(AnonymousUser())
    if allowed:
        ensure_may_view_insights(user)
    else:
        with pytest.raises(DomainError) as error:
            ensure_may_view_insights(user)
        assert error.value.code == "forbidden"
        assert error.value.message == "Your role may not see insights."

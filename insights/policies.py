"""Who may see the insights: how the loop is doing, as charts and CSV files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can, ensure_can

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def may_view_insights(user: User | AnonymousUser) -> bool:
    """Everyone but submitters sees how the loop is doing."""
    return can(user, Capability.VIEW_INSIGHTS)


def ensure_may_view_insights(user: User | AnonymousUser) -> None:
    ensure_can(user, Capability.VIEW_INSIGHTS)

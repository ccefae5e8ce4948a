"""Who may see the delivery log and send a failed email again.

Each act has a `may_*` answer for pages and templates and an `ensure_may_*` form that refuses
with the words people see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can, ensure_can
from core.errors import DomainError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def may_view_deliveries(user: User | AnonymousUser) -> bool:
    """Product managers and admins see who was emailed what, and how it went."""
    return can(user, Capability.VIEW_DELIVERIES)


def ensure_may_view_deliveries(user: User | AnonymousUser) -> None:
    """The delivery log's pages and API call refuse other roles."""
    ensure_can(user, Capability.VIEW_DELIVERIES)


def may_retry_delivery(user: User | AnonymousUser) -> bool:
    """Whoever sees the delivery log sends a failed email again once its cause is fixed."""
    return may_view_deliveries(user)


def ensure_may_retry_delivery(user: User | AnonymousUser) -> None:
    if not may_retry_delivery(user):
        raise DomainError("Only product managers and admins retry deliveries.", code="forbidden")


def may_manage_channels(user: User | AnonymousUser) -> bool:
    """Admins see how the ways in (email, Slack) are doing and send tests through them."""
    return can(user, Capability.ADMINISTER)


def ensure_may_manage_channels(user: User | AnonymousUser) -> None:
    ensure_can(user, Capability.ADMINISTER)

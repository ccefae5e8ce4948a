"""Who may register webhook endpoints and see their deliveries: admins, who connect
FeedbackLoop to the company's other tools.

Each act has a `may_*` answer for pages and templates and an `ensure_may_*` form that refuses
with the words people see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can
from core.errors import DomainError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def may_manage_webhooks(user: User | AnonymousUser) -> bool:
    """Admins register, change and remove endpoints, read their delivery logs and send again."""
    return can(user, Capability.ADMINISTER)


def ensure_may_manage_webhooks(user: User | AnonymousUser) -> None:
    if not may_manage_webhooks(user):
        raise DomainError("Only admins manage webhooks.", code="forbidden")

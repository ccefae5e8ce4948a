"""Who may invite people and manage their invites: admins, who set FeedbackLoop up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can, ensure_can

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def may_invite(user: User | AnonymousUser) -> bool:
    """Admins invite colleagues, send an invite again and take one back."""
    return can(user, Capability.ADMINISTER)


def ensure_may_invite(user: User | AnonymousUser) -> None:
    ensure_can(user, Capability.ADMINISTER)

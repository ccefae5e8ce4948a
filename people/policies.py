"""Who may invite people and manage their invites: admins, who set FeedbackLoop up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can, ensure_can
from core.errors import DomainError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def may_invite(user: User | AnonymousUser) -> bool:
    """Admins invite colleagues, send an invite again and take one back."""
    return can(user, Capability.ADMINISTER)


def ensure_may_invite(user: User | AnonymousUser) -> None:
    ensure_can(user, Capability.ADMINISTER)


def may_manage_tokens(user: User | AnonymousUser, *, owner: User) -> bool:
    """Each person makes and revokes their own API tokens; admins anyone's."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.pk == owner.pk or can(user, Capability.ADMINISTER)


def ensure_may_manage_tokens(user: User | AnonymousUser, *, owner: User) -> None:
    if not may_manage_tokens(user, owner=owner):
        raise DomainError("Only its owner or an admin may manage this token.", code="forbidden")


def may_see_every_token(user: User | AnonymousUser) -> bool:
    """Admins see everyone's tokens (and revoke them)."""
    return can(user, Capability.ADMINISTER)


def ensure_may_see_every_token(user: User | AnonymousUser) -> None:
    ensure_can(user, Capability.ADMINISTER)

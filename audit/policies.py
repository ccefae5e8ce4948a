"""Who may read the audit log: admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can, ensure_can

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def may_view_audit(user: User | AnonymousUser) -> bool:
    return can(user, Capability.ADMINISTER)


def ensure_may_view_audit(user: User | AnonymousUser) -> None:
    ensure_can(user, Capability.ADMINISTER)

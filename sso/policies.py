"""Who may set up provisioning (SCIM tokens) and single sign-on's mappings: admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, ensure_can

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def ensure_may_manage_provisioning(user: User | AnonymousUser) -> None:
    ensure_can(user, Capability.ADMINISTER)

"""Who may administer FeedbackLoop (people, product areas, scoring weights in Django admin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def may_administer(user: User | AnonymousUser) -> bool:
    """Admins set FeedbackLoop up; Django admin itself checks `is_staff`, which only they have."""
    return can(user, Capability.ADMINISTER)

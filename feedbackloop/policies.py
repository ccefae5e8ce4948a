"""Who may use what the project itself serves (not an app's): the development mail page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from accounts.policies import may_administer

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def may_read_sent_mail(user: User | AnonymousUser) -> bool:
    """The "Sent mail" page shows every message with its links (unsubscribe ones included), so
    it exists only in development (DEBUG) and only for admins and staff."""
    return bool(settings.DEBUG) and (may_administer(user) or bool(user.is_staff))

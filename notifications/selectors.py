"""Reads on staff notices."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from notifications.models import Notice


def notices_of(*, user: User) -> QuerySet[Notice]:
    """This person's notices, newest first."""
    return Notice.objects.filter(user=user)


def unread_notice_count(*, user: User) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()

"""Reads on the audit log."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from accounts.models import User
from audit.models import AuditEvent


def events_list(
    *,
    actor_id: int | None = None,
    action: str = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events newest first, narrowed by who acted, what kind, and a time range [since, until)."""
    events = AuditEvent.objects.all()
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if action:
        events = events.filter(action=action)
    if since is not None:
        events = events.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    return events


def audit_actors() -> QuerySet[User]:
    """Everyone who may appear as an actor, for the filter."""
    return User.objects.order_by("username").only("id", "username", "first_name", "last_name")

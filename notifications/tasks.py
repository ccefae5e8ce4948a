"""Thin Celery wrappers: load by id, call a service; safe to run twice.

They keep no retry count of their own: a row that must wait is queued again for its
next_attempt_at, and the row decides (notifications.retry).
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification
from notifications.services import (
    notification_deliver,
    notifications_deliver,
    notifications_sweep,
)


def _again_when_due(notification_id: int) -> None:
    due = Notification.objects.filter(pk=notification_id).values_list("next_attempt_at", flat=True)[
        0
    ]
    deliver.apply_async((notification_id,), eta=due or timezone.now())


@shared_task(acks_late=True)
def deliver(notification_id: int) -> str | None:
    status = notification_deliver(notification_id=notification_id)
    if status == DeliveryStatus.PENDING:
        _again_when_due(notification_id)
    return status


@shared_task(acks_late=True)
def deliver_many(notification_ids: list[int]) -> dict[str, int]:
    """Send a batch of rows over one connection to the mail server; one that must wait for a
    retry is queued again for its time. How many of each outcome ("skipped": not ours)."""
    outcomes = notifications_deliver(notification_ids=notification_ids)
    counts: dict[str, int] = {}
    for notification_id in dict.fromkeys(notification_ids):
        status = outcomes.get(notification_id)
        key = status or "skipped"
        counts[key] = counts.get(key, 0) + 1
        if status == DeliveryStatus.PENDING:
            _again_when_due(notification_id)
    return counts


@shared_task
def sweep() -> dict[str, int]:
    """Every minute: nothing left pending or stuck in sending is lost."""
    return notifications_sweep()

"""Thin Celery wrappers: load by id, call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from notifications.models import DeliveryStatus
from notifications.services import notification_deliver


@shared_task(bind=True, max_retries=8, acks_late=True)
def deliver(self: object, notification_id: int) -> str | None:
    status = notification_deliver(notification_id=notification_id)
    if status == DeliveryStatus.PENDING:
        from notifications.models import Notification

        due = Notification.objects.filter(pk=notification_id).values_list(
            "next_attempt_at", flat=True
        )[0]
        raise self.retry(eta=due)  # type: ignore[attr-defined]
    return status

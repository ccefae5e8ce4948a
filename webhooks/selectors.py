"""Reads of webhook endpoints and their delivery logs."""

from __future__ import annotations

from django.db.models import QuerySet

from core.forms import ID_MAX
from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    """Every endpoint, by address (one query)."""
    return WebhookEndpoint.objects.order_by("url", "id")


def endpoint_get(*, endpoint_id: int | str) -> WebhookEndpoint | None:
    """One endpoint by id, or None (also for an id that is not a number)."""
    try:
        pk = int(endpoint_id)
    except (TypeError, ValueError):
        return None
    if not 1 <= pk <= ID_MAX:  # names no row, and would overflow the column
        return None
    return WebhookEndpoint.objects.filter(pk=pk).first()


def endpoint_deliveries(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """An endpoint's delivery log, newest first, each with its event and outbox row."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event", "notification")
        .defer("notification__body_text", "notification__body_html", "event__body")
        .order_by("-created_at", "-id")
    )


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint, pk=delivery_id)
        .select_related("event", "endpoint", "notification")
        .first()
    )

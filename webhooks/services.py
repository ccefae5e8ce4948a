"""Writes on webhook endpoints, and the events that become their deliveries.

An event the apps below announce (core.events) becomes one outbox row per active endpoint that
subscribed to its type, written in the announcing transaction: the change and its deliveries
commit together or not at all. The outbox (notifications) claims, retries and records each row;
webhooks.delivery sends it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

import audit
from accounts.models import Role, User
from audit.actions import Action
from core.errors import DomainError
from core.events import EventType
from intake.models import Ticket
from intake.selectors import ticket_get
from intake.serializers import TicketSerializer
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.serializers import DeliverySerializer
from notifications.services import notification_record, staff_notify
from triage.models import Initiative
from triage.selectors import initiative_get
from triage.serializers import InitiativeSerializer
from triage.tracker import work_item_done
from webhooks.addresses import url_check
from webhooks.inbound import Done
from webhooks.models import InboundDelivery, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.policies import ensure_may_manage_webhooks

ALL_EVENTS = "*"
SECRET_MIN = 16
SECRET_MAX = 200
URL_MAX = 2000
DESCRIPTION_MAX = 200
# An endpoint whose every delivery failed this long is turned off (its admins are told).
DISABLE_AFTER = timedelta(days=1)


def events_clean(events: Sequence[str] | None) -> list[str]:
    """The event types an endpoint hears: known types, or ["*"] for all of them."""
    if events is None or isinstance(events, str) or not events:
        raise DomainError(
            'Choose at least one event type, or ["*"] for all of them.', field="events"
        )
    chosen = list(dict.fromkeys(str(event) for event in events))
    if ALL_EVENTS in chosen:  # every event, whatever else is listed
        return [ALL_EVENTS]
    unknown = [event for event in chosen if event not in EventType.__members__.values()]
    if unknown:
        raise DomainError(
            f'Unknown event type {unknown[0]!r}; use {", ".join(EventType)} or "*".',
            field="events",
        )
    return [event.value for event in EventType if event.value in chosen]


def url_clean(url: str) -> str:
    """An http(s) URL of at most 2,000 characters that does not resolve to a private address."""
    url = (url or "").strip()
    if not url:
        raise DomainError("Give the address to send events to.", field="url")
    if len(url) > URL_MAX:
        raise DomainError(f"The address is longer than {URL_MAX} characters.", field="url")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise DomainError(
            "That is not an http:// or https:// address (https://example.com/hooks).", field="url"
        ) from exc
    url_check(url)
    return url


def secret_clean(secret: str) -> str:
    """Kept exactly as given (a receiver compares it byte for byte)."""
    secret = secret or ""
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise DomainError(
            f"The secret must be {SECRET_MIN} to {SECRET_MAX} characters (a long random string).",
            field="secret",
        )
    return secret


def _description_clean(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(
            f"The description is longer than {DESCRIPTION_MAX} characters.", field="description"
        )
    return description


@transaction.atomic
def endpoint_create(
    *,
    by: User,
    url: str,
    secret: str,
    events: Sequence[str],
    active: bool = True,
    description: str = "",
) -> WebhookEndpoint:
    """Register an endpoint; it hears the chosen events from now on."""
    ensure_may_manage_webhooks(by)
    endpoint = WebhookEndpoint.objects.create(
        url=url_clean(url),
        secret=secret_clean(secret),
        events=events_clean(events),
        active=active,
        description=_description_clean(description),
        created_by=by,
    )
    audit.record(
        Action.WEBHOOK_CREATED,
        actor=by,
        target=endpoint,
        target_label=_where(endpoint.url),
        changes={"host": _where(endpoint.url), "events": endpoint.events, "active": active},
    )
    return endpoint


def _where(url: str) -> str:
    """What the audit log keeps of an endpoint's address: its host (a path or query may hold a
    secret, as some receivers' URLs do)."""
    return urlsplit(url).hostname or ""


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, by: User, **changes: Any) -> WebhookEndpoint:
    """Change what was given of url, secret, events, active and description. Turning an endpoint
    on again forgets its failures."""
    ensure_may_manage_webhooks(by)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = {name: getattr(endpoint, name) for name in _AUDITED}
    cleaners: dict[str, Callable[[Any], Any]] = {
        "url": url_clean,
        "secret": secret_clean,
        "events": events_clean,
        "description": _description_clean,
        "active": bool,
    }
    for name, value in changes.items():
        if name not in cleaners:
            raise DomainError(f"{name} cannot be changed.", field=name)
        setattr(endpoint, name, cleaners[name](value))
    if changes.get("active") and endpoint.disabled_at is not None:
        endpoint.failing_since = None
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
    endpoint.save()
    changed: dict[str, Any] = {}
    for name in _AUDITED:
        old, new = before[name], getattr(endpoint, name)
        if old == new:
            continue
        if name == "secret":
            changed["secret"] = "changed"  # never the secret itself
        elif name == "url":
            changed["host"] = [_where(old), _where(new)]
        else:
            changed[name] = [old, new]
    if changed:
        audit.record(
            Action.WEBHOOK_CHANGED,
            actor=by,
            target=endpoint,
            target_label=_where(endpoint.url),
            changes=changed,
        )
    return endpoint


_AUDITED = ("url", "secret", "events", "description", "active")


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, by: User) -> None:
    """Remove an endpoint and its delivery log; what still waited to go to it never goes."""
    ensure_may_manage_webhooks(by)
    Notification.objects.filter(
        webhook_delivery__endpoint=endpoint, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.SUPPRESSED, last_error="its webhook endpoint was deleted")
    audit.record(
        Action.WEBHOOK_DELETED,
        actor=by,
        target=endpoint,
        target_label=_where(endpoint.url),
        changes={"host": _where(endpoint.url), "events": endpoint.events},
    )
    endpoint.delete()


def _as_the_api_shows(about: Any) -> Any:
    """The object as the API answers it (GET /api/tickets/{id}/ and so on), read again now so
    that it says what this transaction wrote."""
    if isinstance(about, Ticket):
        return TicketSerializer(ticket_get(ticket_id=about.pk) or about).data
    if isinstance(about, Initiative):
        return InitiativeSerializer(initiative_get(initiative_id=about.pk) or about).data
    if isinstance(about, Notification):
        return DeliverySerializer(Notification.objects.get(pk=about.pk)).data
    raise TypeError(f"No API shape for {type(about).__name__}")


def _subscribed(event_type: str) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(active=True).filter(
        Q(events__contains=[event_type]) | Q(events__contains=[ALL_EVENTS])
    )


def subscribed(event_type: str) -> list[WebhookEndpoint]:
    """The active endpoints that hear `event_type` (one query)."""
    return list(_subscribed(event_type))


def _delivery_new(endpoint: WebhookEndpoint, event: WebhookEvent, key: str) -> WebhookDelivery:
    notification = notification_record(
        kind=NotificationKind.WEBHOOK,
        idempotency_key=key,
        recipient_email="",
        recipient_address=endpoint.url,
        subject=f"{event.type} → {endpoint.url}",
        body_text=event.body,
    )
    assert notification is not None, f"outbox key {key} was used twice"
    return WebhookDelivery.objects.create(endpoint=endpoint, event=event, notification=notification)


@transaction.atomic
def event_record(event_type: EventType, about: Any, details: Mapping[str, str]) -> None:
    """An event happened (core.events): one delivery per endpoint that hears it, in this
    transaction. The body is built once; every retry and "send again" sends these bytes."""
    endpoints = subscribed(event_type.value)
    if not endpoints:
        return
    event = WebhookEvent(type=event_type.value, created_at=timezone.now())
    body = {
        "id": str(event.id),
        "type": event.type,
        "created_at": event.created_at,
        "data": _as_the_api_shows(about),
        **details,
    }
    event.body = JSONRenderer().render(body).decode()
    event.save()
    for endpoint in endpoints:
        _delivery_new(endpoint, event, f"webhook:{event.pk}:{endpoint.pk}")


def customer_notified_record(notification: Notification) -> None:
    """A customer's "your feedback shipped" email was sent (notifications.registry.on_sent)."""
    event_record(EventType.CUSTOMER_NOTIFIED, notification, {})


def customer_notified_listening() -> bool:
    """Whether an active endpoint hears "customer.notified" (one query, asked once for each
    batch of emails a worker sends, instead of once for each email)."""
    return _subscribed(EventType.CUSTOMER_NOTIFIED.value).exists()


@transaction.atomic
def delivery_send_again(*, delivery: WebhookDelivery, by: User) -> WebhookDelivery:
    """Send an event to its endpoint again, as it was (same id, same body), whatever became of
    the first try: a new row in the log."""
    ensure_may_manage_webhooks(by)
    endpoint = delivery.endpoint
    if not endpoint.active:
        raise DomainError(
            "This endpoint is turned off; turn it on before sending to it again.",
            code="conflict",
        )
    return _delivery_new(
        endpoint, delivery.event, f"webhook:{delivery.event_id}:{endpoint.pk}:{uuid.uuid4().hex}"
    )


def endpoint_succeeded(*, endpoint: WebhookEndpoint) -> None:
    """A delivery was taken: the endpoint is healthy again."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
        failing_since=None
    )


def endpoint_failed(*, endpoint: WebhookEndpoint, error: str, now: datetime) -> bool:
    """A delivery failed. Once every delivery has failed for DISABLE_AFTER, the endpoint is
    turned off and every admin is told; True if it was turned off now."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    with transaction.atomic():
        current = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
        if current is None or not current.active or current.failing_since is None:
            return False
        if current.failing_since > now - DISABLE_AFTER:
            return False
        current.active = False
        current.disabled_at = now
        current.disabled_reason = f"Every delivery failed for a day; the last: {error}"[:500]
        current.save(update_fields=["active", "disabled_at", "disabled_reason", "updated_at"])
        audit.record(
            Action.WEBHOOK_DISABLED,
            actor_name="FeedbackLoop",
            target=current,
            target_label=_where(current.url),
            changes={"active": [True, False], "reason": current.disabled_reason},
        )
        admins = User.objects.filter(role=Role.ADMIN, is_active=True)
        for admin in admins:
            staff_notify(
                user=admin,
                kind=NotificationKind.WEBHOOK_DISABLED,
                text=f"The webhook to {current.url} was turned off: its deliveries failed for "
                "a day",
                details=current.disabled_reason,
                url=reverse("webhooks:detail", args=[current.pk]),
                idempotency_key=f"webhook-disabled:{current.pk}:{now.timestamp()}",
            )
        return True


@transaction.atomic
def tracker_delivery_receive(*, source: str, delivery_id: str, done: Done) -> list[Initiative]:
    """A tracker's signed delivery says a work item is done: mark the open initiatives that
    link it (triage.tracker.work_item_done) and remember the delivery id, both or neither. A
    delivery id seen before is refused (conflict); an item no open initiative links, not found."""
    delivery_id = delivery_id.strip()[:100]
    if not delivery_id:
        raise DomainError("The delivery has no id header.", code="invalid")
    if InboundDelivery.objects.filter(source=source, delivery_id=delivery_id).exists():
        raise DomainError(
            f"Delivery {delivery_id} was already handled; nothing changed.", code="conflict"
        )
    initiatives = work_item_done(tracker=done.tracker, key=done.key, title=done.title)
    _, created = InboundDelivery.objects.get_or_create(source=source, delivery_id=delivery_id)
    if not created:  # the same delivery, handled by another request in the meantime
        raise DomainError(
            f"Delivery {delivery_id} was already handled; nothing changed.", code="conflict"
        )
    return initiatives

"""Sending one webhook delivery (the outbox's deliverer for NotificationKind.WEBHOOK).

The outbox claims the row, counts the attempt and decides when to try again
(notifications.retry; a webhook is tried for RETRY_FOR). Here: the address is checked again
(DNS may have changed since it was saved), the event's stored body is signed afresh and POSTed
once, with bounded timeouts and no redirects followed, and the answer is recorded. A 2xx is
delivered; a 5xx, 408, 429, a timeout or a connection that fails is tried again; any other
answer (a redirect, a 4xx) fails the row. Every failure counts toward turning the endpoint off
(webhooks.services.endpoint_failed).
"""

from __future__ import annotations

import time
from datetime import timedelta

import requests
from django.conf import settings
from django.utils import timezone

from core.errors import DomainError
from notifications.models import Notification
from notifications.registry import Refused, Suppress
from webhooks.addresses import Unresolvable, url_check
from webhooks.models import WebhookDelivery
from webhooks.services import DISABLE_AFTER, endpoint_failed, endpoint_succeeded
from webhooks.signing import signature

# A day of failures turns the endpoint off; its rows keep trying a little longer, so the last
# tries see that day pass.
RETRY_FOR = DISABLE_AFTER + timedelta(hours=1)
# What of an answer is read and kept: receivers answer with a word, not a page.
ANSWER_READ_MAX = 64 * 1024
ANSWER_KEPT = 500
USER_AGENT = "FeedbackLoop-Webhooks/1"


def _read(response: requests.Response, deadline: float) -> str:
    """The start of the answer's body, read until the deadline: an endpoint that drips its
    answer is cut off like one that never answers."""
    received = b""
    while True:
        # read1: what has arrived (at most 4 KB), not a full chunk, so the deadline is seen.
        chunk = response.raw.read1(4096)
        if not chunk:
            break
        received += chunk
        if len(received) >= ANSWER_READ_MAX:
            break
        if time.monotonic() > deadline:
            raise requests.Timeout("the answer took too long to arrive")
    return received[:ANSWER_KEPT].decode("utf-8", errors="replace")


def _record(delivery: WebhookDelivery, status: int, started: float, body: str = "") -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        response_status=status,
        response_ms=int((time.monotonic() - started) * 1000),
        response_body=body[:ANSWER_KEPT],
    )


def _failed(delivery: WebhookDelivery, reason: str, *, transient: bool) -> Refused:
    if endpoint_failed(endpoint=delivery.endpoint, error=reason, now=timezone.now()):
        reason = f"{reason}; the endpoint was turned off after a day of failures"
        transient = False
    return Refused(reason, transient=transient)


def deliver(notification: Notification) -> Suppress | None:
    """POST one event to its endpoint, signed; None once the endpoint took it (2xx)."""
    delivery = (
        WebhookDelivery.objects.select_related("endpoint", "event")
        .filter(notification_id=notification.pk)
        .first()
    )
    if delivery is None:
        return Suppress("its webhook endpoint was deleted")
    endpoint = delivery.endpoint
    if not endpoint.active:
        return Suppress("its webhook endpoint is turned off")
    try:
        url_check(endpoint.url)
    except Unresolvable as unresolved:
        raise _failed(delivery, unresolved.message, transient=True) from unresolved
    except DomainError as refused:
        raise _failed(delivery, refused.message, transient=False) from refused
    body = delivery.event.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-FeedbackLoop-Event": delivery.event.type,
        "X-FeedbackLoop-Delivery": str(delivery.event_id),
        "X-FeedbackLoop-Signature": signature(
            secret=endpoint.secret, body=body, timestamp=timestamp
        ),
    }
    timeout = settings.WEBHOOKS_TIMEOUT_SECONDS
    started = time.monotonic()
    try:
        with requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=(min(timeout, 5.0), timeout),
            allow_redirects=False,
            stream=True,
        ) as response:
            answer = _read(response, started + timeout)
    except requests.Timeout as exc:
        _record(delivery, 0, started)
        raise _failed(delivery, f"no answer within {timeout:g} s", transient=True) from exc
    except requests.RequestException as exc:
        _record(delivery, 0, started)
        reason = f"could not connect: {type(exc).__name__}"
        raise _failed(delivery, reason, transient=True) from exc
    status = response.status_code
    _record(delivery, status, started, answer)
    if 200 <= status < 300:
        endpoint_succeeded(endpoint=endpoint)
        return None
    if 300 <= status < 400:
        where = response.headers.get("Location", "elsewhere")
        reason = (
            f"HTTP {status}: redirected to {where[:200]}; redirects are not followed, "
            "register the final address"
        )
        raise _failed(delivery, reason, transient=False)
    transient = status >= 500 or status in (408, 429)
    raise _failed(delivery, f"HTTP {status}: {answer[:200]}".strip(), transient=transient)

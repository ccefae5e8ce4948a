"""Writes on the outbox and on staff notices, and the delivery of one outbox row.

The outbox knows no domain: the app that owns a kind of notification records its rows here and
registers how its message is built (notifications.registry); when a row is tried again is
decided in notifications.retry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

import kombu.exceptions
from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

import audit
from accounts.models import User
from audit.actions import Action
from core.errors import DomainError
from notifications import channels, registry, retry
from notifications.models import (
    DeliveryStatus,
    EmailPreference,
    Notice,
    Notification,
    NotificationKind,
)
from notifications.policies import ensure_may_manage_channels, ensure_may_retry_delivery

log = logging.getLogger(__name__)

SWEEP_BATCH = 1000
DELIVERY_CHUNK = 50


def _message_id() -> str:
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return make_msgid(domain=domain or "feedbackloop.local")


def notification_record(
    *,
    kind: NotificationKind,
    idempotency_key: str,
    recipient_email: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    recipient_user: User | None = None,
    recipient_address: str = "",
    suppressed: bool = False,
    ics: str = "",
    **links: object,
) -> Notification | None:
    """Write one outbox row unless its key exists; queue its delivery once the change commits.
    `recipient_address` is where a row on another channel than email goes (a Slack id)."""
    notification, created = Notification.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "kind": kind,
            "recipient_email": recipient_email,
            "recipient_user": recipient_user,
            "recipient_address": recipient_address[:255],
            "subject": subject[:255],
            "body_text": body_text,
            "body_html": body_html,
            "ics": ics,
            "message_id": _message_id(),
            "status": DeliveryStatus.SUPPRESSED if suppressed else DeliveryStatus.PENDING,
            **links,
        },
    )
    if not created:
        return None
    if notification.status == DeliveryStatus.PENDING:
        transaction.on_commit(lambda: _enqueue(DELIVER, notification.pk))
    return notification


def notifications_record(*, notifications: Sequence[Notification]) -> int:
    """Write the unsaved rows whose idempotency keys are new (pending, or suppressed with a
    reason), each with its own Message-ID, and queue the pending ones in chunks once the change
    commits; returns how many were new. Safe to run twice."""
    keys = [row.idempotency_key for row in notifications]
    existing = set(
        Notification.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    new = [row for row in notifications if row.idempotency_key not in existing]
    for row in new:
        row.subject = row.subject[:255]
        row.message_id = row.message_id or _message_id()
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    pending = list(
        Notification.objects.filter(
            idempotency_key__in=[row.idempotency_key for row in new],
            status=DeliveryStatus.PENDING,
        ).values_list("pk", flat=True)
    )
    _enqueue_on_commit(pending)
    return len(new)


# The delivery tasks (notifications/tasks.py) call these services, so services publish to them
# by name, as to a queue, rather than importing them back.
DELIVER = "notifications.tasks.deliver"
DELIVER_MANY = "notifications.tasks.deliver_many"


def _enqueue(task_name: str, payload: Any) -> bool:
    """Hand a delivery to the broker; False if it is unreachable. The change that wrote the
    outbox row has committed by now and must not fail for this: the row stays pending, and the
    sweep queues it again once the broker is back."""
    try:
        current_app.tasks[task_name].delay(payload)
    except kombu.exceptions.OperationalError as exc:
        log.warning(
            "could not queue delivery of %s (%s); the sweep will queue it again", payload, exc
        )
        return False
    return True


def _enqueue_on_commit(notification_ids: list[int]) -> None:
    """Queue delivery in chunks once the transaction that wrote the rows commits."""
    if not notification_ids:
        return

    def enqueue() -> None:
        for start in range(0, len(notification_ids), DELIVERY_CHUNK):
            if not _enqueue(DELIVER_MANY, notification_ids[start : start + DELIVERY_CHUNK]):
                break  # each try waits out the publish retries; the sweep takes the rest

    transaction.on_commit(enqueue)


def staff_notify(
    *,
    user: User,
    kind: NotificationKind,
    text: str,
    url: str,
    idempotency_key: str,
    details: str = "",
    ics: str = "",
) -> Notice:
    """Tell a member of staff in the app, and by email unless they switched this kind off."""
    notice = Notice.objects.create(user=user, kind=kind, text=text[:500], url=url)
    wants_email = user.email and not EmailPreference.objects.filter(user=user, kind=kind).exists()
    if wants_email:
        # The email's link opens the notice, so following it marks the notice read too.
        opened = settings.SITE_URL + reverse("notifications:open", args=[notice.pk])
        context = {"user": user, "text": text, "details": details, "url": opened}
        notification_record(
            kind=kind,
            idempotency_key=idempotency_key,
            recipient_email=user.email,
            recipient_user=user,
            subject=text,
            body_text=render_to_string("notifications/email/staff_notice.txt", context),
            body_html=render_to_string("notifications/email/staff_notice.html", context),
            ics=ics,
        )
    return notice


def _claim(notification_id: int) -> Notification | None:
    """Move a pending row that is due from pending to sending; None if another worker has it,
    it is done, or its next attempt is not due yet (notifications.retry)."""
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(retry.due(now), pk=notification_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if notification is None:
            return None
        notification.status = DeliveryStatus.SENDING
        notification.attempts += 1
        notification.claimed_at = now
        notification.save(update_fields=["status", "attempts", "claimed_at"])
        return notification


def _settle(notification: Notification, status: DeliveryStatus, error: str, **updates: Any) -> None:
    Notification.objects.filter(pk=notification.pk).update(
        status=status, last_error=error, **updates
    )
    if error:
        log.warning("notification %s: %s (%s)", notification.pk, error, status)


def notification_deliver(*, notification_id: int) -> DeliveryStatus | None:
    """Send one outbox row through Django's email backend (or the channel its kind's app
    registered) and record what happened.

    The row's kind names the handler (registered by the app that owns it) that builds the
    message, or suppresses the row, from the current state. A refused send is tried again or
    failed as notifications.retry decides. None if the row was not ours to send.
    """
    notification = _claim(notification_id)
    if notification is None:
        return None
    try:
        return _send(notification)
    except Exception as exc:
        # Anything but the mail server's refusal (a header Django will not write, a template
        # or handler that raises): it will not get better by itself, so the row fails now with
        # the reason in the delivery log, and the rest of the batch goes on.
        log.exception("notification %s could not be built or sent", notification.pk)
        _settle(notification, DeliveryStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
        return DeliveryStatus.FAILED


def _send(notification: Notification) -> DeliveryStatus:
    deliver = registry.deliverer_for(notification.kind)
    if deliver is not None:
        return _send_on_channel(notification, deliver)
    handler = registry.handler_for(notification.kind)
    if handler is None:
        error = f"no handler registered for kind {notification.kind!r}: is its app installed?"
        log.error("notification %s: %s", notification.pk, error)
        _settle(notification, DeliveryStatus.FAILED, error)
        return DeliveryStatus.FAILED
    built = handler(notification)
    if isinstance(built, registry.Suppress):
        return _suppressed(notification, built)
    if not notification.body_text:
        # Rendered now, from the state at send time; kept so that a resend after a crash
        # carries exactly the same message.
        Notification.objects.filter(pk=notification.pk).update(
            subject=built.subject[:255], body_text=built.body_text, body_html=built.body_html
        )
    message = EmailMultiAlternatives(
        subject=built.subject,
        body=built.body_text,
        from_email=built.from_email or None,
        to=[notification.recipient_email],
        reply_to=list(built.reply_to),
        headers={"Message-ID": notification.message_id, **built.headers},
    )
    if built.body_html:
        message.attach_alternative(built.body_html, "text/html")
    if notification.ics:
        method = "CANCEL" if "METHOD:CANCEL" in notification.ics else "REQUEST"
        message.attach("invite.ics", notification.ics, f"text/calendar; method={method}")
    try:
        message.send()
    except OSError as exc:  # every smtplib error is one
        return _refused(notification, *retry.refusal(exc))
    return _sent(notification)


def _send_on_channel(notification: Notification, deliver: registry.Deliver) -> DeliveryStatus:
    """A row its app delivers on another channel (Slack): the same claim, retries and record
    as an email."""
    try:
        outcome = deliver(notification)
    except registry.Refused as refusal:
        return _refused(notification, refusal.transient, refusal.reason[:2000])
    if isinstance(outcome, registry.Suppress):
        return _suppressed(notification, outcome)
    return _sent(notification)


def _suppressed(notification: Notification, suppress: registry.Suppress) -> DeliveryStatus:
    # Things changed since the row was written (its contact unsubscribed, say): never send.
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.SUPPRESSED, last_error=suppress.reason
    )
    return DeliveryStatus.SUPPRESSED


def _refused(notification: Notification, transient: bool, error: str) -> DeliveryStatus:
    """Try a refused row again later, or fail it (notifications.retry decides)."""
    now = timezone.now()
    retry_for = registry.retry_for(notification.kind)
    again = retry.next_attempt_at(
        attempts=notification.attempts,
        transient=transient,
        now=now,
        until=notification.created_at + retry_for if retry_for is not None else None,
    )
    if again is None:
        _settle(notification, DeliveryStatus.FAILED, error)
        return DeliveryStatus.FAILED
    _settle(notification, DeliveryStatus.PENDING, error, next_attempt_at=again)
    return DeliveryStatus.PENDING


def _sent(notification: Notification) -> DeliveryStatus:
    """Record the row sent, then tell whoever asked to hear of it (registry.on_sent), each in
    its own transaction. The message is out by now, so a listener that fails is logged, never
    allowed to undo the record: that would send it twice. (Settling first keeps an email's
    send at one write when no listener has anything to do.)"""
    notification.sent_at = timezone.now()
    _settle(notification, DeliveryStatus.SENT, "", sent_at=notification.sent_at)
    for listener in registry.sent_listeners(notification.kind):
        try:
            with transaction.atomic():
                listener(notification)
        except Exception:
            log.exception("notification %s: a listener of its sending failed", notification.pk)
    return DeliveryStatus.SENT


def notices_mark_read(*, user: User, url: str | None = None) -> int:
    """Mark every unread notice of this person read (or those that point at `url`: what they
    were told about is done); returns how many."""
    unread = Notice.objects.filter(user=user, read_at__isnull=True)
    if url is not None:
        unread = unread.filter(url=url)
    return unread.update(read_at=timezone.now())


def notice_mark_read(*, notice: Notice) -> Notice:
    """The person opened this notice: it is read (the first time counts)."""
    if notice.read_at is None:
        notice.read_at = timezone.now()
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=notice.read_at)
    return notice


def notifications_sweep(
    *, now: datetime | None = None, stuck_after: timedelta | None = None
) -> dict[str, int]:
    """Catch what the fast path missed: rows stuck in `sending` (a worker died mid-send) go back
    to pending, and pending rows that are due and were not picked up are queued again."""
    now = now or timezone.now()
    if stuck_after is None:  # not `or`: timedelta(0) is a valid (if drastic) choice
        stuck_after = retry.stuck_after()
    stuck = Notification.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - stuck_after
    )
    # A row that stalls a second time (or on its last attempt) would stall forever: it fails.
    # (A row tried for a time, a webhook's, has no last attempt by count.)
    last_attempt = Q(attempts__gte=retry.MAX_ATTEMPTS) & ~Q(
        kind__in=registry.kinds_retried_for_a_time()
    )
    failed = stuck.filter(Q(stalls__gte=1) | last_attempt).update(
        status=DeliveryStatus.FAILED,
        last_error="its worker stopped while sending it, again: sending it stalled twice",
    )
    released = stuck.update(
        status=DeliveryStatus.PENDING,
        stalls=F("stalls") + 1,
        last_error="released by the sweep after a stall",
    )
    due = list(
        Notification.objects.filter(
            status=DeliveryStatus.PENDING, created_at__lt=now - retry.SWEEP_PENDING_AFTER
        )
        .filter(retry.due(now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for start in range(0, len(due), DELIVERY_CHUNK):
        current_app.tasks[DELIVER_MANY].delay(due[start : start + DELIVERY_CHUNK])
    return {"released": released, "failed": failed, "queued": len(due)}


@transaction.atomic
def notification_retry(*, notification: Notification, by: User) -> Notification:
    """Send a failed row again (a PM or admin pressed retry after fixing the cause)."""
    ensure_may_retry_delivery(by)
    if notification.status != DeliveryStatus.FAILED:
        raise DomainError(
            f"This email is {notification.get_status_display().lower()}, not failed.",
            code="conflict",
        )
    notification.status = DeliveryStatus.PENDING
    notification.attempts = 0
    notification.stalls = 0
    notification.next_attempt_at = None
    notification.last_error = f"retried by {by.display_name}; was: {notification.last_error}"[:2000]
    notification.save(
        update_fields=["status", "attempts", "stalls", "next_attempt_at", "last_error"]
    )
    _enqueue_on_commit([notification.pk])
    return notification


def notifications_suppress(*, contact_id: int, reason: str) -> int:
    """Never send the rows still waiting to go to this customer contact; returns how many."""
    return Notification.objects.filter(contact_id=contact_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SUPPRESSED, last_error=reason
    )


def email_preferences_set(*, user: User, emailed: set[str]) -> None:
    """Keep email on for the kinds in `emailed`, off for every other staff notice kind."""
    off = [kind for kind in registry.staff_notice_kinds() if kind not in emailed]
    EmailPreference.objects.filter(user=user).exclude(kind__in=off).delete()
    EmailPreference.objects.bulk_create(
        [EmailPreference(user=user, kind=kind) for kind in off], ignore_conflicts=True
    )


@transaction.atomic
def channel_test_send(*, channel: channels.Channel, by: User) -> str:
    """Send a test through a channel from the Channels page (its own send_test records the
    message in the outbox) and note it in the audit log; returns what the admin is told."""
    ensure_may_manage_channels(by)
    assert channel.send_test is not None
    said = channel.send_test(by)
    audit.record(
        Action.INTEGRATION_TESTED,
        actor=by,
        target_label=channel.name,
        changes={"channel": channel.key, "result": said},
    )
    return said

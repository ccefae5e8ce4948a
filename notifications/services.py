"""Writes on the outbox and on staff notices, and the delivery of one outbox row."""

from __future__ import annotations

import logging
import random
import smtplib
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from notifications.models import (
    DeliveryStatus,
    EmailPreference,
    Notice,
    Notification,
    NotificationKind,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


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
    suppressed: bool = False,
    **links: object,
) -> Notification | None:
    """Write one outbox row unless its key exists; queue its delivery once the change commits."""
    notification, created = Notification.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "kind": kind,
            "recipient_email": recipient_email,
            "recipient_user": recipient_user,
            "subject": subject[:255],
            "body_text": body_text,
            "body_html": body_html,
            "message_id": _message_id(),
            "status": DeliveryStatus.SUPPRESSED if suppressed else DeliveryStatus.PENDING,
            **links,
        },
    )
    if not created:
        return None
    if notification.status == DeliveryStatus.PENDING:
        from notifications.tasks import deliver

        transaction.on_commit(lambda: deliver.delay(notification.pk))
    return notification


def staff_notify(
    *,
    user: User,
    kind: NotificationKind,
    text: str,
    url: str,
    idempotency_key: str,
    details: str = "",
) -> Notice:
    """Tell a member of staff in the app, and by email unless they switched this kind off."""
    notice = Notice.objects.create(user=user, kind=kind, text=text[:500], url=url)
    wants_email = user.email and not EmailPreference.objects.filter(user=user, kind=kind).exists()
    if wants_email:
        context = {"user": user, "text": text, "details": details, "url": settings.SITE_URL + url}
        notification_record(
            kind=kind,
            idempotency_key=idempotency_key,
            recipient_email=user.email,
            recipient_user=user,
            subject=text,
            body_text=render_to_string("notifications/email/staff_notice.txt", context),
            body_html=render_to_string("notifications/email/staff_notice.html", context),
        )
    return notice


def _claim(notification_id: int) -> Notification | None:
    """Move a due row from pending to sending; None if another worker has it or it is done."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if notification is None:
            return None
        notification.status = DeliveryStatus.SENDING
        notification.attempts += 1
        notification.claimed_at = timezone.now()
        notification.save(update_fields=["status", "attempts", "claimed_at"])
        return notification


def _backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: up to 30 s, 60 s, 120 s, … capped at an hour."""
    return timedelta(seconds=random.uniform(1, min(3600, 30 * 2 ** (attempts - 1))))  # noqa: S311


TRANSIENT_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)


def notification_deliver(*, notification_id: int) -> DeliveryStatus | None:
    """Send one outbox row through Django's email backend and record what happened.

    A transient SMTP error puts the row back to pending with a later next_attempt_at, until
    MAX_ATTEMPTS, then failed. A permanent refusal (5xx) fails it at once.
    """
    notification = _claim(notification_id)
    if notification is None:
        return None
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        to=[notification.recipient_email],
        headers={"Message-ID": notification.message_id, **_extra_headers(notification)},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    status = DeliveryStatus.SENT
    error = ""
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        status, error = DeliveryStatus.FAILED, f"recipient refused: {exc.recipients}"
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600
        status = DeliveryStatus.FAILED if permanent else DeliveryStatus.PENDING
        error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
    except TRANSIENT_ERRORS as exc:
        status, error = DeliveryStatus.PENDING, f"{type(exc).__name__}: {exc}"
    if status == DeliveryStatus.PENDING and notification.attempts >= MAX_ATTEMPTS:
        status = DeliveryStatus.FAILED
    updates: dict[str, object] = {"status": status, "last_error": error}
    if status == DeliveryStatus.SENT:
        updates["sent_at"] = timezone.now()
    elif status == DeliveryStatus.PENDING:
        updates["next_attempt_at"] = timezone.now() + _backoff(notification.attempts)
    Notification.objects.filter(pk=notification.pk).update(**updates)
    if error:
        log.warning("notification %s: %s (%s)", notification.pk, error, status)
    return DeliveryStatus(status)


def _extra_headers(notification: Notification) -> dict[str, str]:
    return {}


def notices_mark_read(*, user: User) -> int:
    """Mark every unread notice of this person read; returns how many."""
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())

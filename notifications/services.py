"""Writes on the outbox and on staff notices, and the delivery of one outbox row."""

from __future__ import annotations

import logging
import random
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

import kombu.exceptions
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Capability, can
from core.errors import DomainError
from intake.models import Contact, Ticket, TicketStatus
from notifications.models import (
    DeliveryStatus,
    EmailPreference,
    Notice,
    Notification,
    NotificationKind,
)

if TYPE_CHECKING:
    from triage.models import Initiative

log = logging.getLogger(__name__)

STAFF_KINDS = [kind for kind in NotificationKind if kind != NotificationKind.CUSTOMER_SHIPPED]

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
    ics: str = "",
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
            "ics": ics,
            "message_id": _message_id(),
            "status": DeliveryStatus.SUPPRESSED if suppressed else DeliveryStatus.PENDING,
            **links,
        },
    )
    if not created:
        return None
    if notification.status == DeliveryStatus.PENDING:
        from notifications.tasks import deliver

        transaction.on_commit(lambda: _enqueue(deliver.delay, notification.pk))
    return notification


def _enqueue(send: Callable[[Any], object], payload: Any) -> bool:
    """Hand a delivery to the broker; False if it is unreachable. The change that wrote the
    outbox row has committed by now and must not fail for this: the row stays pending, and the
    sweep queues it again once the broker is back."""
    try:
        send(payload)
    except kombu.exceptions.OperationalError as exc:
        log.warning(
            "could not queue delivery of %s (%s); the sweep will queue it again", payload, exc
        )
        return False
    return True


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
        context = {"user": user, "text": text, "details": details, "url": settings.SITE_URL + url}
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
    """Move a due row from pending to sending; None if another worker has it or it is done."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("contact__customer", "initiative")
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
    """Exponential backoff with full jitter: up to 30 s, 60 s, 120 s, … capped at an hour
    (the base is NOTIFICATION_BACKOFF_SECONDS); never under a second unless the base is."""
    base = settings.NOTIFICATION_BACKOFF_SECONDS
    ceiling = min(3600.0, base * 2 ** (attempts - 1))
    return timedelta(seconds=random.uniform(min(1.0, base), ceiling))  # noqa: S311


TRANSIENT_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)


def notification_deliver(*, notification_id: int) -> DeliveryStatus | None:
    """Send one outbox row through Django's email backend and record what happened.

    A transient SMTP error puts the row back to pending with a later next_attempt_at, until
    MAX_ATTEMPTS, then failed. A permanent refusal (5xx) fails it at once.
    """
    notification = _claim(notification_id)
    if notification is None:
        return None
    if notification.kind == NotificationKind.CUSTOMER_SHIPPED:
        contact = notification.contact
        if contact is None or not contact_may_be_emailed(contact):
            # Unsubscribed (or found bouncing) since the row was written: never send.
            Notification.objects.filter(pk=notification.pk).update(
                status=DeliveryStatus.SUPPRESSED, last_error="contact unsubscribed or bouncing"
            )
            return DeliveryStatus.SUPPRESSED
        if not notification.body_text:
            _render_customer_email(notification)
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        to=[notification.recipient_email],
        headers={"Message-ID": notification.message_id, **_extra_headers(notification)},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    if notification.ics:
        method = "CANCEL" if "METHOD:CANCEL" in notification.ics else "REQUEST"
        message.attach("invite.ics", notification.ics, f"text/calendar; method={method}")
    status = DeliveryStatus.SENT
    error = ""
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        # 4xx at RCPT is "not now" (greylisting, a full mailbox): try again; 5xx is final.
        codes = [code for code, _ in exc.recipients.values()]
        transient = bool(codes) and all(400 <= code < 500 for code in codes)
        status = DeliveryStatus.PENDING if transient else DeliveryStatus.FAILED
        error = f"recipient refused: {exc.recipients}"
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
    """One-click unsubscribe (RFC 8058) on every email to a customer."""
    if notification.kind != NotificationKind.CUSTOMER_SHIPPED or notification.contact is None:
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(notification.contact)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def notices_mark_read(*, user: User) -> int:
    """Mark every unread notice of this person read; returns how many."""
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Telling customers that what they asked for shipped

UNSUBSCRIBE_SALT = "feedbackloop.unsubscribe"
# Pending rows the fast path has not picked up after this long are queued again by the sweep;
# rows left `sending` this long (a worker killed mid-send) go back to pending.
SWEEP_PENDING_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 1000
DELIVERY_CHUNK = 50


def unsubscribe_url(contact: Contact) -> str:
    token = signing.Signer(salt=UNSUBSCRIBE_SALT).sign(contact.unsubscribe_token)
    return f"{settings.SITE_URL}{reverse('unsubscribe', args=[token])}"


def contact_may_be_emailed(contact: Contact) -> bool:
    if contact.unsubscribed_at is not None or contact.bouncing:
        return False
    try:
        validate_email(contact.email)
    except ValidationError:
        return False
    return True


def _asks_of(initiative: Initiative, *, contact_id: int | None = None) -> dict[int, list[Ticket]]:
    """Each contact's tickets on the initiative (or one contact's), counting tickets that
    duplicate one there."""
    tickets = Ticket.objects.filter(initiative=initiative, status__in=TicketStatus.counted())
    if contact_id is not None:
        tickets = tickets.filter(contact_id=contact_id)
    tickets = (
        tickets.select_related("contact__customer", "submitted_by")
        .defer("search_vector")
        .order_by("contact_id", "created_at", "id")
    )
    asks: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        asks.setdefault(ticket.contact_id, []).append(ticket)
    return asks


def customer_email_context(
    *, initiative: Initiative, contact: Contact, tickets: list[Ticket], release_note: str
) -> dict[str, object]:
    filed_by = sorted({t.submitted_by.display_name for t in tickets})
    return {
        "initiative": initiative,
        "contact": contact,
        "customer": contact.customer,
        "tickets": tickets,
        "release_note": release_note,
        "filed_by": filed_by,
        "unsubscribe_url": unsubscribe_url(contact),
    }


def customer_email_subject(initiative: Initiative) -> str:
    return f"You asked, we shipped: {initiative.title}"[:255]


def customer_email_render(context: dict[str, object]) -> tuple[str, str]:
    return (
        render_to_string("notifications/email/customer_shipped.txt", context),
        render_to_string("notifications/email/customer_shipped.html", context),
    )


def _render_customer_email(notification: Notification) -> None:
    """Render at send time, from the initiative's tickets as they are now, and keep the result
    so a resend after a crash carries exactly the same message."""
    assert notification.initiative is not None
    assert notification.contact is not None
    contact_id = notification.contact.pk
    # Only this contact's tickets: loading the whole initiative for each email is quadratic.
    tickets = _asks_of(notification.initiative, contact_id=contact_id).get(contact_id, [])
    if not tickets and notification.ticket_id:
        tickets = list(
            Ticket.objects.select_related("submitted_by").filter(pk=notification.ticket_id)
        )
    context = customer_email_context(
        initiative=notification.initiative,
        contact=notification.contact,
        tickets=tickets,
        release_note=notification.initiative.release_note,
    )
    notification.body_text, notification.body_html = customer_email_render(context)
    Notification.objects.filter(pk=notification.pk).update(
        body_text=notification.body_text, body_html=notification.body_html
    )


@dataclass(frozen=True)
class ShipAudience:
    """Who a ship tells: contacts emailed, contacts suppressed, companies, and one sample."""

    told: int
    suppressed: int
    companies: int
    sample: tuple[Contact, list[Ticket]] | None


def ship_audience(*, initiative: Initiative) -> ShipAudience:
    """How many customers shipping this initiative would tell (one query)."""
    asks = _asks_of(initiative)
    told = suppressed = 0
    companies: set[int] = set()
    sample = None
    for tickets in asks.values():
        contact = tickets[0].contact
        companies.add(contact.customer_id)
        if contact_may_be_emailed(contact):
            told += 1
            sample = sample or (contact, tickets)
        else:
            suppressed += 1
    return ShipAudience(told=told, suppressed=suppressed, companies=len(companies), sample=sample)


def initiative_shipped_notify(*, initiative: Initiative) -> int:
    """Record one email per contact who asked (suppressed rows for those who may not be
    emailed) and a notice for each submitter; safe to run twice. Returns how many rows are new."""
    asks = _asks_of(initiative)
    rows = []
    for contact_id, tickets in asks.items():
        contact = tickets[0].contact
        rows.append(
            Notification(
                kind=NotificationKind.CUSTOMER_SHIPPED,
                idempotency_key=f"shipped:{initiative.pk}:{contact_id}",
                recipient_email=contact.email[:254],
                contact=contact,
                ticket=tickets[0],
                initiative=initiative,
                subject=customer_email_subject(initiative),
                body_text="",
                message_id=_message_id(),
                status=(
                    DeliveryStatus.PENDING
                    if contact_may_be_emailed(contact)
                    else DeliveryStatus.SUPPRESSED
                ),
                last_error="" if contact_may_be_emailed(contact) else "unsubscribed or bouncing",
            )
        )
    keys = [row.idempotency_key for row in rows]
    existing = set(
        Notification.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    new = [row for row in rows if row.idempotency_key not in existing]
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    pending = list(
        Notification.objects.filter(
            idempotency_key__in=[row.idempotency_key for row in new],
            status=DeliveryStatus.PENDING,
        ).values_list("pk", flat=True)
    )
    _enqueue_on_commit(pending)

    by_submitter: dict[int, tuple[User, set[str]]] = {}
    for tickets in asks.values():
        for ticket in tickets:
            entry = by_submitter.setdefault(ticket.submitted_by_id, (ticket.submitted_by, set()))
            entry[1].add(ticket.contact.customer.name)
    for user, companies in by_submitter.values():
        names = sorted(companies)
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        staff_notify(
            user=user,
            kind=NotificationKind.STAFF_SHIPPED,
            text=f"“{initiative.title}” shipped: we are emailing {shown}",
            details=initiative.release_note,
            url=reverse("triage:initiative", args=[initiative.pk]),
            idempotency_key=f"staff-shipped:{initiative.pk}:{user.pk}",
        )
    return len(new)


def _enqueue_on_commit(notification_ids: list[int]) -> None:
    """Queue delivery in chunks once the transaction that wrote the rows commits."""
    if not notification_ids:
        return
    from notifications.tasks import deliver_many

    def enqueue() -> None:
        for start in range(0, len(notification_ids), DELIVERY_CHUNK):
            if not _enqueue(deliver_many.delay, notification_ids[start : start + DELIVERY_CHUNK]):
                break  # each try waits out the publish retries; the sweep takes the rest

    transaction.on_commit(enqueue)


def notifications_sweep(
    *, now: datetime | None = None, stuck_after: timedelta | None = None
) -> dict[str, int]:
    """Catch what the fast path missed: rows stuck in `sending` (a worker died mid-send) go back
    to pending, and pending rows that are due and were not picked up are queued again."""
    now = now or timezone.now()
    if stuck_after is None:  # not `or`: timedelta(0) is a valid (if drastic) choice
        stuck_after = timedelta(seconds=settings.NOTIFICATION_STUCK_SECONDS)
    released = Notification.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - stuck_after
    ).update(status=DeliveryStatus.PENDING, last_error="released by the sweep after a stall")
    due = list(
        Notification.objects.filter(
            status=DeliveryStatus.PENDING, created_at__lt=now - SWEEP_PENDING_AFTER
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if due:
        from notifications.tasks import deliver_many

        for start in range(0, len(due), DELIVERY_CHUNK):
            deliver_many.delay(due[start : start + DELIVERY_CHUNK])
    return {"released": released, "queued": len(due)}


@transaction.atomic
def notification_retry(*, notification: Notification, by: User) -> Notification:
    """Send a failed row again (a PM or admin pressed retry after fixing the cause)."""
    if not can(by, Capability.VIEW_DELIVERIES):
        raise DomainError("Only product managers and admins retry deliveries.", code="forbidden")
    if notification.status != DeliveryStatus.FAILED:
        raise DomainError(
            f"This email is {notification.get_status_display().lower()}, not failed.",
            code="conflict",
        )
    notification.status = DeliveryStatus.PENDING
    notification.attempts = 0
    notification.next_attempt_at = None
    notification.last_error = f"retried by {by.display_name}; was: {notification.last_error}"[:2000]
    notification.save(update_fields=["status", "attempts", "next_attempt_at", "last_error"])
    _enqueue_on_commit([notification.pk])
    return notification


def contact_for_unsubscribe_token(token: str) -> Contact | None:
    """The contact a signed unsubscribe token names, or None if it was tampered with."""
    try:
        raw = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Contact.objects.select_related("customer").filter(unsubscribe_token=raw).first()


@transaction.atomic
def contact_unsubscribe(*, contact: Contact) -> Contact:
    """Never email this contact again, including emails already waiting to go."""
    if contact.unsubscribed_at is None:
        contact.unsubscribed_at = timezone.now()
        contact.save(update_fields=["unsubscribed_at"])
    Notification.objects.filter(contact=contact, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SUPPRESSED, last_error="contact unsubscribed"
    )
    return contact


def email_preferences_set(*, user: User, emailed: set[str]) -> None:
    """Keep email on for the kinds in `emailed`, off for every other staff kind."""
    off = [kind for kind in STAFF_KINDS if kind not in emailed]
    EmailPreference.objects.filter(user=user).exclude(kind__in=off).delete()
    EmailPreference.objects.bulk_create(
        [EmailPreference(user=user, kind=kind) for kind in off], ignore_conflicts=True
    )

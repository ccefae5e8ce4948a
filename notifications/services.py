"""Writes on the outbox and on staff notices, and the delivery of one outbox row.

The outbox knows no domain: the app that owns a kind of notification records its rows here and
registers how its message is built (notifications.registry); when a row is tried again is
decided in notifications.retry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

import kombu.exceptions
from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
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
    reason), each with its own Message-ID, and queue the pending ones in batches once the change
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


def _batches(notification_ids: list[int]) -> list[list[int]]:
    """The rows in the batches one delivery task sends each (NOTIFICATION_BATCH_SIZE)."""
    size = settings.NOTIFICATION_BATCH_SIZE
    return [
        notification_ids[start : start + size] for start in range(0, len(notification_ids), size)
    ]


def _enqueue_on_commit(notification_ids: list[int]) -> None:
    """Queue delivery in batches once the transaction that wrote the rows commits."""
    if not notification_ids:
        return

    def enqueue() -> None:
        for batch in _batches(notification_ids):
            if not _enqueue(DELIVER_MANY, batch):
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


class _MailServer:
    """One connection to the mail server (Django's email backend) for a batch of emails instead
    of one per email: opened for the first email, closed at the end of the batch. After a
    refusal or a dropped connection it is closed and the next email opens a new one, since the
    server may have hung up (a 421 does) and one refusal must not cost the rest an attempt."""

    def __init__(self) -> None:
        self._backend: BaseEmailBackend | None = None

    def send(self, message: EmailMessage) -> None:
        if self._backend is None:
            backend = get_connection()
            try:
                backend.open()
            except OSError:
                self._close(backend)
                raise
            self._backend = backend
        # A message with a connection sends over it and leaves it open.
        message.connection = self._backend
        try:
            message.send()
        except OSError:  # every smtplib error is one
            self.close()
            raise

    def close(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            self._close(backend)

    @staticmethod
    def _close(backend: BaseEmailBackend) -> None:
        with suppress(OSError):  # a server that hung up already
            backend.close()


class _Batch:
    """What the rows of a batch share, looked up once for each kind among them: the handler
    loaded for their messages, and the listeners of their sending that have something to do.
    And the row just sent, when nobody listens to its sending: it is recorded sent in the same
    statement as the next row's claim (one statement an email, not two), or at the end."""

    def __init__(self, rows: Sequence[Notification]) -> None:
        self._rows = rows
        self._handlers: dict[str, registry.Handler | None] = {}
        self._listeners: dict[str, list[registry.SentListener]] = {}
        self._unrecorded: Notification | None = None

    def record_with_next(self, notification: Notification) -> None:
        assert self._unrecorded is None
        self._unrecorded = notification

    def unrecorded(self) -> Notification | None:
        """The row sent but not yet recorded, to record now (the caller does)."""
        notification, self._unrecorded = self._unrecorded, None
        return notification

    def record(self) -> None:
        """Record the row sent but not yet recorded, if any, on its own."""
        notification = self.unrecorded()
        if notification is not None:
            _row_update(notification.pk, _SENT, also_sent=None, sent_at=notification.sent_at)

    def handler(self, kind: str) -> registry.Handler | None:
        if kind not in self._handlers:
            rows = [row for row in self._rows if row.kind == kind]
            try:
                self._handlers[kind] = registry.handler_for_batch(kind, rows)
            except Exception:
                # Each row then builds its own message, and one that cannot fails alone.
                log.exception("loading the messages of a batch of %s failed", kind)
                self._handlers[kind] = registry.handler_for(kind)
        return self._handlers[kind]

    def listeners(self, kind: str) -> list[registry.SentListener]:
        if kind not in self._listeners:
            try:
                self._listeners[kind] = registry.listening_to(kind)
            except Exception:
                log.exception("asking who listens to the sending of %s failed", kind)
                self._listeners[kind] = registry.sent_listeners(kind)
        return self._listeners[kind]


def notification_deliver(*, notification_id: int) -> DeliveryStatus | None:
    """Send one outbox row and record what happened (a batch of one, notifications_deliver);
    None if the row was not ours to send."""
    return notifications_deliver(notification_ids=[notification_id]).get(notification_id)


def notifications_deliver(*, notification_ids: Sequence[int]) -> dict[int, DeliveryStatus]:
    """Send a batch of outbox rows through Django's email backend, over one connection to the
    mail server (or on the channel each kind's app registered), and record each as it goes.
    Returns what became of each row that was this worker's to send: one another worker has,
    one that is done, or one whose next attempt is not due yet is left out.

    Each row is claimed just before it is sent and recorded sent after, at the latest with the
    next row's claim, so only the one message a worker is handing over (or has just handed
    over) is ever `sending`: a worker killed mid-batch leaves that one to be sent again and the
    rest of its batch pending. Each message is built by the handler its
    kind's app registered, from the state now (a contact who unsubscribed is suppressed, not
    emailed); a refused send is tried again or failed as notifications.retry decides, and
    anything else that goes wrong with one row fails that row alone.
    """
    order = {pk: position for position, pk in reversed(list(enumerate(notification_ids)))}
    rows = sorted(
        Notification.objects.filter(
            retry.due(timezone.now()),
            pk__in=notification_ids,
            status=DeliveryStatus.PENDING,
        ),
        key=lambda row: order[row.pk],
    )
    batch = _Batch(rows)
    mail_server = _MailServer()
    outcomes: dict[int, DeliveryStatus] = {}
    try:
        with _durable_once_a_batch():
            try:
                for row in rows:
                    outcome = _deliver(row, batch, mail_server)
                    if outcome is not None:
                        outcomes[row.pk] = outcome
            finally:
                batch.record()
    finally:
        mail_server.close()
    return outcomes


@contextmanager
def _durable_once_a_batch() -> Iterator[None]:
    """Each row's claim and record commit without waiting for the disk (synchronous_commit
    off; a commit that waits costs more than sending the email): every other worker and the
    sweep see them at once all the same, so a worker killed mid-batch still leaves only the
    message it was handing over to go again. The batch ends with a commit that waits, which
    makes all of them durable (PostgreSQL writes its log in order): a crash of PostgreSQL
    itself, not of a worker, can lose the records of the batches being sent, whose emails
    then go again."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
            # A statement given a transaction id commits with a record it waits to be on disk.
            cursor.execute("SELECT pg_current_xact_id()")


def _deliver(
    notification: Notification, batch: _Batch, mail_server: _MailServer
) -> DeliveryStatus | None:
    deliver = registry.deliverer_for(notification.kind)
    if deliver is not None:
        if not _claim(notification, batch):
            return None
        try:
            return _send_on_channel(notification, deliver, batch.listeners(notification.kind))
        except Exception as exc:
            return _failed(notification, exc)
    try:
        handler = batch.handler(notification.kind)
        if handler is None:
            error = f"no handler registered for kind {notification.kind!r}: is its app installed?"
            log.error("notification %s: %s", notification.pk, error)
            return _claim_as(notification, batch, DeliveryStatus.FAILED, error)
        built = handler(notification)
    except Exception as exc:
        # A template or handler that raises will not get better by itself: the row fails now,
        # with the reason in the delivery log, and the rest of the batch goes on.
        log.exception("notification %s could not be built", notification.pk)
        return _claim_as(notification, batch, DeliveryStatus.FAILED, _reason(exc))
    if isinstance(built, registry.Suppress):
        # Things changed since the row was written (its contact unsubscribed, say): never send.
        return _claim_as(notification, batch, DeliveryStatus.SUPPRESSED, built.reason)
    # Rendered now, from the state at send time, and kept with the claim: a resend after a
    # crash carries exactly the same message.
    rendered: dict[str, Any] = {}
    if not notification.body_text:
        rendered = {
            "subject": built.subject[:255],
            "body_text": built.body_text,
            "body_html": built.body_html,
        }
    if not _claim(notification, batch, **rendered):
        return None
    try:
        mail_server.send(_email(notification, built))
    except OSError as exc:
        return _refused(notification, *retry.refusal(exc))
    except Exception as exc:
        # A header Django will not write, say: the row fails alone.
        return _failed(notification, exc)
    listeners = batch.listeners(notification.kind)
    if not listeners:
        # Recorded with the next row's claim: until then it is the one `sending`, as it was
        # while being handed over, so a worker killed now sends it again, and nothing else.
        notification.sent_at = timezone.now()
        batch.record_with_next(notification)
        return DeliveryStatus.SENT
    return _sent(notification, listeners)


def _claim(
    notification: Notification,
    batch: _Batch,
    *,
    status: DeliveryStatus = DeliveryStatus.SENDING,
    **fields: Any,
) -> bool:
    """Move a row the batch read as pending and due to `status` (sending, or at once suppressed
    or failed) and count its attempt, if nobody claimed it since: it is still pending with the
    same attempts (a claim counts one; only a product manager's retry sets them back, and makes
    it due). One UPDATE, so of two workers only one can have it; it also records the row the
    batch sent before, if that is waiting to be."""
    now = timezone.now()
    claimed = _row_update(
        notification.pk,
        {"status": status, "attempts": notification.attempts + 1, "claimed_at": now, **fields},
        only_if={"status": DeliveryStatus.PENDING, "attempts": notification.attempts},
        also_sent=batch.unrecorded(),
    )
    if not claimed:
        return False
    notification.status = status
    notification.attempts += 1
    notification.claimed_at = now
    for name, value in fields.items():
        setattr(notification, name, value)
    return True


# What a delivery writes on its row (each of these fields' column is its name).
_DELIVERY_COLUMNS = frozenset(
    {
        "id",
        "status",
        "attempts",
        "claimed_at",
        "subject",
        "body_text",
        "body_html",
        "last_error",
        "next_attempt_at",
        "sent_at",
    }
)


# How a row is recorded sent (with its sent_at).
_SENT = {"status": DeliveryStatus.SENT, "last_error": ""}


def _row_update(
    notification_id: int,
    values: dict[str, Any],
    *,
    only_if: dict[str, Any] | None = None,
    also_sent: Notification | None = None,
    **more: Any,
) -> bool:
    """UPDATE one outbox row (if its fields hold `only_if`) in plain SQL, and in the same
    statement record `also_sent` sent: this runs for every email sent, and building it through
    the ORM cost more than the email's own MIME. Whether the row was updated."""
    values = {**values, **more}
    where = {"id": notification_id, **(only_if or {})}
    unknown = (set(values) | set(where)) - _DELIVERY_COLUMNS
    assert not unknown, f"not a column a delivery writes: {unknown}"
    quote = connection.ops.quote_name
    table = quote(Notification._meta.db_table)
    assignments = ", ".join(f"{quote(name)} = %s" for name in values)
    conditions = " AND ".join(f"{quote(name)} = %s" for name in where)
    sql = f"UPDATE {table} SET {assignments} WHERE {conditions}"  # noqa: S608
    params = [*values.values(), *where.values()]
    if also_sent is not None:
        # A data-modifying WITH runs whether or not the main UPDATE finds its row.
        sql = (
            f"WITH recorded AS (UPDATE {table} SET status = %s, last_error = %s, "  # noqa: S608
            f"sent_at = %s WHERE id = %s) {sql}"
        )
        params = [*_SENT.values(), also_sent.sent_at, also_sent.pk, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.rowcount == 1)


def _claim_as(
    notification: Notification, batch: _Batch, status: DeliveryStatus, error: str
) -> DeliveryStatus | None:
    """Claim a row that will not be sent and settle it in the same statement."""
    if not _claim(notification, batch, status=status, last_error=error):
        return None
    return status


def _email(notification: Notification, built: registry.Message) -> EmailMultiAlternatives:
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
    return message


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _failed(notification: Notification, exc: Exception) -> DeliveryStatus:
    log.exception("notification %s could not be sent", notification.pk)
    _settle(notification, DeliveryStatus.FAILED, _reason(exc))
    return DeliveryStatus.FAILED


def _settle(notification: Notification, status: DeliveryStatus, error: str, **updates: Any) -> None:
    _row_update(notification.pk, {"status": status, "last_error": error, **updates})
    if error:
        log.warning("notification %s: %s (%s)", notification.pk, error, status)


def _send_on_channel(
    notification: Notification,
    deliver: registry.Deliver,
    listeners: Sequence[registry.SentListener],
) -> DeliveryStatus:
    """A row its app delivers on another channel (Slack): the same claim, retries and record
    as an email."""
    try:
        outcome = deliver(notification)
    except registry.Refused as refusal:
        return _refused(notification, refusal.transient, refusal.reason[:2000])
    if isinstance(outcome, registry.Suppress):
        # Things changed since the row was written: never send.
        Notification.objects.filter(pk=notification.pk).update(
            status=DeliveryStatus.SUPPRESSED, last_error=outcome.reason
        )
        return DeliveryStatus.SUPPRESSED
    return _sent(notification, listeners)


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


def _sent(notification: Notification, listeners: Sequence[registry.SentListener]) -> DeliveryStatus:
    """Record the row sent, then tell whoever asked to hear of it (registry.on_sent), each in
    its own transaction. The message is out by now, so a listener that fails is logged, never
    allowed to undo the record: that would send it twice. (Settling first keeps an email's
    send at one write when no listener has anything to do.)"""
    notification.sent_at = timezone.now()
    _settle(notification, DeliveryStatus.SENT, "", sent_at=notification.sent_at)
    for listener in listeners:
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
    for batch in _batches(due):
        current_app.tasks[DELIVER_MANY].delay(batch)
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

"""The outbox on its own: handlers looked up by kind, the row's clock, and the retry policy."""

from __future__ import annotations

import ast
import smtplib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from notifications import registry, retry
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.services import notification_deliver

pytestmark = pytest.mark.django_db


def _row(
    kind: NotificationKind = NotificationKind.STAFF_QUESTION, **fields: object
) -> Notification:
    values: dict[str, object] = {
        "kind": kind,
        "idempotency_key": f"test:{Notification.objects.count()}",
        "recipient_email": "pm@example.com",
        "subject": "A question",
        "body_text": "Which invoices?",
        "message_id": "<1@feedbackloop.test>",
        **fields,
    }
    return Notification.objects.create(**values)


def test_every_kind_is_registered_by_the_app_that_owns_it() -> None:
    unowned = [
        kind
        for kind in NotificationKind
        if registry.handler_for(kind) is None and registry.deliverer_for(kind) is None
    ]
    assert unowned == []
    assert registry.channel_of(NotificationKind.CUSTOMER_SHIPPED) == "email"
    assert registry.channel_of(NotificationKind.SLACK_CUSTOMER_TOLD) == "slack"
    assert NotificationKind.CUSTOMER_SHIPPED not in registry.staff_notice_kinds()
    assert NotificationKind.SESSION_INVITE in registry.staff_notice_kinds()


def test_a_kind_without_a_handler_fails_on_its_row_with_the_reason(monkeypatch) -> None:
    monkeypatch.delitem(registry._handlers, NotificationKind.STAFF_QUESTION)
    row = _row()
    assert notification_deliver(notification_id=row.pk) == DeliveryStatus.FAILED
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert "no handler registered for kind 'staff_question'" in row.last_error
    assert mail.outbox == []


def test_a_handler_builds_the_message_at_send_time_and_the_first_rendering_is_kept(
    monkeypatch,
) -> None:
    words = iter(["first words", "second words"])

    def handler(notification: Notification) -> registry.Message | registry.Suppress:
        if notification.recipient_email.startswith("gone"):
            return registry.Suppress("gone away")
        if notification.body_text:
            return registry.as_recorded(notification)
        return registry.Message("Rendered", next(words), "<p>html</p>", {"X-Test": "1"})

    monkeypatch.setitem(registry._handlers, NotificationKind.CUSTOMER_SHIPPED, handler)
    row = _row(NotificationKind.CUSTOMER_SHIPPED, body_text="")
    assert notification_deliver(notification_id=row.pk) == DeliveryStatus.SENT
    [sent] = mail.outbox
    assert (sent.subject, sent.body, sent.extra_headers["X-Test"]) == (
        "Rendered",
        "first words",
        "1",
    )
    row.refresh_from_db()
    assert (row.subject, row.body_text, row.body_html) == ("Rendered", "first words", "<p>html</p>")

    # A resend (its worker died mid-send) carries the words rendered the first time.
    Notification.objects.filter(pk=row.pk).update(status=DeliveryStatus.PENDING)
    notification_deliver(notification_id=row.pk)
    assert [m.body for m in mail.outbox] == ["first words", "first words"]

    gone = _row(NotificationKind.CUSTOMER_SHIPPED, recipient_email="gone@example.com")
    assert notification_deliver(notification_id=gone.pk) == DeliveryStatus.SUPPRESSED
    gone.refresh_from_db()
    assert (gone.status, gone.last_error) == (DeliveryStatus.SUPPRESSED, "gone away")


def test_the_rows_next_attempt_at_is_the_only_clock() -> None:
    later = _row(next_attempt_at=timezone.now() + timedelta(minutes=5))
    # A message that arrives before the row is due (early, or a second copy) does nothing.
    assert notification_deliver(notification_id=later.pk) is None
    later.refresh_from_db()
    assert (later.status, later.attempts) == (DeliveryStatus.PENDING, 0)
    Notification.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now())
    assert notification_deliver(notification_id=later.pk) == DeliveryStatus.SENT


def test_a_refused_send_waits_with_backoff_then_fails_after_the_last_attempt(monkeypatch) -> None:
    def busy(*args: object, **kwargs: object) -> None:
        raise smtplib.SMTPDataError(421, b"busy")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", busy)
    row = _row()
    for attempt in range(1, retry.MAX_ATTEMPTS + 1):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)
        status = notification_deliver(notification_id=row.pk)
        row.refresh_from_db()
        assert row.attempts == attempt
        assert "SMTP 421" in row.last_error
        if attempt < retry.MAX_ATTEMPTS:
            assert status == DeliveryStatus.PENDING
            assert row.next_attempt_at is not None
            assert row.next_attempt_at > timezone.now()
    assert status == DeliveryStatus.FAILED


def test_the_retry_policy() -> None:
    base = settings.NOTIFICATION_BACKOFF_SECONDS
    for attempts in range(1, 20):
        wait = retry.backoff(attempts).total_seconds()
        assert (
            min(1.0, base)
            <= wait
            <= min(retry.BACKOFF_CAP.total_seconds(), base * 2 ** (attempts - 1))
        )
    # A held ETA message must not outlive Redis's visibility timeout (see notifications.retry).
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert retry.BACKOFF_CAP.total_seconds() <= visibility
    assert settings.NOTIFICATION_STUCK_SECONDS > settings.EMAIL_TIMEOUT

    now = timezone.now()
    assert retry.next_attempt_at(attempts=1, transient=True, now=now) is not None
    assert retry.next_attempt_at(attempts=retry.MAX_ATTEMPTS, transient=True, now=now) is None
    assert retry.next_attempt_at(attempts=1, transient=False, now=now) is None

    greylisted = smtplib.SMTPRecipientsRefused({"a@b.example": (450, b"later")})
    unknown = smtplib.SMTPRecipientsRefused({"a@b.example": (550, b"no such user")})
    assert retry.refusal(greylisted)[0] is True
    assert retry.refusal(unknown)[0] is False
    assert retry.refusal(smtplib.SMTPDataError(554, b"spam"))[0] is False
    assert retry.refusal(ConnectionRefusedError("refused")) == (
        True,
        "ConnectionRefusedError: refused",
    )


def test_the_outbox_imports_nothing_above_it() -> None:
    """notifications may import core and accounts; the apps above it register with it."""
    above = {"intake", "triage", "sessions", "feedbackloop"}
    package = Path(__file__).resolve().parent.parent
    found = []
    for path in package.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in above]
    assert found == []


# ---------------------------------------------------------------------------------------------
# Delivery never gets stuck


def test_a_handler_that_raises_fails_its_row_and_the_rest_of_the_batch_is_sent(
    monkeypatch,
) -> None:
    from notifications.tasks import deliver_many

    real = registry.handler_for(NotificationKind.STAFF_QUESTION)
    assert real is not None

    def handler(notification: Notification) -> registry.Message | registry.Suppress:
        if notification.recipient_email.startswith("broken"):
            raise KeyError("a template variable that is not there")
        return real(notification)

    monkeypatch.setitem(registry._handlers, NotificationKind.STAFF_QUESTION, handler)
    rows = [_row(recipient_email=f"{who}@example.com") for who in ("first", "broken", "last")]
    counts = deliver_many([row.pk for row in rows])

    assert counts == {DeliveryStatus.SENT: 2, DeliveryStatus.FAILED: 1}
    assert sorted(message.to[0] for message in mail.outbox) == [
        "first@example.com",
        "last@example.com",
    ]
    broken = Notification.objects.get(pk=rows[1].pk)
    assert broken.status == DeliveryStatus.FAILED
    assert broken.last_error == "KeyError: 'a template variable that is not there'"


def test_a_subject_django_refuses_fails_the_row_instead_of_leaving_it_sending() -> None:
    row = _row(subject="Shipped\r\nBcc: everyone@example.com")
    assert notification_deliver(notification_id=row.pk) == DeliveryStatus.FAILED
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED
    assert row.last_error.startswith("BadHeaderError")
    assert mail.outbox == []


def test_a_row_that_stalls_twice_fails_instead_of_going_round_for_ever() -> None:
    from notifications.services import notifications_sweep

    row = _row()
    for stall in (1, 2):
        # A worker claims it and dies mid-send.
        Notification.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.SENDING, claimed_at=timezone.now(), attempts=stall
        )
        # The sweep a moment later, with no grace: the row written just now is not re-queued yet.
        result = notifications_sweep(
            now=timezone.now() + timedelta(seconds=1), stuck_after=timedelta(0)
        )
        row.refresh_from_db()
        if stall == 1:
            assert (result["released"], result["failed"]) == (1, 0)
            assert (row.status, row.stalls) == (DeliveryStatus.PENDING, 1)
    assert (result["released"], result["failed"]) == (0, 1)
    assert row.status == DeliveryStatus.FAILED
    assert "stalled twice" in row.last_error


def test_a_kind_on_another_channel_is_delivered_by_its_app_with_the_same_retries(
    monkeypatch,
) -> None:
    outcomes: list[object] = [
        registry.Refused("slow down", transient=True),
        None,
        registry.Refused("no such channel", transient=False),
        registry.Suppress("nobody to tell"),
    ]
    delivered: list[int] = []

    def deliver(notification: Notification) -> registry.Suppress | None:
        outcome = outcomes.pop(0)
        if isinstance(outcome, registry.Refused):
            raise outcome
        delivered.append(notification.pk)
        return outcome  # type: ignore[return-value]

    monkeypatch.setitem(registry._channels, NotificationKind.SLACK_TEST, ("chat", deliver))
    row = _row(NotificationKind.SLACK_TEST)
    assert notification_deliver(notification_id=row.pk) == DeliveryStatus.PENDING
    row.refresh_from_db()
    assert (row.last_error, row.attempts) == ("slow down", 1)
    assert row.next_attempt_at is not None
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert notification_deliver(notification_id=row.pk) == DeliveryStatus.SENT
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, "")
    assert row.sent_at is not None
    assert notification_deliver(notification_id=_row(NotificationKind.SLACK_TEST).pk) == (
        DeliveryStatus.FAILED
    )
    assert notification_deliver(notification_id=_row(NotificationKind.SLACK_TEST).pk) == (
        DeliveryStatus.SUPPRESSED
    )
    assert delivered == [row.pk, row.pk + 2]
    assert mail.outbox == []  # none of it went by email


def test_listeners_hear_of_a_row_only_once_it_was_sent_and_cannot_undo_it(monkeypatch) -> None:
    heard: list[tuple[int, str]] = []

    def listener(notification: Notification) -> None:
        status = Notification.objects.get(pk=notification.pk).status
        heard.append((notification.pk, status))
        _row(NotificationKind.STAFF_ANSWER, idempotency_key=f"heard:{notification.pk}")
        if len(heard) == 2:
            raise RuntimeError("the listener broke")

    monkeypatch.setitem(registry._sent_listeners, NotificationKind.STAFF_QUESTION, [listener])
    refused = _row()

    def refuse(*args: object, **kwargs: object) -> None:
        raise smtplib.SMTPResponseException(451, b"later")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
        assert notification_deliver(notification_id=refused.pk) == DeliveryStatus.PENDING
    assert heard == []  # queued and refused is not sent

    first, second = _row(), _row()
    assert notification_deliver(notification_id=first.pk) == DeliveryStatus.SENT
    assert heard == [(first.pk, DeliveryStatus.SENT)]
    assert Notification.objects.filter(idempotency_key=f"heard:{first.pk}").exists()
    # A listener that fails is logged; its writes roll back, the row stays sent (not sent twice).
    assert notification_deliver(notification_id=second.pk) == DeliveryStatus.SENT
    assert Notification.objects.get(pk=second.pk).status == DeliveryStatus.SENT
    assert not Notification.objects.filter(idempotency_key=f"heard:{second.pk}").exists()
    assert len(mail.outbox) == 2


def test_a_batch_builds_its_messages_with_the_batch_handler_or_falls_back_to_each_rows(
    monkeypatch,
) -> None:
    from notifications.services import notifications_deliver

    kind = NotificationKind.STAFF_QUESTION
    loaded: list[list[int]] = []

    def handler(notification: Notification) -> registry.Message:
        return registry.Message("One by one", notification.body_text)

    def batch(rows: Sequence[Notification]) -> registry.Handler:
        loaded.append([row.pk for row in rows])
        return lambda notification: registry.Message("Batched", notification.body_text)

    monkeypatch.setitem(registry._handlers, kind, handler)
    monkeypatch.setitem(registry._batch_handlers, kind, (handler, batch))
    rows = [_row(kind) for _ in range(3)]
    assert notifications_deliver(notification_ids=[row.pk for row in rows]) == {
        row.pk: DeliveryStatus.SENT for row in rows
    }
    assert loaded == [[row.pk for row in rows]]  # loaded once, for the whole batch
    assert [m.subject for m in mail.outbox] == ["Batched"] * 3

    # A batch loader that raises costs the batch nothing: each row builds its own message.
    def broken(rows: Sequence[Notification]) -> registry.Handler:
        raise RuntimeError("the batch query failed")

    monkeypatch.setitem(registry._batch_handlers, kind, (handler, broken))
    mail.outbox.clear()
    more = [_row(kind) for _ in range(2)]
    assert set(notifications_deliver(notification_ids=[row.pk for row in more]).values()) == {
        DeliveryStatus.SENT
    }
    assert [m.subject for m in mail.outbox] == ["One by one"] * 2


def test_a_listener_nobody_listens_to_is_left_out_of_the_batch(monkeypatch) -> None:
    from notifications.services import notifications_deliver

    kind = NotificationKind.STAFF_QUESTION
    heard: list[int] = []
    asked: list[bool] = []
    listening = [False]

    def listener(notification: Notification) -> None:
        heard.append(notification.pk)

    def anyone() -> bool:
        asked.append(listening[0])
        return listening[0]

    monkeypatch.setitem(registry._sent_listeners, kind, [listener])
    monkeypatch.setitem(registry._listening, listener, anyone)
    quiet = [_row(kind) for _ in range(3)]
    notifications_deliver(notification_ids=[row.pk for row in quiet])
    assert (heard, asked) == ([], [False])  # asked once for the batch, not once a row

    listening[0] = True
    loud = [_row(kind) for _ in range(2)]
    notifications_deliver(notification_ids=[row.pk for row in loud])
    assert heard == [row.pk for row in loud]
    assert len(mail.outbox) == 5

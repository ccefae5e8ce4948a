"""The outbox on its own: each kind's handler, looked up when a row is sent."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core import mail

from notifications import registry
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
    assert [kind for kind in NotificationKind if registry.handler_for(kind) is None] == []
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

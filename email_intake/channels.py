"""The email channel's rows on the admins' Channels page (notifications.channels): the provider
webhook and the IMAP mailbox, each with its last message and last error, and a test email
through the outbox for the outbound side."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from email_intake.imap import configured_mailbox
from email_intake.models import InboundEmail, Via, WayInHealth
from email_intake.services import feedback_address
from notifications import channels
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.services import notification_record


def _last_received(via: Via) -> dict[str, object]:
    return InboundEmail.objects.filter(via=via).aggregate(last=Max("received_at"))


def _health(via: Via) -> WayInHealth | None:
    return WayInHealth.objects.filter(via=via).first()


def _last_test() -> str:
    test = (
        Notification.objects.filter(kind=NotificationKind.CHANNEL_TEST)
        .order_by("-created_at", "-id")
        .first()
    )
    if test is None:
        return ""
    when = timezone.localtime(test.sent_at or test.created_at).strftime("%b %-d, %H:%M")
    if test.status == DeliveryStatus.SENT:
        return f"Test email to {test.recipient_email} sent {when}."
    if test.status == DeliveryStatus.FAILED:
        return f"Test email to {test.recipient_email} failed: {test.last_error}"
    if test.status == DeliveryStatus.PENDING and test.last_error:
        return f"Test email to {test.recipient_email} waits to be tried again: {test.last_error}"
    return f"Test email to {test.recipient_email} queued {when}; the worker sends it."


def email_test_send(admin: User) -> str:
    """A test email to the admin through the outbox, as the replies to reps go."""
    if not admin.email:
        return "Add an email address to your profile first: the test goes to you."
    now = timezone.now()
    context = {"admin": admin, "feedback_address": feedback_address()}
    notification_record(
        kind=NotificationKind.CHANNEL_TEST,
        idempotency_key=f"channel-test:email:{admin.pk}:{now.timestamp()}",
        recipient_email=admin.email,
        recipient_user=admin,
        subject="FeedbackLoop: a test of outgoing email",
        body_text=render_to_string("email_intake/email/channel_test.txt", context),
        body_html=render_to_string("email_intake/email/channel_test.html", context),
    )
    return f"A test email to {admin.email} is on its way; this page shows how it went."


def webhook_state() -> channels.ChannelState:
    health = _health(Via.WEBHOOK)
    example = settings.SITE_URL + reverse("anymail:postmark_inbound_webhook")
    configured = bool(settings.ANYMAIL_WEBHOOK_SECRET)
    return channels.ChannelState(
        configured=configured,
        setup=(
            f"Mail to {feedback_address()} is posted by your provider to "
            f"{example.replace('/postmark/', '/<provider>/')} (e.g. {example}) with basic auth."
            if configured
            else "Set ANYMAIL_WEBHOOK_SECRET (user:password) and point your provider's "
            "inbound webhook at /anymail/<provider>/inbound/."
        ),
        last_received_at=_last_received(Via.WEBHOOK)["last"],  # type: ignore[arg-type]
        last_error=health.last_error if health else "",
        last_error_at=health.last_error_at if health else None,
        last_test=_last_test(),
    )


def imap_state() -> channels.ChannelState:
    mailbox = configured_mailbox()
    health = _health(Via.IMAP)
    if mailbox is None:
        setup = "Set INBOUND_IMAP_URL (imaps://user:password@host/INBOX) to poll a mailbox."
    else:
        polled = (
            f"; last read {timezone.localtime(health.last_ok_at):%b %-d, %H:%M}"
            if health and health.last_ok_at
            else "; not read yet (the worker and beat read it every minute)"
        )
        setup = f"Reads {mailbox} every minute{polled}."
    return channels.ChannelState(
        configured=mailbox is not None,
        setup=setup,
        last_received_at=_last_received(Via.IMAP)["last"],  # type: ignore[arg-type]
        last_error=health.last_error if health else "",
        last_error_at=health.last_error_at if health else None,
        last_test=_last_test(),
    )


def register_channels() -> None:
    channels.register(
        channels.Channel(
            key="email-webhook",
            name="Email: provider webhook",
            state=webhook_state,
            send_test=email_test_send,
            test_label="Send a test email",
        )
    )
    channels.register(
        channels.Channel(
            key="email-imap",
            name="Email: IMAP mailbox",
            state=imap_state,
            send_test=email_test_send,
            test_label="Send a test email",
        )
    )

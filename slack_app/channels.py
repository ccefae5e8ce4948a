"""Slack's row on the admins' Channels page (notifications.channels): connected or not, when a
request from Slack last came in, the last thing that went wrong, and a test message through the
outbox."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from core.errors import DomainError
from notifications import channels
from notifications.models import DeliveryStatus, Notification, NotificationKind
from slack_app import client
from slack_app.selectors import slack_activity
from slack_app.services import slack_test_send


def _last_test() -> str:
    test = (
        Notification.objects.filter(kind=NotificationKind.SLACK_TEST)
        .order_by("-created_at", "-id")
        .first()
    )
    if test is None:
        return ""
    where = (
        f"channel {test.recipient_address}" if test.recipient_address else "your direct messages"
    )
    when = timezone.localtime(test.sent_at or test.created_at).strftime("%b %-d, %H:%M")
    if test.status == DeliveryStatus.SENT:
        return f"Test message to {where} posted {when}."
    if test.status == DeliveryStatus.SUPPRESSED:
        return f"Test message not posted: {test.last_error}"
    if test.status == DeliveryStatus.FAILED:
        return f"Test message to {where} failed: {test.last_error}"
    if test.last_error:
        return f"Test message to {where} waits to be tried again: {test.last_error}"
    return f"Test message to {where} queued {when}; the worker posts it."


def slack_state() -> channels.ChannelState:
    activity = slack_activity()
    if client.configured():
        ship = (
            f"; shipped initiatives are announced in channel {settings.SLACK_SHIP_CHANNEL}"
            if settings.SLACK_SHIP_CHANNEL
            else "; set SLACK_SHIP_CHANNEL to announce shipped initiatives"
        )
        setup = f"/feedback and “File as feedback” file tickets{ship}."
    else:
        setup = (
            "Set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (README, “Connect Slack”: the app "
            "manifest to paste into Slack)."
        )
    return channels.ChannelState(
        configured=client.configured(),
        setup=setup,
        last_received_at=activity.last_request_at,
        last_error=activity.last_error,
        last_error_at=activity.last_error_at,
        last_test=_last_test(),
    )


def slack_test(admin: User) -> str:
    """The page's button: a test message, or why none can go."""
    try:
        slack_test_send(by=admin)
    except DomainError as error:
        return error.message
    where = "the ship channel" if settings.SLACK_SHIP_CHANNEL else "your Slack direct messages"
    return f"A test message to {where} is on its way; this page shows how it went."


def register_channel() -> None:
    channels.register(
        channels.Channel(
            key="slack",
            name="Slack",
            state=slack_state,
            send_test=slack_test,
            test_label="Send a test message",
        )
    )

"""What the Slack app sends through the outbox, and when it records it.

Its rows are written like any email's (notifications.services.notification_record), with the
words rendered when they are written, and delivered by `deliver` on the Slack channel
(registered in slack_app.apps): to a channel or a person's direct message, found by the row's
`recipient_address`, or by the recipient's email when Slack's user id is not known.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from slack_sdk.errors import SlackApiError

from intake.models import Ticket, TicketStatus
from notifications.models import Notification, NotificationKind
from notifications.registry import Refused, Suppress
from notifications.services import notification_record
from slack_app import client
from slack_app.modal import mrkdwn_escape
from slack_app.services import activity_error
from triage.models import Initiative

SLACK_KINDS = (
    NotificationKind.SLACK_CUSTOMER_TOLD,
    NotificationKind.SLACK_SHIPPED,
    NotificationKind.SLACK_NOT_STAFF,
    NotificationKind.SLACK_TEST,
)
# How many companies a ship announcement names before "and N more".
ANNOUNCED_MAX = 10


def _where(notification: Notification) -> str | Suppress:
    """The channel to post in: the row's own (a channel id, or a user's DM opened now), else
    the direct message of the Slack user with the recipient's email."""
    web = client.web_client()
    address = notification.recipient_address
    if not address:
        try:
            found = web.users_lookupByEmail(email=notification.recipient_email)
        except SlackApiError as exc:
            if exc.response.get("error") == "users_not_found":
                return Suppress(f"no Slack account has the email {notification.recipient_email}")
            raise
        address = str(found["user"]["id"])
    if address[:1] in ("U", "W"):  # a person: their direct message with the app
        opened = web.conversations_open(users=address)
        return str(opened["channel"]["id"])
    return address


def deliver(notification: Notification) -> Suppress | None:
    """Post one row on Slack (the outbox's deliverer for SLACK_KINDS)."""
    if not client.configured():
        return Suppress("Slack is not connected (SLACK_BOT_TOKEN is not set)")
    try:
        channel = _where(notification)
        if isinstance(channel, Suppress):
            return channel
        client.web_client().chat_postMessage(
            channel=channel, text=notification.body_text, unfurl_links=False
        )
    except (SlackApiError, OSError) as exc:
        refused: Refused = client.refusal(exc)
        activity_error(refused.reason)
        raise refused from exc
    return None


def _link(path: str, label: str) -> str:
    return f"<{settings.SITE_URL}{path}|{mrkdwn_escape(label)}>"


def customer_told_record(notification: Notification) -> None:
    """The customer email of a ship was sent (registry.on_sent): each rep who filed that
    customer's ask gets a direct message, once."""
    if not client.configured() or notification.initiative_id is None:
        return
    if notification.contact_id is None:
        return
    tickets = list(
        Ticket.objects.filter(
            initiative_id=notification.initiative_id,
            contact_id=notification.contact_id,
            status__in=TicketStatus.counted(),
        )
        .select_related("submitted_by", "customer", "initiative", "contact")
        .defer("search_vector", "initiative__search_vector")
        .order_by("created_at", "id")
    )
    reps = {ticket.submitted_by_id: ticket for ticket in tickets if ticket.submitted_by.email}
    for ticket in reps.values():
        initiative = ticket.initiative
        assert initiative is not None
        rep = ticket.submitted_by
        sent = int(notification.sent_at.timestamp()) if notification.sent_at else 0
        when = f"<!date^{sent}^{{date_short_pretty}} at {{time}}|just now>" if sent else "now"
        text = (
            f"{mrkdwn_escape(ticket.customer.name)} ({mrkdwn_escape(ticket.contact.email)}) "
            f"was told that “{mrkdwn_escape(initiative.title)}” shipped: the email went out "
            f"{when}. " + _link(reverse("triage:initiative", args=[initiative.pk]), "Open it")
        )
        notification_record(
            kind=NotificationKind.SLACK_CUSTOMER_TOLD,
            idempotency_key=f"slack-told:{initiative.pk}:{ticket.contact_id}:{rep.pk}",
            recipient_email=rep.email,
            recipient_user=rep,
            subject=f"{ticket.customer.name} was told that {initiative.title} shipped",
            body_text=text,
            contact=ticket.contact,
            ticket=ticket,
            initiative=initiative,
        )


def ship_announcement_record(initiative: Initiative, asks: list[list[Ticket]]) -> None:
    """An initiative shipped (triage.shipping): announce it in SLACK_SHIP_CHANNEL, if set, with
    the companies that asked and who filed each; once per initiative."""
    if not client.configured() or not settings.SLACK_SHIP_CHANNEL:
        return
    by_company: dict[str, set[str]] = {}
    for tickets in asks:
        for ticket in tickets:
            by_company.setdefault(ticket.contact.customer.name, set()).add(
                ticket.submitted_by.display_name
            )
    names = sorted(by_company, key=str.casefold)
    shown = [
        f"{mrkdwn_escape(name)} (via {mrkdwn_escape(', '.join(sorted(by_company[name])))})"
        for name in names[:ANNOUNCED_MAX]
    ]
    more = len(names) - len(shown)
    asked = "; ".join(shown) + (f"; and {more} more" if more else "")
    link = _link(reverse("triage:initiative", args=[initiative.pk]), initiative.title)
    lines = [f":rocket: Shipped: *{link}*"]
    if asked:
        lines.append(f"Asked for by {len(names)} customer{'s' if len(names) != 1 else ''}: {asked}")
    if initiative.release_note:
        lines.append(mrkdwn_escape(initiative.release_note[:2000]))
    notification_record(
        kind=NotificationKind.SLACK_SHIPPED,
        idempotency_key=f"slack-shipped:{initiative.pk}",
        recipient_email="",
        recipient_address=settings.SLACK_SHIP_CHANNEL,
        subject=f"Shipped: {initiative.title}",
        body_text="\n".join(lines),
        initiative=initiative,
    )

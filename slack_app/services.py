"""Writes for the Slack app: filing what a rep submitted in the modal, the private messages it
sends through the outbox, and what the Channels page records of Slack."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from slack_sdk.errors import SlackApiError

import audit
from accounts.models import User
from audit.actions import Action
from core.errors import DomainError
from intake.models import Customer, SourceTeam, Ticket, TicketSource
from intake.services import product_area_by_slug, ticket_create
from notifications.models import Notification, NotificationKind
from notifications.policies import ensure_may_manage_channels
from notifications.services import notification_record
from slack_app import client
from slack_app.modal import Origin, Submission, filing_view, mrkdwn_escape
from slack_app.models import SlackActivity
from slack_app.selectors import product_areas, staff_by_email
from triage.models import Initiative
from triage.selectors import initiative_get, similar_feedback
from triage.services import initiative_customer_add

# Initiatives looked up for the modal: declined ones are shown apart, so ask for a few more.
SIMILAR_LOOKED_UP = 8


def activity_request() -> None:
    """A request signed by Slack came in (the Channels page shows when)."""
    updated = SlackActivity.objects.update(last_request_at=timezone.now())
    if not updated:
        SlackActivity.objects.create(last_request_at=timezone.now())


def activity_error(error: str) -> None:
    """Something about Slack went wrong: kept for the Channels page, the newest only."""
    now = timezone.now()
    updated = SlackActivity.objects.update(last_error=error[:500], last_error_at=now)
    if not updated:
        SlackActivity.objects.create(last_error=error[:500], last_error_at=now)


def app_removed(*, event_type: str, team_id: str = "") -> None:
    """Slack says the app was uninstalled or its tokens revoked: the Channels page says so, and
    the audit log keeps it (no one here did it: Slack's workspace admin did)."""
    activity_error("The app was removed from the Slack workspace: install it again.")
    audit.record(
        Action.INTEGRATION_REMOVED,
        actor_name="Slack",
        target_label="Slack",
        changes={"event": event_type, "team": team_id},
    )


def staff_for_slack_user(*, slack_user: str) -> tuple[User | None, str]:
    """The active member of staff a Slack user is, matched on the email of their Slack profile
    (users.info), and that email. Raises what the Web API call raises."""
    answer = client.web_client(timeout=client.IN_REQUEST_TIMEOUT).users_info(user=slack_user)
    profile = answer.get("user") or {}
    if profile.get("deleted") or profile.get("is_bot"):
        return None, ""
    email = str((profile.get("profile") or {}).get("email") or "")
    return staff_by_email(email=email), email


NOT_STAFF_TEXT = (
    "FeedbackLoop does not know you yet, so nothing was filed. Ask an admin to add you "
    "as a member of staff with the email of your Slack profile{email}, then try again."
)


def not_staff_text(email: str) -> str:
    return NOT_STAFF_TEXT.format(email=f" ({mrkdwn_escape(email)})" if email else "")


def not_staff_tell(*, slack_user: str, email: str, interaction: str) -> Notification | None:
    """Tell someone Slack knows but FeedbackLoop does not, in a direct message (through the
    outbox), that an admin must add them; once per interaction."""
    text = not_staff_text(email)
    return notification_record(
        kind=NotificationKind.SLACK_NOT_STAFF,
        idempotency_key=f"slack-not-staff:{slack_user}:{interaction}"[:200],
        recipient_email=email if len(email) <= 254 else "",
        recipient_address=slack_user,
        subject="Ask an admin to add you to FeedbackLoop",
        body_text=text,
    )


def _company(submission: Submission) -> str:
    if submission.customer_id is not None:
        customer = Customer.objects.filter(pk=submission.customer_id).only("name").first()
        if customer is None:
            raise DomainError("That company no longer exists; pick it again.", field="company")
        return customer.name
    if not submission.company.strip():
        raise DomainError("Type the customer's company and pick it.", field="company")
    return submission.company


def _posted_at(message_ts: str) -> datetime.datetime | None:
    """When a Slack message was posted: its `ts` is seconds since the epoch ("1764130000.0001")."""
    try:
        seconds = float(message_ts)
    except ValueError:
        return None
    if not 0 < seconds < 32503680000:  # before the year 3000
        return None
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def permalink_fill(*, origin: Origin) -> Origin:
    """The message's permalink, asked for now if the modal's task has not brought it yet
    (chat.getPermalink; without it the ticket is filed all the same)."""
    if origin.permalink or not (origin.channel and origin.message_ts):
        return origin
    try:
        found = client.web_client(timeout=client.IN_REQUEST_TIMEOUT).chat_getPermalink(
            channel=origin.channel, message_ts=origin.message_ts
        )
    except (SlackApiError, OSError) as exc:
        activity_error(f"chat.getPermalink: {client.api_error(exc)}")
        return origin
    return replace(origin, permalink=str(found.get("permalink") or "")[:500])


@transaction.atomic
def feedback_file(
    *, user: User, origin: Origin, submission: Submission
) -> tuple[Ticket, Initiative | None]:
    """File what the rep submitted in the modal, as they would in the web form: a ticket that
    waits in the inbox, or one counted for the similar initiative they chose."""
    fields: dict[str, Any] = {
        "title": submission.title,
        "description": submission.description,
        "company": _company(submission),
        "email": submission.email,
        "source_team": user.team if user.team in SourceTeam.values else SourceTeam.OTHER,
        "kind": submission.kind,
        "importance": submission.importance,
        "product_area": product_area_by_slug(submission.product_area or None),
        # Where it came from: the message (its permalink, author and time), or /feedback.
        "source": TicketSource.SLACK,
        "source_reference": origin.permalink,
        "source_sender": origin.author_name,
        "source_sent_at": _posted_at(origin.message_ts),
    }
    if submission.initiative_id is None:
        return ticket_create(submitted_by=user, **fields), None
    initiative = initiative_get(initiative_id=submission.initiative_id)
    if initiative is None:
        raise DomainError(
            "That initiative no longer exists; file the ticket on its own.", field="initiative"
        )
    return initiative_customer_add(initiative=initiative, submitted_by=user, **fields), initiative


def slack_test_send(*, by: User) -> Notification | None:
    """An admin checks the connection: a test message through the outbox, to the ship channel
    if one is set, else to the admin's own Slack (found by their email)."""
    ensure_may_manage_channels(by)
    if not client.configured():
        raise DomainError(
            "Slack is not connected: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN.",
            code="conflict",
        )
    where = "this channel" if settings.SLACK_SHIP_CHANNEL else "you"
    return notification_record(
        kind=NotificationKind.SLACK_TEST,
        idempotency_key=f"slack-test:{uuid.uuid4()}",
        recipient_email=by.email,
        recipient_user=by,
        recipient_address=settings.SLACK_SHIP_CHANNEL,
        subject="A test message from FeedbackLoop",
        body_text=(
            f"A test from FeedbackLoop, sent by {mrkdwn_escape(by.display_name)}: Slack is "
            f"connected, and shipped initiatives and customer news reach {where}."
        ),
    )


def _slack_name(slack_user: str) -> str:
    """How a Slack user is called (their profile's real or display name), or "" if Slack will
    not say: the ticket's page names who wrote the message it came from."""
    try:
        found = client.web_client().users_info(user=slack_user)
    except (SlackApiError, OSError):
        return ""  # someone from another workspace, a deleted user: the message stays unnamed
    profile = (found.get("user") or {}).get("profile") or {}
    return str(profile.get("real_name") or profile.get("display_name") or "")[:200]


def modal_similar_show(*, view_id: str, view_hash: str, origin: Origin) -> bool:
    """Fill in what the just-opened modal could not wait for: the message's permalink and the
    initiatives like what it says (views.update; Slack keeps what the rep typed meanwhile).
    False if the rep moved on first (the view changed) or Slack refused."""
    web = client.web_client()
    if origin.channel and origin.message_ts and not origin.permalink:
        try:
            found = web.chat_getPermalink(channel=origin.channel, message_ts=origin.message_ts)
            origin = replace(origin, permalink=str(found.get("permalink") or ""))
        except (SlackApiError, OSError) as exc:
            activity_error(f"chat.getPermalink: {client.api_error(exc)}")
    if origin.author and not origin.author_name:
        origin = replace(origin, author_name=_slack_name(origin.author))
    similar = similar_feedback(text=origin.text, limit=SIMILAR_LOOKED_UP).initiatives
    view = filing_view(origin=origin, product_areas=product_areas(), similar=similar)
    try:
        web.views_update(view_id=view_id, hash=view_hash, view=view)
    except (SlackApiError, OSError) as exc:
        if isinstance(exc, SlackApiError) and exc.response.get("error") == "hash_conflict":
            return False  # the rep submitted or closed it already
        activity_error(f"views.update: {client.api_error(exc)}")
        return False
    return True

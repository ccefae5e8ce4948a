"""How a reply to an email is sent: as recorded, in the thread of the email it answers, and
marked automatic so that an auto-responder at the other end does not answer it back."""

from __future__ import annotations

from email_intake.models import InboundEmail
from notifications.models import Notification
from notifications.registry import Message


def reply_message(notification: Notification) -> Message:
    headers = {"Auto-Submitted": "auto-replied"}
    _, _, pk = notification.idempotency_key.partition("email-reply:")
    key = (
        InboundEmail.objects.filter(pk=int(pk)).values_list("message_key", flat=True).first()
        if pk.isdigit()
        else None
    )
    if key and key.startswith("<"):
        headers.update({"In-Reply-To": key, "References": key})
    return Message(
        subject=notification.subject,
        body_text=notification.body_text,
        body_html=notification.body_html,
        headers=headers,
    )

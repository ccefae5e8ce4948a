"""Which app sends each kind of notification, and how its message is built at send time.

The outbox knows no domain: a row carries a kind and the ids of what it is about, and the app that
owns the kind registers its handler from its AppConfig.ready(). When a worker sends a row it asks
the handler for the message, so the handler reads the current state (a contact who unsubscribed
since is suppressed, not emailed). A kind nobody registered fails on its row, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from notifications.models import Notification, NotificationKind


@dataclass(frozen=True)
class Message:
    """What goes out for one row. A row whose body is empty keeps the first one rendered, so a
    resend (after a worker died mid-send) carries the same words."""

    subject: str
    body_text: str
    body_html: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    # Blank: DEFAULT_FROM_EMAIL. Customer emails come from the company (notifications.senders).
    from_email: str = ""
    # Where a reply goes (a person), if not to the sender.
    reply_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suppress:
    """Do not send this row, ever; `reason` is kept on it for the delivery log."""

    reason: str


Handler = Callable[[Notification], Message | Suppress]

_handlers: dict[str, Handler] = {}
_staff_notices: set[str] = set()


def as_recorded(notification: Notification) -> Message:
    """The message rendered when the row was written (a staff notice), as it is."""
    return Message(
        subject=notification.subject,
        body_text=notification.body_text,
        body_html=notification.body_html,
    )


def register(kind: NotificationKind, handler: Handler) -> None:
    """The calling app owns `kind`; `handler` builds each of its messages at send time."""
    known = _handlers.get(kind)
    if known is not None and known is not handler:
        raise ValueError(f"Notification kind {kind!r} is already registered to {known!r}.")
    _handlers[kind] = handler


def register_staff_notice(kind: NotificationKind) -> None:
    """The calling app tells staff about `kind` with staff_notify: an in-app notice, and an email
    rendered when it is written (sent as recorded) that each person may switch off."""
    register(kind, as_recorded)
    _staff_notices.add(kind)


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)


def staff_notice_kinds() -> list[NotificationKind]:
    """The kinds staff may switch email off for, in the order NotificationKind lists them."""
    return [kind for kind in NotificationKind if kind in _staff_notices]

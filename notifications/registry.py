"""Which app sends each kind of notification, how its message is built at send time, and on
which channel it goes.

The outbox knows no domain: a row carries a kind and the ids of what it is about, and the app that
owns the kind registers its handler from its AppConfig.ready(). When a worker sends a row it asks
the handler for the message, so the handler reads the current state (a contact who unsubscribed
since is suppressed, not emailed). A kind nobody registered fails on its row, with the reason.

Email is the outbox's own channel. An app that talks to another one (Slack) registers its kinds
with `register_channel` and delivers their rows itself; the outbox still claims, retries and
records them (notifications.retry), so a chat message is as sure to arrive as an email. An app
may also ask to hear when a row of a kind was delivered (`on_sent`): "the customer was told" is
then a fact, not a hope.

Workers send rows in batches (notifications.services.notifications_deliver), so a kind may also
register how to build the messages of a whole batch with a few queries (`register`'s `batch`),
and a listener may say cheaply whether it has anything to do at all (`on_sent`'s `listening`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

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


class Refused(Exception):
    """A channel other than email did not take a row: try again later when `transient` (it was
    unreachable, or asked us to slow down), otherwise never (it said the message is wrong)."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


Handler = Callable[[Notification], Message | Suppress]
# Loads what the messages of a batch of rows of one kind need (a few queries for the batch, not
# a few per row) and returns the handler that builds each of them from it.
BatchHandler = Callable[[Sequence[Notification]], Handler]
# Sends one row on a channel other than email, from the current state: None once it was
# delivered, Suppress to never send it; raises Refused when the channel says no.
Deliver = Callable[[Notification], Suppress | None]
SentListener = Callable[[Notification], None]

EMAIL = "email"

_handlers: dict[str, Handler] = {}
# The batch form of a kind's handler, kept with the handler it stands for.
_batch_handlers: dict[str, tuple[Handler, BatchHandler]] = {}
_staff_notices: set[str] = set()
_channels: dict[str, tuple[str, Deliver]] = {}
_sent_listeners: dict[str, list[SentListener]] = {}
_listening: dict[SentListener, Callable[[], bool]] = {}
_retry_for: dict[str, timedelta] = {}


def as_recorded(notification: Notification) -> Message:
    """The message rendered when the row was written (a staff notice), as it is."""
    return Message(
        subject=notification.subject,
        body_text=notification.body_text,
        body_html=notification.body_html,
    )


def _owned(kind: str, by: object) -> None:
    known = _handlers.get(kind) or _channels.get(kind, (None, None))[1]
    if known is not None and known is not by:
        raise ValueError(f"Notification kind {kind!r} is already registered to {known!r}.")


def register(
    kind: NotificationKind, handler: Handler, *, batch: BatchHandler | None = None
) -> None:
    """The calling app owns `kind`; `handler` builds each of its messages at send time. With
    `batch`, a worker sending several rows of the kind at once builds them with
    `batch(rows)` instead, which must build the same messages as `handler`."""
    _owned(kind, handler)
    _handlers[kind] = handler
    if batch is not None:
        _batch_handlers[kind] = (handler, batch)


def register_channel(
    kind: NotificationKind,
    *,
    channel: str,
    deliver: Deliver,
    retry_for: timedelta | None = None,
) -> None:
    """The calling app owns `kind` and delivers its rows on `channel` (its name in the delivery
    log) with `deliver`, instead of by email. With `retry_for`, a row refused for now is tried
    again for that long after it was written rather than a fixed number of times
    (notifications.retry)."""
    _owned(kind, deliver)
    _channels[kind] = (channel, deliver)
    if retry_for is not None:
        _retry_for[kind] = retry_for


def on_sent(
    kind: NotificationKind,
    listener: SentListener,
    *,
    listening: Callable[[], bool] | None = None,
) -> None:
    """Call `listener` with each row of `kind` once it was delivered (the mail server took the
    email) and recorded sent; what it writes commits in a transaction of its own. With
    `listening`, asked once for each batch a worker sends, the listener is left out of the
    batches it says False for (nobody is listening: no endpoint subscribed, Slack not set up)."""
    listeners = _sent_listeners.setdefault(kind, [])
    if listener not in listeners:
        listeners.append(listener)
    if listening is not None:
        _listening[listener] = listening


def register_staff_notice(kind: NotificationKind) -> None:
    """The calling app tells staff about `kind` with staff_notify: an in-app notice, and an email
    rendered when it is written (sent as recorded) that each person may switch off."""
    register(kind, as_recorded)
    _staff_notices.add(kind)


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)


def handler_for_batch(kind: str, rows: Sequence[Notification]) -> Handler | None:
    """The handler for these rows of `kind`: its batch form loaded for them if it has one."""
    handler = _handlers.get(kind)
    batch = _batch_handlers.get(kind)
    if handler is None or batch is None or batch[0] is not handler:
        return handler
    return batch[1](rows)


def deliverer_for(kind: str) -> Deliver | None:
    """How a kind delivered on another channel than email is sent; None for email."""
    return _channels.get(kind, (None, None))[1]


def channel_of(kind: str) -> str:
    """The channel a kind goes out on: "email", or the name its app registered."""
    return _channels.get(kind, (EMAIL, None))[0]


def retry_for(kind: str) -> timedelta | None:
    """How long a row of `kind` keeps being tried, if its channel said (else MAX_ATTEMPTS)."""
    return _retry_for.get(kind)


def kinds_retried_for_a_time() -> list[str]:
    """The kinds whose rows are tried for a time rather than MAX_ATTEMPTS times."""
    return list(_retry_for)


def sent_listeners(kind: str) -> list[SentListener]:
    return list(_sent_listeners.get(kind, ()))


def listening_to(kind: str) -> list[SentListener]:
    """The listeners of `kind` that have something to do now (each asked once)."""
    return [
        listener
        for listener in sent_listeners(kind)
        if (listening := _listening.get(listener)) is None or listening()
    ]


def staff_notice_kinds() -> list[NotificationKind]:
    """The kinds staff may switch email off for, in the order NotificationKind lists them."""
    return [kind for kind in NotificationKind if kind in _staff_notices]

"""What happened, for whoever listens: the app that owns a change announces it in the change's
transaction (`announce`), and an app higher up (webhooks) listens from its AppConfig.ready().
So a lower app tells a higher one without importing it, and what a listener writes (an outbox
row) commits with the change or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    TICKET_CREATED = "ticket.created"
    # A ticket left the inbox: linked, made a new initiative, a duplicate, declined or snoozed.
    TICKET_TRIAGED = "ticket.triaged"
    INITIATIVE_CREATED = "initiative.created"
    INITIATIVE_STATUS_CHANGED = "initiative.status_changed"
    INITIATIVE_SHIPPED = "initiative.shipped"
    # A customer's "your feedback shipped" email was sent.
    CUSTOMER_NOTIFIED = "customer.notified"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    EventType.TICKET_CREATED: "A ticket was filed",
    EventType.TICKET_TRIAGED: "A ticket was triaged (linked, new initiative, duplicate, "
    "declined, snoozed)",
    EventType.INITIATIVE_CREATED: "An initiative was created",
    EventType.INITIATIVE_STATUS_CHANGED: "An initiative changed status",
    EventType.INITIATIVE_SHIPPED: "An initiative shipped",
    EventType.CUSTOMER_NOTIFIED: "A customer was emailed that their feedback shipped",
}

# Called with the event's type, the object it is about (a model instance) and its details
# (for ticket.triaged, `action`; for a status change, `previous_status`).
Listener = Callable[[EventType, Any, Mapping[str, str]], None]

_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Hear every event announced from now on (in the announcing transaction)."""
    if listener not in _listeners:
        _listeners.append(listener)


def announce(event_type: EventType, about: Any, **details: str) -> None:
    """Tell every listener that `event_type` happened to `about`; call it inside the change's
    transaction, after the change is written."""
    for listener in _listeners:
        listener(event_type, about, details)

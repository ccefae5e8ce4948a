"""A ticket's status, and the initiative it counts for, change here and nowhere else.

Every move a ticket can make is one function below; each checks that the ticket may make it
from where it is, writes the ticket, and carries the tickets that duplicate it along. Who may
ask for a move, and what else happens (history, scores, notices), is the caller's part: intake's
services for questions and answers, triage's for everything a product manager decides.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.utils import timezone

from core.errors import DomainError
from intake.models import Ticket, TicketStatus

S = TicketStatus

# Where a ticket may go from each status. A linked or duplicate ticket can be re-linked, marked
# a duplicate elsewhere or declined; a declined one can still be linked or marked a duplicate
# when a PM changes their mind. Only a waiting ticket is asked about or put aside.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.NEEDS_INFO, S.SNOOZED, S.LINKED, S.DUPLICATE, S.DECLINED}),
    S.NEEDS_INFO: frozenset({S.NEEDS_INFO, S.NEW, S.SNOOZED, S.LINKED, S.DUPLICATE, S.DECLINED}),
    S.SNOOZED: frozenset({S.NEEDS_INFO, S.NEW, S.LINKED, S.DUPLICATE, S.DECLINED}),
    S.LINKED: frozenset({S.NEW, S.LINKED, S.DUPLICATE, S.DECLINED}),
    S.DUPLICATE: frozenset({S.LINKED, S.DUPLICATE, S.DECLINED}),
    S.DECLINED: frozenset({S.LINKED, S.DUPLICATE}),
}


def _allow(ticket: Ticket, target: TicketStatus) -> None:
    if target not in TRANSITIONS[TicketStatus(ticket.status)]:
        raise DomainError(
            f"“{ticket.title}” is {ticket.get_status_display().lower()}; it cannot become "
            f"{target.label.lower()} from there.",
            code="conflict",
        )


def _save(ticket: Ticket, *fields: str) -> None:
    ticket.save(update_fields=[*fields, "updated_at"])


def ticket_to_initiative(*, ticket: Ticket, initiative_id: int) -> int | None:
    """Count the ticket (and its duplicates) for an initiative; returns the one it left."""
    _allow(ticket, S.LINKED)
    previous_id = ticket.initiative_id
    ticket.initiative_id = initiative_id
    ticket.status = S.LINKED
    ticket.duplicate_of = None
    ticket.snoozed_until = None
    ticket.decline_reason = ""
    _save(ticket, "initiative", "status", "duplicate_of", "snoozed_until", "decline_reason")
    Ticket.objects.filter(duplicate_of=ticket).update(initiative_id=initiative_id)
    return previous_id


def ticket_to_inbox(*, ticket: Ticket) -> int:
    """Take a linked ticket off its initiative, back to the inbox; returns the one it left."""
    if ticket.status != S.LINKED or ticket.initiative_id is None:
        raise DomainError(f"“{ticket.title}” is not linked to an initiative.", code="conflict")
    previous_id = ticket.initiative_id
    ticket.initiative = None
    ticket.status = S.NEW
    _save(ticket, "initiative", "status")
    Ticket.objects.filter(duplicate_of=ticket).update(initiative=None)
    return previous_id


def ticket_to_duplicate(*, ticket: Ticket, original: Ticket) -> int | None:
    """Make the ticket count wherever `original` goes; chains stay one step long. Returns the
    initiative it left."""
    _allow(ticket, S.DUPLICATE)
    previous_id = ticket.initiative_id
    ticket.status = S.DUPLICATE
    ticket.duplicate_of = original
    ticket.initiative_id = original.initiative_id
    ticket.snoozed_until = None
    _save(ticket, "status", "duplicate_of", "initiative", "snoozed_until")
    Ticket.objects.filter(duplicate_of=ticket).update(
        duplicate_of=original, initiative_id=original.initiative_id
    )
    return previous_id


def ticket_to_declined(*, ticket: Ticket, reason: str) -> int | None:
    """Decline the ticket with its (already cleaned) reason; returns the initiative it left."""
    if ticket.status == S.DECLINED:
        raise DomainError(f"“{ticket.title}” is already declined.", code="conflict")
    previous_id = ticket.initiative_id
    ticket.status = S.DECLINED
    ticket.decline_reason = reason
    ticket.initiative = None
    ticket.duplicate_of = None
    ticket.snoozed_until = None
    _save(ticket, "status", "decline_reason", "initiative", "duplicate_of", "snoozed_until")
    Ticket.objects.filter(duplicate_of=ticket).update(initiative=None)
    return previous_id


def ticket_to_inbox_again(
    *,
    ticket: Ticket,
    status: TicketStatus,
    snoozed_until: datetime.date | None,
    followers: Sequence[int] = (),
) -> int | None:
    """Take back a triage action (an undo): the ticket returns to the inbox view it was in,
    waiting, asked or snoozed until its day, and the `followers` that duplicated it before
    follow it again. Returns the initiative it left."""
    if status not in S.untriaged():
        raise DomainError(f"A ticket goes back to the inbox, not to {status.label.lower()}.")
    if ticket.status not in (S.LINKED, S.DUPLICATE, S.DECLINED, S.SNOOZED):
        raise DomainError(
            f"“{ticket.title}” is {ticket.get_status_display().lower()}; there is no triage to "
            "take back.",
            code="conflict",
        )
    previous_id = ticket.initiative_id
    original_id = ticket.duplicate_of_id
    ticket.status = status
    ticket.initiative = None
    ticket.duplicate_of = None
    ticket.decline_reason = ""
    ticket.snoozed_until = snoozed_until if status == S.SNOOZED else None
    _save(ticket, "status", "initiative", "duplicate_of", "decline_reason", "snoozed_until")
    # Its duplicates went where it went (marked a duplicate, they were handed to its original).
    Ticket.objects.filter(
        pk__in=followers, status=S.DUPLICATE, duplicate_of_id__in=[ticket.pk, original_id]
    ).update(duplicate_of=ticket, initiative=None)
    return previous_id


def ticket_to_snoozed(*, ticket: Ticket, until: datetime.date) -> None:
    """Put a waiting ticket aside until a day."""
    if ticket.status not in S.untriaged():
        raise DomainError(
            f"“{ticket.title}” is already triaged; only waiting tickets are snoozed.",
            code="conflict",
        )
    ticket.status = S.SNOOZED
    ticket.snoozed_until = until
    _save(ticket, "status", "snoozed_until")


def ticket_to_needs_info(*, ticket: Ticket) -> None:
    """A product manager asked the submitter something: the ticket waits for the answer."""
    if ticket.status not in S.untriaged():
        raise DomainError("This ticket is already triaged; add a comment instead.", code="conflict")
    Ticket.objects.filter(pk=ticket.pk).update(status=S.NEEDS_INFO)
    ticket.status = S.NEEDS_INFO


def ticket_answered(*, ticket: Ticket) -> bool:
    """The submitter answered: a ticket waiting for it goes back to the inbox. Whether it did."""
    if ticket.status != S.NEEDS_INFO:
        return False
    Ticket.objects.filter(pk=ticket.pk).update(status=S.NEW)
    ticket.status = S.NEW
    return True


def tickets_wake(*, today: datetime.date | None = None) -> int:
    """Bring snoozed tickets whose day has come back to the inbox; returns how many."""
    today = today or timezone.localdate()
    return Ticket.objects.filter(status=S.SNOOZED, snoozed_until__lte=today).update(
        status=S.NEW, snoozed_until=None, updated_at=timezone.now()
    )

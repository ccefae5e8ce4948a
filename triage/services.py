"""Writes on initiatives and on the triage of tickets."""

from __future__ import annotations

from django.db import transaction

from feedbackloop.errors import DomainError
from intake.models import Ticket, TicketStatus
from triage.models import Initiative, InitiativeStatus
from triage.scoring import initiative_rescore


@transaction.atomic
def ticket_attach(*, ticket: Ticket, initiative: Initiative) -> Ticket:
    """Put a ticket (and the tickets that duplicate it) on an initiative and rescore both ends."""
    if initiative.status in (InitiativeStatus.SHIPPED, InitiativeStatus.DECLINED):
        raise DomainError(
            f"“{initiative.title}” is {initiative.get_status_display().lower()}; "
            "file the ticket on its own or pick an open initiative.",
            field="initiative",
        )
    previous_id = ticket.initiative_id
    ticket.initiative = initiative
    ticket.status = TicketStatus.LINKED
    ticket.save(update_fields=["initiative", "status", "updated_at"])
    Ticket.objects.filter(duplicate_of=ticket).update(initiative=initiative)
    initiative_rescore(initiative=initiative)
    if previous_id and previous_id != initiative.pk:
        initiative_rescore(initiative=Initiative.objects.get(pk=previous_id))
    return ticket

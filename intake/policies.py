"""Who may file tickets, edit them and write in their threads.

Each act has a `may_*` answer for pages and templates and an `ensure_may_*` form that refuses
with the words people see; services, views and the API ask here and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can, ensure_can
from core.errors import DomainError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from intake.models import Ticket


def may_file_ticket(user: User | AnonymousUser) -> bool:
    """Everyone on staff files what customers tell them."""
    return can(user, Capability.FILE_TICKET)


def ensure_may_file_ticket(user: User | AnonymousUser) -> None:
    ensure_can(user, Capability.FILE_TICKET)


def may_comment(user: User | AnonymousUser) -> bool:
    """Everyone on staff comments on any ticket."""
    return can(user, Capability.COMMENT)


def ensure_may_comment(user: User | AnonymousUser) -> None:
    ensure_can(user, Capability.COMMENT)


def may_edit_ticket(user: User | AnonymousUser, ticket: Ticket) -> bool:
    """Only the person who filed a ticket corrects it (until it is triaged: the service's rule)."""
    return user.is_authenticated and user.pk == ticket.submitted_by_id


def ensure_may_edit_ticket(user: User | AnonymousUser, ticket: Ticket) -> None:
    if not may_edit_ticket(user, ticket):
        raise DomainError("Only the person who filed a ticket can edit it.", code="forbidden")


def may_ask(user: User | AnonymousUser, ticket: Ticket) -> bool:
    """Product managers ask the submitter a question while they triage the ticket."""
    return can(user, Capability.TRIAGE)


def ensure_may_ask(user: User | AnonymousUser, ticket: Ticket) -> None:
    if not may_ask(user, ticket):
        raise DomainError("Only product managers ask questions on tickets.", code="forbidden")


def may_answer(user: User | AnonymousUser, ticket: Ticket) -> bool:
    """Only the person who filed a ticket answers the questions on it."""
    return user.is_authenticated and user.pk == ticket.submitted_by_id


def ensure_may_answer(user: User | AnonymousUser, ticket: Ticket) -> None:
    if not may_answer(user, ticket):
        raise DomainError(
            "Only the person who filed the ticket answers its questions.", code="forbidden"
        )

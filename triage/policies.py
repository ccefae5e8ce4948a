"""Who may triage tickets and change initiatives.

The inbox, the board and their API calls are for product managers (`may_triage`). The triage
services also act for someone a meeting gave the authority to decide: a review's facilitator
recording its decisions. That leave is an explicit `Authority` argument, granted by
sessions.policies.decision_authority after it checked who decides there.

Saying a ticket is the same ask as a match (an initiative, or another waiting ticket) is filing:
the person who filed a waiting ticket may do it for that ticket (`may_match`), from the ticket
form or the ticket's page; product managers, and a meeting's decider, for any ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts.permissions import Capability, can, ensure_can
from core.errors import DomainError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from intake.models import Ticket


@dataclass(frozen=True)
class Authority:
    """Leave for one person to make the triage changes a meeting decides, whatever their role;
    only sessions.policies.decision_authority grants it."""

    user_id: int
    session_id: int


def may_triage(user: User | AnonymousUser) -> bool:
    """Product managers work the inbox and the board."""
    return can(user, Capability.TRIAGE)


def ensure_may_triage(user: User | AnonymousUser) -> None:
    """The inbox, the board and their API calls refuse other roles."""
    ensure_can(user, Capability.TRIAGE)


def may_change_triage(user: User | AnonymousUser, *, authority: Authority | None = None) -> bool:
    """A product manager, or the person a meeting's `authority` was given to."""
    if may_triage(user):
        return True
    return authority is not None and user.is_authenticated and authority.user_id == user.pk


def ensure_may_change_triage(
    user: User | AnonymousUser, *, authority: Authority | None = None
) -> None:
    """What every triage service checks before it writes."""
    if not may_change_triage(user, authority=authority):
        raise DomainError(
            "Only product managers triage tickets and change initiatives.", code="forbidden"
        )


def may_match(
    user: User | AnonymousUser, ticket: Ticket, *, authority: Authority | None = None
) -> bool:
    """Whether this person may say `ticket` is the same ask as a match: its submitter while it
    waits (filing is for everyone on staff), or whoever may change triage."""
    if may_change_triage(user, authority=authority):
        return True
    return (
        can(user, Capability.FILE_TICKET)
        and user.pk == ticket.submitted_by_id
        and ticket.is_untriaged
    )


def ensure_may_match(
    user: User | AnonymousUser, ticket: Ticket, *, authority: Authority | None = None
) -> None:
    """What the same-ask services check before they write."""
    if not may_match(user, ticket, authority=authority):
        raise DomainError(
            "Only the person who filed this ticket (while it waits) or a product manager says "
            "it is the same ask as another.",
            code="forbidden",
        )

"""What each role may do: the capability table every app's policies (`<app>/policies.py`) build
on. Services, views, the API and templates ask those policies, not this table."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from accounts.models import Role
from core.errors import DomainError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class Capability(StrEnum):
    FILE_TICKET = "file_ticket"
    COMMENT = "comment"
    TRIAGE = "triage"
    RUN_SESSIONS = "run_sessions"
    VIEW_DELIVERIES = "view_deliveries"
    VIEW_INSIGHTS = "view_insights"
    ADMINISTER = "administer"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Capability.FILE_TICKET: "file tickets",
    Capability.COMMENT: "comment on tickets",
    Capability.TRIAGE: "triage tickets or change initiatives",
    Capability.RUN_SESSIONS: "schedule or run review sessions and workshops",
    Capability.VIEW_DELIVERIES: "see notification deliveries",
    Capability.VIEW_INSIGHTS: "see insights",
    Capability.ADMINISTER: "administer FeedbackLoop",
}

_EVERY_STAFF = {Capability.FILE_TICKET, Capability.COMMENT}

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.SUBMITTER: frozenset(_EVERY_STAFF),
    Role.PRODUCT_MANAGER: frozenset(
        _EVERY_STAFF
        | {
            Capability.TRIAGE,
            Capability.RUN_SESSIONS,
            Capability.VIEW_DELIVERIES,
            Capability.VIEW_INSIGHTS,
        }
    ),
    Role.FACILITATOR: frozenset(_EVERY_STAFF | {Capability.RUN_SESSIONS, Capability.VIEW_INSIGHTS}),
    Role.ADMIN: frozenset(
        _EVERY_STAFF | {Capability.VIEW_DELIVERIES, Capability.VIEW_INSIGHTS, Capability.ADMINISTER}
    ),
}


def can(user: User | AnonymousUser, capability: Capability) -> bool:
    """Whether this user's role grants the capability; anonymous users can do nothing."""
    if not user.is_authenticated or not user.is_active:
        return False
    return capability in ROLE_CAPABILITIES[user.effective_role]


def ensure_can(user: User | AnonymousUser, capability: Capability) -> None:
    """Refuse, in the words the pages and the API use for a role, unless the role grants it."""
    if not can(user, capability):
        raise DomainError(f"Your role may not {capability.label}.", code="forbidden")

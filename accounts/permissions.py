"""The one place that decides what each role may do. Views and the API ask here."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from accounts.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest
    from rest_framework.request import Request
    from rest_framework.views import APIView

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


P = ParamSpec("P")
R = TypeVar("R")


def require(capability: Capability) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view taking `request` first: 403 unless the user has the capability."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            request: HttpRequest = args[0]  # type: ignore[assignment]
            if not can(request.user, capability):
                raise PermissionDenied(f"Your role may not {capability.label}.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def allows(capability: Capability) -> type[BasePermission]:
    """A DRF permission class granting access to users with the capability."""

    class Allows(BasePermission):
        message = f"Your role may not {capability.label}."

        def has_permission(self, request: Request, view: APIView) -> bool:
            return can(request.user, capability)

    Allows.__name__ = f"Allows_{capability.value}"
    return Allows


def capabilities_of(user: User | AnonymousUser) -> dict[str, Any]:
    """A name -> bool map for templates: {% if may.triage %}."""
    return {c.value: can(user, c) for c in Capability}

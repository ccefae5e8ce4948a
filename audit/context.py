"""Where the current request comes from, for events recorded deep in a service."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.http import HttpRequest, HttpResponseBase

USER_AGENT_KEPT = 300


@dataclass(frozen=True)
class Origin:
    ip_address: str | None
    user_agent: str


_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def origin_of(request: HttpRequest) -> Origin:
    """The client's address as django-axes reads it (the same one its lockouts count), and its
    browser."""
    address = get_client_ip_address(request) or None
    agent = str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_KEPT]
    return Origin(ip_address=address, user_agent=agent)


def current_origin() -> Origin | None:
    return _origin.get()


class AuditOriginMiddleware:
    """Keep this request's origin while it runs, so `audit.record` knows it without being
    handed the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = _origin.set(origin_of(request))
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)

"""Which database a query goes to: the primary, or its read replica (README, "Scaling out").

With DATABASE_REPLICA_URL unset there is only the primary and nothing here changes a query.
With it set, every write and almost every read goes to the primary. Only the reads of a view
marked `@reads_may_lag` (pages that show aggregates or long lists, where a second of lag is
harmless) go to the replica, and not even those for a browser that wrote something in the last
DATABASE_REPLICA_STICKY_SECONDS: `ReadYourWritesMiddleware` marks such a browser with a cookie,
so whoever just filed, edited or triaged something sees it on the next page, whichever it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase

PRIMARY = "default"
REPLICA = "replica"
# Holds the time (Unix seconds) this browser last wrote; its reads stay on the primary a while.
WROTE_COOKIE = "fl_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_reads_may_lag: ContextVar[bool] = ContextVar("reads_may_lag", default=False)

P = ParamSpec("P")
R = TypeVar("R")


def replica_configured() -> bool:
    """True when DATABASE_REPLICA_URL gave a replica (its alias is among the connections)."""
    return REPLICA in connections.settings


@contextmanager
def replica_reads() -> Iterator[None]:
    """Within it, this request's (or task's) reads may go to the replica; writes never do."""
    token = _reads_may_lag.set(True)
    try:
        yield
    finally:
        _reads_may_lag.reset(token)


def wrote_recently(request: HttpRequest) -> bool:
    """True when this browser wrote within DATABASE_REPLICA_STICKY_SECONDS (its cookie says
    when; a cookie from the future, a clock apart, counts as recent)."""
    try:
        wrote_at = float(request.COOKIES.get(WROTE_COOKIE, ""))
    except ValueError:
        return False
    sticky: float = settings.DATABASE_REPLICA_STICKY_SECONDS
    return time.time() - wrote_at < sticky


def reads_may_lag(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a view whose reads may be a moment behind: they go to the replica, unless this
    browser has just written (then the primary, so it sees its own change)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        request = args[0]
        assert isinstance(request, HttpRequest)
        if wrote_recently(request):
            return view(*args, **kwargs)
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Django's database router: writes and migrations on the primary; reads on the replica
    only inside `replica_reads()` and only when there is one."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        # Always an answer: an object read from the replica must not pull later reads of its
        # relations there once the view that may lag is over.
        return REPLICA if _reads_may_lag.get() and replica_configured() else PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY  # the replica follows the primary's schema by streaming


class ReadYourWritesMiddleware:
    """After a request that may have written (any method but GET, HEAD, OPTIONS, TRACE, not
    refused), this browser's reads stay on the primary for DATABASE_REPLICA_STICKY_SECONDS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            request.method not in SAFE_METHODS
            and response.status_code < 400
            and replica_configured()
        ):
            response.set_cookie(
                WROTE_COOKIE,
                f"{time.time():.3f}",
                max_age=int(settings.DATABASE_REPLICA_STICKY_SECONDS) + 1,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

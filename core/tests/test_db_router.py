"""The read replica's router without a replica: nothing changes. (With a real one:
tests/test_replica.py.)"""

from __future__ import annotations

import time

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from core.db_router import (
    PRIMARY,
    REPLICA,
    WROTE_COOKIE,
    ReadYourWritesMiddleware,
    ReplicaRouter,
    reads_may_lag,
    replica_configured,
    replica_reads,
    wrote_recently,
)
from intake.models import Ticket


def test_without_a_replica_every_query_goes_to_the_primary() -> None:
    router = ReplicaRouter()
    assert not replica_configured()
    with replica_reads():
        assert router.db_for_read(Ticket) == PRIMARY
    assert router.db_for_write(Ticket) == PRIMARY
    assert router.allow_migrate(PRIMARY, "intake")
    assert not router.allow_migrate(REPLICA, "intake")


def test_without_a_replica_a_write_sets_no_cookie() -> None:
    middleware = ReadYourWritesMiddleware(lambda request: HttpResponse(status=201))
    assert WROTE_COOKIE not in middleware(RequestFactory().post("/api/tickets/")).cookies


@pytest.mark.parametrize(
    ("cookie", "recent"),
    [
        (None, False),
        ("not a time", False),
        ("nan", False),
        (-2.0, True),
        (-3600.0, False),
        # Another web process's clock a little ahead: still recent, still the primary.
        (5.0, True),
    ],
)
def test_a_browser_wrote_recently_by_its_cookie(cookie: str | float | None, recent: bool) -> None:
    """The cookie holds when it wrote; a number here is seconds from now."""
    request = RequestFactory().get("/insights/")
    if isinstance(cookie, float):
        cookie = f"{time.time() + cookie:.3f}"
    if cookie is not None:
        request.COOKIES[WROTE_COOKIE] = cookie
    assert wrote_recently(request) is recent


def test_a_view_that_may_lag_reads_the_replica_only_without_a_recent_write() -> None:
    seen: list[bool] = []

    @reads_may_lag
    def view(request: HttpRequest) -> HttpResponse:
        from core.db_router import _reads_may_lag

        seen.append(_reads_may_lag.get())
        return HttpResponse()

    request = RequestFactory().get("/insights/")
    view(request)
    request.COOKIES[WROTE_COOKIE] = f"{time.time():.3f}"
    view(request)
    assert seen == [True, False]

"""A real streaming replica: writes go to the primary, the pages that may lag read the replica,
and a browser that just wrote reads its own write on the primary (core/db_router.py).

The pair is tests/replica.py's: a primary holding a copy of the test database and a hot standby
made from it with `pg_basebackup -R`, streaming over TCP, both started for this module."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections, router
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, Team
from accounts.tests.factories import UserFactory
from core.db_router import PRIMARY, REPLICA, WROTE_COOKIE
from intake.models import Ticket
from tests.replica import StreamingPair, app_databases

# The test database is the pair's source; in each test the pair's primary takes its place as
# "default" (tests/replica.py, app_databases).
pytestmark = pytest.mark.django_db

TICKET = {
    "title": "Export to CSV",
    "description": "They need their feedback in a spreadsheet every month.",
    "source_team": "sales",
    "kind": "feature_request",
    "importance": "important",
    "customer": {"company": "Acme", "email": "ops@acme.example"},
}


@pytest.fixture(scope="module")
def pair(django_db_setup: None) -> Iterator[StreamingPair]:
    pair = StreamingPair(connections[PRIMARY].settings_dict)
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()


@pytest.fixture
def app(pair: StreamingPair, django_db_blocker: Any) -> Iterator[StreamingPair]:
    """Django on the pair: DATABASE_URL the primary, DATABASE_REPLICA_URL the replica (which
    the test case, set up for the test database alone, would refuse without the unblock)."""
    template = connections[PRIMARY].settings_dict
    with (
        django_db_blocker.unblock(),
        app_databases(
            pair.settings_dict(pair.primary_port, template),
            pair.settings_dict(pair.replica_port, template),
        ),
    ):
        yield pair


def signed_in(role: Role) -> Client:
    client = Client()
    client.force_login(UserFactory.create(role=role, team=Team.PRODUCT))
    return client


def tables(queries: CaptureQueriesContext) -> set[str]:
    """The app's tables named after FROM or JOIN in the captured queries."""
    return {
        name
        for query in queries.captured_queries
        for name in re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"])
    }


def on_both(request: Callable[[], Any]) -> tuple[Any, set[str], set[str]]:
    """Make the request; return its answer and the tables it read on the primary and on the
    replica."""
    with (
        CaptureQueriesContext(connections[PRIMARY]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        response = request()
    return response, tables(primary), tables(replica)


def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.02)


def waiting_on_insights(client: Client) -> tuple[int, set[str], set[str]]:
    response, primary, replica = on_both(lambda: client.get(reverse("insights")))
    assert response.status_code == 200
    return response.context["inbox"].waiting, primary, replica


def test_a_ticket_is_written_on_the_primary_and_insights_read_it_on_the_replica(
    app: StreamingPair,
) -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        assert cursor.fetchone() == (True, app.replica_port)
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        assert cursor.fetchone() == (False, app.primary_port)
        cursor.execute("SELECT state FROM pg_stat_replication")
        assert cursor.fetchall() == [("streaming",)]
    pm = signed_in(Role.PRODUCT_MANAGER)
    before, _, _ = waiting_on_insights(pm)

    submitter = Client()
    submitter.force_login(UserFactory.create(role=Role.SUBMITTER, team=Team.SALES))
    response, _, read_on_replica = on_both(
        lambda: submitter.post("/api/tickets/", TICKET, content_type="application/json")
    )
    assert response.status_code == 201, response.content
    assert read_on_replica == set()  # filing reads and writes the primary only
    assert Ticket.objects.using(PRIMARY).filter(pk=response.json()["id"]).exists()

    # The row reaches the replica by streaming, nothing else copies it.
    until(lambda: Ticket.objects.using(REPLICA).filter(pk=response.json()["id"]).exists())
    waiting, read_on_primary, read_on_replica = waiting_on_insights(pm)
    assert waiting == before + 1
    assert "intake_ticket" in read_on_replica
    # The primary only answered who is signed in, before the page's own reads.
    assert read_on_primary <= {"django_session", "accounts_user"}
    # Outside such a page every read, every write and every migration is the primary's.
    assert router.db_for_read(Ticket) == PRIMARY
    assert router.db_for_write(Ticket) == PRIMARY
    assert router.allow_migrate(REPLICA, "intake") is False
    assert router.allow_migrate(PRIMARY, "intake") is True


def test_a_browser_that_just_wrote_reads_its_own_write_while_the_replica_lags(
    app: StreamingPair,
) -> None:
    pm = signed_in(Role.PRODUCT_MANAGER)
    other_pm = signed_in(Role.PRODUCT_MANAGER)
    before, _, _ = waiting_on_insights(pm)
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")  # the replica falls behind on purpose
    try:
        response = pm.post("/api/tickets/", TICKET, content_type="application/json")
        assert response.status_code == 201, response.content
        assert WROTE_COOKIE in response.cookies
        ticket_id = response.json()["id"]

        # Whoever wrote sees it at once: their reads stay on the primary for a while.
        waiting, read_on_primary, read_on_replica = waiting_on_insights(pm)
        assert waiting == before + 1
        assert "intake_ticket" in read_on_primary
        assert read_on_replica == set()
        listed, _, read_on_replica = on_both(lambda: pm.get(reverse("intake:list")))
        assert ticket_id in [t.id for t in listed.context["page"]]
        assert read_on_replica == set()

        # Everyone else's insights and ticket list come from the lagging replica.
        waiting, _, read_on_replica = waiting_on_insights(other_pm)
        assert waiting == before
        assert "intake_ticket" in read_on_replica
        listed, _, read_on_replica = on_both(lambda: other_pm.get(reverse("intake:list")))
        assert ticket_id not in [t.id for t in listed.context["page"]]
        assert "intake_ticket" in read_on_replica
        # A page that does not opt in reads the primary: the new ticket is there.
        detail, _, read_on_replica = on_both(
            lambda: other_pm.get(reverse("intake:detail", args=[ticket_id]))
        )
        assert detail.status_code == 200
        assert read_on_replica == set()

        # Once the window has passed, the writer's pages read the replica too.
        pm.cookies[WROTE_COOKIE] = str(time.time() - settings.DATABASE_REPLICA_STICKY_SECONDS - 1)
        waiting, _, read_on_replica = waiting_on_insights(pm)
        assert waiting == before
        assert "intake_ticket" in read_on_replica
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
    until(lambda: Ticket.objects.using(REPLICA).filter(pk=ticket_id).exists())
    assert waiting_on_insights(other_pm)[0] == before + 1

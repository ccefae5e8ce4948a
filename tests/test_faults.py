"""Fault tests: the real parts fail one at a time, and the product still keeps its promises.

- PostgreSQL drops a request's connection halfway through a write: the visitor gets a 503 page
  (or JSON answer) that says the database is unreachable and to try again, nothing is
  half-written, and the next request works. After a restart (every connection dropped while
  idle in the pool) no visitor sees an error at all.
- Redis is down while a PM ships: the ship and its outbox rows are kept, and the emails go out
  once Redis is back and the sweep queues them again, each exactly once.
- The SMTP server is down for a while, then refuses some messages with 421: the rows wait with
  backoff and are all sent, none twice.
- A worker stopped or killed in the middle of a batch is proven in tests/test_delivery_worker.py
  (test_a_worker_stopped_mid_batch_and_restarted_sends_every_email_once and
  test_a_worker_killed_mid_batch_resends_only_what_was_in_flight_with_the_same_message_id).

Everything runs against the real PostgreSQL and Redis of the suite; a worker is a real
`celery worker` process on its own Redis database (WORKER_REDIS_DB) and the test database.
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.utils import timezone

import intake.services
from accounts.models import User
from intake.models import Contact, Customer, Ticket, TicketStatus
from intake.tests.factories import TicketFactory
from notifications.models import DeliveryStatus, Notification
from notifications.services import notifications_sweep
from people.tests.factories import api_key_for
from tests.smtp import SmtpSink, free_port
from tests.worker import (
    CeleryWorker,
    broker_queued,
    database_url,
    publishing_to,
    wait_for,
    worker_env,
)
from triage.models import Initiative, InitiativeStatus
from triage.services import initiative_ship
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db(transaction=True)

SENT, PENDING = DeliveryStatus.SENT, DeliveryStatus.PENDING

# ---------------------------------------------------------------------------------------------
# 1. PostgreSQL drops the connection in the middle of a request


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    text: str


class Visitor:
    """Plain HTTP to the live server, logged in, as a browser without JavaScript sends it."""

    def __init__(self, base_url: str, user: User) -> None:
        self.address = urlparse(base_url)
        client = Client()
        client.force_login(user)
        # The CSRF check compares the cookie with the form field; any 32-character secret does.
        self.csrf = secrets.token_hex(16)
        self.cookie = (
            f"{django_settings.SESSION_COOKIE_NAME}="
            f"{client.cookies[django_settings.SESSION_COOKIE_NAME].value}; "
            f"{django_settings.CSRF_COOKIE_NAME}={self.csrf}"
        )

    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> Answer:
        assert self.address.hostname is not None
        conn = http.client.HTTPConnection(self.address.hostname, self.address.port, timeout=30)
        try:
            conn.request(
                method, path, body=body, headers={"Cookie": self.cookie, **(headers or {})}
            )
            response = conn.getresponse()
            return Answer(
                status=response.status,
                headers={name.lower(): value for name, value in response.getheaders()},
                text=response.read().decode(),
            )
        finally:
            conn.close()

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        body = urlencode({**fields, "csrfmiddlewaretoken": self.csrf})
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )


class DropConnectionAfter:
    """`target`, except that its first call, once it has written, has the server terminate the
    calling thread's connection (as a failover or a restart would): the next statement fails."""

    def __init__(self, target: Callable[..., Any]) -> None:
        self.target = target
        self.dsn = database_url()
        self.written: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self.target(*args, **kwargs)
        if self.written is None:
            self.written = result
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (pid,) = cursor.fetchone()
            with psycopg.connect(self.dsn, autocommit=True) as admin:
                # With a timeout, it returns once the backend is gone, not merely signalled.
                row = admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()
                assert row == (True,), f"backend {pid} not terminated"
        return result


def customer_rows() -> tuple[int, int, int]:
    return Customer.objects.count(), Contact.objects.count(), Ticket.objects.count()


TICKET_FORM = {
    "title": "Export invoices as CSV",
    "description": "They copy every invoice into a spreadsheet by hand.",
    "company": "Umbrella Corp",
    "email": "ops@umbrella.example",
    "source_team": "sales",
    "kind": "feature_request",
    "importance": "critical",
}


def test_a_database_connection_dropped_mid_request_answers_503_writes_nothing_and_recovers(
    live_server: Any, submitter: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    visitor = Visitor(live_server.url, submitter)
    before = customer_rows()
    # The customer and contact are written, then the connection goes before the ticket is.
    fault = DropConnectionAfter(intake.services.contact_get_or_create)
    monkeypatch.setattr(intake.services, "contact_get_or_create", fault)

    answer = visitor.post_form("/intake/new/", TICKET_FORM)

    assert isinstance(fault.written, Contact), "the fault was not injected"
    assert answer.status == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["retry-after"] == "30"
    assert "The database is unreachable" in answer.text
    assert "Nothing you sent was half-saved" in answer.text
    assert "try again" in answer.text
    # The customer and contact written before the drop were rolled back with it.
    assert customer_rows() == before
    assert not Contact.objects.filter(pk=fault.written.pk).exists()
    assert not Customer.objects.filter(name="Umbrella Corp").exists()

    # Sending the form again works: the dead connection was not handed out a second time.
    again = visitor.post_form("/intake/new/", TICKET_FORM)
    assert again.status == 302, again.text[:500]
    [ticket] = Ticket.objects.filter(title=TICKET_FORM["title"])
    assert again.headers["location"] == f"/intake/tickets/{ticket.pk}/"
    assert (ticket.customer.name, ticket.contact.email) == ("Umbrella Corp", TICKET_FORM["email"])
    assert customer_rows() == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert visitor.request("GET", again.headers["location"]).status == 200


def test_an_api_call_whose_database_connection_drops_answers_503_json_and_recovers(
    live_server: Any, submitter: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    visitor = Visitor(live_server.url, submitter)
    token = api_key_for(submitter)
    before = customer_rows()
    fault = DropConnectionAfter(intake.services.contact_get_or_create)
    monkeypatch.setattr(intake.services, "contact_get_or_create", fault)
    body = json.dumps(
        {
            "title": "SAML single sign-on",
            "description": "Their IT will not allow password logins.",
            "source_team": "customer_success",
            "kind": "feature_request",
            "importance": "critical",
            "customer": {"company": "Initech", "email": "it@initech.example"},
        }
    )
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    answer = visitor.request("POST", "/api/tickets/", body, headers)

    assert fault.written is not None, "the fault was not injected"
    assert answer.status == 503
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["retry-after"] == "30"
    assert json.loads(answer.text) == {
        "detail": "The database is unreachable; nothing was saved. Try again in a moment."
    }
    assert customer_rows() == before

    again = visitor.request("POST", "/api/tickets/", body, headers)
    assert again.status == 201, again.text
    assert json.loads(again.text)["status"] == "new"
    assert customer_rows() == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_after_a_database_restart_no_visitor_is_handed_a_dead_pooled_connection(
    live_server: Any, submitter: User
) -> None:
    visitor = Visitor(live_server.url, submitter)
    for _ in range(3):  # the pool now holds idle connections
        assert visitor.request("GET", "/").status == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own,) = cursor.fetchone()
    # A restart or failover while nobody is asking: every connection of the app's pool goes.
    with psycopg.connect(database_url(), autocommit=True) as admin:
        dropped = admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
            [own],
        ).fetchall()
    assert dropped, "no idle pooled connection to drop"
    assert all(ok for (ok,) in dropped)

    answers = [visitor.request("GET", "/").status for _ in range(len(dropped) + 2)]
    assert answers == [200] * len(answers), (
        "a pooled connection that died while idle was handed to a visitor: the pool must check "
        "each connection before use (CONN_HEALTH_CHECKS = True)"
    )


# ---------------------------------------------------------------------------------------------
# Workers, brokers and mail servers for 2 and 3


@pytest.fixture
def start_worker(broker: str, tmp_path: Path) -> Iterator[Callable[..., CeleryWorker]]:
    """Start a worker sending through `email_url`; every one started is gone after the test."""
    workers: list[CeleryWorker] = []

    def start(*, email_url: str, **env: str) -> CeleryWorker:
        worker = CeleryWorker(
            env=worker_env(broker_url=broker, email_url=email_url, **env),
            log_path=tmp_path / f"worker{len(workers)}.log",
        )
        workers.append(worker)
        worker.start()
        return worker

    yield start
    for worker in workers:
        worker.close()


def shippable(submitter: User, emails: list[str]) -> Initiative:
    """An initiative in progress, asked for by one contact per address (linked directly, so
    the outbox holds nothing before the ship)."""
    initiative = InitiativeFactory.create(title="Audit log", status=InitiativeStatus.IN_PROGRESS)
    for email in emails:
        TicketFactory.create(
            contact__email=email,
            submitted_by=submitter,
            initiative=initiative,
            status=TicketStatus.LINKED,
        )
    return initiative


def ship(initiative: Initiative, pm: User) -> None:
    initiative_ship(initiative=initiative, by=pm, release_note="It is live.")


def statuses() -> Counter[str]:
    """Every outbox row (customers' emails and the submitter's notice) by status."""
    counts = Notification.objects.values_list("status").annotate(count=Count("id")).order_by()
    return Counter(dict(counts))


def assert_each_sent_once(sink: SmtpSink) -> None:
    rows = list(Notification.objects.all())
    received = Counter(message.message_id for message in sink.received)
    assert {row.status for row in rows} == {SENT}
    assert received == Counter({row.message_id: 1 for row in rows}), received.most_common(3)
    for row in rows:
        assert [
            message.to for message in sink.received if message.message_id == row.message_id
        ] == [row.recipient_email]


# ---------------------------------------------------------------------------------------------
# 2. Redis down while shipping


def test_a_ship_while_redis_is_down_is_kept_and_its_emails_go_out_once_redis_is_back(
    pm: User,
    submitter: User,
    sink: SmtpSink,
    broker: str,
    start_worker: Callable[..., CeleryWorker],
    caplog: pytest.LogCaptureFixture,
) -> None:
    emails = [f"buyer{n}@customer{n}.example" for n in range(3)]
    initiative = shippable(submitter, emails)
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    with publishing_to(down), caplog.at_level(logging.WARNING, logger="notifications.services"):
        ship(initiative, pm)  # must not raise: the ship is committed before anything is queued

    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.SHIPPED
    assert initiative.shipped_at is not None
    # Three customers and the submitter's notice, all waiting in the outbox for the sweep.
    assert statuses() == {PENDING: len(emails) + 1}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {0}
    assert "the sweep will queue" in caplog.text
    assert broker_queued(broker) == 0
    assert sink.received == []

    # Redis is back (this process publishes to it again), a worker runs, and beat's sweep runs
    # a couple of minutes later.
    worker = start_worker(email_url=sink.url)
    swept = notifications_sweep(now=timezone.now() + timedelta(minutes=2))
    assert swept == {"released": 0, "failed": 0, "queued": len(emails) + 1}
    wait_for(lambda: statuses() == {SENT: len(emails) + 1}, what="all sent", worker=worker)

    assert_each_sent_once(sink)
    assert sorted(message.to for message in sink.received) == sorted([*emails, submitter.email])
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


# ---------------------------------------------------------------------------------------------
# 3. SMTP down for a while


def test_emails_wait_out_an_smtp_outage_with_backoff_and_each_is_sent_once(
    pm: User, submitter: User, start_worker: Callable[..., CeleryWorker]
) -> None:
    emails = [f"it@company{n}.example" for n in range(5)]
    initiative = shippable(submitter, emails)
    port = free_port()  # the mail server's: down, nothing listens there yet
    # Tries at least 0.5 s apart: a row may be refused a connection three times (over 1 s) and
    # still have room for two 421s and the send within MAX_ATTEMPTS; the server is back sooner.
    worker = start_worker(email_url=f"smtp://127.0.0.1:{port}", NOTIFICATION_BACKOFF_SECONDS="0.5")

    ship(initiative, pm)

    def all_refused() -> bool:
        rows = list(Notification.objects.values_list("status", "attempts", "last_error"))
        return bool(rows) and all(
            status == PENDING and attempts >= 1 and "Connection refused" in error
            for status, attempts, error in rows
        )

    wait_for(all_refused, what="every row refused a connection and waiting", worker=worker)

    # The server comes back, still busy: it answers 421 to the first messages for two customers.
    sink = SmtpSink(port=port)
    sink.refuse(1, to=emails[0])
    sink.refuse(2, to=emails[1])
    sink.start()
    try:
        wait_for(
            lambda: statuses() == {SENT: len(emails) + 1},
            what="every row sent",
            timeout=30,
            worker=worker,
        )
        assert_each_sent_once(sink)
    finally:
        sink.stop()

    assert sink.refused == 3
    rows = {row.recipient_email: row for row in Notification.objects.all()}
    # One refused connection (or more), then its 421s, then the send.
    assert rows[emails[0]].attempts >= 3
    assert rows[emails[1]].attempts >= 4
    assert all(row.attempts >= 2 for row in rows.values())
    assert all(row.last_error == "" and row.sent_at is not None for row in rows.values())

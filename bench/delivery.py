"""Emails sent per second when an initiative ships, against a plain smtplib loop, with one
worker process and with two.

An in-progress initiative gets tickets from N distinct contacts (through COPY), a Celery worker
(`celery -A feedbackloop worker --concurrency=1`, then `--concurrency=2`, each shipping an
initiative of its own) consumes the benchmark's Redis database, and an aiosmtpd sink takes the
mail. The bench process ships the initiative with triage.services.initiative_ship, which records
N outbox rows and queues their delivery in batches when it commits; the clock runs from the ship
until all N rows are `sent`. The floor: the same message sent N times with smtplib over one
connection into the same sink.
"""

from __future__ import annotations

import os
import smtplib
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from bench.api import Rate
from bench.processes import Server, free_port, port_open, server
from bench.triage import TICKET_COLUMNS, copy_rows, max_id

if TYPE_CHECKING:
    from accounts.models import User
    from triage.models import Initiative

RELEASE_NOTE = "Invoices export to CSV from the invoice list, with every column you see."


def initiative_with_audience(*, contacts: int, manager: User, submitter: User) -> Initiative:
    """An in-progress initiative asked for by `contacts` contacts, one ticket and one company
    each."""
    from django.utils import timezone

    from core.embeddings import item_embedding
    from triage.models import Initiative, InitiativeStatus

    now = timezone.now()
    initiative = Initiative.objects.create(
        title="CSV export for invoices (bench)",
        description="Customers want invoices as CSV; today they copy them by hand.",
        owner=manager,
        status=InitiativeStatus.IN_PROGRESS,
    )
    first_customer = max_id("intake_customer") + 1
    first_contact = max_id("intake_contact") + 1
    first_ticket = max_id("intake_ticket") + 1
    numbers = range(contacts)
    names = [f"Bench Shipping Customer {first_customer + n}" for n in numbers]
    copy_rows(
        "intake_customer",
        ["id", "name", "name_key", "segment", "annual_revenue", "created_at"],
        ((first_customer + n, names[n], names[n].casefold(), "smb", None, now) for n in numbers),
    )
    copy_rows(
        "intake_contact",
        ["id", "customer_id", "name", "email", "unsubscribed_at", "bouncing", "created_at"],
        (
            (
                first_contact + n,
                first_customer + n,
                "Sam Buyer",
                f"sam.{first_contact + n}@bench-shipping-{first_customer + n}.example",
                None,
                False,
                now,
            )
            for n in numbers
        ),
    )
    title = "Need CSV export for invoices"
    description = "Their finance team copies every invoice into a spreadsheet."
    ticket = {
        "title": title,
        "description": description,
        "submitted_by_id": submitter.pk,
        "source_team": submitter.team,
        "kind": "feature_request",
        "importance": "important",
        "revenue_at_stake": None,
        "product_area_id": None,
        "tags": [],
        "status": "linked",
        "initiative_id": initiative.pk,
        "duplicate_of_id": None,
        "decline_reason": "",
        "snoozed_until": None,
        "created_at": now,
        "updated_at": now,
        "customer_segment": "",  # the database copies the customer's (intake migration 0010)
        # One vector for them all: they are linked, so similar-feedback search never reads it.
        "embedding": item_embedding(title, description),
    }

    def ticket_row(n: int) -> tuple[object, ...]:
        row = {
            **ticket,
            "id": first_ticket + n,
            "customer_id": first_customer + n,
            "contact_id": first_contact + n,
        }
        return tuple(row[column] for column in TICKET_COLUMNS)

    copy_rows("intake_ticket", TICKET_COLUMNS, (ticket_row(n) for n in numbers))
    return initiative


@contextmanager
def smtp_sink(logs: Path) -> Iterator[tuple[int, Server]]:
    """aiosmtpd with its Sink handler, which accepts every message and keeps none; its port."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "aiosmtpd",
        "--nosetuid",
        "--listen",
        f"127.0.0.1:{port}",
        "--class",
        "aiosmtpd.handlers.Sink",
    ]
    with server("aiosmtpd", command, env=dict(os.environ), log=logs / "smtp-sink.log") as sink:
        sink.wait_for(lambda: port_open(port), what=f"the SMTP sink on port {port}")
        yield port, sink


@contextmanager
def celery_worker(*, smtp_port: int, logs: Path, processes: int) -> Iterator[Server]:
    """`celery -A feedbackloop worker` with `processes` worker processes, sending into the
    sink; ready when it answers a ping."""
    from feedbackloop.celery import app

    name = f"bench{os.getpid()}-{processes}@{socket.gethostname()}"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "feedbackloop",
        "worker",
        f"--concurrency={processes}",
        "--loglevel=warning",
        "-n",
        name,
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"}
    log = logs / f"celery-worker-{processes}.log"
    with server("celery worker", command, env=env, log=log) as worker:
        worker.wait_for(
            lambda: app.control.ping(destination=[name], timeout=0.5),
            what="the Celery worker to answer a ping",
        )
        yield worker


def _wait_sent(initiative: Initiative, expected: int, worker: Server) -> None:
    from django.db.models import Count

    from notifications.models import DeliveryStatus, Notification, NotificationKind

    deadline = time.monotonic() + 60 + expected * 0.05
    while True:
        counts = dict(
            Notification.objects.filter(
                initiative=initiative, kind=NotificationKind.CUSTOMER_SHIPPED
            )
            .values_list("status")
            .annotate(n=Count("id"))
        )
        if counts.get(DeliveryStatus.SENT, 0) == expected:
            return
        if counts.get(DeliveryStatus.FAILED) or not worker.running or time.monotonic() > deadline:
            raise RuntimeError(
                f"shipping emails: {counts} of {expected} expected sent; worker log:\n"
                f"{worker.log_tail()}"
            )
        time.sleep(0.1)


def _sample_message(initiative: Initiative) -> tuple[str, bytes]:
    """One of the emails the worker sent, as bytes, and who sent it."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    from notifications.models import Notification, NotificationKind

    notification = Notification.objects.filter(
        initiative=initiative, kind=NotificationKind.CUSTOMER_SHIPPED
    ).first()
    assert notification is not None
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        to=[notification.recipient_email],
        headers={"Message-ID": notification.message_id},
    )
    message.attach_alternative(notification.body_html, "text/html")
    # CRLF line ends, as Django's SMTP backend sends it (the sink refuses bare LF lines).
    return settings.DEFAULT_FROM_EMAIL, message.message().as_bytes().replace(b"\n", b"\r\n")


def smtp_floor(port: int, sender: str, message: bytes, count: int) -> float:
    """Send `message` `count` times over one SMTP connection; the seconds it took."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
        for n in range(count):
            smtp.sendmail(sender, [f"reader.{n}@bench-floor.example"], message)
    return time.perf_counter() - start


@dataclass(frozen=True)
class _Run:
    """One timed ship: seconds until every email was sent, those of it spent recording and
    queueing them in the ship's transaction, and the CPU seconds the worker (all its
    processes) and the sink used meanwhile (None without /proc)."""

    seconds: float
    recorded: float
    worker_cpu: float | None
    sink_cpu: float | None


def _cpu_used(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def _ship_and_time(
    *, emails: int, manager: User, submitter: User, worker: Server, sink: Server
) -> tuple[Initiative, _Run]:
    """Ship an initiative that `emails` contacts asked for and wait for every email."""
    from triage.services import initiative_ship

    initiative = initiative_with_audience(contacts=emails, manager=manager, submitter=submitter)
    worker_cpu, sink_cpu = worker.cpu_seconds(), sink.cpu_seconds()
    start = time.perf_counter()
    initiative_ship(initiative=initiative, by=manager, release_note=RELEASE_NOTE)
    recorded = time.perf_counter() - start
    _wait_sent(initiative, emails, worker)
    run = _Run(
        seconds=time.perf_counter() - start,
        recorded=recorded,
        worker_cpu=_cpu_used(worker_cpu, worker.cpu_seconds()),
        sink_cpu=_cpu_used(sink_cpu, sink.cpu_seconds()),
    )
    return initiative, run


def _per_email(cpu: float | None, emails: int) -> str:
    return "?" if cpu is None else f"{cpu / emails * 1000:.2f}"


def delivery_rates(
    *, emails: int, manager: User, submitter: User, redis_url: str, logs: Path
) -> list[Rate]:
    """Ship an initiative that `emails` contacts asked for and time its emails out, with two
    worker processes, then with one (another initiative), each beside the floor. The notes say
    the CPU an email took: the worker's, the sink's, and the floor's."""
    runs: dict[int, _Run] = {}
    with smtp_sink(logs) as (smtp_port, sink):
        for processes in (2, 1):
            # Tasks queued by an earlier run that stopped half-way would be sent first.
            with redis.Redis.from_url(redis_url) as broker:
                broker.flushdb()
            with celery_worker(smtp_port=smtp_port, logs=logs, processes=processes) as worker:
                initiative, runs[processes] = _ship_and_time(
                    emails=emails, manager=manager, submitter=submitter, worker=worker, sink=sink
                )
        sender, message = _sample_message(initiative)
        sink_before, client_before = sink.cpu_seconds(), time.process_time()
        floor_seconds = smtp_floor(smtp_port, sender, message, emails)
        floor_client = time.process_time() - client_before
        floor_sink = _cpu_used(sink_before, sink.cpu_seconds())
    floor = (
        "floor: smtplib sending the same message over one connection "
        f"(CPU ms an email: {floor_client / emails * 1000:.2f} smtplib, "
        f"{_per_email(floor_sink, emails)} sink)"
    )

    def cpu(run: _Run) -> str:
        return (
            f"CPU ms an email: {_per_email(run.worker_cpu, emails)} worker, "
            f"{_per_email(run.sink_cpu, emails)} sink"
        )

    two, one = runs[2], runs[1]
    return [
        Rate(
            label="shipping emails",
            count=emails,
            seconds=two.seconds,
            floor_seconds=floor_seconds,
            note=(
                f"{emails:,} contacts told by two worker processes (celery worker "
                f"--concurrency=2, batches of {_batch_size()}), {one.seconds / two.seconds:.2f}x "
                f"the rate of one; {two.recorded:.1f} s of it recording and queueing in the "
                f"ship's transaction; {cpu(two)}; {floor}"
            ),
        ),
        Rate(
            label="shipping emails, 1 process",
            count=emails,
            seconds=one.seconds,
            floor_seconds=floor_seconds,
            note=(
                f"the same with one worker process (--concurrency=1); {one.recorded:.1f} s of it "
                f"recording and queueing; {cpu(one)}"
            ),
        ),
    ]


def _batch_size() -> int:
    from django.conf import settings

    return int(settings.NOTIFICATION_BATCH_SIZE)

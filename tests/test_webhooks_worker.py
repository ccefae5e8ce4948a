"""Webhooks through the real parts: a Celery worker process on Redis sends each event to a
local receiver that checks the signature; a worker killed while an endpoint holds a request
leaves nothing lost, and only what was in flight goes twice, with the same delivery id and
bytes (so the receiver, deduplicating on X-FeedbackLoop-Delivery, takes each event once)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.retry import SWEEP_PENDING_AFTER
from notifications.services import notifications_sweep
from tests.smtp import SmtpSink
from tests.webhooks import SECRET, Answer, Receiver, receiving
from tests.worker import CeleryWorker, wait_for, worker_env
from webhooks.models import WebhookEvent
from webhooks.services import endpoint_create
from webhooks.tests.test_delivery import file_ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

EVENTS = 6


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as server:
        yield server


@pytest.fixture
def worker(transactional_db, sink: SmtpSink, broker: str, tmp_path: Path) -> Iterator[CeleryWorker]:
    process = CeleryWorker(
        env=worker_env(
            broker_url=broker,
            email_url=sink.url,
            WEBHOOKS_ALLOW_PRIVATE="1",
            WEBHOOKS_TIMEOUT_SECONDS="15",
        ),
        log_path=tmp_path / "worker.log",
        concurrency=2,
    )
    yield process
    process.close()


def statuses() -> Counter[str]:
    return Counter(
        Notification.objects.filter(kind=NotificationKind.WEBHOOK).values_list("status", flat=True)
    )


def test_a_worker_sends_each_event_signed_and_retries_a_500(
    admin_user, submitter, receiver: Receiver, worker: CeleryWorker
) -> None:
    endpoint_create(by=admin_user, url=receiver.url(), secret=SECRET, events=["ticket.created"])
    receiver.answer("/hook", Answer(status=500))
    worker.start(NOTIFICATION_BACKOFF_SECONDS="1")  # the retry within a second or so
    ticket = file_ticket(submitter)
    wait_for(lambda: statuses() == {DeliveryStatus.SENT: 1}, what="the event sent", worker=worker)
    got = receiver.at()
    assert len(got) == 2, "the 500, then the retry"
    assert all(r.signature_ok for r in got)
    assert got[0].delivery_id == got[1].delivery_id == str(WebhookEvent.objects.get().pk)
    assert got[1].json["data"]["id"] == ticket.pk


def test_a_worker_killed_mid_send_loses_nothing_and_resends_only_what_was_in_flight(
    admin_user, submitter, receiver: Receiver, worker: CeleryWorker
) -> None:
    endpoint_create(by=admin_user, url=receiver.url(), secret=SECRET, events=["ticket.created"])
    # The endpoint holds every request a while: the kill lands while one is being sent.
    receiver.default = Answer(delay=3)
    worker.start()
    for n in range(EVENTS):
        file_ticket(submitter, f"Ask {n}")
    wait_for(
        lambda: statuses()[DeliveryStatus.SENDING] >= 1 and len(receiver.at()) >= 1,
        what="a delivery in flight",
        worker=worker,
    )
    worker.kill()
    in_flight = {
        str(row.webhook_delivery.event_id)
        for row in Notification.objects.filter(
            kind=NotificationKind.WEBHOOK, status=DeliveryStatus.SENDING
        )
    }
    assert 1 <= len(in_flight) <= 2
    assert statuses()[DeliveryStatus.SENT] < EVENTS

    receiver.default = Answer()
    swept = notifications_sweep(
        now=timezone.now() + SWEEP_PENDING_AFTER + timedelta(seconds=1),
        stuck_after=timedelta(0),
    )
    assert swept["released"] == len(in_flight)
    worker.start()
    wait_for(
        lambda: statuses() == {DeliveryStatus.SENT: EVENTS},
        what=f"all {EVENTS} events sent",
        worker=worker,
        timeout=90,
    )
    got = receiver.at()
    assert all(r.signature_ok for r in got)
    per_event = Counter(r.delivery_id for r in got)
    assert set(per_event) == {str(pk) for pk in WebhookEvent.objects.values_list("pk", flat=True)}
    twice = {event_id for event_id, count in per_event.items() if count > 1}
    assert twice <= in_flight, "only a request in flight at the kill may arrive twice"
    assert max(per_event.values()) <= 2
    for event_id in twice:
        assert len({r.body for r in got if r.delivery_id == event_id}) == 1

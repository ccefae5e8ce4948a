"""Outgoing webhooks against a real local receiver (tests/webhooks.py) that checks each
signature as the README tells receivers to: every event of the loop arrives signed, in the
shape the API shows; 5xx and timeouts are tried again with the same delivery id; a redirect,
a 4xx and a private address are not; a day of failures turns the endpoint off."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.errors import DomainError
from intake.models import Ticket
from intake.serializers import TicketSerializer
from intake.services import ticket_create
from intake.tests.factories import TicketFactory
from notifications.models import DeliveryStatus, Notice, Notification, NotificationKind
from notifications.retry import next_attempt_at
from notifications.services import notification_deliver
from tests.webhooks import SECRET, Answer, Receiver, receiving
from triage.models import InitiativeStatus
from triage.serializers import InitiativeSerializer
from triage.services import (
    initiative_move,
    initiative_ship,
    ticket_decline,
    ticket_initiative_create,
    ticket_link,
    ticket_mark_duplicate,
    ticket_snooze,
)
from triage.tests.factories import InitiativeFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db
PENDING, SENT, FAILED = DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.FAILED
SUPPRESSED = DeliveryStatus.SUPPRESSED


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as server:
        yield server


def register(admin: User, receiver: Receiver, path: str = "/hook", events: Any = ("*",)) -> Any:
    return endpoint_create(by=admin, url=receiver.url(path), secret=SECRET, events=list(events))


def file_ticket(submitter: User, title: str = "Export invoices as CSV") -> Ticket:
    return ticket_create(
        submitted_by=submitter,
        title=title,
        description="They copy each invoice by hand at month end.",
        company="Acme Inc",
        email="ops@acme.example",
        source_team="sales",
        kind="feature_request",
        importance="critical",
    )


def webhook_rows() -> list[Notification]:
    return list(Notification.objects.filter(kind=NotificationKind.WEBHOOK).order_by("pk"))


def deliver_due(row: Notification) -> str | None:
    """Try a row now, as the worker would once its next attempt is due."""
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    return notification_deliver(notification_id=row.pk)


# ---------------------------------------------------------------------------------------------
# The loop: file → triage → ship → customer told


def test_every_event_of_the_loop_arrives_signed_with_the_object_as_the_api_shows_it(
    admin_user, pm, submitter, receiver, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    register(admin_user, receiver)
    # Each change commits, then its deliveries are queued (eager here: sent at once).
    with django_capture_on_commit_callbacks(execute=True):
        first = file_ticket(submitter)
    with django_capture_on_commit_callbacks(execute=True):
        initiative = ticket_initiative_create(ticket=first, by=pm, title="CSV export")
    linked, duplicate, declined, snoozed = TicketFactory.create_batch(4)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_link(ticket=linked, initiative=initiative, by=pm)
        ticket_mark_duplicate(ticket=duplicate, of=first, by=pm)
        ticket_decline(ticket=declined, by=pm, reason="Not something we will build.")
        ticket_snooze(ticket=snoozed, by=pm, until=timezone.localdate() + timedelta(days=7))
    with django_capture_on_commit_callbacks(execute=True):
        initiative_move(initiative=initiative, by=pm, status="in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        initiative_ship(initiative=initiative, by=pm, release_note="CSV export is live.")

    got = receiver.at()
    assert all(r.signature_ok for r in got), "every delivery verifies with the secret"
    assert {r.event_type for r in got} == {
        "ticket.created",
        "ticket.triaged",
        "initiative.created",
        "initiative.status_changed",
        "initiative.shipped",
        "customer.notified",
    }
    for r in got:
        body = r.json
        assert {"id", "type", "created_at", "data"} <= set(body)
        assert body["type"] == r.event_type == r.headers["X-FeedbackLoop-Event"]
        assert body["id"] == r.delivery_id
        assert datetime.datetime.fromisoformat(body["created_at"]).tzinfo is not None
        assert r.headers["Content-Type"] == "application/json"
    by_type: dict[str, list[Any]] = {}
    for r in got:
        by_type.setdefault(r.event_type, []).append(r.json)

    created = by_type["ticket.created"][0]["data"]
    assert set(created) == set(TicketSerializer.Meta.fields)
    assert (created["id"], created["status"], created["title"]) == (
        first.pk,
        "new",
        "Export invoices as CSV",
    )
    assert created["customer"]["company"] == "Acme Inc"
    triaged = {body["action"]: body["data"] for body in by_type["ticket.triaged"]}
    assert set(triaged) == {"new_initiative", "linked", "duplicate", "declined", "snoozed"}
    assert triaged["new_initiative"]["initiative"] == initiative.pk
    assert triaged["new_initiative"]["status"] == "linked"
    assert triaged["duplicate"]["status"] == "duplicate"
    assert triaged["declined"]["status"] == "declined"
    assert triaged["snoozed"]["status"] == "snoozed"
    assert by_type["initiative.created"][0]["data"]["title"] == "CSV export"
    assert set(by_type["initiative.created"][0]["data"]) == set(InitiativeSerializer.Meta.fields)
    changes = by_type["initiative.status_changed"]
    moves = [(body["previous_status"], body["data"]["status"]) for body in changes]
    assert moves == [("proposed", "in_progress"), ("in_progress", "shipped")]
    shipped = by_type["initiative.shipped"][0]["data"]
    assert (shipped["status"], shipped["release_note"]) == ("shipped", "CSV export is live.")
    # The customers of the linked and the duplicate tickets were emailed; each send is an event.
    told = sorted(body["data"]["recipient"] for body in by_type["customer.notified"])
    emailed = Notification.objects.filter(kind=NotificationKind.CUSTOMER_SHIPPED, status=SENT)
    assert told == sorted(row.recipient_email for row in emailed)
    assert set(told) <= {message.to[0] for message in mailoutbox}
    assert len(told) == 3
    assert all(body["data"]["status"] == "sent" for body in by_type["customer.notified"])
    # One delivery per event, each sent once.
    assert len(got) == WebhookEvent.objects.count()
    assert {row.status for row in webhook_rows()} == {SENT}


def test_an_endpoint_hears_only_the_event_types_it_chose(
    admin_user, pm, submitter, receiver, django_capture_on_commit_callbacks
) -> None:
    register(admin_user, receiver, "/ships", events=["initiative.shipped"])
    inactive = register(admin_user, receiver, "/off")
    WebhookEndpoint.objects.filter(pk=inactive.pk).update(active=False)
    initiative = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        file_ticket(submitter)
        initiative_ship(initiative=initiative, by=pm, release_note="Out now.")
    assert receiver.types("/ships") == ["initiative.shipped"]
    assert receiver.at("/off") == []


def test_no_endpoint_no_rows_and_a_change_rolled_back_sends_nothing(
    admin_user, submitter, receiver
) -> None:
    file_ticket(submitter)
    assert WebhookEvent.objects.count() == 0
    register(admin_user, receiver)

    def file_then_fail() -> None:
        with transaction.atomic():
            file_ticket(submitter)
            assert WebhookEvent.objects.count() == 1  # written with the ticket …
            raise RuntimeError("the change fails after the ticket was written")

    with pytest.raises(RuntimeError):
        file_then_fail()
    # … and gone with it: the outbox row never outlives the change.
    assert WebhookEvent.objects.count() == 0
    assert webhook_rows() == []


# ---------------------------------------------------------------------------------------------
# Bad endpoints: 500, hangs, slow answers, redirects, refusals


def test_a_5xx_is_tried_again_with_backoff_and_the_same_delivery_id_until_taken(
    admin_user, submitter, receiver
) -> None:
    endpoint = register(admin_user, receiver)
    receiver.answer("/hook", Answer(status=500, body=b"boom"), Answer(status=503))
    file_ticket(submitter)
    [row] = webhook_rows()

    before = timezone.now()
    assert notification_deliver(notification_id=row.pk) == PENDING
    row.refresh_from_db()
    assert row.attempts == 1
    assert "HTTP 500: boom" in row.last_error
    assert row.next_attempt_at is not None
    assert row.next_attempt_at > before
    # Not due yet: a wake-up call before its time sends nothing.
    assert notification_deliver(notification_id=row.pk) is None
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None

    assert deliver_due(row) == PENDING
    assert deliver_due(row) == SENT
    got = receiver.at()
    assert len(got) == 3
    assert len({r.delivery_id for r in got}) == 1, "the same event id on every try"
    assert len({r.body for r in got}) == 1, "the same bytes on every try"
    assert all(r.signature_ok for r in got)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    delivery = WebhookDelivery.objects.get()
    assert delivery.response_status == 200
    assert delivery.notification.attempts == 3


def test_an_endpoint_that_hangs_is_cut_off_and_tried_again_without_holding_up_others(
    admin_user, submitter, receiver, settings
) -> None:
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1.0
    register(admin_user, receiver, "/hangs")
    register(admin_user, receiver, "/fine")
    receiver.answer("/hangs", Answer(delay=5))
    file_ticket(submitter)
    hanging, fine = sorted(
        webhook_rows(), key=lambda row: row.webhook_delivery.endpoint.url.endswith("/fine")
    )

    started = time.monotonic()
    assert notification_deliver(notification_id=hanging.pk) == PENDING
    assert time.monotonic() - started < 2.5, "a hanging endpoint is given the timeout, no more"
    hanging.refresh_from_db()
    assert "no answer within 1 s" in hanging.last_error
    assert WebhookDelivery.objects.get(notification=hanging).response_status == 0
    # Its neighbour is its own row and its own task: it goes out whatever the other does.
    assert notification_deliver(notification_id=fine.pk) == SENT
    assert len(receiver.at("/fine")) == 1


def test_a_slow_answer_within_the_timeout_is_delivered_and_one_dripped_past_it_is_not(
    admin_user, submitter, receiver, settings
) -> None:
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1.5
    register(admin_user, receiver)
    receiver.answer(
        "/hook", Answer(delay=0.5), Answer(status=200, drip=0.4, body=b"slowly, slowly")
    )
    file_ticket(submitter, "One")
    file_ticket(submitter, "Two")
    slow, dripping = webhook_rows()
    assert notification_deliver(notification_id=slow.pk) == SENT
    started = time.monotonic()
    assert notification_deliver(notification_id=dripping.pk) == PENDING
    assert time.monotonic() - started < 3
    dripping.refresh_from_db()
    assert "no answer within" in dripping.last_error


def test_a_redirect_is_not_followed_and_fails_the_delivery(admin_user, submitter, receiver) -> None:
    register(admin_user, receiver)
    receiver.answer("/hook", Answer(status=302, location=receiver.url("/elsewhere")))
    file_ticket(submitter)
    [row] = webhook_rows()
    assert notification_deliver(notification_id=row.pk) == FAILED
    row.refresh_from_db()
    assert "redirected to" in row.last_error
    assert "not followed" in row.last_error
    assert receiver.at("/elsewhere") == []


def test_a_4xx_fails_at_once(admin_user, submitter, receiver) -> None:
    register(admin_user, receiver)
    receiver.answer("/hook", Answer(status=410, body=b"gone"))
    file_ticket(submitter)
    [row] = webhook_rows()
    assert notification_deliver(notification_id=row.pk) == FAILED
    assert len(receiver.at()) == 1


def test_webhook_rows_are_tried_for_a_day_not_a_number_of_times() -> None:
    now = timezone.now()
    until = now + timedelta(hours=25)
    again = next_attempt_at(attempts=40, transient=True, now=now, until=until)
    assert again is not None
    assert now < again <= now + timedelta(hours=1)
    assert next_attempt_at(attempts=2, transient=True, now=until, until=until) is None
    assert next_attempt_at(attempts=1, transient=False, now=now, until=until) is None


def test_a_day_of_failures_turns_the_endpoint_off_and_tells_the_admins(
    admin_user, submitter, receiver
) -> None:
    endpoint = register(admin_user, receiver)
    receiver.default = Answer(status=500)
    file_ticket(submitter, "One")
    file_ticket(submitter, "Two")
    first, second = webhook_rows()
    assert notification_deliver(notification_id=first.pk) == PENDING
    # Still failing a day later.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=1, minutes=1)
    )
    assert deliver_due(first) == FAILED
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_at is not None
    assert "failed for a day" in endpoint.disabled_reason
    notice = Notice.objects.get(user=admin_user, kind=NotificationKind.WEBHOOK_DISABLED)
    assert endpoint.url in notice.text
    from audit.actions import Action
    from audit.models import AuditEvent

    turned_off = AuditEvent.objects.get(action=Action.WEBHOOK_DISABLED)
    assert (turned_off.actor, turned_off.actor_name) == (None, "FeedbackLoop")
    assert turned_off.changes["active"] == [True, False]
    assert notice.url == f"/webhooks/{endpoint.pk}/"
    # What still waited for it is not sent; nothing new is written for it.
    assert deliver_due(second) == SUPPRESSED
    file_ticket(submitter, "Three")
    assert len(webhook_rows()) == 2
    assert len(receiver.at()) == 2


# ---------------------------------------------------------------------------------------------
# Private addresses


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_an_address_that_resolves_to_a_private_network_is_refused(
    admin_user, settings, url
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(DomainError) as refused:
        endpoint_create(by=admin_user, url=url, secret=SECRET, events=["*"])
    assert refused.value.field == "url"
    assert "private" in refused.value.message
    assert not WebhookEndpoint.objects.exists()


def test_a_public_address_is_accepted(admin_user, settings) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    endpoint = endpoint_create(
        by=admin_user, url="https://93.184.216.34/hooks", secret=SECRET, events=["*"]
    )
    assert endpoint.active


def test_the_address_is_checked_again_when_sending(
    admin_user, submitter, receiver, settings
) -> None:
    register(admin_user, receiver)
    file_ticket(submitter)
    [row] = webhook_rows()
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # as if its name resolved elsewhere since
    assert notification_deliver(notification_id=row.pk) == FAILED
    row.refresh_from_db()
    assert "127.0.0.1" in row.last_error
    assert receiver.at() == []


def test_the_body_sent_is_the_stored_event_byte_for_byte(admin_user, submitter, receiver) -> None:
    register(admin_user, receiver)
    file_ticket(submitter)
    [row] = webhook_rows()
    notification_deliver(notification_id=row.pk)
    event = WebhookEvent.objects.get()
    assert receiver.at()[0].body == event.body.encode()
    assert json.loads(event.body)["id"] == str(event.pk)


def test_a_stalled_webhook_row_is_released_whatever_its_attempt_count(
    admin_user, submitter, receiver
) -> None:
    from notifications.services import notifications_sweep

    register(admin_user, receiver)
    file_ticket(submitter)
    [row] = webhook_rows()
    # Its worker died mid-send on its 9th try (webhooks are tried for a day, not 6 times).
    Notification.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING, attempts=9, claimed_at=timezone.now()
    )
    swept = notifications_sweep(now=timezone.now(), stuck_after=timedelta(0))
    assert (swept["released"], swept["failed"]) == (1, 0)
    assert deliver_due(row) == SENT


def test_merging_an_initiative_announces_its_status_change(
    admin_user, pm, receiver, django_capture_on_commit_callbacks
) -> None:
    from triage.services import initiative_merge

    register(admin_user, receiver, events=["initiative.status_changed"])
    source, target = InitiativeFactory.create_batch(2)
    with django_capture_on_commit_callbacks(execute=True):
        initiative_merge(initiative=source, into=target, by=pm)
    [got] = receiver.at()
    assert got.json["previous_status"] == "proposed"
    assert (got.json["data"]["id"], got.json["data"]["status"]) == (source.pk, "declined")


def test_a_name_that_does_not_resolve_when_sending_is_tried_again(
    admin_user, submitter, settings
) -> None:
    endpoint_create(by=admin_user, url="https://hooks.example.com/in", secret=SECRET, events=["*"])
    file_ticket(submitter)
    [row] = webhook_rows()
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # so the name is looked up
    WebhookEndpoint.objects.update(url="https://no-such-host.invalid/in")
    assert notification_deliver(notification_id=row.pk) == PENDING
    row.refresh_from_db()
    assert "could not be resolved" in row.last_error

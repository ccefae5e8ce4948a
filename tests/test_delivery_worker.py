"""Closing the loop with the real parts: shipping an initiative, a Celery worker process on
Redis, PostgreSQL and an SMTP server — each customer is told once, through worker restarts,
crashes and SMTP refusals, and an unsubscribed contact is never emailed.

The worker runs the production settings (feedbackloop.settings) against the test database;
this process publishes to the same Redis instead of running tasks eagerly.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from accounts.models import User
from intake.models import (
    Contact,
    Customer,
    Importance,
    Kind,
    SourceTeam,
    Ticket,
    TicketStatus,
)
from intake.selectors import unsubscribe_url
from intake.services import contact_unsubscribe
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.retry import MAX_ATTEMPTS, SWEEP_PENDING_AFTER
from notifications.services import notifications_sweep
from tests.smtp import SmtpSink
from tests.worker import (
    CeleryWorker,
    broker_queued,
    wait_for,
    worker_env,
)
from triage.models import Initiative, InitiativeStatus
from triage.services import initiative_ship, ticket_link, ticket_mark_duplicate
from triage.tests.factories import InitiativeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

CONCURRENCY = 2
BATCH = 500
# Stop the worker after this many: not a multiple of the batch size, so both pool processes
# are in the middle of a batch rather than between two.
MID_BATCH = 125
# What is left of the batch after a restart takes a few seconds, but a machine busy with other
# work (two shared CPUs running another suite) has taken over 30: this bounds a failure only.
ALL_SENT_WITHIN = 120
SENT, SENDING, PENDING = DeliveryStatus.SENT, DeliveryStatus.SENDING, DeliveryStatus.PENDING
FAILED, SUPPRESSED = DeliveryStatus.FAILED, DeliveryStatus.SUPPRESSED
UNSUBSCRIBE_LINK = re.compile(r"https?://\S+/unsubscribe/\S+/")


@pytest.fixture
def worker(transactional_db, sink: SmtpSink, broker: str, tmp_path: Path) -> Iterator[CeleryWorker]:
    """A worker, not yet started: each test starts (and stops, or kills) it when it needs to."""
    process = CeleryWorker(
        env=worker_env(broker_url=broker, email_url=sink.url),
        log_path=tmp_path / "worker.log",
        concurrency=CONCURRENCY,
    )
    yield process
    process.close()


# ---------------------------------------------------------------------------------------------
# Helpers


def in_progress(title: str) -> Initiative:
    return InitiativeFactory.create(title=title, status=InitiativeStatus.IN_PROGRESS)


def ship(initiative: Initiative, pm: User, note: str = "It is live for everyone.") -> None:
    initiative_ship(initiative=initiative, by=pm, release_note=note)


def many_asks(initiative: Initiative, submitter: User, count: int) -> list[Contact]:
    """`count` customers, one contact and one linked ticket each (written in bulk: it is setup)."""
    customers = Customer.objects.bulk_create(
        Customer(name=f"Customer {n}", name_key=f"customer {n}") for n in range(count)
    )
    contacts = Contact.objects.bulk_create(
        Contact(customer=customer, name=f"Buyer {n}", email=f"buyer{n}@customer{n}.example")
        for n, customer in enumerate(customers)
    )
    Ticket.objects.bulk_create(
        Ticket(
            title=f"Export invoices in bulk, please (#{n})",
            description="They export one invoice at a time.",
            customer=contact.customer,
            contact=contact,
            submitted_by=submitter,
            source_team=SourceTeam.SALES,
            kind=Kind.FEATURE_REQUEST,
            importance=Importance.IMPORTANT,
            status=TicketStatus.LINKED,
            initiative=initiative,
        )
        for n, contact in enumerate(contacts)
    )
    return contacts


def customer_rows(initiative: Initiative) -> list[Notification]:
    return list(
        Notification.objects.filter(
            initiative=initiative, kind=NotificationKind.CUSTOMER_SHIPPED
        ).order_by("pk")
    )


def statuses(initiative: Initiative) -> Counter[str]:
    """How many customer rows of the initiative are in each status (polled: one light query)."""
    counts = (
        Notification.objects.filter(initiative=initiative, kind=NotificationKind.CUSTOMER_SHIPPED)
        .values_list("status")
        .annotate(count=Count("id"))
        .order_by()
    )
    return Counter(dict(counts))


def all_settled(initiative: Initiative) -> bool:
    """No customer row of the initiative is waiting or being sent."""
    counts = statuses(initiative)
    return sum(counts.values()) > 0 and counts[PENDING] == counts[SENDING] == 0


# ---------------------------------------------------------------------------------------------
# 1. Each customer is told once, with their own words and a working unsubscribe link


def test_shipping_tells_each_customer_once_with_their_words_and_a_working_unsubscribe_link(
    pm: User, submitter: User, sink: SmtpSink, worker: CeleryWorker
) -> None:
    worker.start()
    initiative = in_progress("CSV export")
    asks = {
        "ops@acme.example": ["Export invoices to CSV — “with VAT” & <totals>"],
        "finance@globex.example": ["Our accountant needs a spreadsheet of last month's orders"],
        # Two asks from one contact (the second a duplicate of the first): still one email.
        "cfo@initech.example": ["CSV download of the ledger", "Excel export for the auditors"],
    }
    for company, (email, titles) in zip(["Acme", "Globex", "Initech"], asks.items(), strict=True):
        customer = CustomerFactory.create(name=company, name_key=company.casefold())
        contact = ContactFactory.create(customer=customer, email=email, name=f"{company} ops")
        first = None
        for title in titles:
            ticket = TicketFactory.create(
                title=title, customer=customer, contact=contact, submitted_by=submitter
            )
            if first is None:
                first = ticket_link(ticket=ticket, initiative=initiative, by=pm)
            else:
                ticket_mark_duplicate(ticket=ticket, of=first, by=pm)

    ship(initiative, pm, note="Every list has an “Export CSV” button now.")

    rows = customer_rows(initiative)
    assert sorted(row.recipient_email for row in rows) == sorted(asks)
    wait_for(
        lambda: statuses(initiative) == {SENT: 3} and len(sink.to(*asks)) == 3,
        what="three customer emails sent",
        worker=worker,
    )
    client = Client()
    for row in customer_rows(initiative):
        [received] = sink.to(row.recipient_email)
        assert received.rcpt_tos == (row.recipient_email,)
        assert received.message_id == row.message_id
        assert row.attempts == 1
        assert row.sent_at is not None
        assert received.header("Subject") == "You asked, we shipped: CSV export"
        text = received.body("plain")
        for title in asks[row.recipient_email]:
            assert f"“{title}”" in text  # the customer's words, unescaped in plain text
        assert "Every list has an “Export CSV” button now." in text
        assert submitter.display_name in text
        html = received.body("html")
        for title in asks[row.recipient_email]:
            assert f"“{escape(title)}”" in html

        [link] = UNSUBSCRIBE_LINK.findall(text)
        assert received.header("List-Unsubscribe") == f"<{link}>"
        assert received.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
        assert f'href="{link}"' in html
        path = urlparse(link).path

        confirm = client.get(path)
        assert confirm.status_code == 200
        assert "Unsubscribe?" in confirm.content.decode()
        assert row.recipient_email in confirm.content.decode()
        assert Contact.objects.get(email=row.recipient_email).unsubscribed_at is None

        # What a mail client sends for the one-click header (RFC 8058), no login, no CSRF.
        done = client.post(
            path,
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert done.status_code == 200
        assert "You are unsubscribed" in done.content.decode()
        assert Contact.objects.get(email=row.recipient_email).unsubscribed_at is not None

    # The submitter hears that their customers were told.
    def shipped_notices() -> list[str]:
        subjects = [message.header("Subject") for message in sink.to(submitter.email)]
        return [subject for subject in subjects if "shipped" in subject]

    wait_for(shipped_notices, what="the submitter's notice", worker=worker)
    assert shipped_notices() == ["“CSV export” shipped: we are emailing Acme, Globex, Initech"]


# ---------------------------------------------------------------------------------------------
# 2, 3. A worker stopped or killed in the middle of a batch


def ship_a_batch_and_wait_for_part(
    pm: User, submitter: User, sink: SmtpSink, worker: CeleryWorker
) -> tuple[Initiative, list[str]]:
    """Ship to BATCH contacts through a slowed-down server and return once part is sent, so a
    stop or kill lands mid-batch (the server holds each message a moment before saying 250)."""
    initiative = in_progress("Bulk invoice export")
    addresses = [contact.email for contact in many_asks(initiative, submitter, BATCH)]
    sink.reply_delay = 0.01
    worker.start()
    ship(initiative, pm)
    wait_for(lambda: len(sink.to(*addresses)) >= MID_BATCH, what="a part sent", worker=worker)
    return initiative, addresses


def test_a_worker_stopped_mid_batch_and_restarted_sends_every_email_once(
    pm: User, submitter: User, sink: SmtpSink, broker: str, worker: CeleryWorker
) -> None:
    initiative, addresses = ship_a_batch_and_wait_for_part(pm, submitter, sink, worker)

    assert worker.stop() == 0  # warm shutdown: finishes what it started, leaves the rest queued
    at_stop = statuses(initiative)
    print(f"\nSIGTERM: {at_stop[SENT]} sent, {at_stop[PENDING]} pending when the worker stopped")
    assert 0 < at_stop[SENT] < BATCH, "the stop did not land in the middle of the batch"
    assert at_stop[SENDING] == 0
    # Nothing was lost: the chunks it had not started went back to the queue.
    assert broker_queued(broker) >= at_stop[PENDING] / settings.NOTIFICATION_BATCH_SIZE

    # The sweep (beat, every minute) a minute later: queues the pending rows again, on top of
    # the chunks still in the queue — a row is claimed once however often it is queued.
    notifications_sweep(now=timezone.now() + SWEEP_PENDING_AFTER + timedelta(seconds=1))
    worker.start()
    wait_for(
        lambda: statuses(initiative) == {SENT: BATCH},
        what=f"all {BATCH} sent",
        worker=worker,
        timeout=ALL_SENT_WITHIN,
    )

    received = sink.message_ids(*addresses)
    assert sum(received.values()) == BATCH, f"duplicates: {received.most_common(3)}"
    assert set(received) == {row.message_id for row in customer_rows(initiative)}
    assert {row.attempts for row in customer_rows(initiative)} == {1}


def test_a_worker_killed_mid_batch_resends_only_what_was_in_flight_with_the_same_message_id(
    pm: User, submitter: User, sink: SmtpSink, worker: CeleryWorker
) -> None:
    initiative, addresses = ship_a_batch_and_wait_for_part(pm, submitter, sink, worker)

    worker.kill()  # SIGKILL to the main process and its pool processes: nothing is cleaned up
    at_kill = statuses(initiative)
    in_flight = {row.message_id for row in customer_rows(initiative) if row.status == SENDING}
    assert 0 < at_kill[SENT] < BATCH, "the kill did not land in the middle of the batch"
    assert len(in_flight) <= CONCURRENCY

    # The sweep once the stuck rows are old enough (here: at once) releases them, and queues
    # the rows whose chunks died with the worker (Redis would only give those back in an hour).
    swept = notifications_sweep(
        now=timezone.now() + SWEEP_PENDING_AFTER + timedelta(seconds=1),
        stuck_after=timedelta(0),
    )
    assert swept["released"] == len(in_flight)
    worker.start()
    wait_for(
        lambda: statuses(initiative) == {SENT: BATCH},
        what=f"all {BATCH} sent",
        worker=worker,
        timeout=ALL_SENT_WITHIN,
    )

    received = sink.to(*addresses)
    by_message_id = Counter(message.message_id for message in received)
    duplicates = sum(by_message_id.values()) - BATCH
    print(
        f"\nSIGKILL: {at_kill[SENT]} sent and {len(in_flight)} in flight when killed; "
        f"{duplicates} duplicate(s) after the restart"
    )
    assert set(by_message_id) == {row.message_id for row in customer_rows(initiative)}
    resent = {message_id for message_id, count in by_message_id.items() if count > 1}
    assert resent <= in_flight, "only a message being handed to the server may go twice"
    assert duplicates <= CONCURRENCY
    assert max(by_message_id.values()) <= 2
    # Each customer got one message, once or (in flight at the kill) twice: same Message-ID,
    # same words, as the body is rendered once and kept for the resend.
    by_recipient: dict[str, list[str]] = defaultdict(list)
    bodies: dict[str, set[str]] = defaultdict(set)
    for message in received:
        by_recipient[message.to].append(message.message_id)
        bodies[message.message_id].add(message.body("plain"))
    assert len(by_recipient) == BATCH
    assert all(len(set(ids)) == 1 for ids in by_recipient.values())
    assert all(len(texts) == 1 for texts in bodies.values())


# ---------------------------------------------------------------------------------------------
# 4. SMTP refusals


def test_smtp_refusals_are_retried_with_backoff_until_sent_or_given_up(
    pm: User, submitter: User, sink: SmtpSink, worker: CeleryWorker
) -> None:
    initiative = in_progress("SSO")
    busy, greylisted, unknown, down = (
        "it@busy.example",
        "it@greylisted.example",
        "nobody@unknown.example",
        "it@down.example",
    )
    for email in (busy, greylisted, unknown, down):
        ticket = TicketFactory.create(contact__email=email, submitted_by=submitter)
        ticket_link(ticket=ticket, initiative=initiative, by=pm)
    sink.refuse(3, to=busy)  # 421 at the end of DATA, three times
    sink.refuse(1, to=greylisted, at="RCPT", reply="450 4.2.0 Greylisted, try again in a bit")
    sink.refuse(99, to=unknown, at="RCPT", reply="550 5.1.1 No such user here")
    sink.refuse(99, to=down)  # 421 every time
    worker.start(NOTIFICATION_BACKOFF_SECONDS="0.1")
    ship(initiative, pm)

    wait_for(lambda: all_settled(initiative), what="every row sent or failed", worker=worker)
    rows = {row.recipient_email: row for row in customer_rows(initiative)}

    assert (rows[busy].status, rows[busy].attempts) == (SENT, 4)
    assert rows[busy].last_error == ""
    assert rows[busy].next_attempt_at is not None  # when the last retry was due
    assert len(sink.to(busy)) == 1

    assert (rows[greylisted].status, rows[greylisted].attempts) == (SENT, 2)
    assert len(sink.to(greylisted)) == 1

    assert (rows[unknown].status, rows[unknown].attempts) == (FAILED, 1)  # 5xx: no retry
    assert "550" in rows[unknown].last_error

    assert (rows[down].status, rows[down].attempts) == (FAILED, MAX_ATTEMPTS)
    assert "SMTP 421" in rows[down].last_error
    assert sink.to(unknown, down) == []


# ---------------------------------------------------------------------------------------------
# 5. Unsubscribed contacts get nothing


def test_an_unsubscribed_contact_gets_nothing_whenever_they_unsubscribed(
    pm: User, submitter: User, sink: SmtpSink, worker: CeleryWorker
) -> None:
    initiative = in_progress("Dark mode")
    emails = {
        "before": "before@a.example",  # unsubscribed before the ship
        "link": "link@b.example",  # used the link after the ship, before the worker ran
        "elsewhere": "elsewhere@c.example",  # unsubscribed outside the app (admin, import)
        "bouncing": "bouncing@d.example",  # found bouncing after the ship
        "told": "told@e.example",
    }
    contacts = {}
    for who, email in emails.items():
        ticket = TicketFactory.create(contact__email=email, submitted_by=submitter)
        ticket_link(ticket=ticket, initiative=initiative, by=pm)
        contacts[who] = ticket.contact
    contact_unsubscribe(contact=contacts["before"])

    ship(initiative, pm)
    rows = {row.recipient_email: row for row in customer_rows(initiative)}
    assert rows[emails["before"]].status == SUPPRESSED
    assert {rows[emails[who]].status for who in ("link", "elsewhere", "bouncing", "told")} == {
        PENDING
    }

    # Before any worker runs: one clicks the link, two are changed behind the outbox's back.
    path = urlparse(unsubscribe_url(contacts["link"])).path
    assert Client().post(path).status_code == 200
    Contact.objects.filter(pk=contacts["elsewhere"].pk).update(unsubscribed_at=timezone.now())
    Contact.objects.filter(pk=contacts["bouncing"].pk).update(bouncing=True)

    worker.start()
    wait_for(lambda: all_settled(initiative), what="every row sent or suppressed", worker=worker)
    rows = {row.recipient_email: row for row in customer_rows(initiative)}
    assert {email: rows[email].status for email in emails.values()} == {
        emails["before"]: SUPPRESSED,
        emails["link"]: SUPPRESSED,
        emails["elsewhere"]: SUPPRESSED,  # at send time
        emails["bouncing"]: SUPPRESSED,  # at send time
        emails["told"]: SENT,
    }
    assert [message.to for message in sink.to(*emails.values())] == [emails["told"]]
    # The link and the two found at send time never reached the server; nothing is retried.
    assert rows[emails["link"]].attempts == 0
    assert rows[emails["elsewhere"]].attempts == rows[emails["bouncing"]].attempts == 1


# ---------------------------------------------------------------------------------------------
# A message that cannot be built fails alone; the rest of its batch is sent


def test_a_row_whose_message_raises_fails_with_the_reason_and_the_batch_goes_on(
    pm: User, submitter: User, sink: SmtpSink, worker: CeleryWorker
) -> None:
    initiative = in_progress("Bulk invoice export")
    addresses = [contact.email for contact in many_asks(initiative, submitter, 5)]
    ship(initiative, pm)
    rows = customer_rows(initiative)
    # A subject with a line break, as rows written before titles were kept to one line have:
    # Django refuses the header (BadHeaderError, not an SMTP error).
    broken = rows[2]
    Notification.objects.filter(pk=broken.pk).update(subject="Shipped\r\nBcc: all@example.com")
    worker.start()
    wait_for(lambda: all_settled(initiative), what="every row settled", worker=worker)

    assert statuses(initiative) == {SENT: 4, FAILED: 1}
    broken.refresh_from_db()
    assert broken.status == FAILED
    assert "BadHeaderError" in broken.last_error
    assert broken.attempts == 1
    sent_to = set(addresses) - {broken.recipient_email}
    assert len(sink.to(*sent_to)) == 4
    assert sink.to(broken.recipient_email) == []


# ---------------------------------------------------------------------------------------------
# Batches: one connection to the mail server each; a refusal costs only its own message; workers
# share the outbox and never send one message twice


def test_each_batch_goes_over_one_connection_to_the_mail_server(
    pm: User, submitter: User, sink: SmtpSink, worker: CeleryWorker, settings: Any
) -> None:
    settings.NOTIFICATION_BATCH_SIZE = 20  # the batches are cut where the ship queues them
    initiative = in_progress("Bulk invoice export")
    addresses = [contact.email for contact in many_asks(initiative, submitter, 50)]
    worker.start()
    ship(initiative, pm)
    wait_for(
        lambda: statuses(initiative) == {SENT: 50} and len(sink.to(submitter.email)) == 1,
        what="all 50 sent, and the submitter's notice",
        worker=worker,
    )

    assert sorted(len(batch) for batch in sink.by_connection(*addresses)) == [10, 20, 20]
    # The submitter's notice went in a batch (and a connection) of its own.
    assert sink.connections == 4
    assert sum(sink.message_ids(*addresses).values()) == 50


def test_a_recipient_refused_mid_batch_fails_alone_and_the_rest_of_its_batch_goes_once(
    pm: User, submitter: User, sink: SmtpSink, worker: CeleryWorker
) -> None:
    initiative = in_progress("Bulk invoice export")
    many_asks(initiative, submitter, 5)
    ship(initiative, pm)
    # One batch, sent in the order it was queued (newest row first); its third one is refused.
    queued = [
        row.recipient_email
        for row in Notification.objects.filter(
            initiative=initiative, kind=NotificationKind.CUSTOMER_SHIPPED
        ).order_by("-created_at", "-id")
    ]
    refused = queued[2]
    sink.refuse(1, to=refused, at="RCPT", reply="550 5.1.1 No such user here")
    worker.start()
    wait_for(lambda: all_settled(initiative), what="every row sent or failed", worker=worker)

    rows = {row.recipient_email: row for row in customer_rows(initiative)}
    assert (rows[refused].status, rows[refused].attempts) == (FAILED, 1)
    assert "550" in rows[refused].last_error
    others = [email for email in queued if email != refused]
    assert {rows[email].status for email in others} == {SENT}
    assert {rows[email].attempts for email in others} == {1}
    # The refusal closed the connection; the rest of the batch went over a new one, once each.
    assert sink.by_connection(*others) == [queued[:2], queued[3:]]
    assert sink.to(refused) == []


def test_two_workers_on_one_outbox_never_send_the_same_message(
    pm: User,
    submitter: User,
    sink: SmtpSink,
    broker: str,
    worker: CeleryWorker,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.NOTIFICATION_BATCH_SIZE = 10
    # Each worker sends into a server of its own, so each message says which worker sent it.
    other_sink = SmtpSink()
    other_sink.start()
    other = CeleryWorker(
        env=worker_env(broker_url=broker, email_url=other_sink.url),
        log_path=tmp_path / "other-worker.log",
        concurrency=1,
    )
    try:
        initiative = in_progress("Bulk invoice export")
        addresses = [contact.email for contact in many_asks(initiative, submitter, 200)]
        sink.reply_delay = other_sink.reply_delay = 0.005
        worker.start()
        other.start()
        worker.wait_ready()
        other.wait_ready()

        ship(initiative, pm)
        # The sweep queues what is still pending again, in batches cut the other way round (the
        # oldest rows first): the two workers race for the same rows.
        swept = notifications_sweep(now=timezone.now() + SWEEP_PENDING_AFTER + timedelta(seconds=1))
        wait_for(
            lambda: statuses(initiative) == {SENT: 200},
            what="all 200 sent",
            worker=worker,
            timeout=ALL_SENT_WITHIN,
        )
        by_first, by_other = sink.message_ids(*addresses), other_sink.message_ids(*addresses)
    finally:
        other.close()
        other_sink.stop()

    print(
        f"\ntwo workers: {sum(by_first.values())} and {sum(by_other.values())} sent; "
        f"{swept['queued']} rows queued twice"
    )
    assert by_first, "the first worker sent some"
    assert by_other, "the other worker sent some"
    received = by_first + by_other
    assert sum(received.values()) == 200, f"duplicates: {received.most_common(3)}"
    assert set(received) == {row.message_id for row in customer_rows(initiative)}
    assert {row.attempts for row in customer_rows(initiative)} == {1}

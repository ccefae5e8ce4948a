"""Shipping tells every customer who asked, once; unsubscribing stops it; the log shows it all.

These run the real task code eagerly with Django's locmem email backend; the real worker, Redis
and SMTP server are in tests/test_delivery_worker.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from intake.models import Contact, Importance, Ticket, TicketStatus
from intake.selectors import contact_for_unsubscribe_token, unsubscribe_url
from intake.services import contact_unsubscribe
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from notifications.models import DeliveryStatus, EmailPreference, Notice, Notification
from notifications.services import notification_deliver, notifications_sweep
from tests.helpers import api_as
from triage.models import Initiative, InitiativeStatus
from triage.services import initiative_move, initiative_ship, ticket_link, ticket_mark_duplicate
from triage.shipping import initiative_shipped_notify, ship_audience
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _asks(pm: User, submitter: User, initiative: Initiative, companies: list[str]) -> list[Ticket]:
    tickets = []
    for name in companies:
        customer = CustomerFactory.create(name=name, name_key=name.casefold())
        contact = ContactFactory.create(customer=customer, email=f"ops@{name.lower()}.example")
        ticket = TicketFactory.create(
            title=f"{name} wants CSV",
            customer=customer,
            contact=contact,
            submitted_by=submitter,
            importance=Importance.IMPORTANT,
        )
        ticket_link(ticket=ticket, initiative=initiative, by=pm)
        tickets.append(ticket)
    return tickets


def _ship(initiative: Initiative, pm: User, note: str = "CSV export is live.") -> None:
    initiative_move(initiative=initiative, by=pm, status="planned")
    initiative_move(initiative=initiative, by=pm, status="in_progress")
    initiative_ship(initiative=initiative, by=pm, release_note=note)


def _customer_mail() -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith("You asked, we shipped")]


def test_shipping_emails_each_contact_once_with_their_words_and_an_unsubscribe_link(
    pm, submitter
) -> None:
    initiative = InitiativeFactory.create(title="CSV export")
    tickets = _asks(pm, submitter, initiative, ["Acme", "Globex", "Initech"])
    # A duplicate from Acme's same contact adds no second email; another contact at Globex does.
    same = TicketFactory.create(
        title="CSV again", customer=tickets[0].customer, contact=tickets[0].contact
    )
    ticket_mark_duplicate(ticket=same, of=tickets[0], by=pm)
    colleague = ContactFactory.create(customer=tickets[1].customer, email="cfo@globex.example")
    extra = TicketFactory.create(
        title="Spreadsheet of invoices", customer=tickets[1].customer, contact=colleague
    )
    ticket_mark_duplicate(ticket=extra, of=tickets[1], by=pm)

    _ship(initiative, pm)

    sent = _customer_mail()
    assert sorted(m.to[0] for m in sent) == [
        "cfo@globex.example",
        "ops@acme.example",
        "ops@globex.example",
        "ops@initech.example",
    ]
    acme = next(m for m in sent if m.to == ["ops@acme.example"])
    assert "“Acme wants CSV”" in acme.body
    assert "“CSV again”" in acme.body
    assert "CSV export is live." in acme.body
    assert submitter.display_name in acme.body
    html = acme.alternatives[0][0]
    assert "Acme wants CSV" in html
    link = re.search(r"Stop these emails: (\S+)", acme.body)
    assert link is not None
    assert acme.extra_headers["List-Unsubscribe"] == f"<{link.group(1)}>"
    assert acme.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    customer_rows = Notification.objects.filter(kind="customer_shipped")
    assert [row.status for row in customer_rows] == [DeliveryStatus.SENT] * 4
    # The submitter hears that their customers are being told.
    assert Notice.objects.filter(user=submitter, text__contains="shipped").count() == 1

    # Shipping again (back a step and forward) records and sends nothing new.
    initiative_move(initiative=initiative, by=pm, status="in_progress")
    initiative_ship(initiative=initiative, by=pm, release_note="Shipped.")
    assert len(_customer_mail()) == 4
    assert initiative_shipped_notify(initiative=initiative) == 0


def test_unsubscribed_contacts_get_a_suppressed_row_and_no_email(client, pm, submitter) -> None:
    initiative = InitiativeFactory.create(title="CSV export")
    acme, globex = _asks(pm, submitter, initiative, ["Acme", "Globex"])
    url = unsubscribe_url(acme.contact).removeprefix("http://localhost:8000")
    # The link works without a login: GET asks, POST unsubscribes.
    page = client.get(url)
    assert page.status_code == 200
    assert "Unsubscribe?" in page.content.decode()
    assert client.post(url).status_code == 200
    Contact.objects.filter(pk=globex.contact_id).update(bouncing=True)

    assert ship_audience(initiative=initiative).suppressed == 2
    _ship(initiative, pm)

    assert _customer_mail() == []
    statuses = set(
        Notification.objects.filter(initiative=initiative, kind="customer_shipped").values_list(
            "status", flat=True
        )
    )
    assert statuses == {DeliveryStatus.SUPPRESSED}


def test_a_tampered_unsubscribe_token_changes_nothing(client) -> None:
    contact = ContactFactory.create()
    url = unsubscribe_url(contact)
    token = url.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert contact_for_unsubscribe_token(tampered) is None
    response = client.post(f"/unsubscribe/{tampered}/")
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    contact.refresh_from_db()
    assert contact.unsubscribed_at is None


def test_unsubscribing_after_the_ship_stops_the_waiting_email(pm, submitter) -> None:
    initiative = InitiativeFactory.create()
    (acme,) = _asks(pm, submitter, initiative, ["Acme"])
    with transaction.atomic():
        # Delivery is queued for when this commits; the customer unsubscribes before that.
        _ship(initiative, pm)
        row = Notification.objects.get(kind="customer_shipped")
        assert row.status == DeliveryStatus.PENDING
        contact_unsubscribe(contact=acme.contact)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SUPPRESSED
    assert _customer_mail() == []
    # And at send time a row still pending for an unsubscribed contact is suppressed, not sent.
    Notification.objects.filter(pk=row.pk).update(status=DeliveryStatus.PENDING)
    assert notification_deliver(notification_id=row.pk) == DeliveryStatus.SUPPRESSED
    assert _customer_mail() == []


def test_the_sweep_sends_rows_the_fast_path_lost(pm, submitter) -> None:
    initiative = InitiativeFactory.create()
    _asks(pm, submitter, initiative, ["Acme", "Globex"])
    _ship(initiative, pm)
    mail.outbox.clear()
    # One row was being sent by a worker that died; one was never picked up.
    stuck, lost = Notification.objects.filter(kind="customer_shipped").order_by("pk")
    old = timezone.now() - timedelta(minutes=10)
    Notification.objects.filter(pk=stuck.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=old, created_at=old
    )
    Notification.objects.filter(pk=lost.pk).update(status=DeliveryStatus.PENDING, created_at=old)
    result = notifications_sweep()
    assert result == {"released": 1, "failed": 0, "queued": 2}
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        [stuck.message_id, lost.message_id]
    )
    assert notifications_sweep() == {"released": 0, "failed": 0, "queued": 0}


def test_a_batch_of_emails_costs_one_statement_each_and_a_few_for_the_batch(
    pm, submitter, django_assert_max_num_queries: Any
) -> None:
    from notifications.tasks import deliver_many

    initiative = InitiativeFactory.create()
    _asks(pm, submitter, initiative, [f"Customer{n}" for n in range(12)])
    _ship(initiative, pm)
    rows = list(Notification.objects.filter(kind="customer_shipped").values_list("pk", flat=True))

    def never_sent(ids: list[int]) -> None:
        Notification.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.PENDING, attempts=0, body_text="", body_html="", sent_at=None
        )
        mail.outbox.clear()

    never_sent(rows[:2])
    with django_assert_max_num_queries(20) as two:
        assert deliver_many(rows[:2]) == {DeliveryStatus.SENT: 2}
    never_sent(rows)
    # Each email: its claim (with its rendering, and the record of the email before it); the
    # rest once for the batch.
    with django_assert_max_num_queries(len(two.captured_queries) + len(rows) - 2):
        assert deliver_many(rows) == {DeliveryStatus.SENT: len(rows)}
    assert sorted(m.to[0] for m in _customer_mail()) == sorted(
        f"ops@customer{n}.example" for n in range(12)
    )


def test_staff_can_switch_email_off_per_kind(client, pm, submitter) -> None:
    client.force_login(submitter)
    # The settings are on the account page; their old address leads there.
    page = client.get(reverse("notifications:settings"), follow=True).content.decode()
    assert 'value="staff_declined" checked' in page
    client.post(reverse("notifications:settings"), {"emailed": ["staff_question"]})
    off = set(EmailPreference.objects.filter(user=submitter).values_list("kind", flat=True))
    assert "staff_declined" in off
    assert "staff_question" not in off
    assert "customer_shipped" not in off  # not a staff kind: ignored


def test_delivery_log_and_retry(client, pm, submitter) -> None:
    initiative = InitiativeFactory.create(title="CSV <b>export</b>")
    (acme,) = _asks(pm, submitter, initiative, ["Acme"])
    _ship(initiative, pm)
    row = Notification.objects.get(kind="customer_shipped")
    Notification.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, last_error="SMTP 421: busy"
    )
    client.force_login(submitter)
    assert client.get(reverse("notifications:deliveries")).status_code == 403
    assert client.post(reverse("notifications:retry", args=[row.pk])).status_code == 403

    client.force_login(pm)
    log = client.get(reverse("notifications:deliveries") + f"?initiative={initiative.pk}")
    body = log.content.decode()
    assert "ops@acme.example" in body
    assert "SMTP 421: busy" in body
    assert "CSV &lt;b&gt;export&lt;/b&gt;" in body
    assert "Retry" in body
    mail.outbox.clear()
    client.post(reverse("notifications:retry", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    assert [m.to for m in mail.outbox] == [["ops@acme.example"]]
    # Retrying a sent email is refused.
    response = client.post(reverse("notifications:retry", args=[row.pk]), follow=True)
    assert "not failed" in response.content.decode()
    assert acme.status == TicketStatus.LINKED


def test_delivery_log_and_api_make_a_fixed_number_of_queries(
    client, pm, submitter, django_assert_max_num_queries: Any
) -> None:
    initiative = InitiativeFactory.create()
    _asks(pm, submitter, initiative, ["A1", "A2"])
    _ship(initiative, pm)
    client.force_login(pm)
    api = api_as(pm)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("notifications:deliveries"))
    with django_assert_max_num_queries(4) as small_api:
        api.get("/api/notifications/")
    other = InitiativeFactory.create()
    _asks(pm, submitter, other, [f"B{i}" for i in range(15)])
    _ship(other, pm)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("notifications:deliveries"))
    with django_assert_max_num_queries(len(small_api.captured_queries)):
        response = api.get("/api/notifications/", {"initiative": str(other.pk), "status": "sent"})
    assert response.json()["count"] == 15
    first = response.json()["results"][0]
    assert set(first) >= {"recipient", "kind", "status", "attempts", "sent_at"}
    assert api.get("/api/notifications/", {"status": "lost"}).status_code == 400


def test_ship_page_shows_who_will_be_told_and_the_email(client, pm, submitter) -> None:
    initiative = InitiativeFactory.create(title="CSV export")
    _asks(pm, submitter, initiative, ["Acme", "Globex"])
    initiative_move(initiative=initiative, by=pm, status="planned")
    initiative_move(initiative=initiative, by=pm, status="in_progress")
    client.force_login(pm)
    page = client.get(reverse("triage:status", args=[initiative.pk]) + "?to=shipped")
    body = page.content.decode()
    assert "customer contacts will be emailed" in body
    assert "Acme wants CSV" in body or "Globex wants CSV" in body
    preview = client.post(
        reverse("triage:preview", args=[initiative.pk]),
        {"release_note": "<script>x</script> Export from the invoices page."},
    )
    text = preview.content.decode()
    assert "Export from the invoices page." in text
    assert "<script>x</script>" not in text
    assert initiative.status == InitiativeStatus.PROPOSED  # nothing shipped by looking
    assert Notification.objects.filter(kind="customer_shipped").count() == 0


def test_shipping_again_counts_who_was_told_before_apart(client, pm, submitter) -> None:
    initiative = InitiativeFactory.create(title="CSV export")
    _asks(pm, submitter, initiative, ["Acme", "Globex"])
    _ship(initiative, pm)
    initiative_move(initiative=initiative, by=pm, status="in_progress")
    _asks(pm, submitter, initiative, ["Initech"])

    audience = ship_audience(initiative=initiative)
    assert (audience.told, audience.already_told, audience.companies) == (1, 2, 1)
    assert audience.sample is not None
    assert audience.sample[0].email == "ops@initech.example"
    client.force_login(pm)
    body = client.get(reverse("triage:status", args=[initiative.pk]) + "?to=shipped")
    text = " ".join(body.content.decode().split())
    assert '1</div><div class="stat-label">customer contact will be emailed, at 1 company' in text
    assert "already told when it shipped before: will not be emailed again" in text

    # And so it is: only the customer who asked since is emailed.
    initiative_ship(initiative=initiative, by=pm, release_note="Shipped.")
    assert sorted(m.to[0] for m in _customer_mail()) == [
        "ops@acme.example",
        "ops@globex.example",
        "ops@initech.example",
    ]


def test_a_release_note_typed_clears_the_required_message(client, pm) -> None:
    initiative = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    client.force_login(pm)
    url = reverse("triage:status", args=[initiative.pk])
    page = client.post(url, {"status": "shipped", "version": initiative.version})
    assert page.status_code == 400
    assert "A release note is required." in page.content.decode()
    preview = reverse("triage:preview", args=[initiative.pk])
    typed = client.post(preview, {"release_note": "Export from the invoices page."}).content
    assert b'<div id="release-note-error" hx-swap-oob="true"></div>' in typed
    empty = client.post(preview, {"release_note": "  "}).content
    assert b"release-note-error" not in empty


def test_moving_a_shipped_initiative_back_asks_first_and_says_what_happens_to_emails(
    client, pm, submitter
) -> None:
    initiative = InitiativeFactory.create(title="CSV export")
    _asks(pm, submitter, initiative, ["Acme"])
    _ship(initiative, pm)
    initiative.refresh_from_db()
    client.force_login(pm)
    # A move out of Shipped without the confirmation goes to the page that asks.
    move = reverse("triage:move", args=[initiative.pk])
    answer = client.post(move, {"status": "in_progress", "version": initiative.version})
    assert answer.status_code == 302
    assert answer.url == reverse("triage:status", args=[initiative.pk]) + "?to=in_progress"
    assert Initiative.objects.get(pk=initiative.pk).status == InitiativeStatus.SHIPPED
    page = " ".join(client.get(answer.url).content.decode().split())
    assert "Move “CSV export” back to in progress?" in page
    assert "1 sent" in page
    assert "emails already sent to customers are not unsent" in page
    assert "customers already told are not emailed again" in page
    # Confirmed, it un-ships; no email goes anywhere, and shipping again tells nobody twice.
    body = {"status": "in_progress", "version": initiative.version, "unship": "1"}
    answer = client.post(move, body)
    assert answer.status_code == 302
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.IN_PROGRESS
    initiative_ship(initiative=initiative, by=pm, release_note="Again.")
    assert len(_customer_mail()) == 1

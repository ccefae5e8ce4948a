"""The pages around emailed tickets: the admins' Channels page, the one-click "same ask" page
a reply links to, and naming the company of a customer who wrote from a personal address."""

from __future__ import annotations

import pytest
from django.utils import timezone

from email_intake.models import Via, WayInHealth
from email_intake.tests.conftest import eml, webhook_post
from intake.models import Customer, Ticket, TicketStatus
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from notifications.models import Notification, NotificationKind
from triage.models import InitiativeStatus
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


# The Channels page


def test_only_admins_see_the_channels(client, submitter, pm, admin_user) -> None:
    for user in (submitter, pm):
        client.force_login(user)
        assert client.get("/channels/").status_code == 403
        assert client.post("/channels/email-webhook/test/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/channels/").status_code == 200
    assert not Notification.objects.exists()


def test_the_channels_page_shows_each_ways_state(client, submitter, admin_user, settings) -> None:
    client.force_login(admin_user)
    settings.INBOUND_IMAP_URL = ""
    page = client.get("/channels/").content.decode()
    assert "Email: provider webhook" in page
    assert "Email: IMAP mailbox" in page
    # IMAP and Slack (its secrets are not set); the tests set the webhook's secret.
    assert page.count("Not configured") == 2
    assert "Set INBOUND_IMAP_URL" in page

    assert webhook_post(client, eml("gmail_forward")).status_code == 200
    WayInHealth.objects.update_or_create(
        via=Via.IMAP,
        defaults={
            "last_error": "Could not read imap://x@mail: <refused>",
            "last_error_at": timezone.now(),
        },
    )
    settings.INBOUND_IMAP_URL = "imaps://feedback%40ourco.example:pa55@mail.ourco.example/INBOX"
    page = client.get("/channels/").content.decode()
    assert page.count("Not configured") == 1  # Slack's row only
    assert "imaps://feedback@ourco.example@mail.ourco.example:993/INBOX" in page
    assert "pa55" not in page  # never the password
    assert "Could not read imap://x@mail: &lt;refused&gt;" in page  # escaped
    assert "None yet" in page  # nothing came by IMAP yet; the webhook's message did


def test_send_a_test_records_an_email_to_the_admin(client, admin_user) -> None:
    client.force_login(admin_user)
    response = client.post("/channels/email-imap/test/", follow=True)
    test = Notification.objects.get(kind=NotificationKind.CHANNEL_TEST)
    assert test.recipient_email == admin_user.email
    page = response.content.decode()
    assert f"A test email to {admin_user.email} is on its way" in page
    assert "Last test" in page
    assert client.post("/channels/nothing-here/test/").status_code == 404
    assert client.get("/channels/email-imap/test/").status_code == 405


# One click from the reply


def test_the_reply_links_to_the_closest_initiatives(client, submitter) -> None:
    bulk = InitiativeFactory.create(
        title="Export invoices in bulk", description="Download all invoices of a month as CSV"
    )
    InitiativeFactory.create(
        title="Export invoices as CSV or ZIP",
        description="every invoice of a month in one file",
        status=InitiativeStatus.DECLINED,
    )
    assert webhook_post(client, eml("gmail_forward")).status_code == 200
    ticket = Ticket.objects.get()
    reply = Notification.objects.get(kind=NotificationKind.EMAIL_FILED)
    assert "Same ask?" in reply.body_text
    assert f"/email/tickets/{ticket.pk}/onto/{bulk.pk}/" in reply.body_text
    assert "Export invoices as CSV or ZIP" not in reply.body_text  # declined takes no one


def test_the_one_click_page_asks_then_adds_the_customer(client, submitter, pm) -> None:
    initiative = InitiativeFactory.create(title="Export invoices in bulk")
    ticket = TicketFactory.create(submitted_by=submitter)
    url = f"/email/tickets/{ticket.pk}/onto/{initiative.pk}/"
    client.force_login(submitter)
    page = client.get(url).content.decode()
    assert f"Add {ticket.customer.name} to “Export invoices in bulk”?" in page
    assert Ticket.objects.get(pk=ticket.pk).initiative is None  # opening the link changes nothing

    response = client.post(f"/intake/tickets/{ticket.pk}/same-ask/", {"initiative": initiative.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.initiative, ticket.status) == (initiative, TicketStatus.LINKED)
    assert "already counts for" in client.get(url).content.decode()


def test_the_one_click_page_for_someone_elses_ticket_offers_nothing(
    client, submitter, other_submitter
) -> None:
    initiative = InitiativeFactory.create()
    ticket = TicketFactory.create(submitted_by=submitter)
    client.force_login(other_submitter)
    page = client.get(f"/email/tickets/{ticket.pk}/onto/{initiative.pk}/").content.decode()
    assert "Only" in page
    assert 'name="initiative"' not in page
    assert client.get(f"/email/tickets/{ticket.pk}/onto/999999/").status_code == 404


# Naming the company of a personal address


def test_the_rep_names_the_company_of_a_personal_address(client, submitter) -> None:
    assert webhook_post(client, eml("freemail_forward")).status_code == 200
    ticket = Ticket.objects.get()
    client.force_login(submitter)
    page = client.get(f"/intake/tickets/{ticket.pk}/").content.decode()
    assert "Not known yet" in page
    assert f"/intake/tickets/{ticket.pk}/company/" in page

    acme = CustomerFactory.create(name="Acme Corp")
    response = client.post(f"/intake/tickets/{ticket.pk}/company/", {"company": "acme  corp"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.customer == acme
    assert ticket.contact.customer == acme
    assert not Customer.objects.filter(name="dana.kim@gmail.com").exists()
    # Named now: the page says the company and the form is gone.
    assert client.get(f"/intake/tickets/{ticket.pk}/company/").status_code == 302


def test_only_the_submitter_names_the_company_and_not_after_triage(
    client, submitter, other_submitter
) -> None:
    stand_in = CustomerFactory.create(name="dana@gmail.com")
    contact = ContactFactory.create(customer=stand_in, email="dana@gmail.com")
    ticket = TicketFactory.create(contact=contact, submitted_by=submitter)
    client.force_login(other_submitter)
    assert (
        client.post(f"/intake/tickets/{ticket.pk}/company/", {"company": "Acme"}).status_code == 403
    )
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.DECLINED)
    client.force_login(submitter)
    response = client.post(f"/intake/tickets/{ticket.pk}/company/", {"company": "Acme"})
    assert response.status_code == 409
    assert "triaged" in response.content.decode()
    assert Ticket.objects.get().customer == stand_in

"""One emailed ticket in Chromium, from the mailbox to shipped: the rep forwards a customer's
email, it is filed from the IMAP mailbox, the ticket says where it came from, a product manager
makes an initiative of it and ships it, and the customer is told. And the admins' Channels
page."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import expect

from email_intake.tasks import poll_mailbox
from email_intake.tests.conftest import eml
from email_intake.tests.dovecot import Dovecot
from intake.models import Ticket, TicketStatus
from notifications.models import Notification, NotificationKind
from tests.helpers import log_in, screenshots
from triage.models import InitiativeStatus
from triage.services import initiative_move


def test_an_emailed_ticket_from_the_inbox_to_shipped(
    page, mailbox: Dovecot, submitter, pm, billing
) -> None:
    mailbox.append(eml("gmail_forward"))
    assert poll_mailbox.delay().get() == 1
    ticket = Ticket.objects.get()
    assert Notification.objects.get(kind=NotificationKind.EMAIL_FILED).recipient_email == (
        submitter.email
    )

    # The rep finds it among their tickets, marked as emailed, and sees where it came from.
    log_in(page, "sales")
    page.get_by_role("link", name="My tickets").click()
    row = page.get_by_role("row", name=re.compile("Exporting invoices in bulk"))
    expect(row).to_contain_text("by Email")
    expect(row).to_contain_text("Acme Corp")
    row.get_by_role("link", name="Exporting invoices in bulk").click()
    source = page.locator(".source-line")
    expect(source).to_contain_text("Forwarded by email on")
    expect(source).to_contain_text("from Jo Park <jo.park@acme-corp.example>")
    expect(source).to_contain_text("(sent Nov 17, 2025 16:12)")
    expect(page.locator(".quote")).to_contain_text("downloads 300 invoices one by one")
    expect(page.locator("#thread")).to_contain_text("Acme wants this before their renewal")
    expect(page.locator(".ticket-source")).to_contain_text("Message-ID <CAHx=gmail-fwd-0001")
    screenshots(page, "email-ticket")

    # The product manager makes an initiative of it from the inbox, and ships it.
    page.context.clear_cookies()
    log_in(page, "pm")
    page.get_by_role("link", name="Inbox", exact=True).click()
    item = page.locator("[data-inbox-item]", has_text="Exporting invoices in bulk")
    item.get_by_role("link", name=re.compile("New initiative")).click()
    item.get_by_label("Title").fill("Bulk invoice export")
    item.get_by_role("button", name="New initiative").click()
    expect(item).to_contain_text("Created “Bulk invoice export”")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.LINKED
    initiative = ticket.initiative
    assert initiative is not None
    initiative_move(initiative=initiative, by=pm, status=InitiativeStatus.PLANNED)
    initiative_move(initiative=initiative, by=pm, status=InitiativeStatus.IN_PROGRESS)
    page.goto(f"/triage/initiatives/{initiative.pk}/")
    page.get_by_role("link", name="Ship…").click()
    page.get_by_label("Release note").fill("Export a month of invoices as one ZIP.")
    page.get_by_role("button", name="Ship it").click()
    expect(
        page.get_by_text(
            re.compile("^Shipped “Bulk invoice export”: 1 customer contact is being emailed")
        )
    ).to_be_visible()
    told = [m for m in mail.outbox if m.to == ["jo.park@acme-corp.example"]]
    assert len(told) == 1

    # Back on the ticket: the customer was told, and it still says where it came from.
    page.goto(f"/intake/tickets/{ticket.pk}/")
    expect(page.locator(".customer-told")).to_contain_text("jo.park@acme-corp.example was emailed")
    expect(page.locator(".source-line")).to_contain_text("Forwarded by email on")
    screenshots(page, "email-ticket-shipped")


def test_an_admin_sees_the_channels_and_sends_a_test(
    page, mailbox: Dovecot, submitter, admin_user
) -> None:
    mailbox.append(eml("apple_forward"))
    poll_mailbox.delay()

    log_in(page, "admin")
    page.get_by_role("link", name="Channels").click()
    imap = page.locator("[data-channel=email-imap]")
    expect(imap).to_contain_text("Configured")
    expect(imap).to_contain_text(
        f"Reads imap://feedback@127.0.0.1:{mailbox.port}/INBOX every minute"
    )
    expect(imap.locator("dd").first).not_to_contain_text("None yet")
    expect(page.locator("[data-channel=email-webhook]")).to_contain_text("None yet")
    imap.get_by_role("button", name="Send a test email").click()
    expect(page.get_by_text(f"A test email to {admin_user.email} is on its way")).to_be_visible()
    expect(page.locator("[data-channel=email-imap]")).to_contain_text(
        f"Test email to {admin_user.email} sent"
    )
    screenshots(page, "channels")


def test_the_rep_follows_the_replys_links_names_the_company_and_adds_the_customer(
    page, mailbox: Dovecot, submitter
) -> None:
    from triage.tests.factories import InitiativeFactory

    shortcut = InitiativeFactory.create(
        title="Keyboard shortcut to file feedback",
        description="File feedback from the inbox with a keyboard shortcut",
    )
    mailbox.append(eml("freemail_forward"))
    poll_mailbox.delay()
    ticket = Ticket.objects.get()
    reply = Notification.objects.get(kind=NotificationKind.EMAIL_FILED).body_text
    links = re.findall(r"http://[^\s]+", reply)
    company_link = next(link for link in links if link.endswith("/company/"))
    onto_link = next(link for link in links if "/onto/" in link)
    assert onto_link.endswith(f"/email/tickets/{ticket.pk}/onto/{shortcut.pk}/")

    log_in(page, "sales")
    page.goto(company_link.split("8000", 1)[-1])
    expect(
        page.get_by_role("heading", name="Which company is dana.kim@gmail.com with?")
    ).to_be_visible()
    screenshots(page, "email-name-company")
    page.get_by_label("Company").fill("Kim Consulting")
    page.get_by_role("button", name="Save the company").click()
    expect(page.get_by_text("dana.kim@gmail.com is now at Kim Consulting.")).to_be_visible()
    expect(page.locator("aside")).to_contain_text("Kim Consulting")

    page.goto(onto_link.split("8000", 1)[-1])
    expect(page.get_by_role("heading", name=re.compile("Add Kim Consulting to"))).to_be_visible()
    screenshots(page, "email-onto")
    page.get_by_role("button", name="Same ask — add Kim Consulting").click()
    expect(page.get_by_text("Now counts for “Keyboard shortcut to file feedback”.")).to_be_visible()
    ticket.refresh_from_db()
    assert (ticket.initiative, ticket.status) == (shortcut, TicketStatus.LINKED)

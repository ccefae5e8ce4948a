"""Same ask in Chromium: a rep calls a waiting ticket the same ask and an initiative is made of
both; a rep files onto a shipped initiative and the customer is told, once; a product manager
sees a theme in the inbox and makes it one initiative in one action."""

from __future__ import annotations

import re

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from intake.models import Ticket, TicketStatus
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from notifications.models import DeliveryStatus, Notice, Notification, NotificationKind
from tests.helpers import log_in, screenshots
from triage.models import Initiative, InitiativeStatus
from triage.tests.factories import InitiativeFactory


def _customer_ticket(company: str, title: str, description: str, **fields: object) -> Ticket:
    customer = CustomerFactory.create(name=company, name_key=company.casefold())
    contact = ContactFactory.create(customer=customer, email=f"it@{company.lower()}.example")
    return TicketFactory.create(
        title=title, description=description, customer=customer, contact=contact, **fields
    )


def _fill_customer(page, company: str, email: str) -> None:
    page.get_by_label("Company").fill(company)
    page.get_by_label("Contact email").fill(email)


def test_same_ask_on_a_waiting_ticket_makes_an_initiative_of_both(
    page, submitter, other_submitter, pm
) -> None:
    waiting = _customer_ticket(
        "Globex",
        "Single sign-on with Okta",
        "Their IT wants everyone to log in through Okta.",
        submitted_by=other_submitter,
    )
    log_in(page, "sales")
    page.goto("/intake/new/")
    _fill_customer(page, "Initech", "it@initech.example")
    page.get_by_label("Title").fill("Okta login for all staff")
    match = page.locator("#similar .suggestion", has_text="Single sign-on with Okta")
    expect(match).to_contain_text("waiting for triage")
    page.get_by_label("What the customer said").fill("Staff should sign in with Okta accounts.")
    screenshots(page, "same-ask-form-waiting")

    match.get_by_role("button", name="Same ask").click()
    expect(page.get_by_text(re.compile(rf"Filed as the same ask as #{waiting.pk}"))).to_be_visible()
    landed = page.locator("section", has=page.get_by_role("heading", name="Where it landed"))
    expect(landed).to_contain_text("Single sign-on with Okta")
    expect(landed).to_contain_text("Proposed")

    initiative = Initiative.objects.get()
    assert initiative.owner == pm
    assert set(initiative.tickets.values_list("status", flat=True)) == {TicketStatus.LINKED}
    assert initiative.tickets.count() == 2
    assert Notice.objects.filter(user=pm, kind=NotificationKind.STAFF_SAME_ASK).exists()

    # The PM sees both customers on it, and could unlink either.
    page.context.clear_cookies()
    log_in(page, "pm")
    page.goto(f"/triage/initiatives/{initiative.pk}/")
    expect(page.locator("main")).to_contain_text("Globex")
    expect(page.locator("main")).to_contain_text("Initech")
    expect(page.locator("main")).to_contain_text("called the same ask by")


def test_filing_onto_a_shipped_initiative_tells_the_customer_once(page, submitter, pm) -> None:
    initiative = Initiative.objects.create(
        title="CSV export for invoices",
        description="Finance wants invoices as spreadsheets.",
        status=InitiativeStatus.SHIPPED,
        shipped_at=timezone.now(),
        release_note="Export any invoice list as CSV from the Invoices page.",
    )
    Initiative.objects.create(
        title="Invoices exported to Excel",
        status=InitiativeStatus.DECLINED,
        decline_reason="Excel opens the CSV export; we will not build a second format.",
    )
    log_in(page, "sales")
    for attempt in range(2):  # the same contact asks twice: one email
        page.goto("/intake/new/")
        _fill_customer(page, "Northwind Traders", "nancy@northwind.example")
        page.get_by_label("Title").fill("Export invoices as CSV")
        shipped = page.locator("#similar .suggestion", has_text="CSV export for invoices")
        expect(shipped).to_contain_text(f"Already shipped on {timezone.localdate():%b %-d, %Y}")
        declined = page.locator("#similar .suggestion", has_text="Invoices exported to Excel")
        expect(declined).to_contain_text("we will not build a second format")
        expect(declined.get_by_role("button")).to_have_count(0)
        page.get_by_label("What the customer said").fill("Our accountant wants a CSV of invoices.")
        if attempt == 0:
            screenshots(page, "same-ask-form-shipped")
        shipped.get_by_role("button", name="Add my customer — tell them now").click()
        expect(page.get_by_text(re.compile("which already shipped"))).to_be_visible()
        expect(page.locator(".customer-told")).to_contain_text("Customer told")
        if attempt == 0:
            screenshots(page, "same-ask-ticket-customer-told")

    sent = [m for m in mail.outbox if m.subject.startswith("You asked, we shipped")]
    assert [m.to for m in sent] == [["nancy@northwind.example"]]
    [row] = Notification.objects.filter(kind=NotificationKind.CUSTOMER_SHIPPED)
    assert row.status == DeliveryStatus.SENT
    assert initiative.tickets.count() == 2


def test_from_a_waiting_ticket_s_page_the_rep_says_it_is_the_same_ask(
    page, submitter, other_submitter
) -> None:
    mine = _customer_ticket(
        "Northwind", "Export invoices as CSV", "Our accountant wants CSV.", submitted_by=submitter
    )
    initiative = Initiative.objects.create(
        title="CSV export for invoices", description="Finance wants invoices as spreadsheets."
    )
    _customer_ticket(
        "Contoso", "Invoices exported as CSV", "Monthly, by hand.", submitted_by=other_submitter
    )
    Initiative.objects.create(
        title="Invoices exported to Excel",
        status=InitiativeStatus.DECLINED,
        decline_reason="Excel opens the CSV export; we will not build a second format.",
    )
    log_in(page, "sales")
    page.goto(f"/intake/tickets/{mine.pk}/")
    panel = page.locator("#same-ask")
    expect(panel).to_contain_text("Invoices exported as CSV")
    expect(panel).to_contain_text("we will not build a second format")
    screenshots(page, "same-ask-ticket-page")
    panel.locator(".suggestion", has_text="CSV export for invoices").get_by_role(
        "button", name="Same ask — add my customer"
    ).click()
    expect(page.get_by_text("Now counts for “CSV export for invoices”.")).to_be_visible()
    expect(page.locator("#same-ask")).to_have_count(0)
    mine.refresh_from_db()
    assert (mine.status, mine.initiative_id) == (TicketStatus.LINKED, initiative.pk)


def test_the_inbox_shows_a_theme_and_the_pm_merges_it_in_one_action(
    page, pm, submitter, other_submitter
) -> None:
    asks = [
        ("Acme", "Single sign-on with Okta", "Their IT wants everyone to log in through Okta."),
        ("Globex", "Okta SSO login", "Staff should sign in with their Okta accounts."),
        ("Initech", "Log in with Okta", "We use Okta for every tool; make this one of them."),
        ("Umbrella", "Okta single sign-on, please", "Security asks for SSO through Okta."),
    ]
    okta = [
        _customer_ticket(company, title, text, submitted_by=submitter)
        for company, title, text in asks
    ]
    _customer_ticket("Hooli", "Dark mode", "Night shift finds the white screen too bright.")
    _customer_ticket("Stark", "Bulk user import", "We onboard 300 people a month.")
    log_in(page, "pm")
    page.goto("/triage/inbox/")
    page.locator("#themes summary").click()  # folded, so the tickets stay on the first screen
    theme = page.locator(".theme")
    expect(theme).to_have_count(1)
    expect(theme.locator(".theme-label")).to_contain_text("4 tickets from 4 companies look like")
    screenshots(page, "same-ask-inbox-theme")

    # Umbrella's ticket is not quite the same ask: take it out of the group.
    theme.get_by_role("button", name=re.compile("Okta single sign-on, please")).click()
    expect(theme.locator(".theme-label")).to_contain_text("3 tickets from 3 companies look like")

    theme.get_by_role("button", name="Make them one initiative").click()
    expect(page.locator("#themes")).to_contain_text("Made one initiative of 3 tickets")
    expect(page.locator("#inbox-count-waiting")).to_have_text("3")
    expect(page.locator(f"#ticket-{okta[0].pk}")).to_contain_text("part of the theme")
    screenshots(page, "same-ask-inbox-theme-merged")

    initiative = Initiative.objects.get()
    assert sorted(initiative.tickets.values_list("pk", flat=True)) == sorted(t.pk for t in okta[:3])
    assert Ticket.objects.get(pk=okta[3].pk).status == TicketStatus.NEW


def test_a_rep_typing_the_ask_in_other_words_is_offered_the_initiative(page, submitter) -> None:
    """No word of what is typed shares a stem with the initiative: only meaning matches."""
    InitiativeFactory.create(  # with its vector, as initiative_create stores it
        title="Export invoices as CSV",
        description="Finance needs every invoice in a spreadsheet.",
    )
    log_in(page, "sales")
    page.goto("/intake/new/")
    page.get_by_label("Title").fill("Our accountants want billing records in Excel")
    expect(page.locator("#similar")).to_contain_text("Export invoices as CSV", timeout=5_000)

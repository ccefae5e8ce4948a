"""A sales rep files feedback in Chromium: new customer, similar initiative offered, My tickets."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from intake.models import Ticket, TicketStatus
from tests.helpers import log_in, screenshot
from triage.models import Initiative


def test_file_a_ticket_for_a_new_customer(page, submitter) -> None:
    initiative = Initiative.objects.create(
        title="CSV export for invoices", description="Finance wants invoices as spreadsheets."
    )
    log_in(page, "sales")
    page.get_by_role("link", name="File feedback").first.click()
    expect(page.get_by_role("heading", name="File feedback")).to_be_visible()

    page.get_by_label("Company").fill("Northwind Traders")
    page.get_by_label("Contact name").fill("Nancy Davolio")
    page.get_by_label("Contact email").fill("nancy@northwind.example")
    page.get_by_label("Title").fill("Export invoices as CSV")
    # htmx offers the similar initiative while the title is typed.
    suggestion = page.locator("#similar").get_by_text("CSV export for invoices")
    expect(suggestion).to_be_visible()
    expect(page.get_by_role("button", name="Same ask — add my customer")).to_be_visible()
    page.get_by_label("What the customer said").fill("Our accountant wants a CSV of all invoices.")
    page.get_by_label("Importance").select_option("critical")
    screenshot(page, "intake-new-with-suggestion")

    # A bad email is explained beside the field and nothing is filed.
    page.get_by_label("Contact email").fill("nancy@")
    page.get_by_role("button", name="File ticket").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Export invoices as CSV")
    assert Ticket.objects.count() == 0

    page.get_by_label("Contact email").fill("nancy@northwind.example")
    page.get_by_role("button", name="Same ask — add my customer").click()
    expect(
        page.get_by_text("Added Northwind Traders to “CSV export for invoices”.")
    ).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.initiative == initiative
    assert ticket.status == TicketStatus.LINKED

    page.get_by_role("link", name="My tickets").click()
    row = page.get_by_role("row", name=re.compile("Export invoices as CSV"))
    expect(row).to_contain_text("Northwind Traders")
    expect(row).to_contain_text("CSV export for invoices")
    expect(row).to_contain_text("Proposed")
    screenshot(page, "intake-my-tickets")


def test_file_a_plain_ticket_and_answer_a_question(page, submitter, pm) -> None:
    log_in(page, "sales")
    page.goto("/intake/new/")
    page.get_by_label("Company").fill("Contoso")
    page.get_by_label("Contact email").fill("it@contoso.example")
    page.get_by_label("Title").fill("<b>Bulk user import</b>")
    page.get_by_label("What the customer said").fill("We onboard 300 people a month.")
    page.get_by_role("button", name="File ticket").click()
    expect(page.get_by_role("heading", name="<b>Bulk user import</b>")).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.NEW

    page.get_by_label("Message").fill("They asked again today.")
    page.get_by_role("button", name="Post").click()
    expect(page.locator("#thread").get_by_text("They asked again today.")).to_be_visible()
    screenshot(page, "intake-ticket-detail")

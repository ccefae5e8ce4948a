"""A sales rep files feedback in Chromium: new customer, similar initiative offered, My tickets."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from intake.models import Ticket, TicketStatus
from tests.helpers import log_in, screenshot, screenshots
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


def test_on_a_phone_matches_show_right_under_the_ask_and_a_new_customer_gets_a_segment(
    page, submitter
) -> None:
    """On a 390x844 phone the ask comes first and the similar panel right under it, above the
    customer and the button: what matches is in view while the title is typed (a phone's
    keyboard leaves about 450 px above it)."""
    Initiative.objects.create(
        title="CSV export for invoices", description="Finance wants invoices as spreadsheets."
    )
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "sales")
    page.goto("/intake/new/")
    title = page.get_by_label("Title")
    title.fill("Export invoices as CSV")
    match = page.locator("#similar .suggestion").first
    expect(match).to_contain_text("CSV export for invoices")
    title_box, match_box = title.bounding_box(), match.bounding_box()
    assert match_box["y"] + 30 - title_box["y"] < 450  # the match's title is in view
    panel = page.locator(".tf-similar").bounding_box()
    company = page.get_by_label("Company").bounding_box()
    button = page.get_by_role("button", name="File ticket").bounding_box()
    assert panel["y"] + panel["height"] <= company["y"] < button["y"]
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshots(page, "intake-new-phone")

    page.get_by_label("What the customer said").fill("They want a spreadsheet of invoices.")
    page.get_by_label("Company").fill("Wingtip Toys")
    page.get_by_label("Segment").select_option("mid_market")
    page.get_by_label("Contact email").fill("ops@wingtip.example")
    page.get_by_role("button", name="File ticket").click()
    expect(page.get_by_text("Filed “Export invoices as CSV” for Wingtip Toys.")).to_be_visible()
    expect(page.locator("dl.facts").first).to_contain_text("Mid-market")
    assert Ticket.objects.get().customer.segment == "mid_market"

"""A product manager works the inbox and moves cards on the board in Chromium."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from intake.models import Importance, Ticket, TicketStatus
from intake.tests.factories import CustomerFactory, TicketFactory
from notifications.models import Notice
from tests.helpers import log_in, screenshot
from triage.models import Initiative, InitiativeEvent, InitiativeStatus
from triage.services import initiative_create, ticket_link
from triage.tests.factories import InitiativeFactory


def _ticket(title: str, company: str, importance: str, submitter: User, **extra: Any) -> Ticket:
    customer = CustomerFactory.create(name=company, name_key=company.casefold())
    return TicketFactory.create(
        title=title,
        customer=customer,
        contact__customer=customer,
        importance=importance,
        submitted_by=submitter,
        **extra,
    )


def _item(page: Any, ticket: Ticket) -> Any:
    return page.locator(f"#ticket-{ticket.pk}")


def test_pm_works_the_inbox(page, pm, submitter) -> None:
    export = initiative_create(
        by=pm, title="CSV export for invoices", description="Invoices as CSV files."
    )
    csv = _ticket("Export invoices as CSV", "Acme", Importance.CRITICAL, submitter)
    copy = _ticket("Invoices to spreadsheet", "Globex", Importance.NICE_TO_HAVE, submitter)
    sso = _ticket("Okta single sign-on", "Initech", Importance.IMPORTANT, submitter)
    spam = _ticket("Make it purple", "Umbrella", Importance.NICE_TO_HAVE, submitter)
    later = _ticket("Dark mode", "Hooli", Importance.NICE_TO_HAVE, submitter)

    log_in(page, "pm")
    page.get_by_role("link", name="Inbox", exact=True).click()
    items = page.locator("[data-inbox-item]")
    # Most important first, then oldest.
    expect(items.first).to_contain_text("Export invoices as CSV")
    expect(items.nth(1)).to_contain_text("Okta single sign-on")
    expect(page.locator("#inbox-count-waiting")).to_have_text("5")
    screenshot(page, "triage-inbox")

    # Link, with the keyboard: l opens the form on the current ticket; a bad choice is explained.
    page.keyboard.press("l")
    form = _item(page, csv).locator(".inbox-form")
    expect(form).to_be_visible()
    # The similar initiative is suggested; the select is the other way to pick one.
    expect(form.locator(".suggestion").first).to_contain_text("CSV export for invoices")
    form.get_by_role("button", name="Link to an initiative").click()
    expect(form.get_by_text("Pick the initiative to link to.")).to_be_visible()
    form.get_by_label("Initiative").select_option(label="CSV export for invoices")
    form.get_by_role("button", name="Link to an initiative").click()
    expect(_item(page, csv)).to_contain_text("Linked to “CSV export for invoices”")
    expect(page.locator("#inbox-count-waiting")).to_have_text("4")
    csv.refresh_from_db()
    assert (csv.status, csv.initiative_id) == (TicketStatus.LINKED, export.pk)

    # Create a new initiative from the Okta ticket.
    _item(page, sso).get_by_role("link", name=re.compile("New initiative")).click()
    title = _item(page, sso).get_by_label("Title")
    expect(title).to_have_value("Okta single sign-on")
    title.fill("Single sign-on with Okta")
    _item(page, sso).get_by_role("button", name="New initiative").click()
    expect(_item(page, sso)).to_contain_text("Created “Single sign-on with Okta”")
    sso.refresh_from_db()
    assert sso.initiative is not None
    assert sso.initiative.title == "Single sign-on with Okta"

    # Duplicate: Globex's ticket repeats Acme's; Globex then counts for the CSV initiative.
    _item(page, copy).get_by_role("link", name=re.compile("Duplicate")).click()
    _item(page, copy).get_by_label("Duplicate of ticket #").fill(str(csv.pk))
    _item(page, copy).get_by_role("button", name="Mark duplicate").click()
    expect(_item(page, copy)).to_contain_text(f"Marked a duplicate of #{csv.pk}")
    export.refresh_from_db()
    assert export.customer_count == 2

    # Decline needs a reason, which the submitter is told.
    _item(page, spam).get_by_role("link", name=re.compile("Decline")).click()
    _item(page, spam).get_by_role("button", name="Decline").click()
    expect(_item(page, spam).get_by_text("Say why, so the submitter can tell")).to_be_visible()
    _item(page, spam).get_by_label("Reason").fill("Colours follow the customer's own theme.")
    _item(page, spam).get_by_role("button", name="Decline").click()
    expect(_item(page, spam)).to_contain_text(f"Declined; {submitter.display_name} was told why")
    spam.refresh_from_db()
    assert spam.status == TicketStatus.DECLINED
    assert Notice.objects.filter(user=submitter, text__contains="Make it purple").exists()

    # Snooze until next week; the ticket comes back by itself on that day.
    _item(page, later).get_by_role("link", name=re.compile("Snooze")).click()
    until = timezone.localdate() + datetime.timedelta(days=7)
    _item(page, later).get_by_label("Bring it back on").fill(until.isoformat())
    _item(page, later).get_by_role("button", name="Snooze").click()
    expect(_item(page, later)).to_contain_text("Snoozed until")
    expect(page.locator("#inbox-count-waiting")).to_have_text("0")
    expect(page.locator("#inbox-count-snoozed")).to_have_text("1")
    screenshot(page, "triage-inbox-worked")

    page.reload()
    expect(page.get_by_role("heading", name="Inbox zero")).to_be_visible()
    later.refresh_from_db()
    assert (later.status, later.snoozed_until) == (TicketStatus.SNOOZED, until)


def _column(page: Any, status: str) -> Any:
    return page.locator(f".board-column[data-status={status}]")


def test_pm_moves_cards_on_the_board(page, pm, submitter, browser, live_server) -> None:
    sso = InitiativeFactory.create(title="Single sign-on with Okta")
    export = InitiativeFactory.create(title="CSV export for invoices")
    ticket_link(
        ticket=_ticket("Export", "Acme", Importance.CRITICAL, submitter), initiative=export, by=pm
    )

    log_in(page, "pm")
    page.get_by_role("link", name="Board", exact=True).click()
    proposed = _column(page, "proposed")
    # Ranked by score: the initiative a critical customer asks for comes first.
    expect(proposed.locator(".board-card").first).to_contain_text("CSV export for invoices")
    expect(proposed.locator(".board-card").first).to_contain_text("1 customer · 1 critical")
    screenshot(page, "triage-board")

    # Drag a card to the next column.
    page.locator(f"#initiative-{sso.pk}").drag_to(_column(page, "planned"))
    expect(_column(page, "planned").locator(f"#initiative-{sso.pk}")).to_be_visible()
    sso.refresh_from_db()
    assert sso.status == InitiativeStatus.PLANNED

    # A second PM, looking at the board from before that move, moves the same card: refused
    # with who moved it, and their board shows where it is now.
    other = browser.new_context(base_url=live_server.url)
    stale = other.new_page()
    log_in(stale, "pm")
    stale.goto("/triage/")
    page.locator(f"#initiative-{sso.pk}").locator("select").select_option("in_progress")
    page.locator(f"#initiative-{sso.pk}").get_by_role("button", name="Move").click()
    expect(_column(page, "in_progress").locator(f"#initiative-{sso.pk}")).to_be_visible()
    stale.locator(f"#initiative-{sso.pk}").locator("select").select_option("proposed")
    stale.locator(f"#initiative-{sso.pk}").get_by_role("button", name="Move").click()
    expect(stale.get_by_role("alert")).to_contain_text("while you were looking")
    expect(_column(stale, "in_progress").locator(f"#initiative-{sso.pk}")).to_be_visible()
    other.close()
    sso.refresh_from_db()
    assert sso.status == InitiativeStatus.IN_PROGRESS

    # With the keyboard alone: focus the card's menu, pick a status, press the button.
    page.locator(f"#initiative-{export.pk} select").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(_column(page, "planned").locator(f"#initiative-{export.pk}")).to_be_visible()

    # Shipping needs a release note: dropping on Shipped opens the ship page.
    page.locator(f"#initiative-{sso.pk}").drag_to(_column(page, "shipped"))
    expect(page.get_by_role("heading", name=re.compile("Ship “Single sign-on"))).to_be_visible()
    page.get_by_role("button", name="Ship it").click()
    expect(page.get_by_text("A release note is required.")).to_be_visible()
    page.get_by_label("Release note").fill("Sign in with Okta from the login page.")
    page.get_by_role("button", name="Ship it").click()
    expect(page.get_by_text("Shipped “Single sign-on with Okta”.")).to_be_visible()
    sso.refresh_from_db()
    assert sso.status == InitiativeStatus.SHIPPED

    # Every move is in the history, with who made it.
    history = page.locator(".history")
    expect(history).to_contain_text("Moved from In progress to Shipped")
    expect(history).to_contain_text("Moved from Planned to In progress")
    assert InitiativeEvent.objects.filter(initiative=sso, kind="status").count() == 3
    screenshot(page, "triage-initiative-shipped")


def test_initiative_page_merges_and_unlinks(page, pm, submitter) -> None:
    keep = InitiativeFactory.create(title="CSV export")
    dupe = InitiativeFactory.create(title="Excel download")
    acme = _ticket("CSV please", "Acme", Importance.IMPORTANT, submitter)
    globex = _ticket("Excel please", "Globex", Importance.CRITICAL, submitter)
    ticket_link(ticket=acme, initiative=keep, by=pm)
    ticket_link(ticket=globex, initiative=dupe, by=pm)

    log_in(page, "pm")
    page.goto(f"/triage/initiatives/{dupe.pk}/")
    expect(page.locator(".customer-asks")).to_contain_text("Globex")
    page.get_by_label("Merge into").select_option(label="CSV export")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Merge").click()
    expect(page.get_by_text("Merged “Excel download” into “CSV export”.")).to_be_visible()
    expect(page.locator(".customer-asks")).to_have_count(2)
    keep.refresh_from_db()
    assert keep.customer_count == 2
    assert Initiative.objects.get(pk=dupe.pk).merged_into_id == keep.pk

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".customer-asks", has_text="Acme").get_by_role("button", name="Unlink").click()
    expect(page.get_by_text("Unlinked “CSV please”; it is back in the inbox.")).to_be_visible()
    keep.refresh_from_db()
    assert keep.customer_count == 1
    acme.refresh_from_db()
    assert acme.status == TicketStatus.NEW

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
from tests.helpers import log_in, screenshot, screenshots
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


def test_pm_works_the_inbox_by_keyboard_in_bulk_and_undoes(page, pm, submitter) -> None:
    export = initiative_create(by=pm, title="CSV export for invoices")
    tickets = [
        _ticket(f"Ask {n}", f"Company {n}", Importance.IMPORTANT, submitter) for n in range(8)
    ]
    log_in(page, "pm")
    page.goto("/triage/inbox/")
    items = page.locator("[data-inbox] [data-inbox-item]")
    # A compact list: every ticket of this page is on a laptop's screen at once.
    page.set_viewport_size({"width": 1366, "height": 900})
    for n in range(6):
        expect(items.nth(n)).to_be_in_viewport()
    screenshots(page, "triage-inbox-compact")

    # j starts at the first ticket (and opens its excerpt), then walks down; k walks back.
    page.keyboard.press("j")
    expect(items.first).to_be_focused()
    expect(items.first.locator(".excerpt")).to_be_visible()
    expect(items.nth(1).locator(".excerpt")).to_be_hidden()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(items.nth(2)).to_be_focused()
    page.keyboard.press("k")
    expect(items.nth(1)).to_be_focused()

    # A single decline from the keyboard, then u takes it back.
    page.keyboard.press("x")
    second = _item(page, tickets[1])
    second.get_by_label("Reason").fill("Not for us.")
    second.get_by_role("button", name="Decline").click()
    expect(second).to_contain_text("Declined;")
    expect(page.locator("#inbox-count-waiting")).to_have_text("7")
    page.keyboard.press("u")
    expect(page.locator(".inbox-message")).to_contain_text(
        f"Undone: “{tickets[1].title}” is back in the inbox."
    )
    expect(page.locator("#inbox-count-waiting")).to_have_text("8")
    tickets[1].refresh_from_db()
    assert (tickets[1].status, tickets[1].decline_reason) == (TicketStatus.NEW, "")

    # Tick three (c ticks the current one; a click on a row makes it current), link them.
    bar = page.locator("[data-bulk]")
    expect(bar.get_by_role("button", name="Link them")).to_be_hidden()
    _item(page, tickets[0]).locator(".inbox-meta").click()
    expect(items.first).to_be_focused()
    page.keyboard.press("c")
    expect(_item(page, tickets[0]).get_by_role("checkbox")).to_be_checked()
    _item(page, tickets[3]).get_by_role("checkbox").check()
    _item(page, tickets[4]).get_by_role("checkbox").check()
    expect(bar).to_contain_text("3 tickets ticked")
    bar.get_by_role("button", name="Link them").click()
    expect(page.get_by_role("alert")).to_contain_text("Pick the initiative to link them to.")
    bar = page.locator("[data-bulk]")
    for ticket in (tickets[0], tickets[3], tickets[4]):
        _item(page, ticket).get_by_role("checkbox").check()
    bar.get_by_label("Initiative to link them to").select_option(label=export.title)
    screenshots(page, "triage-inbox-bulk")
    bar.get_by_role("button", name="Link them").click()
    message = page.locator(".inbox-message")
    expect(message).to_contain_text("Linked 3 tickets to “CSV export for invoices”.")
    expect(page.locator("#inbox-count-waiting")).to_have_text("5")
    expect(items).to_have_count(5)
    export.refresh_from_db()
    assert export.customer_count == 3
    screenshots(page, "triage-inbox-bulk-done")

    # The bulk action's undo puts all three back, in one go.
    message.get_by_role("button", name="Undo").click()
    expect(page.locator(".inbox-message")).to_contain_text(
        "Undone: 3 tickets are back in the inbox."
    )
    expect(items).to_have_count(8)
    export.refresh_from_db()
    assert export.customer_count == 0

    # Decline several with one reason, snooze several until a day.
    bar = page.locator("[data-bulk]")
    bar.get_by_role("checkbox").check()  # every ticket on the page
    expect(bar).to_contain_text("8 tickets ticked")
    _item(page, tickets[7]).get_by_role("checkbox").uncheck()
    bar.get_by_label("With the ticked tickets").select_option("decline")
    bar.get_by_label("Reason the submitters are told").fill("Out of scope this year.")
    bar.get_by_role("button", name="Decline them").click()
    expect(page.locator(".inbox-message")).to_contain_text("Declined 7 tickets;")
    bar = page.locator("[data-bulk]")
    _item(page, tickets[7]).get_by_role("checkbox").check()
    bar.get_by_label("With the ticked tickets").select_option("snooze")
    until = timezone.localdate() + datetime.timedelta(days=10)
    bar.get_by_label("Bring them back on").fill(until.isoformat())
    bar.get_by_role("button", name="Snooze them").click()
    expect(page.get_by_role("heading", name="Inbox zero")).to_be_visible()
    statuses = Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("status")
    assert sorted(s for (s,) in statuses) == [TicketStatus.DECLINED] * 7 + [TicketStatus.SNOOZED]


def _column(page: Any, status: str) -> Any:
    return page.locator(f".board-column[data-status={status}]")


def _menu(page: Any, title: str) -> Any:
    return page.get_by_role("dialog", name=f"Move “{title}”")


def _card_menu(page: Any, initiative: Initiative) -> Any:
    """Open the board's move menu from a card's Move button."""
    page.locator(f"#initiative-{initiative.pk}").get_by_role(
        "link", name=re.compile("^Move")
    ).click()
    menu = _menu(page, initiative.title)
    expect(menu).to_be_visible()
    return menu


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
    # One menu for the whole board, not a form on every card.
    expect(page.locator(".board-card form")).to_have_count(0)
    expect(page.locator("form[data-move-menu]")).to_have_count(1)
    screenshots(page, "triage-board")

    # Drag a card to the next column: moved at once, said so, with an undo.
    page.locator(f"#initiative-{sso.pk}").drag_to(_column(page, "planned"))
    expect(_column(page, "planned").locator(f"#initiative-{sso.pk}")).to_be_visible()
    toast = page.locator("[data-toast]")
    expect(toast).to_contain_text("Moved “Single sign-on with Okta” to planned.")
    screenshots(page, "triage-board-moved")
    toast.get_by_role("button", name="Undo").click()
    expect(toast).to_contain_text("Undone: “Single sign-on with Okta” is proposed again.")
    expect(_column(page, "proposed").locator(f"#initiative-{sso.pk}")).to_be_visible()
    sso.refresh_from_db()
    assert sso.status == InitiativeStatus.PROPOSED
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)

    # Straight from proposed to in progress, through the card's menu.
    menu = _card_menu(page, sso)
    expect(menu.get_by_label("Proposed")).to_be_hidden()  # where it is already
    menu.get_by_label("In progress").check()
    menu.get_by_role("button", name="Move").click()
    expect(_column(page, "in_progress").locator(f"#initiative-{sso.pk}")).to_be_visible()
    expect(menu).to_be_hidden()

    # A second PM, looking at the board from before that move, moves the same card: refused
    # with who moved it, and their board shows where it is now.
    other = browser.new_context(base_url=live_server.url)
    stale = other.new_page()
    log_in(stale, "pm")
    stale.goto("/triage/")
    sso_then = InitiativeFactory.build(title=sso.title, pk=sso.pk)
    page.locator(f"#initiative-{sso.pk}").drag_to(_column(page, "planned"))
    expect(_column(page, "planned").locator(f"#initiative-{sso.pk}")).to_be_visible()
    stale_menu = _card_menu(stale, sso_then)
    stale_menu.get_by_label("Planned").check()
    stale_menu.get_by_role("button", name="Move").click()
    expect(stale.get_by_role("alert")).to_contain_text("while you were looking")
    expect(_column(stale, "planned").locator(f"#initiative-{sso.pk}")).to_be_visible()
    other.close()
    sso.refresh_from_db()
    assert sso.status == InitiativeStatus.PLANNED

    # With the keyboard alone: the card's Move button, a status, the menu's button.
    page.locator(f"#initiative-{export.pk}").get_by_role("link", name=re.compile("^Move")).focus()
    page.keyboard.press("Enter")
    expect(_menu(page, export.title)).to_be_visible()
    page.keyboard.press("Space")  # the first status it may move to: planned
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(_column(page, "planned").locator(f"#initiative-{export.pk}")).to_be_visible()

    # Straight to shipped from planned: the menu asks for the release note, says who is told,
    # and the "required" message goes once a note is typed.
    page.locator(f"#initiative-{export.pk}").drag_to(_column(page, "shipped"))
    menu = _menu(page, export.title)
    expect(menu.get_by_label("Shipped")).to_be_checked()
    expect(menu.locator("#move-audience")).to_contain_text("customer contact will be emailed")
    expect(menu.locator("#move-audience .stat")).to_have_text("1")
    menu.get_by_role("button", name="Ship it").click()
    expect(menu.get_by_text("A release note is required.")).to_be_visible()
    screenshots(page, "triage-board-ship-menu")
    menu.get_by_role("textbox", name="Release note").fill("Export any invoice list as CSV.")
    expect(menu.get_by_text("A release note is required.")).to_have_count(0)
    menu.get_by_role("button", name="Ship it").click()
    expect(_column(page, "shipped").locator(f"#initiative-{export.pk}")).to_be_visible()
    expect(toast).to_contain_text(
        "Shipped “CSV export for invoices”: 1 customer contact is being emailed."
    )
    expect(toast.get_by_role("button", name="Undo")).to_have_count(0)
    export.refresh_from_db()
    assert (export.status, export.release_note) == (
        InitiativeStatus.SHIPPED,
        "Export any invoice list as CSV.",
    )
    assert export.notifications.count() == 1

    # Moving it back un-ships it: the menu says what that does to the emails before it does it.
    menu = _card_menu(page, export)
    menu.get_by_label("In progress").check()
    expect(menu.get_by_text("This un-ships it.")).to_be_visible()
    expect(menu).to_contain_text("emails already sent to customers are not unsent")
    screenshots(page, "triage-board-unship")
    menu.get_by_role("button", name="Un-ship it").click()
    expect(_column(page, "in_progress").locator(f"#initiative-{export.pk}")).to_be_visible()
    expect(toast).to_contain_text("Un-shipped “CSV export for invoices”")

    # Declining from the board needs a reason; the undo brings it back where it was.
    page.locator(f"#initiative-{sso.pk}").drag_to(_column(page, "declined"))
    menu = _menu(page, sso.title)
    menu.get_by_label("Why decline it").fill("Okta customers use SAML already.")
    menu.get_by_role("button", name="Decline").click()
    expect(_column(page, "declined").locator(f"#initiative-{sso.pk}")).to_be_visible()
    toast.get_by_role("button", name="Undo").click()
    expect(_column(page, "planned").locator(f"#initiative-{sso.pk}")).to_be_visible()

    # Every move is in the history, with who made it.
    page.goto(f"/triage/initiatives/{sso.pk}/")
    history = page.locator(".history")
    expect(history).to_contain_text("Moved from Declined to Planned: undone")
    expect(history).to_contain_text("Moved from Proposed to In progress")
    assert InitiativeEvent.objects.filter(initiative=sso, kind="status").count() == 6


def test_board_scrolls_a_column_at_a_time_on_a_phone(page, pm) -> None:
    for status in InitiativeStatus:
        InitiativeFactory.create(title=f"Something {status.label.lower()}", status=status)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "pm")
    page.goto("/triage/")
    board = page.locator(".board")
    assert board.evaluate("el => getComputedStyle(el).scrollSnapType") == "x mandatory"
    # Nothing sticks out of the page: the board scrolls inside itself.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    width = _column(page, "proposed").evaluate("el => el.getBoundingClientRect().width")
    assert 300 <= width <= 390
    # Scrolled part of the way, the board settles on the next column's start.
    board.evaluate("el => el.scrollBy({left: 200})")
    page.wait_for_function("document.querySelector('.board').scrollLeft > 300")
    left = _column(page, "planned").evaluate("el => el.getBoundingClientRect().left")
    assert 0 <= left <= 30
    screenshot(page, "triage-board-phone")


def test_unshipping_from_the_initiative_page_asks_first(page, pm, submitter) -> None:
    initiative = InitiativeFactory.create(title="CSV export", status=InitiativeStatus.IN_PROGRESS)
    ticket_link(
        ticket=_ticket("CSV please", "Acme", Importance.IMPORTANT, submitter),
        initiative=initiative,
        by=pm,
    )
    log_in(page, "pm")
    page.goto(f"/triage/initiatives/{initiative.pk}/")
    page.get_by_role("link", name="Ship…").click()
    page.get_by_role("button", name="Ship it").click()
    expect(page.get_by_text("A release note is required.")).to_be_visible()
    page.get_by_label("Release note").fill("Export as CSV.")
    expect(page.get_by_text("A release note is required.")).to_have_count(0)
    page.get_by_role("button", name="Ship it").click()
    expect(page.locator(".page-head .badge.shipped")).to_be_visible()

    page.get_by_role("link", name="Move back to in progress…").click()
    expect(
        page.get_by_role("heading", name="Move “CSV export” back to in progress?")
    ).to_be_visible()
    expect(page.locator("main")).to_contain_text("emails already sent to customers are not unsent")
    screenshots(page, "triage-unship-confirm")
    page.get_by_role("link", name="Keep it shipped").click()
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.SHIPPED
    page.get_by_role("link", name="Move back to in progress…").click()
    page.get_by_role("button", name="Un-ship it").click()
    expect(page.get_by_text("Un-shipped “CSV export”: it is in progress again.")).to_be_visible()
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.IN_PROGRESS

    # Shipping again says who was told before and will not be emailed again.
    page.get_by_role("link", name="Ship…").click()
    expect(page.locator(".audience")).to_contain_text(
        "already told when it shipped before: will not be emailed again"
    )
    expect(page.locator(".audience .stat").first).to_have_text("0")
    screenshots(page, "triage-reship")


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

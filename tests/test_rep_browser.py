"""A rep's side in Chromium: a product manager's question waits first on their home page and is
answered there without a reload; a notice opened is read."""

from __future__ import annotations

from playwright.sync_api import expect

from intake.models import CommentKind, Ticket, TicketStatus
from intake.services import comment_add
from intake.tests.factories import TicketFactory
from tests.helpers import log_in, screenshots


def test_answer_a_question_from_home_without_a_reload(page, submitter, pm) -> None:
    ticket = TicketFactory.create(submitted_by=submitter, title="Weekly usage report")
    comment_add(ticket=ticket, author=pm, body="Which plan are they on?", kind=CommentKind.QUESTION)
    log_in(page, "sales")
    waiting = page.locator("section.waiting")
    expect(waiting.get_by_role("heading", name="Waiting on you")).to_be_visible()
    expect(waiting).to_contain_text("Which plan are they on?")
    status = page.locator(f"#ticket-status-{ticket.pk}")
    expect(status).to_have_text("Needs info")
    expect(page.get_by_role("link", name="Notices")).to_contain_text("1")
    screenshots(page, "home-waiting-on-you")

    # The page must not load again: a marker set now survives only without a reload.
    page.evaluate("window.notReloaded = true")
    waiting.get_by_role("button", name="Send answer").click()
    expect(waiting.get_by_text("This field is required.")).to_be_visible()
    waiting.get_by_label("Your answer").fill("The Pro plan, 40 seats.")
    waiting.get_by_role("button", name="Send answer").click()
    expect(waiting.get_by_role("status")).to_contain_text("back in the product managers' inbox")
    expect(status).to_have_text("New")
    expect(page.locator("#waiting-count")).to_have_text("0")
    expect(page.locator("#notice-count")).to_be_empty()
    assert page.evaluate("window.notReloaded") is True
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    screenshots(page, "home-answered")


def test_answer_on_the_ticket_page_updates_its_status_and_banner(page, submitter, pm) -> None:
    ticket = TicketFactory.create(submitted_by=submitter, title="Audit log export")
    comment_add(ticket=ticket, author=pm, body="Which format?", kind=CommentKind.QUESTION)
    log_in(page, "sales")
    page.get_by_role("link", name="Notices").click()
    page.get_by_role("link", name="asked about “Audit log export”").click()
    expect(page.get_by_role("heading", name="Audit log export")).to_be_visible()
    expect(page.get_by_role("link", name="Notices")).not_to_contain_text("1")  # opened: read
    badges = page.locator("#ticket-badges")
    expect(badges).to_contain_text("Needs info")
    expect(page.locator("#ticket-banner")).to_contain_text("your answer sends this ticket back")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Message").fill("CSV, please.")
    page.get_by_role("button", name="Post").click()
    expect(page.locator("#thread")).to_contain_text("CSV, please.")
    expect(badges).to_contain_text("New")
    expect(badges).not_to_contain_text("Needs info")
    expect(page.locator("#ticket-banner")).to_contain_text("back in the product managers' inbox")
    assert page.evaluate("window.notReloaded") is True
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NEW
    screenshots(page, "ticket-answered")

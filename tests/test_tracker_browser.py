"""The tracker in Chromium: a PM links a GitHub pull request to an initiative; GitHub's signed
"pull request merged" delivery (real HTTP to the running server) makes the board show it ready
to ship with a drafted release note; nobody is emailed until the PM ships it from there."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from notifications.models import Notification, NotificationKind
from tests.helpers import log_in, screenshots
from tests.trackers import GITHUB_SECRET, as_bytes, github_headers, github_pull_request
from triage.models import Initiative, InitiativeStatus
from triage.services import ticket_link
from triage.tests.factories import InitiativeFactory


def test_a_merged_pull_request_makes_it_ready_to_ship_and_the_pm_ships_it(
    page, live_server, pm, submitter, settings
) -> None:
    settings.GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    initiative = InitiativeFactory.create(
        title="CSV export for invoices", status=InitiativeStatus.IN_PROGRESS, owner=pm
    )
    customer = CustomerFactory.create(name="Acme", name_key="acme")
    ticket = TicketFactory.create(
        customer=customer,
        contact=ContactFactory.create(customer=customer, email="ops@acme.example"),
        submitted_by=submitter,
    )
    ticket_link(ticket=ticket, initiative=initiative, by=pm)

    log_in(page, "pm")
    page.goto(f"/triage/initiatives/{initiative.pk}/")
    page.get_by_label("Link to the work").fill("https://github.com/acme/billing/pull/42")
    page.get_by_role("button", name="Link", exact=True).click()
    expect(page.get_by_text("Linked GitHub acme/billing#42")).to_be_visible()
    work = page.locator("#work")
    expect(work.get_by_role("link", name="acme/billing#42")).to_have_attribute(
        "href", "https://github.com/acme/billing/pull/42"
    )

    # GitHub says the pull request merged.
    body = as_bytes(github_pull_request("acme/billing", 42, "Export invoices as CSV"))
    answer = requests.post(
        f"{live_server.url}/integrations/github/",
        data=body,
        headers=github_headers(body, "pull_request"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert not Notification.objects.filter(kind=NotificationKind.CUSTOMER_SHIPPED).exists()

    page.goto("/triage/")
    card = page.locator(f"#initiative-{initiative.pk}")
    expect(card).to_contain_text("Work done")
    expect(card).to_contain_text("ready to ship")
    expect(card.get_by_role("link", name="acme/billing#42")).to_be_visible()
    screenshots(page, "board-ready-to-ship")

    card.get_by_role("link", name="CSV export for invoices", exact=True).click()
    ready = page.locator("#ready")
    expect(ready).to_contain_text("Work done: ready to ship")
    expect(ready).to_contain_text("Export invoices as CSV: now available.")
    screenshots(page, "initiative-ready-to-ship")
    ready.get_by_role("link", name="Review and ship…").click()
    note = page.get_by_label("Release note")
    expect(note).to_have_value("Export invoices as CSV: now available.")
    note.fill("Export invoices as CSV, from the invoice list.")
    page.get_by_role("button", name="Ship it").click()
    expect(page.locator(".message.success")).to_contain_text("Shipped “CSV export for invoices”")
    expect(page.locator("#ready")).to_have_count(0)

    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.SHIPPED
    assert initiative.release_note == "Export invoices as CSV, from the invoice list."
    told = Notification.objects.filter(kind=NotificationKind.CUSTOMER_SHIPPED)
    assert [row.recipient_email for row in told] == ["ops@acme.example"]
    assert Initiative.objects.get(pk=initiative.pk).work_done_at is not None

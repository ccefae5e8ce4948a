"""A product manager ships an initiative in Chromium: who will be told, the email, the log."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import expect

from intake.models import Importance
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from notifications.models import DeliveryStatus, Notification
from tests.helpers import log_in, screenshot
from triage.models import InitiativeStatus
from triage.services import initiative_move, ticket_link
from triage.tests.factories import InitiativeFactory


def test_pm_ships_with_the_preview_and_sees_the_log_fill_in(page, pm, submitter) -> None:
    initiative = InitiativeFactory.create(title="CSV export for invoices")
    for name in ("Acme", "Globex", "Initech"):
        customer = CustomerFactory.create(name=name, name_key=name.casefold())
        contact = ContactFactory.create(
            customer=customer, name=f"{name} Ops", email=f"ops@{name.lower()}.example"
        )
        ticket = TicketFactory.create(
            title=f"{name}: invoices as CSV",
            customer=customer,
            contact=contact,
            submitted_by=submitter,
            importance=Importance.IMPORTANT,
        )
        ticket_link(ticket=ticket, initiative=initiative, by=pm)
    initiative_move(initiative=initiative, by=pm, status="planned")
    initiative_move(initiative=initiative, by=pm, status="in_progress")

    log_in(page, "pm")
    page.goto(f"/triage/initiatives/{initiative.pk}/")
    page.get_by_role("link", name="Ship…").click()
    expect(page.locator(".audience")).to_contain_text("3")
    expect(page.locator(".audience")).to_contain_text("customer contacts will be emailed")
    preview = page.frame_locator("iframe.email-preview")
    expect(preview.get_by_text(re.compile(r"invoices as CSV"))).to_be_visible()

    # The preview follows the release note as it is typed.
    page.get_by_label("Release note").fill("Export any invoice list as CSV from the Invoices page.")
    expect(preview.get_by_text("Export any invoice list as CSV")).to_be_visible()
    screenshot(page, "ship-preview")
    assert Notification.objects.filter(kind="customer_shipped").count() == 0

    page.get_by_role("button", name="Ship it").click()
    expect(
        page.get_by_text(
            "Shipped “CSV export for invoices”: 3 customer contacts are being emailed."
        )
    ).to_be_visible()
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.SHIPPED

    expect(page.locator("aside")).to_contain_text("3 sent")
    page.get_by_role("link", name="Delivery log →").click()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(3)
    for name in ("acme", "globex", "initech"):
        expect(page.get_by_role("row", name=re.compile(f"ops@{name}.example"))).to_contain_text(
            "Sent"
        )
    screenshot(page, "delivery-log")
    sent = [m for m in mail.outbox if m.subject.startswith("You asked, we shipped")]
    assert sorted(m.to[0] for m in sent) == [
        "ops@acme.example",
        "ops@globex.example",
        "ops@initech.example",
    ]
    assert set(
        Notification.objects.filter(kind="customer_shipped").values_list("status", flat=True)
    ) == {DeliveryStatus.SENT}

    # The rep who filed the tickets sees that their customer was told.
    page.context.clear_cookies()
    log_in(page, "sales")
    page.get_by_role("link", name=re.compile("Notices")).click()
    expect(page.get_by_text(re.compile("“CSV export for invoices” shipped"))).to_be_visible()
    page.get_by_role("link", name="My tickets").click()
    page.get_by_role("link", name="Acme: invoices as CSV").click()
    expect(page.locator(".customer-told")).to_contain_text("Customer told")

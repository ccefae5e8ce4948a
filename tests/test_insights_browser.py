"""A product manager opens the insights page in Chromium and sees the charts drawn."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from intake.models import SourceTeam
from intake.tests.factories import TicketFactory
from tests.helpers import log_in, screenshot
from triage.services import initiative_ship, ticket_link
from triage.tests.factories import InitiativeFactory


def test_pm_sees_the_charts_and_their_tables(page, pm) -> None:
    for team in (SourceTeam.SALES, SourceTeam.CUSTOMER_SUCCESS, SourceTeam.ONBOARDING):
        TicketFactory.create(source_team=team)
    initiative = InitiativeFactory.create(title="CSV export", status="in_progress")
    ticket_link(ticket=TicketFactory.create(), initiative=initiative, by=pm)
    initiative_ship(initiative=initiative, by=pm, release_note="Live.")

    log_in(page, "pm")
    page.get_by_role("link", name="Insights").click()
    weeks = page.locator('svg[data-chart="tickets-per-week"]')
    expect(weeks).to_be_visible()
    assert weeks.locator("rect").count() >= 3  # one segment per team this week
    box = weeks.bounding_box()
    assert box is not None
    assert box["width"] > 300  # drawn at a readable size, not collapsed
    expect(page.locator(".headline").first).to_contain_text("100%")
    expect(page.locator('[data-chart="shipped-by-team"]')).to_contain_text("Sales")

    # Every chart has a table for screen readers.
    page.locator("section", has=weeks).get_by_text("Table").click()
    expect(page.locator("section", has=weeks).locator("table")).to_contain_text("Total")
    page.get_by_label("Period").select_option("12")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"months=12"))
    screenshot(page, "insights")

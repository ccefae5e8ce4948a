"""A product manager opens the insights page in Chromium and sees the charts drawn."""

from __future__ import annotations

import datetime
import itertools
import re

from django.utils import timezone
from playwright.sync_api import expect

from intake.models import SourceTeam, Ticket
from intake.tests.factories import TicketFactory
from sessions.tests.factories import AgendaItemFactory
from tests.helpers import SIZES, log_in, screenshot
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
    # The filter applies on change, like the board's: the charts are fetched, the page stays.
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Period").select_option("12")
    expect(page).to_have_url(re.compile(r"months=12"))
    expect(page.locator('a[href*="tickets-per-week.csv?months=12"]')).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    page.get_by_label("Team", exact=True).select_option("onboarding")
    expect(weeks.locator("rect")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"source_team=onboarding"))
    screenshot(page, "insights")


def test_axis_labels_are_readable_in_every_card_at_both_sizes(page, pm) -> None:
    """Labels at the page's type size (12 px; SVG text scaled with the drawing was 5 to 8 px),
    inside their card, and not on top of each other, in full- and half-width cards."""
    now = timezone.now()
    for weeks_ago in range(13):
        ticket = TicketFactory.create()
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=now - datetime.timedelta(weeks=weeks_ago)
        )
    initiative = InitiativeFactory.create(title="CSV export", status="in_progress")
    ticket_link(ticket=TicketFactory.create(), initiative=initiative, by=pm)
    for months_ago in range(3):
        AgendaItemFactory.create(
            decision="decline", decided_at=now - datetime.timedelta(days=31 * months_ago)
        )
    log_in(page, "pm")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/insights/")
        for chart in ("tickets-per-week", "top-initiatives", "decisions"):
            card = page.locator("section.chart", has=page.locator(f'svg[data-chart="{chart}"]'))
            labels = page.evaluate(
                """(card) => {
                     const box = card.getBoundingClientRect();
                     return [...card.querySelectorAll('.x-tick, .y-tick')]
                       .filter((e) => e.offsetParent !== null)
                       .map((e) => { const r = e.getBoundingClientRect();
                         return {x: e.classList.contains('x-tick'), text: e.textContent,
                                 size: parseFloat(getComputedStyle(e).fontSize),
                                 inside: r.left >= box.left && r.right <= box.right,
                                 left: r.left, right: r.right}; });
                   }""",
                card.element_handle(),
            )
            xs = sorted((label for label in labels if label["x"]), key=lambda label: label["left"])
            assert len(xs) >= 2, (chart, width)
            assert len(labels) - len(xs) == 5, (chart, width)  # 0, ¼, ½, ¾ and the top
            for label in labels:
                assert label["size"] >= 11, (chart, width, label)
                assert label["inside"], (chart, width, label)
            for left, right in itertools.pairwise(xs):
                assert left["right"] + 4 <= right["left"], (chart, width, left, right)
        screenshot(page, f"insights-labels-{width}x{height}")

"""The look and feel every page shares, measured in Chromium at a laptop's and a phone's size:
the folding menu, nothing wider than the screen, tables as stacked rows, the palette's contrast
and the focus ring."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from core.choices import ANY, CHOOSE, NONE
from core.dates import month_next
from intake.models import Contact, Importance, Ticket, TicketStatus
from intake.selectors import unsubscribe_url
from intake.services import ticket_create
from notifications.models import DeliveryStatus
from sessions.models import SessionStatus
from sessions.services import review_create, workshop_schedule
from tests.helpers import SIZES, log_in, screenshots
from triage.models import Initiative, InitiativeStatus

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}

# Contrast as WCAG 2 defines it, of computed colours; `background(el)` is the first opaque
# background from the element up (the page's own background at the top).
CONTRAST_JS = """
(() => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const channel = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const background = (el) => {
    for (let at = el; at; at = at.parentElement) {
      const color = rgb(getComputedStyle(at).backgroundColor);
      if (color.length === 3 || color[3] === 1) return color.slice(0, 3);
    }
    return rgb(getComputedStyle(document.documentElement).backgroundColor).slice(0, 3);
  };
  window.styleCheck = { rgb, contrast, background };
})();
"""


def _pages(data: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Every main page, by the role that uses it: (name for the screenshot, path)."""
    ticket, initiative = data["ticket"], data["initiative"]
    review, workshop, own = data["review"], data["workshop"], data["own_ticket"]
    return {
        "sales": [
            ("home-sales", "/"),
            ("file-feedback", "/intake/new/"),
            ("my-tickets", "/intake/mine/"),
            ("all-tickets", "/intake/tickets/"),
            ("ticket", f"/intake/tickets/{ticket.pk}/"),
            ("ticket-edit", f"/intake/tickets/{own.pk}/edit/"),
            ("sessions", "/sessions/"),
            ("calendar", "/sessions/calendar/"),
            ("workshop", f"/sessions/{workshop.pk}/"),
            ("notices", "/notices/"),
            ("email-settings", "/notices/settings/"),
        ],
        "pm": [
            ("home-pm", "/"),
            ("inbox", "/triage/inbox/"),
            ("inbox-link", f"/triage/inbox/{own.pk}/link/"),
            ("board", "/triage/"),
            ("initiative", f"/triage/initiatives/{initiative.pk}/"),
            ("initiative-new", "/triage/initiatives/new/"),
            ("initiative-edit", f"/triage/initiatives/{initiative.pk}/edit/"),
            ("ship", f"/triage/initiatives/{initiative.pk}/status/?to=shipped"),
            ("insights", "/insights/"),
            ("deliveries", "/notices/deliveries/"),
            ("review", f"/sessions/{review.pk}/"),
        ],
        "facilitator": [
            ("workshop-new", "/sessions/new/workshop/"),
            ("review-new", "/sessions/new/review/"),
            ("review-facilitator", f"/sessions/{review.pk}/"),
        ],
        "admin": [("home-admin", "/")],
    }


# The board scrolls column by column on a phone (issue 16, the board's own change).
SCROLLS_SIDEWAYS_ON_A_PHONE = {"board"}


@pytest.fixture
def demo(transactional_db: None) -> dict[str, Any]:
    """The demo data (every role, tickets in every state, a shipped initiative and its emails),
    a review with its agenda, a workshop, and a ticket whose words are long enough to overflow."""
    call_command("seed_demo", password="pw", stdout=open("/dev/null", "w"))  # noqa: SIM115
    facilitator = User.objects.get(username="facilitator")
    sales = User.objects.get(username="sales")
    review, _ = review_create(month=month_next(timezone.localdate()), by=facilitator)
    workshop = workshop_schedule(
        by=facilitator,
        title="Where exports hurt",
        topic="friction_points",
        starts_at=timezone.now() + datetime.timedelta(days=2),
        duration_minutes=60,
        description="What customers tell us about exporting invoices.",
        invitees=list(User.objects.exclude(pk=facilitator.pk)),
    )
    own = ticket_create(
        submitted_by=sales,
        title="Export to https://reports.example.com/a-very-long-path-without-any-breaks-at-all",
        description="Supercalifragilisticexpialidociouslylongwordwithoutspaces" * 3,
        company="Initech",
        email="bill@initech.example",
        source_team=sales.team,
        kind="feature_request",
        importance=Importance.CRITICAL,
    )
    return {
        "ticket": Ticket.objects.exclude(initiative=None).order_by("pk").first(),
        "initiative": Initiative.objects.filter(status=InitiativeStatus.IN_PROGRESS).first()
        or Initiative.objects.exclude(status=InitiativeStatus.SHIPPED).first(),
        "review": review,
        "workshop": workshop,
        "own_ticket": own,
    }


def _sweep(page: Any, role: str, pages: list[tuple[str, str]]) -> list[str]:
    """Visit each page at both sizes; what is wider than the screen, a table cell without its
    column's name for the phone's stacked rows, a select's empty choice in other words than
    Any / None / Choose…, or a relative time said as "0 minutes"."""
    problems = []
    if role:
        log_in(page, role, "pw")
    for name, path in pages:
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, path
            wide = page.evaluate("document.scrollingElement.scrollWidth")
            if wide > width and not (width < 800 and name in SCROLLS_SIDEWAYS_ON_A_PHONE):
                culprits = page.evaluate(
                    """(w) => [...document.querySelectorAll('body *')]
                         .filter((e) => e.getBoundingClientRect().right > w + 1)
                         .slice(-3).map((e) => e.outerHTML.slice(0, 90))""",
                    width,
                )
                problems.append(f"{path} at {width}px is {wide}px wide: {culprits}")
            unlabelled = page.locator("table.list td:not([data-label])").count()
            if unlabelled:
                problems.append(f"{path}: {unlabelled} table cells without data-label")
            empty_options = set(
                page.eval_on_selector_all(
                    'select option[value=""]', "els => els.map((e) => e.textContent.trim())"
                )
            )
            if empty_options - {ANY, NONE, CHOOSE}:
                problems.append(f"{path}: nothing chosen reads {empty_options}")
            if "0 minutes" in page.inner_text("body"):
                problems.append(f"{path}: says 0 minutes")
        screenshots(page, f"style-{name}")
    return problems


def test_every_page_fits_a_phone_and_a_laptop(page, demo) -> None:
    problems = []
    for role, pages in _pages(demo).items():
        page.context.clear_cookies()
        problems += _sweep(page, role, pages)
    assert not problems, "\n".join(problems)


def test_pages_for_people_not_logged_in_fit_too(page, demo) -> None:
    """The log-in page and a customer's unsubscribe page (from the link in their email)."""
    contact = Contact.objects.order_by("pk").first()
    assert contact is not None
    unsubscribe = urlparse(unsubscribe_url(contact)).path
    problems = _sweep(page, "", [("login", "/login/"), ("unsubscribe", unsubscribe)])
    assert not problems, "\n".join(problems)


def test_the_menu_folds_on_a_phone_and_opens_by_keyboard(page, submitter) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, "sales")
    toggle = page.get_by_role("button", name="Menu")
    menu = page.get_by_role("navigation", name="Main")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    header = page.locator(".topbar").bounding_box()
    assert header is not None
    assert header["height"] < 80  # was about 340 px of links

    # The keyboard reaches the button first thing after the skip link and the logo.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="My tickets")).to_be_visible()
    screenshots(page, "style-menu-open")
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Home")).to_be_focused()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(menu).to_be_hidden()

    toggle.click()
    menu.get_by_role("link", name="My tickets").click()
    page.wait_for_url("**/intake/mine/")
    expect(menu).to_be_hidden()  # a new page starts folded

    # A laptop shows the links in the bar, with no button.
    page.set_viewport_size(LAPTOP)
    expect(toggle).to_be_hidden()
    expect(menu.get_by_role("link", name="My tickets")).to_be_visible()
    header = page.locator(".topbar").bounding_box()
    assert header is not None
    assert header["height"] < 80


def test_without_javascript_the_phone_menu_stays_open(browser, live_server, submitter) -> None:
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    log_in(page, "sales")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    context.close()


# Every value shown as a coloured badge, by what its colour means. A suppressed email is neutral.
BADGES: dict[str, list[str]] = {
    "status": [*TicketStatus.values, *InitiativeStatus.values, *SessionStatus.values],
    "importance": list(Importance.values),
    "delivery": [
        s.value
        for s in (
            DeliveryStatus.PENDING,
            DeliveryStatus.SENDING,
            DeliveryStatus.SENT,
            DeliveryStatus.FAILED,
        )
    ],
}


def _badge_colours(page: Any, classes: list[str]) -> list[dict[str, Any]]:
    """Each class's badge, drawn on the page: its text and background colours and contrast."""
    colours: list[dict[str, Any]] = page.evaluate(
        """(classes) => classes.map((cls) => {
             const el = document.createElement('span');
             el.className = 'badge ' + cls; el.textContent = cls;
             document.querySelector('main').append(el);
             const s = window.styleCheck, style = getComputedStyle(el);
             const text = s.rgb(style.color).slice(0, 3), back = s.background(el);
             return {cls, text: text.join(','), back: back.join(','),
                     ratio: s.contrast(text, back)};
           })""",
        classes,
    )
    return colours


def test_badges_and_messages_read_at_aa_and_each_colour_means_one_thing(page, pm) -> None:
    log_in(page, "pm")
    page.goto("/intake/tickets/")
    page.evaluate(CONTRAST_JS)
    seen: dict[str, dict[str, Any]] = {}
    for meaning, classes in BADGES.items():
        for badge in _badge_colours(page, sorted(set(classes))):
            assert badge["ratio"] >= 4.5, (meaning, badge)
            seen.setdefault(meaning, {})[badge["cls"]] = badge

    # A hue used for one meaning is not used for another: compare the fill of every badge that
    # is not neutral (the plain badge's colours).
    neutral = _badge_colours(page, [""])[0]
    fills = {
        meaning: {b["back"] for b in badges.values()} - {neutral["back"], "255,255,255"}
        for meaning, badges in seen.items()
    }
    texts = {
        meaning: {b["text"] for b in badges.values()} - {neutral["text"], "255,255,255"}
        for meaning, badges in seen.items()
    }
    for one in ("status", "importance", "delivery"):
        for other in ("status", "importance", "delivery"):
            if one < other:
                assert not fills[one] & fills[other], (one, other, fills[one] & fills[other])
                assert not texts[one] & texts[other], (one, other, texts[one] & texts[other])

    # Messages, error text and muted text.
    checks = page.evaluate(
        """() => {
             const s = window.styleCheck, main = document.querySelector('main');
             return ['message', 'message success', 'message error', 'message warning',
                     'error-text', 'muted', 'badge unread'].map((cls) => {
               const el = document.createElement('p');
               el.className = cls; el.textContent = cls; main.append(el);
               const text = s.rgb(getComputedStyle(el).color).slice(0, 3);
               return {cls, ratio: s.contrast(text, s.background(el))};
             });
           }"""
    )
    for check in checks:
        assert check["ratio"] >= 4.5, check


def _focus_ring_problems(page: Any, presses: int) -> list[str]:
    """Tab through the page; each element that takes focus must show a solid outline of at
    least 2 px whose colour stands 3:1 against what surrounds it."""
    page.evaluate(CONTRAST_JS)
    problems, seen = [], set()
    for _ in range(presses):
        page.keyboard.press("Tab")
        ring = page.evaluate(
            """() => {
                 const el = document.activeElement, s = window.styleCheck;
                 if (!el || el === document.body) return null;
                 const style = getComputedStyle(el);
                 const around = s.background(el.parentElement || el);
                 return {what: el.outerHTML.slice(0, 80), style: style.outlineStyle,
                         width: parseFloat(style.outlineWidth),
                         ratio: s.contrast(s.rgb(style.outlineColor).slice(0, 3), around)};
               }"""
        )
        if ring is None or ring["what"] in seen:
            continue
        seen.add(ring["what"])
        if ring["style"] in ("none", "hidden") or ring["width"] < 2 or ring["ratio"] < 3:
            problems.append(str(ring))
    assert len(seen) > 5  # the walk really went through the page
    return problems


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_focusable_thing_shows_a_ring(page, demo, size) -> None:
    page.set_viewport_size(size)
    log_in(page, "pm", "pw")
    problems = []
    for path in (
        "/",
        "/intake/tickets/",
        "/intake/new/",
        f"/triage/initiatives/{demo['initiative'].pk}/",
    ):
        page.goto(path)
        if size is PHONE:
            page.get_by_role("button", name="Menu").click()
        problems += _focus_ring_problems(page, 40)
    assert not problems, "\n".join(problems)

"""Sessions in Chromium: a facilitator schedules a workshop and an invitee answers; a review's
decisions change the inbox and the board, and its summary goes out."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import icalendar
from django.core import mail
from playwright.sync_api import expect

from core.dates import month_next
from intake.models import Importance, TicketStatus
from intake.tests.factories import TicketFactory
from sessions.models import Participant, Rsvp, Session
from sessions.services import review_create
from tests.dates import month_start, tuesday_at
from tests.helpers import log_in, screenshot
from triage.models import InitiativeStatus
from triage.tests.factories import InitiativeFactory


def _invite_calendar(to: str) -> icalendar.Calendar:
    for message in mail.outbox:
        if message.to == [to]:
            for name, content, mimetype in message.attachments:
                if name == "invite.ics":
                    assert mimetype.startswith("text/calendar")
                    return icalendar.Calendar.from_ical(content)
    raise AssertionError(f"no invite for {to}")


def test_facilitator_schedules_a_workshop_and_an_invitee_says_yes(
    page, facilitator, submitter, pm
) -> None:
    facilitator.time_zone = "Europe/Berlin"
    facilitator.save()
    starts_at = tuesday_at(weeks=6, hour=15, minute=30, tz=ZoneInfo("Europe/Berlin"))
    log_in(page, "facilitator")
    page.get_by_role("link", name="Sessions", exact=True).click()
    page.get_by_role("link", name="Schedule a workshop").click()
    page.get_by_label("Title").fill("Why do admins give up on setup?")
    page.get_by_label("Topic").select_option("friction_points")
    page.get_by_label("Description").fill("Walk through the onboarding tickets.")
    page.get_by_label("Starts").fill(f"{starts_at:%Y-%m-%dT%H:%M}")
    page.get_by_label("Duration (minutes)").fill("0")
    page.get_by_label("Place or video link").fill("https://meet.example/setup")
    page.get_by_label(re.compile(submitter.display_name)).check()
    page.get_by_label(re.compile(pm.display_name)).check()
    page.get_by_role("button", name="Schedule and invite").click()
    expect(page.get_by_text("A session lasts at least 5 minutes.")).to_be_visible()
    assert Session.objects.count() == 0

    page.get_by_label("Duration (minutes)").fill("90")
    page.get_by_role("button", name="Schedule and invite").click()
    expect(
        page.get_by_text(
            re.compile("Scheduled “Why do admins give up on setup\\?”; 2 invites sent.")
        )
    ).to_be_visible()
    # Shown in the facilitator's own zone; stored in UTC.
    expect(page.locator(".page-head")).to_contain_text("15:30")
    session = Session.objects.get()
    # 14:30 UTC in winter, 13:30 in summer.
    assert session.starts_at == starts_at.astimezone(datetime.UTC)
    screenshot(page, "workshop-scheduled")

    calendar = _invite_calendar(submitter.email)
    assert calendar["method"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("dtstart") == starts_at
    assert event.decoded("dtend") - event.decoded("dtstart") == datetime.timedelta(minutes=90)
    assert str(event["uid"]).startswith(str(session.uid))
    assert event.decoded("sequence") == 0

    page.context.clear_cookies()
    log_in(page, "sales")
    page.get_by_role("link", name="Sessions", exact=True).click()
    page.get_by_role("link", name="Why do admins give up on setup?").click()
    page.locator("#rsvp").get_by_role("button", name="Yes").click()
    expect(page.get_by_text("You answered yes.")).to_be_visible()
    expect(page.locator("#people")).to_contain_text("Yes")
    assert Participant.objects.get(session=session, user=submitter).rsvp == Rsvp.YES


def test_review_decisions_change_the_inbox_and_board_and_the_summary_goes_out(
    page, pm, facilitator, submitter
) -> None:
    export = TicketFactory.create(
        title="Export invoices", importance=Importance.CRITICAL, submitted_by=submitter
    )
    purple = TicketFactory.create(title="Make it purple", submitted_by=submitter)
    sso = InitiativeFactory.create(title="Single sign-on", priority_score=5)
    month = month_start(2)
    review, _ = review_create(month=month)
    assert [str(item) for item in review.agenda.all()] == [
        "Export invoices",
        "Make it purple",
        "Single sign-on",
    ]

    items = {str(item): f"#item-{item.pk}" for item in review.agenda.all()}
    log_in(page, "facilitator")
    page.goto(f"/sessions/{review.pk}/")
    sso_item = page.locator(items["Single sign-on"])
    for _ in range(2):
        sso_item.get_by_role("button", name="+ dot").click()
    expect(page.get_by_text("You have 3 of 5 dots left")).to_be_visible()
    page.get_by_role("link", name="Sort by votes").click()
    expect(page.locator(".agenda-item").first).to_have_id(items["Single sign-on"][1:])

    # Create an initiative from the critical ticket: it leaves the inbox at once.
    item = page.locator(items["Export invoices"])
    item.locator("summary").click()
    item.get_by_label("Decision").select_option("create_initiative")
    item.get_by_label("Rationale").fill("Every finance team asks.")
    item.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    export.refresh_from_db()
    assert export.status == TicketStatus.LINKED

    item = page.locator(items["Single sign-on"])
    item.locator("summary").click()
    item.get_by_label("Decision").select_option("plan")
    item.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    sso.refresh_from_db()
    assert sso.status == InitiativeStatus.PLANNED

    # A decline needs its reason.
    item = page.locator(items["Make it purple"])
    item.locator("summary").click()
    item.get_by_label("Decision").select_option("decline")
    item.get_by_role("button", name="Record decision").click()
    expect(
        page.get_by_text("A reason for declining (the submitter is told it) is required.")
    ).to_be_visible()
    purple.refresh_from_db()
    assert purple.status == TicketStatus.NEW
    screenshot(page, "review-decisions")

    page.get_by_label("close it early anyway").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Close and send summary").click()
    expect(page.get_by_text("Closed; the summary went to everyone invited.")).to_be_visible()
    expect(page.locator("pre.summary")).to_contain_text("Create an initiative → Export invoices")
    expect(page.locator("pre.summary")).to_contain_text("Make it purple")
    summaries = [m for m in mail.outbox if m.subject.startswith("Summary:")]
    assert {m.to[0] for m in summaries} == {pm.email, facilitator.email}
    # What was not decided waits on next month's review.
    following = Session.objects.get(month=month_next(month))
    assert str(following.agenda.first()) == "Make it purple"

"""Sessions in Chromium: a facilitator schedules a workshop and an invitee answers; a review's
decisions change the inbox and the board, and its summary goes out."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import icalendar
from django.core import mail
from playwright.sync_api import expect

from intake.models import Importance, TicketStatus
from intake.tests.factories import TicketFactory
from sessions.models import Participant, Rsvp, Session
from sessions.services import review_create, workshop_schedule
from tests.dates import month_start, tuesday_at
from tests.helpers import log_in, screenshots
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
    wizard = TicketFactory.create(
        title="Admins give up in the setup wizard",
        description="New admins get stuck on the setup wizard's second step and give up.",
    )
    TicketFactory.create(title="Export invoices to CSV", description="Finance needs it monthly.")
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
    # The date and time are read in the person's own zone, and the form says which.
    expect(page.locator("#id_starts_at_help")).to_contain_text("Your time zone: Europe/Berlin")
    # Invitees: one by a search, then a whole team (the organiser is never offered).
    _no_reload_since(page)
    page.get_by_label("Find people").fill("sale")
    picker = page.locator("#invitee-picker")
    picker.get_by_role("button", name=f"Add {submitter.display_name}").click()
    expect(picker.locator(".chips")).to_contain_text(submitter.display_name)
    page.get_by_label("Add a whole team").select_option("product")
    picker.get_by_role("button", name="Add team").click()
    expect(picker.get_by_role("status")).to_have_text("Added 1 from Product.")
    expect(picker.locator(".chips")).to_contain_text(pm.display_name)
    expect(picker.locator(".chips")).not_to_contain_text(facilitator.display_name)
    _still_the_same_page(page)
    screenshots(page, "workshop-invitees")
    page.get_by_role("button", name="Schedule and invite").last.click()
    expect(page.get_by_text("A session lasts at least 5 minutes.")).to_be_visible()
    assert Session.objects.count() == 0

    # The choice survives the refusal.
    expect(page.locator("#invitee-picker .chips")).to_contain_text(pm.display_name)
    page.get_by_label("Duration (minutes)").fill("90")
    page.get_by_role("button", name="Schedule and invite").last.click()
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
    screenshots(page, "workshop-scheduled")
    research = page.locator("#research")
    expect(research).to_contain_text(wizard.title)
    expect(research).not_to_contain_text("Export invoices to CSV")
    # The organiser is not asked whether she comes.
    expect(page.locator("#rsvp")).to_have_count(0)
    expect(page.locator("#people-list")).to_contain_text("Organiser")

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
    _no_reload_since(page)
    page.locator("#rsvp").get_by_role("button", name="Yes").click()
    expect(page.get_by_text("You answered yes.")).to_be_visible()
    expect(page.locator("#people")).to_contain_text("Yes")
    _still_the_same_page(page)
    assert Participant.objects.get(session=session, user=submitter).rsvp == Rsvp.YES


def _no_reload_since(page) -> None:
    """Mark the page; `_still_the_same_page` fails if it was loaded again since."""
    page.evaluate("window.__sameDocument = true")


def _still_the_same_page(page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


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
    # Filed after the agenda was made: the facilitator finds it and adds it.
    dark = TicketFactory.create(title="Dark mode for reports", submitted_by=submitter)

    items = {str(item): f"#item-{item.pk}" for item in review.agenda.all()}
    log_in(page, "facilitator")
    page.goto(f"/sessions/{review.pk}/")
    _no_reload_since(page)

    # Dots: the item and the counter change in place.
    sso_item = page.locator(items["Single sign-on"])
    for dots in (1, 2):
        sso_item.get_by_role("button", name="+ dot").click()
        expect(sso_item.locator(".dots strong")).to_have_text(str(dots))
    expect(page.locator("#dots-left")).to_have_text("You have 3 of 5 dots left")
    page.get_by_role("link", name="Sort by votes").click()
    expect(page.locator(".agenda-item").first).to_have_id(items["Single sign-on"][1:])
    expect(page).to_have_url(re.compile(r"\?sort=votes$"))

    # A note on an item is kept, and said so beside its button.
    item = page.locator(items["Make it purple"])
    item.locator("summary").click()
    item.get_by_label("Notes on this item").fill("Only one customer asks.")
    item.get_by_role("button", name="Save notes").click()
    expect(item.get_by_role("status")).to_have_text("Notes saved.")
    expect(item.locator(".item-notes")).to_contain_text("Only one customer asks.")

    # Create an initiative from the critical ticket: it leaves the inbox at once.
    item = page.locator(items["Export invoices"])
    item.locator("summary").click()
    item.get_by_label("Decision").select_option("create_initiative")
    item.get_by_label("Rationale").fill("Every finance team asks.")
    item.get_by_role("button", name="Record decision").click()
    expect(item.locator(".decision")).to_contain_text("Create an initiative")
    expect(item.get_by_role("status")).to_have_text("Decision recorded.")
    export.refresh_from_db()
    assert export.status == TicketStatus.LINKED

    item = page.locator(items["Single sign-on"])
    item.locator("summary").click()
    item.get_by_label("Decision").select_option("plan")
    item.get_by_role("button", name="Record decision").click()
    expect(item.locator(".decision")).to_contain_text("Plan it")
    sso.refresh_from_db()
    assert sso.status == InitiativeStatus.PLANNED

    # A decline needs its reason: the refusal is beside the form, the choice is kept.
    item = page.locator(items["Make it purple"])
    item.get_by_label("Decision").select_option("decline")
    item.get_by_role("button", name="Record decision").click()
    expect(item.get_by_role("alert")).to_have_text(
        "A reason for declining (the submitter is told it) is required."
    )
    expect(item.get_by_label("Decision")).to_have_value("decline")
    purple.refresh_from_db()
    assert purple.status == TicketStatus.NEW
    screenshots(page, "review-refused-decision")

    # Context on an item, from the thread's form.
    item.get_by_label("Add to “Make it purple”").fill("Their brand colour is purple.")
    item.get_by_role("button", name="Add", exact=True).click()
    expect(item.locator(".thread")).to_contain_text("Their brand colour is purple.")

    # Adding to the agenda: search by the words as typed so far, pick the ticket.
    search = page.get_by_label("Add to the agenda", exact=True)
    search.fill("dark mo")
    results = page.locator("#agenda-search-results")
    results.get_by_role("button", name="Add ticket “Dark mode for reports” to the agenda").click()
    expect(page.get_by_text("Added “Dark mode for reports” to the agenda.")).to_be_visible()
    added = review.agenda.get(ticket=dark)
    expect(page.locator(f"#item-{added.pk}")).to_contain_text("Dark mode for reports")
    # Searching again shows it is on the agenda already.
    page.get_by_label("Add to the agenda", exact=True).fill("dark")
    expect(results.locator(".candidate")).to_contain_text("On the agenda")
    screenshots(page, "review-agenda")
    _still_the_same_page(page)

    # Closing before the start: refused beside the confirmation until it is ticked.
    close = page.locator("#close")
    page.once("dialog", lambda dialog: dialog.accept())
    close.get_by_role("button", name="Close and send summary").click()
    expect(close.get_by_role("alert")).to_contain_text("has not started yet")
    review.refresh_from_db()
    assert review.status == "scheduled"
    close.get_by_label("Close it early anyway").check()
    page.once("dialog", lambda dialog: dialog.accept())
    close.get_by_role("button", name="Close and send summary").click()
    expect(page.get_by_text("Closed; the summary went to everyone invited.")).to_be_visible()
    expect(page.locator("pre.summary")).to_contain_text("Create an initiative → Export invoices")
    expect(page.locator("pre.summary")).to_contain_text("Not reached, moved to the next review (2)")
    summaries = [m for m in mail.outbox if m.subject.startswith("Summary:")]
    assert {m.to[0] for m in summaries} == {pm.email, facilitator.email}
    screenshots(page, "review-closed")


def test_a_person_with_no_dots_left_cannot_try_for_another(page, facilitator) -> None:
    for n in range(3):
        TicketFactory.create(title=f"Ask {n}")
    review, _ = review_create(month=month_start(2))
    log_in(page, "facilitator")
    page.goto(f"/sessions/{review.pk}/")
    first, second, third = page.locator(".agenda-item").all()
    for item, dots in ((first, 1), (first, 2), (first, 3), (second, 1), (second, 2)):
        item.get_by_role("button", name="+ dot").click()
        expect(item.locator(".dots strong")).to_have_text(str(dots))
    expect(page.locator("#dots-left")).to_have_text("You have 0 of 5 dots left")
    expect(third.get_by_role("button", name="+ dot")).to_be_disabled()
    # Taking one back frees every item's button again.
    first.get_by_role("button", name="\N{MINUS SIGN} mine (3)").click()
    expect(third.get_by_role("button", name="+ dot")).to_be_enabled()
    third.get_by_role("button", name="+ dot").click()
    expect(third.locator(".dots strong")).to_have_text("1")


def test_a_match_on_the_agenda_is_decided_in_place(page, facilitator) -> None:
    ticket = TicketFactory.create(
        title="Export invoices to CSV", description="Finance exports every invoice by hand."
    )
    initiative = InitiativeFactory.create(
        title="CSV export for invoices", description="Export invoices to CSV for finance."
    )
    review, _ = review_create(month=month_start(2))
    item = review.agenda.get(ticket=ticket)
    log_in(page, "facilitator")
    page.goto(f"/sessions/{review.pk}/")
    _no_reload_since(page)
    row = page.locator(f"#item-{item.pk}")
    row.locator("summary").click()
    row.get_by_role("button", name="Same ask — add my customer").click()
    expect(row.locator(".decision")).to_contain_text("Link to an initiative")
    expect(row.locator(".decision")).to_contain_text("CSV export for invoices")
    _still_the_same_page(page)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.initiative_id) == (TicketStatus.LINKED, initiative.pk)


def test_more_people_are_invited_by_team_from_the_session_page(
    page, facilitator, submitter, other_submitter
) -> None:
    starts_at = tuesday_at(weeks=3)
    session = workshop_schedule(
        by=facilitator,
        title="Personas",
        topic="new_personas",
        starts_at=starts_at,
        duration_minutes=60,
        invitees=[submitter],
    )
    log_in(page, "facilitator")
    page.goto(f"/sessions/{session.pk}/")
    page.get_by_text("Invite more").click()
    picker = page.locator("#invitee-picker")
    # Whoever is invited already is not offered again.
    page.get_by_label("Find people").fill(submitter.username)
    expect(picker.locator("#people-results")).to_contain_text("Nobody else matches")
    page.get_by_label("Add a whole team").select_option("customer_success")
    picker.get_by_role("button", name="Add team").click()
    expect(picker.locator(".chips")).to_contain_text(other_submitter.display_name)
    screenshots(page, "workshop-invite-more")
    page.get_by_role("button", name="Invite and send the invites").click()
    expect(page.get_by_text("Invited 1 person; each got the calendar invite.")).to_be_visible()
    assert Participant.objects.filter(session=session, user=other_submitter).exists()

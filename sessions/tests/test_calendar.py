"""Calendar invites as calendar programs read them: a stable UID, a growing SEQUENCE, times in
UTC, an organizer, and a cancellation that removes the event."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from accounts.models import Role
from accounts.tests.factories import UserFactory
from sessions.calendar import session_ics
from sessions.models import Session, SessionStatus
from sessions.tests.factories import SessionFactory
from tests.dates import tuesday_at

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
UTC = datetime.UTC


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "https://feedback.example.com"
    settings.DEFAULT_FROM_EMAIL = "FeedbackLoop <feedback@example.com>"


def parsed(text: str) -> tuple[Any, Any]:
    calendar = Calendar.from_ical(text)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_an_invite_is_a_request_with_the_sessions_identity_and_times() -> None:
    starts_at = tuesday_at(weeks=5, hour=9, minute=30, tz=NEW_YORK)
    in_utc = starts_at.astimezone(UTC)  # 14:30 in winter, 13:30 in summer
    session = SessionFactory.create(
        title="Onboarding friction",
        description="Where new customers get stuck.",
        location="https://meet.example/abc",
        starts_at=starts_at,
        duration_minutes=90,
    )
    guest = UserFactory.create(username="guest", first_name="Gail", last_name="Guest")

    calendar, event = parsed(session_ics(session=session, attendees=[guest]))

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(event["UID"]) == f"{session.uid}@feedback.example.com"
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("DTSTART") == in_utc
    assert event.decoded("DTEND") == in_utc + datetime.timedelta(minutes=90)
    assert str(event["SUMMARY"]) == "Onboarding friction"
    assert str(event["DESCRIPTION"]) == "Where new customers get stuck."
    assert str(event["LOCATION"]) == "https://meet.example/abc"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]) == f"https://feedback.example.com/sessions/{session.pk}/"
    assert session.facilitator is not None
    assert str(event["ORGANIZER"]) == f"mailto:{session.facilitator.email}"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:guest@staff.example"
    assert attendee.params["CN"] == "Gail Guest"


def test_times_are_written_in_utc_so_no_time_zone_definition_is_needed() -> None:
    # A TZID without a matching VTIMEZONE is invalid iCalendar (RFC 5545 §3.2.19); an instant
    # given in any zone is written as UTC instead.
    starts_at = tuesday_at(weeks=30, hour=10, minute=0, tz=NEW_YORK)
    session = SessionFactory.build(starts_at=starts_at, duration_minutes=60)
    in_utc = starts_at.astimezone(UTC)  # 14:00 in summer, 15:00 in winter

    text = session_ics(session=session, attendees=[])

    assert "TZID" not in text
    assert f"DTSTART:{in_utc:%Y%m%dT%H%M%SZ}" in text.splitlines()
    assert f"DTEND:{in_utc + datetime.timedelta(hours=1):%Y%m%dT%H%M%SZ}" in text.splitlines()


def test_a_change_keeps_the_uid_and_raises_the_sequence() -> None:
    session = SessionFactory.create()
    _, first = parsed(session_ics(session=session, attendees=[]))

    session.sequence = 3
    session.starts_at += datetime.timedelta(days=1)
    _, update = parsed(session_ics(session=session, attendees=[]))

    assert str(update["UID"]) == str(first["UID"])
    assert update.decoded("SEQUENCE") == 3
    assert update.decoded("DTSTART") - first.decoded("DTSTART") == datetime.timedelta(days=1)


@pytest.mark.parametrize("how", ["cancel flag", "cancelled session"])
def test_a_cancellation_is_a_cancel_with_a_cancelled_event(how: str) -> None:
    session = SessionFactory.create(sequence=1)
    if how == "cancelled session":
        session.status = SessionStatus.CANCELLED

    calendar, event = parsed(
        session_ics(session=session, attendees=[], cancel=how == "cancel flag")
    )

    assert str(event["STATUS"]) == "CANCELLED"
    if how == "cancel flag":
        assert str(calendar["METHOD"]) == "CANCEL"


def test_a_review_without_a_facilitator_still_names_an_organizer() -> None:
    # Calendar programs ignore a REQUEST or CANCEL without an ORGANIZER (RFC 5546 §3.2); the
    # beat task's reviews have no facilitator, so the app's own address organizes them.
    session = SessionFactory.create(facilitator=None)

    _, event = parsed(session_ics(session=session, attendees=[]))

    assert str(event["ORGANIZER"]) == "mailto:feedback@example.com"
    assert event["ORGANIZER"].params["CN"] == "FeedbackLoop"


def test_people_without_an_email_address_are_left_off() -> None:
    facilitator = UserFactory.create(role=Role.FACILITATOR, email="")
    session = SessionFactory.create(facilitator=facilitator)
    with_email = UserFactory.create(username="has-mail")
    without = UserFactory.create(username="no-mail", email="")

    _, event = parsed(session_ics(session=session, attendees=[with_email, without]))

    assert str(event["ATTENDEE"]) == "mailto:has-mail@staff.example"
    assert str(event["ORGANIZER"]) == "mailto:feedback@example.com"


def test_text_with_commas_semicolons_and_new_lines_comes_back_intact() -> None:
    session: Session = SessionFactory.create(
        title="Q3: pricing, billing; exports",
        description="Line one\nLine two, with <b>HTML</b>",
    )

    text = session_ics(session=session, attendees=[])
    _, event = parsed(text)

    assert str(event["SUMMARY"]) == "Q3: pricing, billing; exports"
    assert str(event["DESCRIPTION"]) == "Line one\nLine two, with <b>HTML</b>"
    assert all(len(line.encode()) <= 75 for line in text.splitlines())

"""Calendar invites (RFC 5545 / iTIP): one stable UID per session, SEQUENCE grows per change."""

from __future__ import annotations

import datetime
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from accounts.models import User
from sessions.models import Session, SessionStatus


def _address(user: User) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.display_name)
    return address


def _app_address() -> vCalAddress:
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name or "FeedbackLoop")
    return address


def session_ics(*, session: Session, attendees: list[User], cancel: bool = False) -> str:
    """The iCalendar text for an invite (METHOD:REQUEST) or a cancellation (METHOD:CANCEL)."""
    calendar = Calendar()
    calendar.add("prodid", "-//FeedbackLoop//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    event.add("uid", f"{session.uid}@{domain or 'feedbackloop'}")
    event.add("sequence", session.sequence)
    event.add("dtstamp", timezone.now())
    # In UTC: a TZID would need a VTIMEZONE definition alongside (RFC 5545 §3.2.19).
    event.add("dtstart", session.starts_at.astimezone(datetime.UTC))
    event.add("dtend", session.ends_at.astimezone(datetime.UTC))
    event.add("summary", session.title)
    if session.description:
        event.add("description", session.description)
    if session.location:
        event.add("location", session.location)
    event.add("url", f"{settings.SITE_URL}/sessions/{session.pk}/")
    event.add(
        "status",
        "CANCELLED" if cancel or session.status == SessionStatus.CANCELLED else "CONFIRMED",
    )
    # iTIP requires an organizer; a review the beat task made has no facilitator.
    if session.facilitator is not None and session.facilitator.email:
        event.add("organizer", _address(session.facilitator))
    else:
        event.add("organizer", _app_address())
    for user in attendees:
        if user.email:
            event.add("attendee", _address(user))
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical.decode()

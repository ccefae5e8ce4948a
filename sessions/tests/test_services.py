"""Monthly reviews and workshops: the review the beat task makes once, the agenda, dots, decisions
that act through triage, the summary after, calendar invites as they are emailed, RSVPs and
reminders, and every refusal leaving the database exactly as it was."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from email.message import Message
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone
from icalendar import Calendar

from accounts.models import Role, Team, User
from accounts.tests.factories import UserFactory
from core.dates import month_next, review_day
from core.errors import DomainError
from intake.models import Importance, Ticket, TicketStatus
from intake.tests.factories import TicketFactory
from notifications.models import Notice, Notification, NotificationKind
from sessions.models import (
    AgendaItem,
    Decision,
    ItemComment,
    Outcome,
    Participant,
    Rsvp,
    Session,
    SessionKind,
    SessionStatus,
    Topic,
    Vote,
)
from sessions.services import (
    AGENDA_INITIATIVES,
    AGENDA_TICKETS,
    VOTES_PER_PERSON,
    agenda_add,
    agenda_move,
    agenda_remove,
    decision_record,
    item_comment_add,
    outcome_add,
    review_create,
    reviews_schedule,
    rsvp_set,
    session_cancel,
    session_close,
    session_invite,
    session_notes_save,
    session_reschedule,
    sessions_remind,
    users_by_username,
    vote_add,
    vote_remove,
    workshop_schedule,
)
from sessions.tasks import schedule_reviews, send_reminders
from sessions.tests.factories import AgendaItemFactory, ParticipantFactory, SessionFactory
from tests.dates import day_at, long_ago, month_start, tuesday_at
from triage.models import Initiative, InitiativeEvent, InitiativeStatus
from triage.selectors import inbox_list
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NEW_YORK = ZoneInfo("America/New_York")


# ---------------------------------------------------------------------------------------------
# Helpers


def database() -> dict[str, list[Any]]:
    """Every row a session action could touch, to show a refusal changed nothing."""
    return {
        "sessions": list(Session.objects.order_by("pk").values()),
        "participants": list(Participant.objects.order_by("pk").values()),
        "agenda": list(AgendaItem.objects.order_by("pk").values()),
        "comments": list(ItemComment.objects.order_by("pk").values()),
        "votes": list(Vote.objects.order_by("pk").values()),
        "outcomes": list(Outcome.objects.order_by("pk").values()),
        "tickets": list(Ticket.objects.order_by("pk").values()),
        "initiatives": list(Initiative.objects.order_by("pk").values()),
        "events": list(InitiativeEvent.objects.order_by("pk").values()),
        "notices": list(Notice.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values()),
    }


def refused(
    action: Callable[[], object], *, code: str = "invalid", field: str | None = None
) -> DomainError:
    """Run an action that must be refused, and check nothing was written or sent."""
    before = database()
    sent = len(mail.outbox)
    with pytest.raises(DomainError) as error:
        action()
    assert error.value.code == code
    if field is not None:
        assert error.value.field == field
    assert error.value.message
    assert database() == before
    assert len(mail.outbox) == sent
    return error.value


def in_days(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def mails_to(user: User) -> list[EmailMessage]:
    return [message for message in mail.outbox if user.email in message.to]


def calendar_part(message: EmailMessage) -> Message:
    """The one text/calendar part of the email as it goes over the wire."""
    (filename, _, mimetype) = message.attachments[0]
    assert filename.endswith(".ics")
    assert mimetype.startswith("text/calendar")
    parts = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0]


def invite_in(message: EmailMessage) -> tuple[str, Any, Any]:
    """The method the email's calendar part declares, the parsed calendar and its event."""
    part = calendar_part(message)
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    calendar = Calendar.from_ical(payload)
    (event,) = calendar.walk("VEVENT")
    return str(part.get_param("method")), calendar, event


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """`with commit(): …` runs what the action queued on commit (the real delivery task,
    eagerly, into mail.outbox) as the end of a real transaction would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def workshop(by: User, invitees: list[User], **fields: Any) -> Session:
    values: dict[str, Any] = {
        "title": "Onboarding friction",
        "topic": Topic.FRICTION_POINTS,
        "starts_at": in_days(7),
        "duration_minutes": 90,
        "description": "Where new customers get stuck.",
        "location": "Room 4",
        **fields,
    }
    return workshop_schedule(by=by, invitees=invitees, **values)


def review_month() -> datetime.date:
    """The month the tests' reviews are for: the one after next, so its review day is ahead."""
    return month_start(2)


def review(month: datetime.date | None = None, **fields: Any) -> Session:
    """A scheduled review set up directly, with no agenda (for `review_month()` by default)."""
    month = month or review_month()
    return SessionFactory.create(
        kind=SessionKind.MONTHLY_REVIEW,
        title=f"Feedback review, {month:%B %Y}",
        topic="",
        month=month,
        starts_at=review_day(month),
        **fields,
    )


def waiting(importance: str, age_days: int, **fields: Any) -> Ticket:
    """A ticket waiting in the inbox, filed `age_days` ago."""
    ticket = TicketFactory.create(importance=importance, **fields)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=in_days(-age_days))
    ticket.refresh_from_db()
    return ticket


def other_facilitator() -> User:
    return UserFactory.create(username="facilitator2", role=Role.FACILITATOR, team=Team.PRODUCT)


# ---------------------------------------------------------------------------------------------
# When a review is


# Known past dates on purpose: review_day is arithmetic that never compares
# with now, so these stay true whatever day the suite runs.
@pytest.mark.parametrize(
    ("month", "expected"),
    [
        (datetime.date(2026, 9, 1), datetime.datetime(2026, 9, 1, 10, tzinfo=UTC)),
        (datetime.date(2026, 10, 17), datetime.datetime(2026, 10, 6, 10, tzinfo=UTC)),
        (datetime.date(2021, 2, 1), datetime.datetime(2021, 2, 2, 10, tzinfo=UTC)),
        (datetime.date(2026, 3, 1), datetime.datetime(2026, 3, 3, 10, tzinfo=UTC)),
    ],
)
def test_a_review_is_on_the_first_tuesday_at_ten(settings, month, expected) -> None:
    settings.TIME_ZONE = "UTC"
    settings.REVIEW_WEEKDAY, settings.REVIEW_WEEK, settings.REVIEW_TIME = 1, 1, "10:00"
    assert review_day(month) == expected


def test_the_review_day_follows_the_settings_in_company_time(settings) -> None:
    settings.TIME_ZONE = "America/New_York"
    settings.REVIEW_WEEKDAY = 3  # Thursday
    settings.REVIEW_WEEK = 2
    settings.REVIEW_TIME = "14:30"

    # Known dates on purpose (a winter and a summer month, for the offset); no comparison with now.
    winter = review_day(datetime.date(2021, 1, 1))
    summer = review_day(datetime.date(2021, 7, 1))

    assert winter == datetime.datetime(2021, 1, 14, 14, 30, tzinfo=NEW_YORK)
    assert winter.astimezone(UTC) == datetime.datetime(2021, 1, 14, 19, 30, tzinfo=UTC)
    assert summer.astimezone(UTC) == datetime.datetime(2021, 7, 8, 18, 30, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# The monthly review the beat task makes


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_makes_next_months_review_once_with_its_agenda_and_invites(
    pm, facilitator, submitter
) -> None:
    nice_old = waiting(Importance.NICE_TO_HAVE, 30)
    critical_new = waiting(Importance.CRITICAL, 1)
    important = waiting(Importance.IMPORTANT, 5)
    critical_old = waiting(Importance.CRITICAL, 9)
    TicketFactory.create(status=TicketStatus.DECLINED, importance=Importance.CRITICAL)
    TicketFactory.create(status=TicketStatus.NEEDS_INFO, importance=Importance.CRITICAL)
    low = InitiativeFactory.create(priority_score=2)
    high = InitiativeFactory.create(priority_score=9)
    InitiativeFactory.create(priority_score=50, status=InitiativeStatus.PLANNED)

    first = schedule_reviews.delay().get()
    again = schedule_reviews.delay().get()

    assert again is None
    session = Session.objects.get(kind=SessionKind.MONTHLY_REVIEW)
    assert first == session.pk
    month = month_next(timezone.localdate())
    assert session.month == month
    assert session.starts_at == review_day(month)
    assert session.status == SessionStatus.SCHEDULED
    assert session.facilitator is None
    agenda = list(session.agenda.all())
    assert [(item.position, item.ticket, item.initiative) for item in agenda] == [
        (1, critical_old, None),
        (2, critical_new, None),
        (3, important, None),
        (4, nice_old, None),
        (5, None, high),
        (6, None, low),
    ]
    assert set(session.participants.values_list("user__username", flat=True)) == {
        "pm",
        "facilitator",
    }
    # The invites were really sent, once each, with the calendar invite attached.
    for user in (pm, facilitator):
        (message,) = mails_to(user)
        method, calendar, event = invite_in(message)
        assert method == "REQUEST"
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]).startswith(str(session.uid))
        assert event.decoded("DTSTART") == session.starts_at
    assert mails_to(submitter) == []
    assert Notification.objects.filter(kind=NotificationKind.SESSION_INVITE).count() == 2


def test_the_agenda_takes_only_the_top_of_the_inbox_and_the_board() -> None:
    tickets = [waiting(Importance.IMPORTANT, age) for age in range(AGENDA_TICKETS + 3)]
    for score in range(AGENDA_INITIATIVES + 2):
        InitiativeFactory.create(priority_score=score)

    session = reviews_schedule(today=month_start(1) + datetime.timedelta(days=9))

    assert session is not None
    assert session.month == month_start(2)
    agenda_tickets = [item.ticket for item in session.agenda.exclude(ticket=None)]
    assert agenda_tickets == tickets[::-1][:AGENDA_TICKETS]  # the longest waiting first
    scores = list(
        session.agenda.exclude(initiative=None).values_list("initiative__priority_score", flat=True)
    )
    assert [int(score) for score in scores] == [6, 5, 4, 3, 2]


def test_making_a_review_twice_gives_the_one_that_exists(facilitator, pm, commit) -> None:
    month = review_month() + datetime.timedelta(days=13)
    with commit():
        session, created = review_create(month=month, by=facilitator)
    assert created
    assert session.month == review_month()
    assert session.facilitator == facilitator
    assert {m.to[0] for m in mail.outbox} == {pm.email, facilitator.email}

    with commit():
        again, created_again = review_create(month=review_month(), by=pm)

    assert (again, created_again) == (session, False)
    assert Session.objects.count() == 1
    assert len(mail.outbox) == 2


def test_a_review_another_run_made_at_the_same_moment_is_the_one_returned(facilitator) -> None:
    month = review_month()
    theirs, _ = review_create(month=month)
    real_filter = Session.objects.filter
    lookups: list[dict[str, Any]] = []

    def miss_the_first_lookup(*args: Any, **kwargs: Any) -> Any:
        # The other run commits between our look and our insert.
        lookups.append(kwargs)
        if len(lookups) == 1:
            return Session.objects.none()
        return real_filter(*args, **kwargs)

    with patch.object(Session.objects, "filter", side_effect=miss_the_first_lookup):
        session, created = review_create(month=month, by=facilitator)

    assert (session, created) == (theirs, False)
    assert Session.objects.count() == 1
    assert session.facilitator is None


def test_a_new_review_starts_with_what_the_last_one_deferred(pm) -> None:
    last = review(month_start(1))
    deferred_ticket = waiting(Importance.NICE_TO_HAVE, 1)
    deferred = AgendaItemFactory.create(
        session=last, ticket=deferred_ticket, decision=Decision.DEFER, rationale="Need numbers."
    )
    AgendaItemFactory.create(session=last, decision=Decision.NEEDS_RESEARCH)
    critical = waiting(Importance.CRITICAL, 3)

    session, _ = review_create(month=month_start(2), by=pm)

    first, second = session.agenda.all()[:2]
    assert (first.ticket, first.deferred_from) == (deferred_ticket, deferred)
    assert first.notes == f"Deferred from Feedback review, {month_start(1):%B %Y}: Need numbers."
    assert second.ticket == critical
    # Deferred once, on the agenda once, even though it is still waiting in the inbox.
    assert session.agenda.filter(ticket=deferred_ticket).count() == 1


@pytest.mark.parametrize("when", ["naive", "past"])
def test_a_review_by_hand_at_a_bad_time_is_refused(facilitator, when) -> None:
    if when == "naive":
        starts_at = day_at(review_month() + datetime.timedelta(days=1)).replace(tzinfo=None)
    else:
        starts_at = long_ago()
    refused(
        lambda: review_create(month=review_month(), by=facilitator, starts_at=starts_at),
        field="starts_at",
    )


def test_a_review_by_hand_at_a_chosen_time(facilitator) -> None:
    starts_at = day_at(review_month() + datetime.timedelta(days=3), 9, 0, NEW_YORK)
    session, _ = review_create(month=review_month(), by=facilitator, starts_at=starts_at)
    session.refresh_from_db()
    assert session.starts_at == starts_at


def test_only_organizers_make_reviews(submitter) -> None:
    refused(lambda: review_create(month=review_month(), by=submitter), code="forbidden")


# ---------------------------------------------------------------------------------------------
# Editing the agenda


def test_organizers_add_remove_and_move_agenda_items(facilitator, pm) -> None:
    session = review()
    ticket = TicketFactory.create()
    initiative = InitiativeFactory.create()

    first = agenda_add(session=session, by=facilitator, ticket=ticket)
    second = agenda_add(session=session, by=pm, initiative=initiative)
    third = agenda_add(session=session, by=facilitator, ticket=TicketFactory.create())
    assert [first.position, second.position, third.position] == [1, 2, 3]

    agenda_move(item=third, by=pm, step=-1)
    assert list(session.agenda.all()) == [first, third, second]
    agenda_move(item=first, by=facilitator, step=-1)  # already at the top
    assert list(session.agenda.all()) == [first, third, second]
    agenda_move(item=first, by=facilitator, step=5)
    assert list(session.agenda.all()) == [third, second, first]
    assert list(session.agenda.values_list("position", flat=True)) == [1, 2, 3]

    agenda_remove(item=second, by=facilitator)
    assert list(session.agenda.all()) == [third, first]


def test_bad_agenda_edits_are_refused(facilitator, submitter) -> None:
    session = review()
    ticket = TicketFactory.create()
    item = agenda_add(session=session, by=facilitator, ticket=ticket)
    decided = AgendaItemFactory.create(session=session, decision=Decision.DEFER)
    initiative = InitiativeFactory.create()
    other_ticket = TicketFactory.create()

    refused(lambda: agenda_add(session=session, by=facilitator), field="item")
    refused(
        lambda: agenda_add(session=session, by=facilitator, ticket=ticket, initiative=initiative),
        field="item",
    )
    error = refused(
        lambda: agenda_add(session=session, by=facilitator, ticket=ticket), code="conflict"
    )
    assert error.message == "That is already on the agenda."
    refused(lambda: agenda_remove(item=decided, by=facilitator), code="conflict")
    refused(
        lambda: agenda_add(session=session, by=submitter, ticket=other_ticket), code="forbidden"
    )
    refused(lambda: agenda_remove(item=item, by=submitter), code="forbidden")
    refused(lambda: agenda_move(item=item, by=submitter, step=1), code="forbidden")
    Session.objects.filter(pk=session.pk).update(status=SessionStatus.CLOSED)
    item.refresh_from_db()
    refused(lambda: agenda_move(item=item, by=facilitator, step=1), code="conflict")


# ---------------------------------------------------------------------------------------------
# Before the meeting: context and dots


def test_invited_people_from_any_team_add_context_questions_and_answers(
    facilitator, submitter, other_submitter
) -> None:
    session = review(facilitator=facilitator)
    ParticipantFactory.create(session=session, user=submitter)
    ParticipantFactory.create(session=session, user=other_submitter)
    item = AgendaItemFactory.create(session=session)

    item_comment_add(item=item, by=submitter, body="  Acme asks weekly.  ", kind="context")
    item_comment_add(item=item, by=other_submitter, body="How many seats?", kind="question")
    item_comment_add(item=item, by=submitter, body="About 400.", kind="answer")

    assert list(item.comments.values_list("author__username", "kind", "body")) == [
        ("sales", "context", "Acme asks weekly."),
        ("success", "question", "How many seats?"),
        ("sales", "answer", "About 400."),
    ]


def test_bad_comments_are_refused(facilitator, submitter) -> None:
    session = review(facilitator=facilitator)
    item = AgendaItemFactory.create(session=session)

    refused(
        lambda: item_comment_add(item=item, by=submitter, body="Hi", kind="context"),
        code="forbidden",
    )
    ParticipantFactory.create(session=session, user=submitter)
    refused(
        lambda: item_comment_add(item=item, by=submitter, body="Hi", kind="shout"), field="kind"
    )
    refused(
        lambda: item_comment_add(item=item, by=submitter, body="  ", kind="context"), field="body"
    )
    refused(
        lambda: item_comment_add(item=item, by=submitter, body="x" * 5_001, kind="context"),
        field="body",
    )
    Session.objects.filter(pk=session.pk).update(status=SessionStatus.CLOSED)
    item.refresh_from_db()
    refused(
        lambda: item_comment_add(item=item, by=submitter, body="Late", kind="context"),
        code="conflict",
    )


def test_five_dots_per_person_per_session_and_a_sixth_is_refused(submitter, facilitator) -> None:
    session = review(facilitator=facilitator)
    ParticipantFactory.create(session=session, user=submitter)
    first, second = AgendaItemFactory.create_batch(2, session=session)
    elsewhere = AgendaItemFactory.create(session=review(month_next(review_month())))
    ParticipantFactory.create(session=elsewhere.session, user=submitter)
    vote_add(item=elsewhere, by=submitter)  # another session's dots do not count here

    left = [vote_add(item=first, by=submitter) for _ in range(3)]
    left += [vote_add(item=second, by=submitter) for _ in range(2)]
    assert left == [4, 3, 2, 1, 0]

    error = refused(lambda: vote_add(item=second, by=submitter), code="conflict", field="vote")
    assert error.message == (
        f"You have used your {VOTES_PER_PERSON} dots in this session; take one back first."
    )
    assert Vote.objects.filter(item__session=session, user=submitter).count() == 5

    assert vote_remove(item=first, by=submitter) == 1
    assert vote_add(item=second, by=submitter) == 0
    assert first.votes.count() == 2
    assert second.votes.count() == 3
    # Facilitator's dots are their own.
    assert vote_add(item=first, by=facilitator) == 4


def test_bad_votes_are_refused(submitter, facilitator) -> None:
    session = review(facilitator=facilitator)
    item = AgendaItemFactory.create(session=session)

    refused(lambda: vote_add(item=item, by=submitter), code="forbidden")
    refused(lambda: vote_remove(item=item, by=facilitator), code="conflict", field="vote")
    vote_add(item=item, by=facilitator)
    Session.objects.filter(pk=session.pk).update(status=SessionStatus.CLOSED)
    item.refresh_from_db()
    refused(lambda: vote_add(item=item, by=facilitator), code="conflict")
    refused(lambda: vote_remove(item=item, by=facilitator), code="conflict")


# ---------------------------------------------------------------------------------------------
# In the meeting: decisions act through triage


def test_creating_an_initiative_takes_the_ticket_out_of_the_inbox(
    facilitator, submitter, commit
) -> None:
    session = review(facilitator=facilitator)
    ticket = TicketFactory.create(submitted_by=submitter, title="CSV export")
    item = AgendaItemFactory.create(session=session, ticket=ticket)
    assert ticket in inbox_list()

    with commit():
        decided = decision_record(
            item=item,
            by=facilitator,
            decision="create_initiative",
            rationale="Many ask.",
            title="Exports",
        )

    ticket.refresh_from_db()
    initiative = Initiative.objects.get(title="Exports")
    assert ticket not in inbox_list()
    assert (ticket.status, ticket.initiative) == (TicketStatus.LINKED, initiative)
    assert (initiative.status, initiative.customer_count) == (InitiativeStatus.PROPOSED, 1)
    stored = AgendaItem.objects.get(pk=item.pk)
    assert stored == decided
    assert (stored.decision, stored.rationale, stored.decided_by, stored.result) == (
        Decision.CREATE_INITIATIVE,
        "Many ask.",
        facilitator,
        initiative,
    )
    assert stored.decided_at is not None
    assert Notice.objects.filter(user=submitter, kind=NotificationKind.STAFF_LINKED).exists()
    assert [m.subject for m in mails_to(submitter)] == [
        f"Your ticket “CSV export” for {ticket.customer.name} now counts for “Exports”"
    ]


def test_linking_counts_the_ticket_for_the_initiative(facilitator) -> None:
    session = review(facilitator=facilitator)
    initiative = InitiativeFactory.create()
    item = AgendaItemFactory.create(session=session)

    decision_record(item=item, by=facilitator, decision="link", initiative=initiative)

    initiative.refresh_from_db()
    assert item.ticket is not None
    item.ticket.refresh_from_db()
    assert item.ticket.initiative == initiative
    assert item.ticket.status == TicketStatus.LINKED
    assert initiative.ticket_count == 1
    assert AgendaItem.objects.get(pk=item.pk).result == initiative


@pytest.mark.parametrize("about", ["initiative", "ticket on an initiative"])
def test_planning_puts_the_initiative_in_the_planned_column(facilitator, about) -> None:
    session = review(facilitator=facilitator)
    initiative = InitiativeFactory.create()
    if about == "initiative":
        item = AgendaItemFactory.create(session=session, ticket=None, initiative=initiative)
    else:
        ticket = TicketFactory.create(initiative=initiative, status=TicketStatus.LINKED)
        item = AgendaItemFactory.create(session=session, ticket=ticket)

    decision_record(item=item, by=facilitator, decision="plan", rationale="Next quarter.")

    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.PLANNED
    event = initiative.events.get(kind=InitiativeEvent.Kind.STATUS)
    assert (event.actor, event.to_value) == (facilitator, InitiativeStatus.PLANNED)
    assert AgendaItem.objects.get(pk=item.pk).result == initiative


@pytest.mark.parametrize("status", [InitiativeStatus.PLANNED, InitiativeStatus.IN_PROGRESS])
def test_planning_what_is_already_planned_or_under_way_leaves_it_there(facilitator, status) -> None:
    session = review(facilitator=facilitator)
    initiative = InitiativeFactory.create(status=status)
    item = AgendaItemFactory.create(session=session, ticket=None, initiative=initiative)

    decision_record(item=item, by=facilitator, decision="plan")

    initiative.refresh_from_db()
    assert initiative.status == status
    assert not initiative.events.exists()
    assert AgendaItem.objects.get(pk=item.pk).decision == Decision.PLAN


def test_declining_a_ticket_tells_its_submitter_why(facilitator, submitter, commit) -> None:
    session = review(facilitator=facilitator)
    ticket = TicketFactory.create(submitted_by=submitter, title="Dark mode")
    item = AgendaItemFactory.create(session=session, ticket=ticket)

    with commit():
        decision_record(item=item, by=facilitator, decision="decline", rationale="Not our market.")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.decline_reason) == (TicketStatus.DECLINED, "Not our market.")
    assert ticket not in inbox_list()
    notice = Notice.objects.get(user=submitter)
    assert notice.kind == NotificationKind.STAFF_DECLINED
    (message,) = mails_to(submitter)
    assert "was declined" in message.subject
    assert "Not our market." in message.body


def test_declining_an_initiative_closes_it_with_the_reason(pm) -> None:
    session = review()
    initiative = InitiativeFactory.create()
    item = AgendaItemFactory.create(session=session, ticket=None, initiative=initiative)

    decision_record(item=item, by=pm, decision="decline", rationale="Too costly.")

    initiative.refresh_from_db()
    assert (initiative.status, initiative.decline_reason) == (
        InitiativeStatus.DECLINED,
        "Too costly.",
    )


@pytest.mark.parametrize("decision", ["defer", "needs_research"])
def test_deferring_or_asking_for_research_changes_nothing_in_triage(facilitator, decision) -> None:
    session = review(facilitator=facilitator)
    item = AgendaItemFactory.create(session=session)
    tickets = list(Ticket.objects.values())

    decision_record(item=item, by=facilitator, decision=decision, rationale="Later.")

    assert list(Ticket.objects.values()) == tickets
    stored = AgendaItem.objects.get(pk=item.pk)
    assert (stored.decision, stored.rationale, stored.result) == (decision, "Later.", None)


@pytest.mark.parametrize("who", ["submitter", "another facilitator"])
def test_only_the_facilitator_or_a_pm_decides(facilitator, submitter, who) -> None:
    session = review(facilitator=facilitator)
    by = submitter if who == "submitter" else other_facilitator()
    ParticipantFactory.create(session=session, user=by)
    item = AgendaItemFactory.create(session=session)

    error = refused(
        lambda: decision_record(item=item, by=by, decision="decline", rationale="No."),
        code="forbidden",
    )
    assert error.message == "Only the session's facilitator or a product manager records decisions."
    assert item.ticket is not None
    assert item.ticket.status == TicketStatus.NEW


def test_a_pm_decides_in_a_review_they_do_not_facilitate(facilitator, pm) -> None:
    session = review(facilitator=facilitator)
    item = AgendaItemFactory.create(session=session)
    decision_record(item=item, by=pm, decision="defer")
    assert AgendaItem.objects.get(pk=item.pk).decided_by == pm


def test_any_facilitator_runs_a_review_the_beat_task_made(facilitator, submitter) -> None:
    session = review(facilitator=None)
    item = AgendaItemFactory.create(session=session)
    refused(lambda: decision_record(item=item, by=submitter, decision="defer"), code="forbidden")

    decision_record(item=item, by=facilitator, decision="defer")

    assert AgendaItem.objects.get(pk=item.pk).decided_by == facilitator


def test_bad_decisions_are_refused(facilitator) -> None:
    session = review(facilitator=facilitator)
    ticket_item = AgendaItemFactory.create(session=session)
    initiative_item = AgendaItemFactory.create(
        session=session, ticket=None, initiative=InitiativeFactory.create()
    )
    declined = InitiativeFactory.create(status=InitiativeStatus.DECLINED, decline_reason="No.")

    refused(
        lambda: decision_record(item=ticket_item, by=facilitator, decision="maybe"),
        field="decision",
    )
    refused(
        lambda: decision_record(item=ticket_item, by=facilitator, decision="decline"),
        field="rationale",
    )
    refused(
        lambda: decision_record(item=ticket_item, by=facilitator, decision="link"),
        field="initiative",
    )
    refused(
        lambda: decision_record(
            item=ticket_item, by=facilitator, decision="link", initiative=declined
        ),
        field="initiative",
    )
    refused(
        lambda: decision_record(item=ticket_item, by=facilitator, decision="plan"), field="decision"
    )
    refused(
        lambda: decision_record(item=initiative_item, by=facilitator, decision="create_initiative"),
        field="decision",
    )
    refused(
        lambda: decision_record(item=initiative_item, by=facilitator, decision="link"),
        field="decision",
    )
    refused(
        lambda: decision_record(
            item=ticket_item, by=facilitator, decision="create_initiative", title="x" * 201
        ),
        field="title",
    )
    Session.objects.filter(pk=session.pk).update(status=SessionStatus.CLOSED)
    ticket_item.refresh_from_db()
    refused(
        lambda: decision_record(item=ticket_item, by=facilitator, decision="defer"), code="conflict"
    )


def test_invited_people_keep_notes_on_the_session_and_its_items(
    facilitator, submitter, other_submitter
) -> None:
    session = review(facilitator=facilitator)
    ParticipantFactory.create(session=session, user=submitter)
    item = AgendaItemFactory.create(session=session)

    session_notes_save(session=session, by=submitter, notes="  Started late.  ")
    session_notes_save(session=session, by=facilitator, notes="Acme: 400 seats.", item=item)

    assert Session.objects.get(pk=session.pk).notes == "Started late."
    assert AgendaItem.objects.get(pk=item.pk).notes == "Acme: 400 seats."
    refused(
        lambda: session_notes_save(session=session, by=other_submitter, notes="Hi"),
        code="forbidden",
    )
    refused(
        lambda: session_notes_save(session=session, by=submitter, notes="x" * 50_001),
        field="notes",
    )


# ---------------------------------------------------------------------------------------------
# After: the summary, and what moves to the next review


def test_closing_a_review_sums_it_up_emails_everyone_and_moves_the_rest_on(
    facilitator, pm, submitter, other_submitter, commit
) -> None:
    month = review_month()
    session = review(month, facilitator=facilitator)
    for user in (facilitator, pm, submitter, other_submitter):
        ParticipantFactory.create(session=session, user=user)
    to_create = AgendaItemFactory.create(session=session, ticket__title="SSO login")
    to_defer = AgendaItemFactory.create(session=session, ticket__title="Bulk edit")
    untouched = AgendaItemFactory.create(session=session, ticket__title="Audit log")
    decision_record(item=to_create, by=facilitator, decision="create_initiative", title="SSO")
    decision_record(item=to_defer, by=facilitator, decision="defer", rationale="Need data.")
    mail.outbox.clear()

    with commit():
        closed = session_close(
            session=session, by=facilitator, attended=[facilitator.pk, submitter.pk], early=True
        )

    stored = Session.objects.get(pk=session.pk)
    assert stored.status == closed.status == SessionStatus.CLOSED
    assert stored.closed_at is not None
    assert set(stored.participants.filter(attended=True).values_list("user", flat=True)) == {
        facilitator.pk,
        submitter.pk,
    }
    summary = stored.summary
    for text in (
        "SSO",
        "Bulk edit",
        "Need data.",
        "Audit log",
        facilitator.display_name,
        submitter.display_name,
    ):
        assert text in summary
    untouched.refresh_from_db()
    assert (untouched.decision, untouched.decided_by) == (Decision.NOT_REACHED, None)

    # The summary went to everyone invited, whether they came or not.
    summaries = Notification.objects.filter(kind=NotificationKind.SESSION_SUMMARY)
    assert set(summaries.values_list("recipient_user", flat=True)) == {
        facilitator.pk,
        pm.pk,
        submitter.pk,
        other_submitter.pk,
    }
    for user in (facilitator, pm, submitter, other_submitter):
        (message,) = [m for m in mails_to(user) if m.subject.startswith("Summary:")]
        assert message.subject == f"Summary: Feedback review, {month:%B %Y}"
        assert "Bulk edit" in message.body

    # The next month's review did not exist: it is made, the deferred and undecided items first.
    following = Session.objects.get(month=month_next(month))
    carried = list(following.agenda.filter(deferred_from__isnull=False))
    assert [(item.ticket, item.deferred_from) for item in carried] == [
        (to_defer.ticket, to_defer),
        (untouched.ticket, untouched),
    ]
    assert [item.position for item in carried] == [1, 2]
    assert carried[0].notes == f"Deferred from Feedback review, {month:%B %Y}: Need data."


def test_closing_appends_what_is_left_to_the_next_review_that_exists(facilitator) -> None:
    session = review(facilitator=facilitator)
    following = review(month_next(review_month()))
    already = AgendaItemFactory.create(session=following, position=1)
    AgendaItemFactory.create(session=following, position=2)
    left = AgendaItemFactory.create(session=session)
    on_both = AgendaItemFactory.create(session=session, ticket=already.ticket)

    session_close(session=session, by=facilitator, early=True)

    assert Session.objects.filter(kind=SessionKind.MONTHLY_REVIEW).count() == 2
    agenda = list(following.agenda.all())
    assert len(agenda) == 3
    assert (agenda[2].ticket, agenda[2].deferred_from, agenda[2].position) == (left.ticket, left, 3)
    assert following.agenda.filter(ticket=on_both.ticket).count() == 1


def test_a_next_review_already_closed_is_left_as_it_was(facilitator) -> None:
    session = review(facilitator=facilitator)
    following = review(month_next(review_month()), status=SessionStatus.CLOSED)
    AgendaItemFactory.create(session=session)

    session_close(session=session, by=facilitator, early=True)

    assert not following.agenda.exists()


def test_closing_a_workshop_moves_nothing_to_a_review(facilitator, commit) -> None:
    session = SessionFactory.create(facilitator=facilitator)
    ParticipantFactory.create(session=session, user=facilitator)
    with commit():
        session_close(session=session, by=facilitator, attended=[facilitator.pk], early=True)
    assert not Session.objects.filter(kind=SessionKind.MONTHLY_REVIEW).exists()
    (message,) = mails_to(facilitator)
    assert message.subject == f"Summary: {session.title}"


def test_closing_twice_or_by_someone_else_is_refused(facilitator, submitter) -> None:
    session = review(facilitator=facilitator)
    ParticipantFactory.create(session=session, user=submitter)
    AgendaItemFactory.create(session=session)
    stranger = other_facilitator()
    refused(lambda: session_close(session=session, by=submitter), code="forbidden")
    refused(lambda: session_close(session=session, by=stranger), code="forbidden")

    session_close(session=session, by=facilitator, early=True)
    refused(lambda: session_close(session=session, by=facilitator, early=True), code="conflict")


def test_a_session_is_closed_before_it_starts_only_when_the_closer_confirms_it(
    facilitator,
) -> None:
    session = review(facilitator=facilitator)
    item = AgendaItemFactory.create(session=session)
    error = refused(lambda: session_close(session=session, by=facilitator), code="conflict")
    assert error.field == "early"
    assert "has not started yet" in error.message
    assert "Confirm closing it early" in error.message

    session_close(session=session, by=facilitator, early=True)

    assert Session.objects.get(pk=session.pk).status == SessionStatus.CLOSED
    item.refresh_from_db()
    assert item.decision == Decision.NOT_REACHED


def test_a_session_that_has_started_closes_without_confirming(facilitator) -> None:
    session = SessionFactory.create(
        facilitator=facilitator, starts_at=timezone.now() - datetime.timedelta(minutes=50)
    )
    session_close(session=session, by=facilitator, early=True)
    assert Session.objects.get(pk=session.pk).status == SessionStatus.CLOSED


def test_items_not_reached_are_marked_so_and_not_counted_as_decisions(facilitator) -> None:
    session = review(facilitator=facilitator)
    planned = AgendaItemFactory.create(session=session, ticket=None, initiative=InitiativeFactory())
    deferred = AgendaItemFactory.create(session=session)
    unreached = [AgendaItemFactory.create(session=session) for _ in range(4)]
    decision_record(item=planned, by=facilitator, decision=Decision.PLAN)
    decision_record(item=deferred, by=facilitator, decision=Decision.DEFER, rationale="Data.")

    session_close(session=session, by=facilitator, early=True)

    for item in unreached:
        item.refresh_from_db()
        assert (item.decision, item.decided_by, item.decided_at) == (
            Decision.NOT_REACHED,
            None,
            None,
        )
    assert set(AgendaItem.objects.decided()) == {planned, deferred}
    summary = Session.objects.get(pk=session.pk).summary
    assert "Decisions (1):" in summary
    assert "Deferred to the next review (1):" in summary
    assert "Not reached, moved to the next review (4):" in summary
    # Both kinds move on to the next review, each from its own item.
    following = Session.objects.get(month=month_next(review_month()))
    assert set(following.agenda.values_list("deferred_from", flat=True)) == {
        deferred.pk,
        *(item.pk for item in unreached),
    }


def test_not_reached_is_not_a_decision_anyone_records(facilitator) -> None:
    session = review(facilitator=facilitator)
    item = AgendaItemFactory.create(session=session)
    refused(
        lambda: decision_record(item=item, by=facilitator, decision=Decision.NOT_REACHED),
        field="decision",
    )


# ---------------------------------------------------------------------------------------------
# Workshops and their calendar invites


def test_a_workshop_invite_is_emailed_with_a_calendar_request(
    facilitator, submitter, other_submitter, commit
) -> None:
    starts_at = tuesday_at(weeks=6, hour=9, minute=30, tz=NEW_YORK)
    in_utc = starts_at.astimezone(UTC)  # 14:30 in winter, 13:30 in summer

    with commit():
        session = workshop(facilitator, [submitter, other_submitter], starts_at=starts_at)

    stored = Session.objects.get(pk=session.pk)
    assert stored.starts_at == starts_at
    assert stored.starts_at.utcoffset() == datetime.timedelta(0)
    assert stored.starts_at == in_utc
    assert (stored.kind, stored.topic, stored.facilitator) == (
        SessionKind.WORKSHOP,
        Topic.FRICTION_POINTS,
        facilitator,
    )
    assert set(stored.participants.values_list("user__username", flat=True)) == {
        "facilitator",
        "sales",
        "success",
    }
    uids = set()
    for user in (submitter, other_submitter):
        (message,) = mails_to(user)
        assert message.subject.startswith("Invitation: Onboarding friction")
        part = calendar_part(message)
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == "REQUEST"
        _, calendar, event = invite_in(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert event.decoded("SEQUENCE") == 0
        assert event.decoded("DTSTART") == in_utc
        assert event.decoded("DTEND") == in_utc + datetime.timedelta(minutes=90)
        assert str(event["ORGANIZER"]) == f"mailto:{facilitator.email}"
        attendees = {str(a) for a in event["ATTENDEE"]}
        assert attendees == {f"mailto:{u.email}" for u in (facilitator, submitter, other_submitter)}
        uids.add(str(event["UID"]))
    (uid,) = uids
    assert uid.startswith(f"{stored.uid}@")
    # The organizer made it; they are not sent their own invite.
    assert mails_to(facilitator) == []


def test_a_reschedule_updates_everyones_calendar_and_a_cancel_removes_it(
    facilitator, submitter, commit
) -> None:
    with commit():
        session = workshop(facilitator, [submitter])
    (invite,) = mails_to(submitter)
    _, _, original = invite_in(invite)
    mail.outbox.clear()
    later = tuesday_at(weeks=4, hour=16, minute=0, tz=ZoneInfo("Europe/Berlin"))
    in_utc = later.astimezone(UTC)  # 15:00 in winter, 14:00 in summer

    with commit():
        session_reschedule(session=session, by=facilitator, starts_at=later, duration_minutes=45)

    stored = Session.objects.get(pk=session.pk)
    assert (stored.starts_at, stored.duration_minutes, stored.sequence) == (later, 45, 1)
    for user in (facilitator, submitter):
        (message,) = mails_to(user)
        assert message.subject.startswith("Moved: ")
        method, calendar, event = invite_in(message)
        assert method == "REQUEST"
        assert str(event["UID"]) == str(original["UID"])
        assert event.decoded("SEQUENCE") == 1
        assert event.decoded("DTSTART") == in_utc
        assert event.decoded("DTEND") == in_utc + datetime.timedelta(minutes=45)
    mail.outbox.clear()

    with commit():
        session_cancel(session=session, by=facilitator)

    stored.refresh_from_db()
    assert (stored.status, stored.sequence) == (SessionStatus.CANCELLED, 2)
    for user in (facilitator, submitter):
        (message,) = mails_to(user)
        assert message.subject.startswith("Cancelled: ")
        assert calendar_part(message).get_param("method") == "CANCEL"
        method, calendar, event = invite_in(message)
        assert str(calendar["METHOD"]) == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == str(original["UID"])
        assert event.decoded("SEQUENCE") == 2


def test_bad_reschedules_and_cancels_are_refused(facilitator, submitter) -> None:
    session = workshop(facilitator, [submitter])
    refused(
        lambda: session_reschedule(
            session=session, by=facilitator, starts_at=session.starts_at, duration_minutes=90
        ),
        code="conflict",
        field="starts_at",
    )
    refused(
        lambda: session_reschedule(
            session=session, by=facilitator, starts_at=in_days(-1), duration_minutes=90
        ),
        field="starts_at",
    )
    refused(
        lambda: session_reschedule(
            session=session, by=submitter, starts_at=in_days(9), duration_minutes=90
        ),
        code="forbidden",
    )
    refused(lambda: session_cancel(session=session, by=submitter), code="forbidden")
    session_cancel(session=session, by=facilitator)
    refused(lambda: session_cancel(session=session, by=facilitator), code="conflict")
    refused(
        lambda: session_reschedule(
            session=session, by=facilitator, starts_at=in_days(9), duration_minutes=90
        ),
        code="conflict",
    )


def test_inviting_more_people_sends_only_them_the_invite(
    facilitator, submitter, other_submitter, commit
) -> None:
    session = workshop(facilitator, [submitter])

    with commit():
        new = session_invite(session=session, by=facilitator, users=[submitter, other_submitter])

    assert new == [other_submitter]
    assert [m.to for m in mail.outbox] == [[other_submitter.email]]
    assert session.participants.count() == 3


def test_inviting_yourself_or_someone_twice_makes_one_invite_each(
    facilitator, submitter, commit
) -> None:
    with commit():
        session = workshop(facilitator, [facilitator, submitter, submitter])

    assert sorted(session.participants.values_list("user__username", flat=True)) == [
        "facilitator",
        "sales",
    ]
    assert len(mails_to(submitter)) == 1
    assert mails_to(facilitator) == []


def test_inactive_people_are_not_invited(facilitator, submitter) -> None:
    gone = UserFactory.create(username="gone", is_active=False)
    session = workshop(facilitator, [submitter, gone])
    assert not session.participants.filter(user=gone).exists()


BAD_WORKSHOPS: list[tuple[str, dict[str, Any], str]] = [
    ("in the past", {"starts_at": long_ago()}, "starts_at"),
    ("a minute ago", {"starts_at": timezone.now() - datetime.timedelta(minutes=1)}, "starts_at"),
    ("naive time", {"starts_at": tuesday_at(weeks=8).replace(tzinfo=None)}, "starts_at"),
    ("no duration", {"duration_minutes": 0}, "duration_minutes"),
    ("a week long", {"duration_minutes": 10_000}, "duration_minutes"),
    ("four minutes", {"duration_minutes": 4}, "duration_minutes"),
    ("no title", {"title": "   "}, "title"),
    ("long title", {"title": "x" * 201}, "title"),
    ("unknown topic", {"topic": "gossip"}, "topic"),
    ("long description", {"description": "x" * 10_001}, "description"),
]


@pytest.mark.parametrize(
    ("fields", "field"),
    [(fields, field) for _, fields, field in BAD_WORKSHOPS],
    ids=[name for name, _, _ in BAD_WORKSHOPS],
)
def test_bad_workshops_are_refused_with_a_clear_message(
    facilitator, submitter, fields, field
) -> None:
    refused(lambda: workshop(facilitator, [submitter], **fields), field=field)
    assert not Session.objects.exists()


def test_the_longest_and_shortest_workshops_are_allowed(facilitator) -> None:
    workshop(facilitator, [], duration_minutes=5)
    workshop(facilitator, [], duration_minutes=8 * 60)
    assert Session.objects.count() == 2


def test_only_organizers_schedule_workshops(submitter, other_submitter) -> None:
    refused(lambda: workshop(submitter, [other_submitter]), code="forbidden")


def test_invitees_are_named_by_their_usernames(submitter, other_submitter) -> None:
    assert users_by_username([" success", "sales", "success", ""]) == [other_submitter, submitter]


def test_an_unknown_or_inactive_username_is_named_in_the_message(submitter) -> None:
    UserFactory.create(username="gone", is_active=False)
    with pytest.raises(DomainError) as error:
        users_by_username(["sales", "nobody", "gone"])
    assert error.value.field == "participants"
    assert error.value.message == "No active user named 'nobody', 'gone'."


# ---------------------------------------------------------------------------------------------
# RSVPs and reminders


def test_invitees_answer_yes_no_or_maybe(facilitator, submitter) -> None:
    session = workshop(facilitator, [submitter])
    for answer in ("yes", "no", "maybe"):
        rsvp_set(session=session, user=submitter, answer=answer)
        assert Participant.objects.get(session=session, user=submitter).rsvp == answer


def test_bad_rsvps_are_refused(facilitator, submitter, other_submitter) -> None:
    session = workshop(facilitator, [submitter])
    refused(lambda: rsvp_set(session=session, user=other_submitter, answer="yes"), code="forbidden")
    refused(lambda: rsvp_set(session=session, user=submitter, answer="pending"), field="rsvp")
    refused(lambda: rsvp_set(session=session, user=submitter, answer="YES"), field="rsvp")
    session_cancel(session=session, by=facilitator)
    refused(lambda: rsvp_set(session=session, user=submitter, answer="no"), code="conflict")


@pytest.mark.django_db(transaction=True)
def test_a_reminder_goes_a_day_before_to_everyone_who_did_not_say_no_once(facilitator) -> None:
    now = timezone.now()
    answers = {"yes": Rsvp.YES, "maybe": Rsvp.MAYBE, "pending": Rsvp.PENDING, "no": Rsvp.NO}
    people = {name: UserFactory.create(username=name) for name in answers}
    soon = SessionFactory.create(
        title="Personas", facilitator=facilitator, starts_at=now + datetime.timedelta(hours=20)
    )
    for name, answer in answers.items():
        ParticipantFactory.create(session=soon, user=people[name], rsvp=answer)
    later = SessionFactory.create(starts_at=now + datetime.timedelta(hours=30))
    ParticipantFactory.create(session=later, user=people["yes"])
    cancelled = SessionFactory.create(
        starts_at=now + datetime.timedelta(hours=2), status=SessionStatus.CANCELLED
    )
    ParticipantFactory.create(session=cancelled, user=people["yes"])

    assert sessions_remind(now=now) == 1

    reminded = {m.to[0] for m in mail.outbox}
    assert reminded == {"yes@staff.example", "maybe@staff.example", "pending@staff.example"}
    assert all(m.subject.startswith("Tomorrow: Personas") for m in mail.outbox)
    assert Session.objects.get(pk=soon.pk).reminder_sent_at == now

    assert sessions_remind(now=now) == 0
    assert send_reminders.delay().get() == 0
    assert len(mail.outbox) == 3

    # Seven hours on, the later session is within a day.
    assert sessions_remind(now=now + datetime.timedelta(hours=7)) == 1
    assert len(mail.outbox) == 4


def test_a_moved_session_is_reminded_again(facilitator, submitter, commit) -> None:
    now = timezone.now()
    session = workshop(facilitator, [submitter], starts_at=now + datetime.timedelta(hours=10))
    assert sessions_remind(now=now) == 1
    session_reschedule(
        session=session,
        by=facilitator,
        starts_at=now + datetime.timedelta(hours=12),
        duration_minutes=90,
    )

    with commit():
        assert sessions_remind(now=now) == 1

    assert {m.to[0] for m in mail.outbox} == {facilitator.email, submitter.email}


# ---------------------------------------------------------------------------------------------
# Workshop outcomes


def test_an_action_item_becomes_an_initiative_linked_back(facilitator, submitter) -> None:
    session = workshop(facilitator, [submitter], title="Personas")
    ticket = TicketFactory.create()

    note = outcome_add(
        session=session, by=submitter, kind="note", body="Admins feel lost.", ticket=ticket
    )
    action = outcome_add(
        session=session,
        by=facilitator,
        kind="action",
        body="Guided setup for admins\nStart with SSO.",
        create_initiative=True,
    )

    assert (note.initiative, note.ticket, note.created_by) == (None, ticket, submitter)
    initiative = action.initiative
    assert initiative is not None
    assert Outcome.objects.get(pk=action.pk).initiative == initiative
    assert initiative.title == "Guided setup for admins"
    assert initiative.status == InitiativeStatus.PROPOSED
    assert "Personas" in initiative.description
    assert "Start with SSO." in initiative.description
    assert initiative.events.get().actor == facilitator


def test_bad_outcomes_are_refused(facilitator, submitter, other_submitter) -> None:
    session = workshop(facilitator, [submitter])
    refused(
        lambda: outcome_add(session=session, by=other_submitter, kind="note", body="Hi"),
        code="forbidden",
    )
    refused(
        lambda: outcome_add(session=session, by=submitter, kind="rumour", body="Hi"), field="kind"
    )
    refused(lambda: outcome_add(session=session, by=submitter, kind="note", body=" "), field="body")
    refused(
        lambda: outcome_add(
            session=session, by=facilitator, kind="insight", body="Hi", create_initiative=True
        ),
        field="kind",
    )
    refused(
        lambda: outcome_add(
            session=session, by=submitter, kind="action", body="Do it", create_initiative=True
        ),
        code="forbidden",
    )

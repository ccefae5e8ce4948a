"""The session calls of the API contract (v1), against a real database."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role, Team
from accounts.tests.factories import UserFactory
from intake.models import TicketStatus
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from notifications.models import Notice, NotificationKind
from sessions.models import (
    AgendaItem,
    Participant,
    Session,
    SessionKind,
    SessionStatus,
    Topic,
    Vote,
)
from sessions.tests.factories import AgendaItemFactory, ParticipantFactory, SessionFactory
from tests.dates import day_at, long_ago, month_start
from tests.helpers import api_as
from triage.models import InitiativeStatus
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

SESSIONS = "/api/sessions/"

SESSION_FIELDS = {
    "id",
    "kind",
    "title",
    "topic",
    "description",
    "starts_at",
    "duration_minutes",
    "location",
    "status",
    "facilitator",
    "participants",
    "agenda",
}
ITEM_FIELDS = {"id", "position", "ticket", "initiative", "dots", "decision", "rationale"}
NOT_ORGANIZERS = ["submitter", "admin_user"]

# 10:00 at UTC+02:00 (Berlin in summer) on the 7th of the month after next, 08:00 UTC: in the
# future, and a fortnight before the month ends in any zone.
BERLIN_SUMMER = datetime.timezone(datetime.timedelta(hours=2))
MONTH = month_start(2)
STARTS = day_at(MONTH.replace(day=7), 10, tz=BERLIN_SUMMER)
STARTS_AT = STARTS.isoformat()  # with its +02:00 offset
STARTS_AT_UTC = f"{STARTS.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}"  # as the API answers
PAST = long_ago().astimezone(BERLIN_SUMMER).replace(microsecond=0).isoformat()
REVIEW_TITLE = f"Feedback review, {MONTH:%B %Y}"


def _workshop(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "workshop",
        "title": "Where onboarding hurts",
        "topic": "friction_points",
        "starts_at": STARTS_AT,
        "duration_minutes": 90,
        "participants": ["sales"],
        "description": "Walk through the first week of a new customer.",
        "location": "https://meet.example/onboarding",
    }
    body.update(changes)
    return body


def _review(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "monthly_review",
        "starts_at": STARTS_AT,
        "duration_minutes": 60,
    }
    body.update(changes)
    return body


def _nothing_written() -> None:
    assert not Session.objects.exists()
    assert not Participant.objects.exists()
    assert not Notice.objects.exists()


def _ids(response: Any) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# Scheduling a workshop


def test_a_facilitator_schedules_a_workshop(facilitator, submitter) -> None:
    response = api_as(facilitator).post(SESSIONS, _workshop(), format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert set(answer) == SESSION_FIELDS
    assert answer["kind"] == "workshop"
    assert answer["title"] == "Where onboarding hurts"
    assert answer["topic"] == "friction_points"
    assert answer["description"] == "Walk through the first week of a new customer."
    assert answer["starts_at"] == STARTS_AT_UTC
    assert answer["duration_minutes"] == 90
    assert answer["location"] == "https://meet.example/onboarding"
    assert answer["status"] == "scheduled"
    assert answer["facilitator"] == "facilitator"
    assert answer["agenda"] == []
    assert sorted(answer["participants"], key=lambda p: p["username"]) == [
        {
            "username": "facilitator",
            "name": facilitator.display_name,
            "team": "product",
            "rsvp": "yes",  # the organiser is down as coming, not asked
        },
        {"username": "sales", "name": submitter.display_name, "team": "sales", "rsvp": "pending"},
    ]

    session = Session.objects.get(pk=answer["id"])
    assert session.kind == SessionKind.WORKSHOP
    assert session.topic == Topic.FRICTION_POINTS
    assert session.starts_at == day_at(MONTH.replace(day=7), 8, tz=datetime.UTC)
    assert session.duration_minutes == 90
    assert session.facilitator == facilitator
    assert session.month is None
    assert set(session.participants.values_list("user__username", flat=True)) == {
        "facilitator",
        "sales",
    }
    # The invitee is told, with the invite; whoever scheduled it is not.
    assert list(Notice.objects.values_list("user__username", "kind")) == [
        ("sales", NotificationKind.SESSION_INVITE)
    ]


def test_a_pm_schedules_a_workshop_with_only_what_is_required(pm) -> None:
    body = _workshop(participants=[])
    del body["description"], body["location"], body["participants"]
    response = api_as(pm).post(SESSIONS, body, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["description"] == ""
    assert answer["location"] == ""
    assert [p["username"] for p in answer["participants"]] == ["pm"]
    assert Session.objects.get().facilitator == pm


def test_listing_yourself_among_the_participants_invites_you_once(facilitator, submitter) -> None:
    body = _workshop(participants=["facilitator", "sales", "sales"])
    response = api_as(facilitator).post(SESSIONS, body, format="json")
    assert response.status_code == 201, response.json()
    assert sorted(p["username"] for p in response.json()["participants"]) == [
        "facilitator",
        "sales",
    ]
    assert Participant.objects.count() == 2


def test_starts_at_is_answered_in_utc_whatever_the_callers_zone(facilitator) -> None:
    facilitator.time_zone = "America/New_York"
    facilitator.save()
    client = APIClient()
    client.force_login(facilitator)  # a browser session: the person's zone is switched on
    response = client.post(SESSIONS, _workshop(participants=[]), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["starts_at"] == STARTS_AT_UTC
    assert client.get(f"{SESSIONS}{response.json()['id']}/").json()["starts_at"] == STARTS_AT_UTC


# Creating a month's review


def test_a_pm_creates_a_months_review_with_its_agenda(pm, facilitator, submitter) -> None:
    customer = CustomerFactory.create(name="Acme Inc")
    waiting = TicketFactory.create(contact=ContactFactory.create(customer=customer))
    TicketFactory.create(status=TicketStatus.DECLINED)
    proposed = InitiativeFactory.create(priority_score=Decimal("12.50"))
    InitiativeFactory.create(status=InitiativeStatus.PLANNED)

    body = _review(participants=["sales"], location="Room 4")
    response = api_as(pm).post(SESSIONS, body, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert set(answer) == SESSION_FIELDS
    assert answer["kind"] == "monthly_review"
    assert answer["title"] == REVIEW_TITLE
    assert answer["topic"] == ""
    assert answer["starts_at"] == STARTS_AT_UTC
    assert answer["duration_minutes"] == 60
    assert answer["location"] == "Room 4"
    assert answer["status"] == "scheduled"
    assert answer["facilitator"] == "pm"
    # Every organizer is invited to a review, and whoever else was named.
    assert sorted(p["username"] for p in answer["participants"]) == ["facilitator", "pm", "sales"]
    agenda = answer["agenda"]
    assert all(set(item) == ITEM_FIELDS for item in agenda)
    assert [item["position"] for item in agenda] == [1, 2]
    assert agenda[0]["ticket"] == {"id": waiting.pk, "title": waiting.title, "customer": "Acme Inc"}
    assert agenda[0]["initiative"] is None
    assert agenda[1]["ticket"] is None
    assert agenda[1]["initiative"] == {
        "id": proposed.pk,
        "title": proposed.title,
        "priority_score": "12.50",
    }
    assert {(item["dots"], item["decision"], item["rationale"]) for item in agenda} == {(0, "", "")}

    session = Session.objects.get(pk=answer["id"])
    assert session.kind == SessionKind.MONTHLY_REVIEW
    assert session.month == MONTH
    assert session.facilitator == pm
    assert session.location == "Room 4"
    assert list(session.agenda.values_list("ticket_id", "initiative_id")) == [
        (waiting.pk, None),
        (None, proposed.pk),
    ]


def test_a_review_takes_what_it_is_given(facilitator) -> None:
    body = _review(title="May review", description="Top asks.", duration_minutes=120)
    response = api_as(facilitator).post(SESSIONS, body, format="json")
    assert response.status_code == 201, response.json()
    session = Session.objects.get(pk=response.json()["id"])
    assert (session.title, session.description, session.duration_minutes) == (
        "May review",
        "Top asks.",
        120,
    )


def test_a_review_belongs_to_the_month_it_starts_in_company_time(pm) -> None:
    # 01:00 on the 1st in Berlin is still the last day of the month before in UTC, the
    # company's zone here.
    starts = day_at(month_start(3), 1, tz=BERLIN_SUMMER)
    body = _review(starts_at=starts.isoformat())
    response = api_as(pm).post(SESSIONS, body, format="json")
    assert response.status_code == 201, response.json()
    assert Session.objects.get().month == MONTH


def test_a_second_review_for_a_month_is_a_conflict(pm, facilitator) -> None:
    first = api_as(pm).post(SESSIONS, _review(), format="json")
    assert first.status_code == 201
    again = api_as(facilitator).post(
        SESSIONS,
        _review(starts_at=f"{MONTH.replace(day=21)}T15:00:00Z", title="Another"),
        format="json",
    )
    assert again.status_code == 409
    message = again.json()["detail"]
    assert f"{MONTH:%B %Y} already has its review" in message
    assert f"#{first.json()['id']}" in message
    assert Session.objects.count() == 1
    assert Session.objects.get().title == REVIEW_TITLE
    # A workshop the same month is no conflict.
    assert api_as(pm).post(SESSIONS, _workshop(participants=[]), format="json").status_code == 201


# Bad input


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"starts_at": PAST}, "starts_at", "has passed"),
        ({"starts_at": f"{STARTS:%Y-%m-%dT%H:%M:%S}"}, "starts_at", "with its time zone"),
        ({"starts_at": f"{STARTS:%Y-%m-%d}"}, "starts_at", "with its time zone"),
        ({"starts_at": "next tuesday"}, "starts_at", "format"),
        ({"duration_minutes": 0}, "duration_minutes", "between 5 minutes and 8 hours"),
        ({"duration_minutes": 10000}, "duration_minutes", "between 5 minutes and 8 hours"),
        ({"duration_minutes": "long"}, "duration_minutes", "integer"),
        ({"topic": ""}, "topic", "Pick a topic"),
        ({"topic": "roadmap"}, "topic", "not a valid choice"),
        ({"title": "  "}, "title", "required"),
        ({"title": "x" * 201}, "title", "under 200"),
        ({"kind": "retreat"}, "kind", "not a valid choice"),
        ({"kind": None}, "kind", "null"),
    ],
)
def test_a_bad_workshop_is_refused_by_field_and_nothing_is_written(
    facilitator, submitter, changes: dict[str, Any], field: str, words: str
) -> None:
    response = api_as(facilitator).post(SESSIONS, _workshop(**changes), format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field], errors
    assert words in errors[field][0]
    _nothing_written()


@pytest.mark.parametrize(
    "missing", ["kind", "title", "topic", "starts_at", "duration_minutes"], ids=str
)
def test_a_workshop_without_a_required_field_is_refused(facilitator, missing: str) -> None:
    body = _workshop(participants=[])
    del body[missing]
    response = api_as(facilitator).post(SESSIONS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [missing]
    _nothing_written()


def test_an_unknown_participant_is_404_and_nothing_is_written(facilitator, submitter) -> None:
    # A body naming what does not exist is answered as a path naming it would be.
    body = _workshop(participants=["sales", "nobody"])
    response = api_as(facilitator).post(SESSIONS, body, format="json")
    assert response.status_code == 404
    assert "'nobody'" in response.json()["detail"]
    _nothing_written()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"starts_at": PAST}, "starts_at", "has passed"),
        ({"starts_at": f"{STARTS:%Y-%m-%dT%H:%M:%S}"}, "starts_at", "with its time zone"),
        ({"duration_minutes": 0}, "duration_minutes", "between 5 minutes and 8 hours"),
        ({"duration_minutes": 10000}, "duration_minutes", "between 5 minutes and 8 hours"),
        ({"topic": "other"}, "topic", "no topic"),
        ({"title": "x" * 201}, "title", "under 200"),
    ],
)
def test_a_bad_review_is_refused_by_field_and_nothing_is_written(
    pm, changes: dict[str, Any], field: str, words: str
) -> None:
    TicketFactory.create()
    response = api_as(pm).post(SESSIONS, _review(**changes), format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field], errors
    assert words in errors[field][0]
    _nothing_written()
    assert not AgendaItem.objects.exists()


def test_a_body_that_is_not_json_is_refused(facilitator) -> None:
    response = api_as(facilitator).post(SESSIONS, {"kind": "workshop"})  # multipart
    assert response.status_code == 415
    _nothing_written()


# Who may


@pytest.mark.parametrize("role", NOT_ORGANIZERS)
@pytest.mark.parametrize(
    "body", [_workshop(participants=[]), _review()], ids=["workshop", "review"]
)
def test_only_facilitators_and_pms_schedule(request, role: str, body: dict[str, Any]) -> None:
    response = api_as(request.getfixturevalue(role)).post(SESSIONS, body, format="json")
    assert response.status_code == 403
    assert "schedule or run review sessions" in response.json()["detail"]
    _nothing_written()


@pytest.mark.parametrize("role", ["submitter", "pm", "facilitator", "admin_user"])
def test_any_staff_reads_sessions(request, role: str) -> None:
    session = SessionFactory.create()
    client = api_as(request.getfixturevalue(role))
    assert _ids(client.get(SESSIONS)) == [session.pk]
    assert client.get(f"{SESSIONS}{session.pk}/").json()["id"] == session.pk


def test_an_anonymous_caller_is_asked_to_log_in(api) -> None:
    session = SessionFactory.create()
    assert api.get(SESSIONS).status_code == 401
    assert api.get(f"{SESSIONS}{session.pk}/").status_code == 401
    assert api.post(SESSIONS, _workshop(participants=[]), format="json").status_code == 401
    assert Session.objects.count() == 1


def test_an_inactive_organizer_is_refused(facilitator) -> None:
    facilitator.is_active = False
    facilitator.save()
    response = api_as(facilitator).post(SESSIONS, _workshop(participants=[]), format="json")
    assert response.status_code in (401, 403)
    _nothing_written()


# Reading one


def test_one_session_with_its_agenda_and_dots(submitter, pm) -> None:
    session = SessionFactory.create(
        kind=SessionKind.MONTHLY_REVIEW,
        topic="",
        month=MONTH,
        facilitator=pm,
        location="Room 4",
    )
    ParticipantFactory.create(session=session, user=submitter, rsvp="yes")
    ticket = TicketFactory.create()
    ticket_item = AgendaItemFactory.create(session=session, position=1, ticket=ticket)
    initiative = InitiativeFactory.create(priority_score=Decimal("3.00"))
    initiative_item = AgendaItemFactory.create(
        session=session, position=2, ticket=None, initiative=initiative
    )
    initiative_item.decision = "defer"
    initiative_item.rationale = "Next month."
    initiative_item.save()
    voter = UserFactory.create(role=Role.FACILITATOR)
    Vote.objects.bulk_create(
        [
            Vote(item=ticket_item, user=voter),
            Vote(item=ticket_item, user=voter),
            Vote(item=initiative_item, user=submitter),
        ]
    )

    response = api_as(submitter).get(f"{SESSIONS}{session.pk}/")
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == SESSION_FIELDS
    assert answer["kind"] == "monthly_review"
    assert answer["facilitator"] == "pm"
    assert answer["participants"] == [
        {"username": "sales", "name": submitter.display_name, "team": "sales", "rsvp": "yes"}
    ]
    assert answer["agenda"] == [
        {
            "id": ticket_item.pk,
            "position": 1,
            "ticket": {
                "id": ticket.pk,
                "title": ticket.title,
                "customer": ticket.customer.name,
            },
            "initiative": None,
            "dots": 2,
            "decision": "",
            "rationale": "",
        },
        {
            "id": initiative_item.pk,
            "position": 2,
            "ticket": None,
            "initiative": {
                "id": initiative.pk,
                "title": initiative.title,
                "priority_score": "3.00",
            },
            "dots": 1,
            "decision": "defer",
            "rationale": "Next month.",
        },
    ]


def test_a_session_whose_facilitator_left_has_none(submitter) -> None:
    session = SessionFactory.create(facilitator=None)
    assert api_as(submitter).get(f"{SESSIONS}{session.pk}/").json()["facilitator"] is None


def test_a_missing_session_is_404(submitter) -> None:
    response = api_as(submitter).get(f"{SESSIONS}999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such session."}


# The list


def _hours(n: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=n)


def test_the_list_is_paginated_newest_first(submitter) -> None:
    later = SessionFactory.create(starts_at=_hours(48))
    sooner = SessionFactory.create(starts_at=_hours(2))
    past = SessionFactory.create(starts_at=_hours(-72), status=SessionStatus.CLOSED)
    answer = api_as(submitter).get(SESSIONS).json()
    assert set(answer) == {"count", "next", "previous", "results"}
    assert answer["count"] == 3
    assert [row["id"] for row in answer["results"]] == [later.pk, sooner.pk, past.pk]
    assert set(answer["results"][0]) == SESSION_FIELDS


def test_the_list_pages_at_fifty(submitter) -> None:
    SessionFactory.create_batch(51)
    client = api_as(submitter)
    first = client.get(SESSIONS).json()
    assert (first["count"], len(first["results"])) == (51, 50)
    assert first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1


def test_the_list_filters_upcoming_and_past(submitter) -> None:
    later = SessionFactory.create(starts_at=_hours(48))
    sooner = SessionFactory.create(starts_at=_hours(2))
    # Started an hour ago: still on, so still upcoming.
    running = SessionFactory.create(starts_at=_hours(-1))
    long_ago = SessionFactory.create(starts_at=_hours(-72))
    closed = SessionFactory.create(starts_at=_hours(-24), status=SessionStatus.CLOSED)
    cancelled = SessionFactory.create(starts_at=_hours(24), status=SessionStatus.CANCELLED)
    client = api_as(submitter)
    assert _ids(client.get(SESSIONS, {"upcoming": "true"})) == [running.pk, sooner.pk, later.pk]
    assert _ids(client.get(SESSIONS, {"upcoming": "false"})) == [
        cancelled.pk,
        closed.pk,
        long_ago.pk,
    ]


def test_the_list_filters_by_kind(submitter) -> None:
    workshop = SessionFactory.create(starts_at=_hours(48))
    review = SessionFactory.create(kind=SessionKind.MONTHLY_REVIEW, topic="", month=MONTH)
    client = api_as(submitter)
    assert _ids(client.get(SESSIONS, {"kind": "workshop"})) == [workshop.pk]
    assert _ids(client.get(SESSIONS, {"kind": "monthly_review"})) == [review.pk]
    assert _ids(client.get(SESSIONS, {"kind": "monthly_review", "upcoming": "false"})) == []
    assert len(_ids(client.get(SESSIONS, {"kind": ""}))) == 2


@pytest.mark.parametrize(
    ("query", "field"), [({"kind": "retreat"}, "kind"), ({"upcoming": "soon"}, "upcoming")]
)
def test_a_bad_filter_is_400(submitter, query: dict[str, str], field: str) -> None:
    response = api_as(submitter).get(SESSIONS, query)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def _busy_session(n: int) -> Session:
    """A session with three people invited and an agenda of a ticket and an initiative, voted."""
    session = SessionFactory.create(starts_at=_hours(24 + n))
    people = UserFactory.create_batch(3, team=Team.SUPPORT)
    for person in people:
        ParticipantFactory.create(session=session, user=person)
    item = AgendaItemFactory.create(session=session)
    AgendaItemFactory.create(session=session, ticket=None, initiative=InitiativeFactory.create())
    Vote.objects.create(item=item, user=people[0])
    return session


def test_the_list_makes_a_fixed_number_of_queries(submitter, django_assert_max_num_queries) -> None:
    for n in range(2):
        _busy_session(n)
    client = api_as(submitter)
    # The count, the page, its participants, its agendas.
    with django_assert_max_num_queries(4):
        answer = client.get(SESSIONS).json()
    assert len(answer["results"]) == 2
    for n in range(2, 15):
        _busy_session(n)
    with django_assert_max_num_queries(4):
        answer = client.get(SESSIONS).json()
    assert len(answer["results"]) == 15
    assert all(
        len(row["participants"]) == 3 and len(row["agenda"]) == 2 for row in answer["results"]
    )
    assert all(
        sorted(item["dots"] for item in row["agenda"]) == [0, 1] for row in answer["results"]
    )
    with django_assert_max_num_queries(4):
        assert len(_ids(client.get(SESSIONS, {"upcoming": "true", "kind": "workshop"}))) == 15


def test_one_session_makes_a_fixed_number_of_queries(
    submitter, django_assert_max_num_queries
) -> None:
    session = _busy_session(0)
    with django_assert_max_num_queries(3):
        assert api_as(submitter).get(f"{SESSIONS}{session.pk}/").status_code == 200

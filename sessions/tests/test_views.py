"""The session pages: who may do what, bad input, escaping and fixed query counts."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse

from intake.tests.factories import TicketFactory
from sessions.models import AgendaItem, Session, SessionStatus, Vote
from sessions.services import review_create, workshop_schedule
from sessions.tests.factories import AgendaItemFactory, ParticipantFactory, SessionFactory
from tests.dates import day_at, long_ago, month_start

pytestmark = pytest.mark.django_db


def _review() -> Session:
    for _ in range(3):
        TicketFactory.create()
    session, _ = review_create(month=month_start(2))
    return session


def test_submitters_read_but_do_not_run_sessions(client, submitter) -> None:
    session = _review()
    item = session.agenda.first()
    assert item is not None
    client.force_login(submitter)
    assert client.get(reverse("sessions:list")).status_code == 200
    page = client.get(reverse("sessions:detail", args=[session.pk]))
    assert page.status_code == 200
    assert b"Record decision" not in page.content
    assert b"Close and send summary" not in page.content
    for name in ("new-workshop", "new-review"):
        assert client.get(reverse(f"sessions:{name}")).status_code == 403
    for name in ("notes", "reschedule", "cancel", "invite"):
        assert client.post(reverse(f"sessions:{name}", args=[session.pk])).status_code == 403
    # A decision or a dot from someone not invited is refused with a message, nothing changes.
    url = reverse("sessions:decide", args=[session.pk, item.pk])
    response = client.post(url, {"decision": "defer"}, follow=True)
    assert "facilitator or a product manager records decisions" in response.content.decode()
    client.post(reverse("sessions:vote", args=[session.pk, item.pk]))
    assert Vote.objects.count() == 0
    item.refresh_from_db()
    assert item.decision == ""


def test_item_and_session_notes_are_kept(client, facilitator) -> None:
    session = _review()
    item = session.agenda.first()
    assert item is not None
    client.force_login(facilitator)
    url = reverse("sessions:notes", args=[session.pk])
    client.post(url, {"item": item.pk, "notes": "Acme needs it <b>by Q2</b>."})
    client.post(url, {"notes": "Good turnout."})
    item.refresh_from_db()
    session.refresh_from_db()
    assert item.notes == "Acme needs it <b>by Q2</b>."
    assert session.notes == "Good turnout."
    body = client.get(reverse("sessions:detail", args=[session.pk])).content.decode()
    assert "Acme needs it &lt;b&gt;by Q2&lt;/b&gt;." in body


def test_a_bad_workshop_is_explained_and_nothing_is_made(client, facilitator) -> None:
    client.force_login(facilitator)
    response = client.post(
        reverse("sessions:new-workshop"),
        {
            "title": "Personas",
            "topic": "new_personas",
            "starts_at": f"{long_ago():%Y-%m-%dT%H:%M}",
            "duration_minutes": "10000",
        },
    )
    body = response.content.decode()
    assert "That time has passed; pick a time in the future." in body
    assert "A session lasts at most 8 hours." in body
    assert Session.objects.count() == 0


def test_stored_text_is_escaped_on_session_pages(client, facilitator, submitter) -> None:
    evil = "<script>alert(1)</script>"
    starts_at = day_at(month_start(2) + datetime.timedelta(days=14), 10, tz=datetime.UTC)
    session = workshop_schedule(
        by=facilitator,
        title=evil,
        topic="other",
        description=evil,
        location=evil,
        starts_at=starts_at,
        duration_minutes=60,
        invitees=[submitter],
    )
    client.force_login(submitter)
    for url in (
        reverse("sessions:list"),
        reverse("sessions:detail", args=[session.pk]),
        reverse("sessions:calendar") + f"?month={starts_at:%Y-%m}",
    ):
        body = client.get(url).content.decode()
        assert evil not in body, url
        assert "&lt;script&gt;" in body, url


@pytest.mark.parametrize("name", ["detail", "list"])
def test_session_pages_make_a_fixed_number_of_queries(
    client, facilitator, django_assert_max_num_queries: Any, name: str
) -> None:
    session = _review()
    client.force_login(facilitator)
    url = (
        reverse("sessions:detail", args=[session.pk])
        if name == "detail"
        else reverse("sessions:list")
    )
    with django_assert_max_num_queries(30) as small:
        assert client.get(url).status_code == 200
    for _ in range(15):
        AgendaItemFactory.create(session=session, ticket=TicketFactory.create())
        ParticipantFactory.create(session=session)
        SessionFactory.create()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
    assert AgendaItem.objects.filter(session=session).count() > 15


def test_closing_before_the_start_asks_to_confirm_closing_early(client, facilitator) -> None:
    session = _review()
    client.force_login(facilitator)
    page = client.get(reverse("sessions:detail", args=[session.pk])).content.decode()
    assert 'name="early"' in page
    url = reverse("sessions:close", args=[session.pk])
    refused = client.post(url, {}, follow=True).content.decode()
    assert "has not started yet" in refused
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    client.post(url, {"early": "on"})
    session.refresh_from_db()
    assert session.status == SessionStatus.CLOSED

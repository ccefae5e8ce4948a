"""The session pages: who may do what, bad input, escaping and fixed query counts."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Role, Team
from accounts.tests.factories import UserFactory
from intake.tests.factories import TicketFactory
from sessions.models import AgendaItem, ItemComment, Session, SessionStatus, Vote
from sessions.services import review_create, workshop_schedule
from sessions.tests.factories import AgendaItemFactory, ParticipantFactory, SessionFactory
from tests.dates import day_at, long_ago, month_start
from triage.models import InitiativeStatus
from triage.tests.factories import InitiativeFactory

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


# ---------------------------------------------------------------------------------------------
# The review page without reloads: each tool answers htmx with the fragment it changed


HTMX = {"HTTP_HX_REQUEST": "true"}


def _grow(session: Session, items: int) -> None:
    """More of everything the review page reads: items with dots and threads, people."""
    for _ in range(items):
        item = AgendaItemFactory.create(session=session, ticket=TicketFactory.create())
        person = ParticipantFactory.create(session=session).user
        Vote.objects.create(item=item, user=person)
        ItemComment.objects.create(item=item, author=person, body="Seen it too.")


def test_a_dot_answers_with_its_item_and_the_counter_in_fixed_queries(
    client, facilitator, django_assert_max_num_queries: Any
) -> None:
    session = _review()
    first, second = list(session.agenda.all())[:2]
    client.force_login(facilitator)

    def dot(item: AgendaItem) -> str:
        url = reverse("sessions:vote", args=[session.pk, item.pk])
        response = client.post(url, **HTMX)
        assert response.status_code == 200
        return str(response.content.decode())

    with django_assert_max_num_queries(30) as small:
        body = dot(first)
    assert f'id="item-{first.pk}"' in body
    assert f'id="item-{second.pk}"' not in body  # only the item that changed
    assert 'id="dots-left" class="muted" data-dots-left="4" hx-swap-oob="true"' in body
    assert "\N{MINUS SIGN} mine (1)" in body
    _grow(session, 15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        dot(second)
    assert Vote.objects.filter(user=facilitator).count() == 2


def test_a_refused_dot_says_why_beside_the_button(client, facilitator) -> None:
    session = _review()
    item = session.agenda.first()
    assert item is not None
    for _ in range(5):
        Vote.objects.create(item=item, user=facilitator)
    client.force_login(facilitator)
    response = client.post(reverse("sessions:vote", args=[session.pk, item.pk]), **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert 'role="alert">You have used your 5 dots in this session' in body
    assert Vote.objects.count() == 5


def test_a_refused_decision_keeps_what_was_typed_and_says_why(client, facilitator) -> None:
    session = _review()
    item = session.agenda.first()
    assert item is not None
    client.force_login(facilitator)
    url = reverse("sessions:decide", args=[session.pk, item.pk])
    response = client.post(
        url, {"decision": "decline", "title": "Kept <title>", "rationale": ""}, **HTMX
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "A reason for declining (the submitter is told it) is required." in body
    assert '<option value="decline" selected>' in body
    assert 'value="Kept &lt;title&gt;"' in body
    item.refresh_from_db()
    assert item.decision == ""

    response = client.post(url, {"decision": "decline", "rationale": "Not for us."}, **HTMX)
    assert response.status_code == 200
    assert "Decision recorded." in response.content.decode()
    item.refresh_from_db()
    assert item.decision == "decline"


def test_comments_and_notes_answer_with_their_item(client, facilitator) -> None:
    session = _review()
    item = session.agenda.first()
    assert item is not None
    client.force_login(facilitator)
    url = reverse("sessions:comment", args=[session.pk, item.pk])
    empty = client.post(url, {"body": "", "kind": "context"}, **HTMX)
    assert empty.status_code == 400
    assert "Write something to add." in empty.content.decode()
    assert not ItemComment.objects.exists()
    added = client.post(url, {"body": "Acme <b>too</b>", "kind": "question"}, **HTMX)
    assert added.status_code == 200
    assert "Acme &lt;b&gt;too&lt;/b&gt;" in added.content.decode()

    notes = reverse("sessions:notes", args=[session.pk])
    saved = client.post(notes, {"item": item.pk, "notes": "Ask finance."}, **HTMX)
    assert saved.status_code == 200
    assert f'id="item-{item.pk}"' in saved.content.decode()
    assert "Notes saved." in saved.content.decode()
    too_long = client.post(notes, {"item": item.pk, "notes": "x" * 60_000}, **HTMX)
    assert too_long.status_code == 400
    assert f'id="item-{item.pk}"' in too_long.content.decode()
    item.refresh_from_db()
    assert item.notes == "Ask finance."
    whole = client.post(notes, {"notes": "Good turnout."}, **HTMX)
    assert "Notes saved." in whole.content.decode()
    session.refresh_from_db()
    assert session.notes == "Good turnout."


def test_the_agenda_search_finds_by_words_as_typed_and_by_number(
    client, facilitator, django_assert_max_num_queries: Any
) -> None:
    session = _review()
    sso = TicketFactory.create(title="Single sign-on with Okta")
    on_agenda = session.agenda.filter(ticket__isnull=False).first()
    assert on_agenda is not None
    assert on_agenda.ticket is not None
    initiative = InitiativeFactory.create(title="Single sign-on for everyone")
    InitiativeFactory.create(title="Single sign-on", status=InitiativeStatus.SHIPPED)
    client.force_login(facilitator)
    url = reverse("sessions:agenda-search", args=[session.pk])

    with django_assert_max_num_queries(12) as small:
        body = client.get(url, {"q": "singl sig"}, **HTMX).content.decode()
    queries = len(small.captured_queries)  # read now: the next request empties the log
    assert "Single sign-on with Okta" in body
    assert f'name="ticket" value="{sso.pk}"' in body
    assert f'name="initiative" value="{initiative.pk}"' in body
    assert "Single sign-on</a>" not in body  # shipped: not for an agenda
    by_number = client.get(url, {"q": f"#{on_agenda.ticket_id}"}, **HTMX).content.decode()
    assert on_agenda.ticket.title in by_number
    assert "On the agenda" in by_number
    nothing = client.get(url, {"q": "zebra"}, **HTMX).content.decode()
    assert "No waiting or linked ticket and no open initiative matches “zebra”." in nothing
    # Without JavaScript: a page of its own.
    assert b"<h1>Add to the agenda</h1>" in client.get(url, {"q": "single"}).content

    for n in range(15):
        TicketFactory.create(title=f"Single sign-on {n}")
        InitiativeFactory.create(title=f"Single sign-on {n}")
    with django_assert_max_num_queries(queries):
        client.get(url, {"q": "singl sig"}, **HTMX)


def test_adding_from_the_search_answers_with_the_agenda(client, facilitator, submitter) -> None:
    session = _review()
    sso = TicketFactory.create(title="Single sign-on with Okta")
    client.force_login(facilitator)
    url = reverse("sessions:agenda", args=[session.pk])
    added = client.post(url, {"ticket": sso.pk, "q": "single"}, **HTMX)
    assert added.status_code == 200
    body = added.content.decode()
    assert "Added “Single sign-on with Okta” to the agenda." in body
    item = session.agenda.get(ticket=sso)
    assert f'id="item-{item.pk}"' in body
    # Twice: refused beside the search's results, which come back.
    again = client.post(url, {"ticket": sso.pk, "q": "single"}, **HTMX)
    assert again.status_code == 409
    assert again["HX-Retarget"] == "#agenda-search-results"
    assert "That is already on the agenda." in again.content.decode()
    assert session.agenda.filter(ticket=sso).count() == 1
    client.force_login(submitter)
    assert client.get(reverse("sessions:agenda-search", args=[session.pk])).status_code == 403


def test_moving_answers_with_the_agenda_and_a_refusal_with_the_item(client, facilitator) -> None:
    session = _review()
    first, second = list(session.agenda.all())[:2]
    client.force_login(facilitator)
    url = reverse("sessions:agenda", args=[session.pk])
    moved = client.post(url, {"item": second.pk, "action": "up"}, **HTMX)
    assert moved.status_code == 200
    body = moved.content.decode()
    assert body.index(f'id="item-{second.pk}"') < body.index(f'id="item-{first.pk}"')
    AgendaItem.objects.filter(pk=first.pk).update(decision="defer")
    refused = client.post(url, {"item": first.pk, "action": "remove"}, **HTMX)
    assert refused.status_code == 409
    assert refused["HX-Retarget"] == f"#item-{first.pk}"
    assert "A decided item stays on the record." in refused.content.decode()
    assert AgendaItem.objects.filter(pk=first.pk).exists()


def test_sorting_by_votes_answers_with_the_agenda_only(client, facilitator) -> None:
    session = _review()
    client.force_login(facilitator)
    url = reverse("sessions:detail", args=[session.pk])
    body = client.get(url, {"sort": "votes"}, HTTP_HX_TARGET="agenda", **HTMX).content.decode()
    assert "In agenda order" in body
    assert "<html" not in body


def test_closing_early_by_htmx_is_refused_beside_the_box_then_reloads(client, facilitator) -> None:
    session = _review()
    client.force_login(facilitator)
    url = reverse("sessions:close", args=[session.pk])
    refused = client.post(url, {"attended": [facilitator.pk]}, **HTMX)
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "has not started yet" in body
    assert "Close it early anyway" in body
    closed = client.post(url, {"early": "on"}, **HTMX)
    assert closed["HX-Redirect"] == reverse("sessions:detail", args=[session.pk])
    session.refresh_from_db()
    assert session.status == SessionStatus.CLOSED


# ---------------------------------------------------------------------------------------------
# Whom to invite: a search and whole teams


def test_the_picker_finds_people_and_adds_a_team_never_offering_the_organiser(
    client, facilitator, pm, submitter, other_submitter, django_assert_max_num_queries: Any
) -> None:
    colleague = UserFactory.create(username="sally", role=Role.SUBMITTER, team=Team.SALES)
    UserFactory.create(username="salim", team=Team.SALES, is_active=False)
    client.force_login(facilitator)
    url = reverse("sessions:people")

    with django_assert_max_num_queries(6) as small:
        body = client.get(url, {"people_q": "sal", "invitees": [pm.pk]}, **HTMX).content.decode()
    queries = len(small.captured_queries)
    assert f'name="add" value="{submitter.pk}"' in body
    assert f'name="add" value="{colleague.pk}"' in body
    assert "salim" not in body
    # A whole team, with whoever was chosen before; the organiser (product) is never offered.
    body = client.get(
        url, {"invitees": [other_submitter.pk], "team": "product", "add_team": "1"}, **HTMX
    ).content.decode()
    assert "Added 1 from Product." in body
    chosen = [f'name="invitees" value="{pk}"' for pk in (other_submitter.pk, pm.pk)]
    assert all(hidden in body for hidden in chosen)
    assert f'name="invitees" value="{facilitator.pk}"' not in body
    dropped = client.get(
        url, {"invitees": [other_submitter.pk, pm.pk], "drop": pm.pk}, **HTMX
    ).content.decode()
    assert f'name="invitees" value="{pm.pk}"' not in dropped
    nobody = client.get(url, {"people_q": "zebra"}, **HTMX).content.decode()
    assert "Nobody else matches “zebra”." in nobody

    for n in range(15):
        UserFactory.create(username=f"sales{n}", team=Team.SALES)
    with django_assert_max_num_queries(queries):
        client.get(url, {"people_q": "sal", "invitees": [pm.pk]}, **HTMX)
    client.force_login(submitter)
    assert client.get(url).status_code == 403


def test_a_picker_button_without_javascript_shows_the_form_again_as_typed(
    client, facilitator, submitter
) -> None:
    client.force_login(facilitator)
    response = client.post(
        reverse("sessions:new-workshop"),
        {"title": "Personas <i>", "topic": "new_personas", "team": "sales", "add_team": "1"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Personas &lt;i&gt;"' in body
    assert f'name="invitees" value="{submitter.pk}"' in body
    assert Session.objects.count() == 0


def test_a_workshop_invites_the_people_picked_and_the_organiser_comes(
    client, facilitator, submitter, pm
) -> None:
    client.force_login(facilitator)
    starts_at = day_at(month_start(2) + datetime.timedelta(days=14), 15)
    response = client.post(
        reverse("sessions:new-workshop"),
        {
            "title": "Personas",
            "topic": "new_personas",
            "starts_at": f"{starts_at:%Y-%m-%dT%H:%M}",
            "duration_minutes": "60",
            "invitees": [submitter.pk, pm.pk, 10**9],
        },
    )
    assert "1000000000 is not an active user." in response.content.decode()
    assert Session.objects.count() == 0
    response = client.post(
        reverse("sessions:new-workshop"),
        {
            "title": "Personas",
            "topic": "new_personas",
            "starts_at": f"{starts_at:%Y-%m-%dT%H:%M}",
            "duration_minutes": "60",
            "invitees": [submitter.pk, pm.pk],
        },
    )
    session = Session.objects.get()
    assert response["Location"] == reverse("sessions:detail", args=[session.pk])
    answers = dict(session.participants.values_list("user__username", "rsvp"))
    assert answers == {"facilitator": "yes", "sales": "pending", "pm": "pending"}
    page = client.get(response["Location"]).content.decode()
    assert 'id="rsvp"' not in page  # the organiser is not asked
    assert "Your time zone: UTC (UTC+00:00)." in page
    client.force_login(submitter)
    assert 'id="rsvp"' in client.get(response["Location"]).content.decode()


def test_the_workshop_page_makes_a_fixed_number_of_queries(
    client, facilitator, django_assert_max_num_queries: Any
) -> None:
    session = SessionFactory.create(
        facilitator=facilitator, title="Setup wizard", description="Where admins get stuck."
    )
    client.force_login(facilitator)
    url = reverse("sessions:detail", args=[session.pk])
    with django_assert_max_num_queries(30) as small:
        assert client.get(url).status_code == 200
    # The research's suggestions are scored first and only those kept are read: one query per
    # kind once any of that kind is kept (none at first).
    queries = len(small.captured_queries) + 2
    for n in range(10):
        TicketFactory.create(title=f"The setup wizard loses step {n}")
        InitiativeFactory.create(title=f"Setup wizard, part {n}")
        ParticipantFactory.create(session=session)
    with django_assert_max_num_queries(queries):
        body = client.get(url).content.decode()
    assert "The setup wizard loses step" in body

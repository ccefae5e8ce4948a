"""The rep's side: questions waiting on them answered in place, shipped tickets said so."""

from __future__ import annotations

import pytest
from django.utils import timezone

from intake.models import CommentKind, Ticket, TicketStatus
from intake.services import comment_add
from intake.tests.factories import TicketFactory
from notifications.models import Notice
from triage.models import Initiative, InitiativeStatus

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _asked(submitter, pm, body: str = "Which plan are they on?", **fields) -> Ticket:
    ticket = TicketFactory.create(submitted_by=submitter, **fields)
    comment_add(ticket=ticket, author=pm, body=body, kind=CommentKind.QUESTION)
    return ticket


def test_questions_waiting_on_a_rep_come_first_on_their_home(client, submitter, pm) -> None:
    older = _asked(submitter, pm, "Which <b>plan</b>?", title="SSO")
    newer = _asked(submitter, pm, "How many seats?", title="Audit log")
    TicketFactory.create(submitted_by=submitter, title="Not asked about")
    client.force_login(submitter)
    html = client.get("/").content.decode()
    waiting = html[html.index("Waiting on you") : html.index("Your latest tickets")]
    assert waiting.index("SSO") < waiting.index("Audit log")  # the longest-waiting first
    assert "Which &lt;b&gt;plan&lt;/b&gt;?" in waiting
    assert "Not asked about" not in waiting
    assert f'hx-post="/intake/tickets/{older.pk}/answer/"' in waiting
    assert f'id="answer-{newer.pk}-body"' in waiting  # each form its own ids
    assert html.index("Waiting on you") < html.index("Your latest tickets")


def test_nothing_waiting_shows_no_section(client, submitter, pm) -> None:
    TicketFactory.create(submitted_by=submitter)
    client.force_login(submitter)
    assert "Waiting on you" not in client.get("/").content.decode()
    client.force_login(pm)  # a question the PM asked waits on the rep, not on the PM
    _asked(submitter, pm)
    assert "Waiting on you" not in client.get("/").content.decode()


def test_the_home_page_costs_the_same_however_many_questions_wait(
    client, submitter, pm, django_assert_max_num_queries
) -> None:
    _asked(submitter, pm)
    client.force_login(submitter)
    with django_assert_max_num_queries(20) as few:
        client.get("/")
    for _ in range(14):
        _asked(submitter, pm)
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        html = client.get("/").content.decode()
    assert html.count('class="waiting-item"') == 10
    assert "5 more wait for you" in html  # the one more query: the count, once over ten


def test_answering_in_place_sends_the_ticket_back_and_says_so(client, submitter, pm) -> None:
    ticket = _asked(submitter, pm)
    client.force_login(submitter)
    response = client.post(
        f"/intake/tickets/{ticket.pk}/answer/", {"body": "The <i>Pro</i> plan."}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "back in the product managers' inbox" in html
    assert f'id="ticket-status-{ticket.pk}" hx-swap-oob="true"' in html
    assert '<span class="badge new">New</span>' in html
    assert 'id="waiting-count" class="count" hx-swap-oob="true">0<' in html
    assert 'id="notice-count" hx-swap-oob="true"' in html
    assert 'id="my-counts" hx-swap-oob="true"><span class="badge new">1 new</span>' in html
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    answer = ticket.comments.get(kind=CommentKind.ANSWER)
    assert answer.body == "The <i>Pro</i> plan."
    assert Notice.objects.filter(user=pm, text__contains="answered").exists()
    assert not Notice.objects.filter(user=submitter, read_at__isnull=True).exists()


def test_a_blank_answer_is_explained_in_place_and_changes_nothing(client, submitter, pm) -> None:
    ticket = _asked(submitter, pm)
    client.force_login(submitter)
    response = client.post(f"/intake/tickets/{ticket.pk}/answer/", {"body": "   "}, **HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert "Which plan are they on?" in html  # the question stays beside the form
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEEDS_INFO
    assert ticket.comments.count() == 1


def test_without_htmx_the_answer_goes_home_with_a_message(client, submitter, pm) -> None:
    ticket = _asked(submitter, pm)
    client.force_login(submitter)
    response = client.post(f"/intake/tickets/{ticket.pk}/answer/", {"body": "Pro."}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert f"Answered on “{ticket.title}”." in response.content.decode()
    blank = client.post(f"/intake/tickets/{ticket.pk}/answer/", {"body": ""}, follow=True)
    assert "This field is required." in blank.content.decode()


def test_only_the_submitter_answers(client, submitter, other_submitter, pm) -> None:
    ticket = _asked(submitter, pm)
    for someone in (other_submitter, pm):
        client.force_login(someone)
        response = client.post(f"/intake/tickets/{ticket.pk}/answer/", {"body": "Pro."}, **HTMX)
        assert response.status_code == 403
    assert client.post("/intake/tickets/999999/answer/", {"body": "Pro."}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEEDS_INFO
    assert ticket.comments.count() == 1


def test_answering_in_the_thread_changes_the_badge_and_banner_too(client, submitter, pm) -> None:
    ticket = _asked(submitter, pm)
    client.force_login(submitter)
    page = client.get(f"/intake/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-banner"' in page
    assert "your answer sends this ticket back to the inbox" in page
    response = client.post(
        f"/intake/tickets/{ticket.pk}/comments/", {"body": "Pro.", "kind": "answer"}, **HTMX
    )
    html = response.content.decode()
    assert 'id="ticket-badges" hx-swap-oob="true"' in html
    assert '<span class="badge new">New</span>' in html
    assert 'id="ticket-banner" hx-swap-oob="true"' in html
    assert "back in the product managers' inbox" in html
    # A plain comment moves nothing, so nothing else is swapped.
    plain = client.post(
        f"/intake/tickets/{ticket.pk}/comments/", {"body": "More.", "kind": "comment"}, **HTMX
    )
    assert "hx-swap-oob" not in plain.content.decode()


def test_a_ticket_whose_initiative_shipped_says_shipped(client, submitter) -> None:
    shipped = Initiative.objects.create(
        title="Bulk import", status=InitiativeStatus.SHIPPED, shipped_at=timezone.now()
    )
    planned = Initiative.objects.create(title="SSO", status=InitiativeStatus.PLANNED)
    TicketFactory.create(
        submitted_by=submitter, title="Import", initiative=shipped, status=TicketStatus.LINKED
    )
    TicketFactory.create(
        submitted_by=submitter, title="Okta", initiative=planned, status=TicketStatus.LINKED
    )
    client.force_login(submitter)
    mine = client.get("/intake/mine/").content.decode()
    import_row = mine[mine.index(">Import<") : mine.index("</tr>", mine.index(">Import<"))]
    okta_row = mine[mine.index(">Okta<") : mine.index("</tr>", mine.index(">Okta<"))]
    assert '<span class="badge shipped"' in import_row
    assert "Linked" not in import_row
    assert '<span class="badge linked">Linked</span>' in okta_row
    home = client.get("/").content.decode()
    assert "1 shipped" in home
    assert "1 linked" in home

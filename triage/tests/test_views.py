"""The triage pages: who may open them, bad input, escaping and fixed query counts."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from intake.models import Importance, Ticket, TicketStatus
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from triage.models import Initiative, InitiativeStatus
from triage.services import initiative_decline, ticket_link
from triage.tests.factories import InitiativeFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _pages(ticket: Ticket, initiative: Initiative) -> list[tuple[str, str]]:
    i, t = initiative.pk, ticket.pk
    return [
        ("get", reverse("triage:board")),
        ("get", reverse("triage:inbox")),
        ("get", reverse("triage:inbox-action", args=[t, "link"])),
        ("post", reverse("triage:inbox-action", args=[t, "decline"])),
        ("get", reverse("triage:new")),
        ("post", reverse("triage:new")),
        ("get", reverse("triage:edit", args=[i])),
        ("post", reverse("triage:move", args=[i])),
        ("get", reverse("triage:status", args=[i]) + "?to=declined"),
        ("post", reverse("triage:merge", args=[i])),
        ("post", reverse("triage:unlink", args=[i, t])),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["submitter", "facilitator", "admin_user"])
def test_only_product_managers_reach_triage(client, request, role_fixture: str) -> None:
    user: User = request.getfixturevalue(role_fixture)
    ticket = TicketFactory.create()
    initiative = InitiativeFactory.create()
    client.force_login(user)
    for method, url in _pages(ticket, initiative):
        response = getattr(client, method)(url, {"status": "planned", "reason": "no"})
        assert response.status_code == 403, (method, url)
    ticket.refresh_from_db()
    initiative.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    assert initiative.status == InitiativeStatus.PROPOSED


@pytest.mark.django_db
def test_anyone_on_staff_reads_an_initiative_without_its_controls(client, submitter, pm) -> None:
    initiative = InitiativeFactory.create(title="CSV export")
    client.force_login(submitter)
    response = client.get(reverse("triage:initiative", args=[initiative.pk]))
    assert response.status_code == 200
    assert b"Merge" not in response.content
    assert b"Edit" not in response.content
    client.force_login(pm)
    response = client.get(reverse("triage:initiative", args=[initiative.pk]))
    assert b"Merge" in response.content


@pytest.mark.django_db
def test_a_missing_initiative_or_ticket_is_404(client, pm) -> None:
    client.force_login(pm)
    assert client.get(reverse("triage:initiative", args=[999])).status_code == 404
    assert client.get(reverse("triage:inbox-action", args=[999, "link"])).status_code == 404
    ticket = TicketFactory.create()
    assert client.get(reverse("triage:inbox-action", args=[ticket.pk, "bogus"])).status_code == 404


@pytest.mark.django_db
def test_linking_to_a_missing_initiative_is_explained(client, pm) -> None:
    ticket = TicketFactory.create()
    client.force_login(pm)
    url = reverse("triage:inbox-action", args=[ticket.pk, "link"])
    response = client.post(url, {"initiative": "99999"}, **HTMX)
    assert response.status_code == 400
    assert "That initiative does not exist or was declined" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.initiative_id) == (TicketStatus.NEW, None)


@pytest.mark.django_db
def test_declining_without_a_reason_changes_nothing(client, pm) -> None:
    ticket = TicketFactory.create()
    client.force_login(pm)
    url = reverse("triage:inbox-action", args=[ticket.pk, "decline"])
    response = client.post(url, {"reason": "   "}, **HTMX)
    assert response.status_code == 400
    assert "Say why, so the submitter can tell the customer." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


@pytest.mark.django_db
def test_a_done_action_answers_the_done_row_and_fresh_counts(client, pm) -> None:
    ticket = TicketFactory.create(title="Export")
    TicketFactory.create()
    initiative = InitiativeFactory.create(title="CSV")
    client.force_login(pm)
    url = reverse("triage:inbox-action", args=[ticket.pk, "link"])
    response = client.post(url, {"initiative": initiative.pk}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Linked to “CSV”." in body
    assert 'id="inbox-count-waiting" hx-swap-oob="true">1<' in body


@pytest.mark.django_db
def test_without_javascript_an_action_redirects_back_to_the_inbox(client, pm) -> None:
    ticket = TicketFactory.create(title="Export")
    client.force_login(pm)
    url = reverse("triage:inbox-action", args=[ticket.pk, "snooze"])
    page = client.get(url)
    assert page.status_code == 200  # the form on a page of its own, with nothing to tick
    assert "data-bulk-check" not in page.content.decode()
    today = timezone.localdate()
    response = client.post(url, {"until": (today - datetime.timedelta(days=400)).isoformat()})
    assert response.status_code == 400
    assert "Pick a day after today" in response.content.decode()
    response = client.post(url, {"until": (today + datetime.timedelta(days=800)).isoformat()})
    assert response.status_code == 400
    assert "Snooze for at most a year." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


@pytest.mark.django_db
def test_a_forbidden_move_is_refused_in_the_menu(client, pm) -> None:
    # A move the lifecycle does not allow is bad input (400), as the API answers it; on the
    # board it is said inside the move menu, which stays open.
    initiative = InitiativeFactory.create(title="CSV", status=InitiativeStatus.DECLINED)
    client.force_login(pm)
    body = {"initiative": initiative.pk, "status": "planned", "version": initiative.version}
    response = client.post(reverse("triage:board-move"), {**body, "from": "board"}, **HTMX)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#move-error"
    assert "it can move to proposed, not straight to planned" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.DECLINED


@pytest.mark.django_db
def test_the_menu_ships_straight_from_proposed_with_its_note(client, pm) -> None:
    initiative = InitiativeFactory.create(title="CSV")
    ticket = TicketFactory.create(initiative=initiative, status=TicketStatus.LINKED)
    client.force_login(pm)
    url = reverse("triage:board-move")
    body = {"initiative": initiative.pk, "status": "shipped", "version": 1, "from": "board"}
    response = client.post(url, body, **HTMX)
    assert response.status_code == 400
    assert "A release note is required." in response.content.decode()
    assert 'data-error-for="release_note"' in response.content.decode()
    response = client.post(url, {**body, "release_note": "CSV export is live."}, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Shipped “CSV”: 1 customer contact is being emailed." in page
    assert reverse("triage:undo", args=[initiative.pk]) not in page  # emails are not undone
    initiative.refresh_from_db()
    assert (initiative.status, initiative.release_note) == (
        InitiativeStatus.SHIPPED,
        "CSV export is live.",
    )
    assert list(initiative.notifications.values_list("contact_id", flat=True)) == [
        ticket.contact_id
    ]


@pytest.mark.django_db
def test_a_move_on_the_board_is_confirmed_with_its_undo(client, pm) -> None:
    initiative = InitiativeFactory.create(title="CSV")
    client.force_login(pm)
    body = {"initiative": initiative.pk, "status": "declined", "version": 1, "from": "board"}
    response = client.post(
        reverse("triage:board-move"), {**body, "decline_reason": "Not our market."}, **HTMX
    )
    page = response.content.decode()
    assert "Declined “CSV”." in page
    assert reverse("triage:undo", args=[initiative.pk]) in page
    assert 'name="version" value="2"' in page
    undo = reverse("triage:undo", args=[initiative.pk])
    response = client.post(undo, {"version": 2, "from": "board"}, **HTMX)
    assert "Undone: “CSV” is proposed again." in response.content.decode()
    initiative.refresh_from_db()
    assert (initiative.status, initiative.decline_reason) == (InitiativeStatus.PROPOSED, "")
    # The same undo twice finds it changed since: refused, the board as it is now.
    response = client.post(undo, {"version": 2, "from": "board"}, **HTMX)
    assert response.status_code == 409
    assert "while you were looking" in response.content.decode()


@pytest.mark.django_db
def test_moving_a_shipped_card_back_needs_the_confirmation(client, pm) -> None:
    initiative = InitiativeFactory.create(status=InitiativeStatus.SHIPPED, release_note="Out.")
    client.force_login(pm)
    body = {"initiative": initiative.pk, "status": "in_progress", "version": 1, "from": "board"}
    response = client.post(reverse("triage:board-move"), body, **HTMX)
    assert response.headers["HX-Redirect"] == (
        reverse("triage:status", args=[initiative.pk]) + "?to=in_progress"
    )
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.SHIPPED
    response = client.post(reverse("triage:board-move"), {**body, "unship": "1"}, **HTMX)
    assert "Un-shipped “" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.IN_PROGRESS


@pytest.mark.django_db
def test_moving_to_shipped_or_declined_from_a_button_asks_for_the_note_first(client, pm) -> None:
    initiative = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    client.force_login(pm)
    url = reverse("triage:move", args=[initiative.pk])
    response = client.post(url, {"status": "shipped"}, **HTMX)
    assert response.headers["HX-Redirect"] == (
        reverse("triage:status", args=[initiative.pk]) + "?to=shipped"
    )
    status_url = reverse("triage:status", args=[initiative.pk])
    response = client.post(status_url, {"status": "shipped", "version": initiative.version})
    assert response.status_code == 400
    assert "A release note is required." in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.IN_PROGRESS
    response = client.post(
        status_url,
        {"status": "shipped", "version": initiative.version, "release_note": "It is out."},
    )
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert (initiative.status, initiative.release_note) == (InitiativeStatus.SHIPPED, "It is out.")


@pytest.mark.django_db
def test_without_javascript_a_card_moves_from_its_own_menu_page(client, pm) -> None:
    initiative = InitiativeFactory.create(title="CSV", status=InitiativeStatus.PLANNED)
    client.force_login(pm)
    board = client.get(reverse("triage:board")).content.decode()
    assert f'href="{reverse("triage:move", args=[initiative.pk])}" data-move-open' in board
    page = client.get(reverse("triage:move", args=[initiative.pk])).content.decode()
    for status in ("proposed", "in_progress", "shipped", "declined"):
        assert f'name="status" value="{status}"' in page
    assert 'name="status" value="planned"' not in page
    body = {"initiative": initiative.pk, "status": "in_progress", "version": 1, "from": "board"}
    response = client.post(reverse("triage:board-move"), body, follow=True)
    assert response.redirect_chain[-1][0] == reverse("triage:board")
    assert "Moved “CSV” to in progress." in response.content.decode()


@pytest.mark.django_db
def test_stored_text_is_escaped_on_every_triage_page(client, pm, submitter) -> None:
    evil = "<script>alert(1)</script>"
    customer = CustomerFactory.create(name=evil, name_key="evil")
    ticket = TicketFactory.create(
        title=evil, description=evil, customer=customer, contact__customer=customer
    )
    initiative = InitiativeFactory.create(title=evil, description=evil)
    linked = TicketFactory.create(title=evil, customer=customer, contact__customer=customer)
    ticket_link(ticket=linked, initiative=initiative, by=pm)
    initiative_decline(initiative=initiative, by=pm, reason=evil)
    client.force_login(pm)
    for url in [
        reverse("triage:board"),
        reverse("triage:inbox"),
        reverse("triage:inbox-action", args=[ticket.pk, "link"]),
        reverse("triage:initiative", args=[initiative.pk]),
        reverse("triage:edit", args=[initiative.pk]),
    ]:
        body = client.get(url).content.decode()
        assert evil not in body, url
        assert "&lt;script&gt;" in body, url


def _fill(n: int, pm: User) -> None:
    for i in range(n):
        initiative = InitiativeFactory.create(status=list(InitiativeStatus)[i % 5])
        ticket = TicketFactory.create(importance=Importance.CRITICAL)
        if initiative.status not in (InitiativeStatus.SHIPPED, InitiativeStatus.DECLINED):
            ticket_link(ticket=ticket, initiative=initiative, by=pm)
        TicketFactory.create()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("triage:inbox"),
        reverse("triage:inbox") + "?view=snoozed",
        reverse("triage:board"),
        reverse("triage:board") + "?period=90&source_team=sales&segment=enterprise",
    ],
)
def test_inbox_and_board_make_a_fixed_number_of_queries(
    client, pm, django_assert_max_num_queries: Any, url: str
) -> None:
    client.force_login(pm)
    _fill(3, pm)
    # 16: the themes are found in this process here (no broker; a worker does it otherwise:
    # the window's digest again, then the grouping), and a theme's suggested initiative comes
    # from similar feedback, which first reads what changed since the last search (two small
    # queries, triage.similarity); the inbox's bulk bar lists the initiatives to link to (one
    # query, at most MENU_SIZE of them).
    with django_assert_max_num_queries(16) as small:
        assert client.get(url).status_code == 200
    _fill(30, pm)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_move_answers_the_board_in_a_fixed_number_of_queries(
    client, pm, django_assert_max_num_queries: Any
) -> None:
    client.force_login(pm)
    _fill(3, pm)
    url = reverse("triage:board-move")

    def move_one() -> None:
        initiative = Initiative.objects.filter(status=InitiativeStatus.PROPOSED).first()
        assert initiative is not None
        body = {"initiative": initiative.pk, "status": "planned", "version": initiative.version}
        assert client.post(url, {**body, "from": "board"}, **HTMX).status_code == 200

    with django_assert_max_num_queries(20) as small:
        move_one()
    _fill(30, pm)
    with django_assert_max_num_queries(len(small.captured_queries)):
        move_one()


@pytest.mark.django_db
def test_initiative_page_makes_a_fixed_number_of_queries(
    client, pm, django_assert_max_num_queries: Any
) -> None:
    initiative = InitiativeFactory.create()
    client.force_login(pm)
    for _ in range(2):
        ticket_link(ticket=TicketFactory.create(), initiative=initiative, by=pm)
    url = reverse("triage:initiative", args=[initiative.pk])
    with django_assert_max_num_queries(15) as small:
        client.get(url)
    for _ in range(20):
        ticket_link(ticket=TicketFactory.create(), initiative=initiative, by=pm)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_initiative_page_pages_through_its_customers(client, pm) -> None:
    initiative = InitiativeFactory.create()
    for _ in range(30):
        ticket_link(ticket=TicketFactory.create(), initiative=initiative, by=pm)
    client.force_login(pm)
    url = reverse("triage:initiative", args=[initiative.pk])
    first = client.get(url).content.decode()
    assert first.count('class="customer-asks"') == 25
    assert "30 customers" in first
    second = client.get(url + "?page=2").content.decode()
    assert second.count('class="customer-asks"') == 5


@pytest.mark.django_db
def test_initiative_page_leads_to_the_rest_of_a_frequent_askers_asks(client, pm) -> None:
    initiative = InitiativeFactory.create()
    acme = CustomerFactory.create(name="Acme & Sons")
    for _ in range(5):
        ticket = TicketFactory.create(contact=ContactFactory.create(customer=acme))
        ticket_link(ticket=ticket, initiative=initiative, by=pm)
    client.force_login(pm)
    page = client.get(reverse("triage:initiative", args=[initiative.pk])).content.decode()
    assert page.count('class="ask-head"') == 3
    history = reverse("intake:list") + "?company=Acme%20%26%20Sons"
    assert f'<a href="{history}">2 more asks from Acme &amp; Sons</a>' in page


@pytest.mark.django_db
def test_initiative_page_shows_the_revenue_the_reps_entered_beside_the_score(client, pm) -> None:
    initiative = InitiativeFactory.create()
    for revenue in ("120000", "30000.50", None):
        ticket = TicketFactory.create(revenue_at_stake=revenue)
        ticket_link(ticket=ticket, initiative=initiative, by=pm)
    client.force_login(pm)
    page = " ".join(
        client.get(reverse("triage:initiative", args=[initiative.pk])).content.decode().split()
    )
    assert (
        "Revenue at stake the reps entered: <strong>$150,001</strong> on 2 of 3 tickets "
        "(largest $120,000)" in page
    )
    assert "$120,000 at stake" in page
    empty = InitiativeFactory.create()
    ticket_link(ticket=TicketFactory.create(revenue_at_stake=None), initiative=empty, by=pm)
    page = client.get(reverse("triage:initiative", args=[empty.pk])).content.decode()
    assert "No rep entered revenue at stake on these tickets." in page


@pytest.mark.django_db
def test_an_inbox_past_the_count_cap_says_so_and_pages_up_to_it(
    client, pm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("triage.selectors.INBOX_COUNT_CAP", 30)
    monkeypatch.setattr("triage.views.INBOX_COUNT_CAP", 30)
    TicketFactory.create_batch(40)
    client.force_login(pm)
    page = client.get(reverse("triage:inbox")).content.decode()
    assert '<span class="count" id="inbox-count-waiting">30+</span>' in page
    assert "Page 1 of 2 · 30+ tickets" in page
    last = client.get(reverse("triage:inbox") + "?page=9").content.decode()
    assert "Page 2 of 2 · 30+ tickets" in last

"""Several waiting tickets at once, and taking back the last inbox action: all or none, through
the same services and lifecycle as one ticket, and refused when something changed since."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from intake.models import Ticket, TicketStatus
from intake.tests.factories import TicketFactory
from triage.models import Initiative, InitiativeEvent, InitiativeStatus
from triage.services import (
    InboxUndo,
    inbox_undo,
    inbox_undo_after,
    inbox_undo_before,
    initiative_ship,
    ticket_link,
    ticket_mark_duplicate,
    tickets_bulk_decline,
    tickets_bulk_link,
    tickets_bulk_snooze,
)
from triage.tests.factories import InitiativeFactory
from triage.tests.test_services import database, refused

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def test_bulk_link_links_every_ticket_and_rescores_once_per_change(pm, submitter) -> None:
    initiative = InitiativeFactory.create(title="CSV export")
    tickets = [TicketFactory.create(submitted_by=submitter) for _ in range(3)]
    tickets_bulk_link(tickets=tickets, initiative=initiative, by=pm)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert (ticket.status, ticket.initiative_id) == (TicketStatus.LINKED, initiative.pk)
    initiative.refresh_from_db()
    assert initiative.customer_count == 3
    assert initiative.events.filter(kind=InitiativeEvent.Kind.TICKET_LINKED).count() == 3


def test_bulk_actions_are_all_or_none(pm) -> None:
    waiting = TicketFactory.create()
    taken = TicketFactory.create()
    ticket_link(ticket=taken, initiative=InitiativeFactory.create(), by=pm)
    open_one = InitiativeFactory.create()
    error = refused(
        lambda: tickets_bulk_link(tickets=[waiting, taken], initiative=open_one, by=pm),
        code="conflict",
    )
    assert f"#{taken.pk}" in error.message
    assert "already linked" in error.message
    refused(lambda: tickets_bulk_decline(tickets=[waiting], reason="  ", by=pm))
    refused(lambda: tickets_bulk_snooze(tickets=[waiting], until=timezone.localdate(), by=pm))
    refused(lambda: tickets_bulk_link(tickets=[], initiative=open_one, by=pm))
    declined = InitiativeFactory.create(status=InitiativeStatus.DECLINED)
    refused(lambda: tickets_bulk_link(tickets=[waiting], initiative=declined, by=pm))


@pytest.mark.parametrize("role", ["submitter", "facilitator", "admin_user"])
def test_only_product_managers_act_in_bulk_or_undo(request, role) -> None:
    actor = request.getfixturevalue(role)
    ticket = TicketFactory.create()
    initiative = InitiativeFactory.create()
    for action in (
        lambda: tickets_bulk_link(tickets=[ticket], initiative=initiative, by=actor),
        lambda: tickets_bulk_decline(tickets=[ticket], reason="No.", by=actor),
        lambda: tickets_bulk_snooze(tickets=[ticket], until=_tomorrow(), by=actor),
        lambda: inbox_undo(undo=InboxUndo(done="", tickets=()), by=actor),
    ):
        refused(action, code="forbidden")


def _undo_of(tickets: list[Ticket], action: Any) -> InboxUndo:
    before = inbox_undo_before(tickets=tickets)
    action()
    undo = inbox_undo_after(before=before, done="done")
    assert undo is not None
    # As the session keeps it: plain data and back.
    again = InboxUndo.from_data(undo.as_data())
    assert again == undo
    return again


def _row(ticket: Ticket) -> tuple[Any, ...]:
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.initiative_id,
        ticket.duplicate_of_id,
        ticket.snoozed_until,
        ticket.decline_reason,
    )


def test_undo_puts_a_link_decline_or_snooze_back(pm) -> None:
    initiative = InitiativeFactory.create()
    waiting = TicketFactory.create()
    asked = TicketFactory.create(status=TicketStatus.NEEDS_INFO)
    snoozed = TicketFactory.create(status=TicketStatus.SNOOZED, snoozed_until=_tomorrow())
    tickets = [waiting, asked, snoozed]
    rows = [_row(t) for t in tickets]
    for action in (
        lambda: tickets_bulk_link(tickets=tickets, initiative=initiative, by=pm),
        lambda: tickets_bulk_decline(tickets=tickets, reason="Not for us.", by=pm),
        lambda: tickets_bulk_snooze(
            tickets=tickets, until=_tomorrow() + datetime.timedelta(days=6), by=pm
        ),
    ):
        undo = _undo_of(tickets, action)
        inbox_undo(undo=undo, by=pm)
        assert [_row(t) for t in tickets] == rows
        initiative.refresh_from_db()
        assert (initiative.customer_count, initiative.ticket_count) == (0, 0)
    unlinked = initiative.events.filter(kind=InitiativeEvent.Kind.TICKET_UNLINKED)
    assert set(unlinked.values_list("note", flat=True)) == {"undone: back in the inbox"}


def test_undoing_a_duplicate_gives_back_its_own_duplicates(pm) -> None:
    initiative = InitiativeFactory.create()
    original = TicketFactory.create()
    ticket_link(ticket=original, initiative=initiative, by=pm)
    ticket = TicketFactory.create()
    follower = TicketFactory.create()
    ticket_mark_duplicate(ticket=follower, of=ticket, by=pm)  # it repeats the waiting one
    undo = _undo_of([ticket], lambda: ticket_mark_duplicate(ticket=ticket, of=original, by=pm))
    follower.refresh_from_db()
    assert (follower.duplicate_of_id, follower.initiative_id) == (original.pk, initiative.pk)
    initiative.refresh_from_db()
    assert initiative.ticket_count == 3
    inbox_undo(undo=undo, by=pm)
    assert _row(ticket)[:3] == (TicketStatus.NEW, None, None)
    follower.refresh_from_db()
    assert (follower.duplicate_of_id, follower.initiative_id) == (ticket.pk, None)
    initiative.refresh_from_db()
    assert initiative.ticket_count == 1


def test_undo_after_a_change_since_is_refused_and_changes_nothing(pm) -> None:
    initiative = InitiativeFactory.create()
    other = InitiativeFactory.create()
    ticket = TicketFactory.create()
    undo = _undo_of([ticket], lambda: ticket_link(ticket=ticket, initiative=initiative, by=pm))
    ticket_link(ticket=ticket, initiative=other, by=pm)  # another PM moved it since
    error = refused(lambda: inbox_undo(undo=undo, by=pm), code="conflict")
    assert "changed since" in error.message


def test_an_action_on_a_ticket_not_in_the_inbox_has_no_undo(pm) -> None:
    ticket = TicketFactory.create()
    ticket_link(ticket=ticket, initiative=InitiativeFactory.create(), by=pm)
    assert inbox_undo_before(tickets=[ticket]) == []
    assert inbox_undo_after(before=[], done="x") is None
    assert InboxUndo.from_data({"done": "x", "tickets": [["a"]]}) is None
    assert InboxUndo.from_data(None) is None


# ---------------------------------------------------------------------------------------------
# The pages


def _bulk(client: Any, tickets: list[Ticket], **body: Any) -> Any:
    data = {"tickets": [t.pk for t in tickets], "view": "waiting", **body}
    return client.post(reverse("triage:inbox-bulk"), data, **HTMX)


def test_bulk_page_links_then_undo_takes_it_back(client, pm) -> None:
    initiative = InitiativeFactory.create(title="CSV export")
    tickets = [TicketFactory.create() for _ in range(2)]
    client.force_login(pm)
    response = _bulk(client, tickets, action="link", initiative=initiative.pk)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Linked 2 tickets to “CSV export”." in page
    assert reverse("triage:inbox-undo") in page
    assert 'id="inbox-count-waiting" hx-swap-oob="true">0<' in page
    response = client.post(reverse("triage:inbox-undo"), {"view": "waiting"}, **HTMX)
    page = response.content.decode()
    assert "Undone: 2 tickets are back in the inbox." in page
    assert 'id="inbox-count-waiting" hx-swap-oob="true">2<' in page
    assert {t.status for t in Ticket.objects.all()} == {TicketStatus.NEW}
    # Undone once; a second undo has nothing to take back.
    response = client.post(reverse("triage:inbox-undo"), {"view": "waiting"}, **HTMX)
    assert "There is nothing to undo." in response.content.decode()
    assert {t.status for t in Ticket.objects.all()} == {TicketStatus.NEW}


def test_bulk_page_says_what_is_missing_and_changes_nothing(client, pm) -> None:
    tickets = [TicketFactory.create() for _ in range(2)]
    client.force_login(pm)
    before = database()
    for body, words in (
        ({"action": "link"}, "Pick the initiative to link them to."),
        ({"action": "decline", "reason": " "}, "Say why, so the submitters can tell"),
        ({"action": "snooze"}, "Pick the day they should come back."),
        ({"action": "burn"}, "Select a valid choice."),
    ):
        response = _bulk(client, tickets, **body)
        assert response.status_code == 400, body
        assert words in response.content.decode(), body
    response = client.post(
        reverse("triage:inbox-bulk"), {"action": "decline", "reason": "No."}, **HTMX
    )
    assert "Tick the tickets to act on first." in response.content.decode()
    assert database() == before


def test_a_single_action_offers_its_undo_and_a_link_to_a_shipped_one_does_not(client, pm) -> None:
    ticket = TicketFactory.create()
    client.force_login(pm)
    url = reverse("triage:inbox-action", args=[ticket.pk, "decline"])
    page = client.post(url, {"reason": "Not for us."}, **HTMX).content.decode()
    assert reverse("triage:inbox-undo") in page
    client.post(reverse("triage:inbox-undo"), {"view": "waiting"}, **HTMX)
    assert _row(ticket)[0] == TicketStatus.NEW

    shipped = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    shipped = initiative_ship(initiative=shipped, by=pm, release_note="Out.")
    url = reverse("triage:inbox-action", args=[ticket.pk, "link"])
    page = client.post(url, {"initiative": shipped.pk}, **HTMX).content.decode()
    assert reverse("triage:inbox-undo") not in page
    # Nor is the decline before it undone now: Undo is the last action's, or nothing.
    response = client.post(reverse("triage:inbox-undo"), {"view": "waiting"}, **HTMX)
    assert "There is nothing to undo." in response.content.decode()
    assert _row(ticket)[0] == TicketStatus.LINKED


def test_without_javascript_bulk_and_undo_redirect_with_the_message(client, pm) -> None:
    tickets = [TicketFactory.create() for _ in range(2)]
    client.force_login(pm)
    until = _tomorrow()
    body = {"tickets": [t.pk for t in tickets], "action": "snooze", "until": until.isoformat()}
    response = client.post(reverse("triage:inbox-bulk"), body, follow=True)
    assert f"Snoozed 2 tickets until {until:%b %-d, %Y}." in response.content.decode()
    response = client.post(reverse("triage:inbox-undo"), follow=True)
    assert "Undone: 2 tickets are back in the inbox." in response.content.decode()


def test_the_bulk_answer_makes_a_fixed_number_of_queries(
    client, pm, django_assert_max_num_queries: Any
) -> None:
    """The list drawn after a bulk action does not grow with the inbox (each ticket linked
    costs its own writes, as one link does: history, rescore, the submitter's notice)."""
    client.force_login(pm)
    initiative = InitiativeFactory.create()

    def link_one(waiting: int) -> int:
        for _ in range(waiting):
            TicketFactory.create()
        ticket = TicketFactory.create()
        with django_assert_max_num_queries(80) as counted:
            response = _bulk(client, [ticket], action="link", initiative=initiative.pk)
        assert response.status_code == 200
        return len(counted.captured_queries)

    small = link_one(2)
    assert link_one(40) <= small
    assert Initiative.objects.get(pk=initiative.pk).ticket_count == 2

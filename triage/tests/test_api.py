"""The triage and initiative calls of the API contract (v1), against a real database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import UserFactory
from intake.models import Ticket, TicketStatus
from intake.tests.factories import ProductAreaFactory, TicketFactory
from notifications.models import Notice, NotificationKind
from tests.helpers import api_as
from triage.models import Initiative, InitiativeEvent, InitiativeStatus
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

TICKETS = "/api/tickets/"
INITIATIVES = "/api/initiatives/"

INITIATIVE_FIELDS = {
    "id",
    "title",
    "description",
    "status",
    "product_area",
    "owner",
    "effort",
    "priority_score",
    "customer_count",
    "ticket_count",
    "critical_count",
    "revenue_total",
    "score_explanation",
    "release_note",
    "decline_reason",
    "version",
    "created_at",
    "updated_at",
    "shipped_at",
}
NOT_TRIAGERS = ["submitter", "facilitator", "admin_user"]


def _ticket_row(ticket: Ticket) -> dict[str, object]:
    """What a triage call may change on a ticket, read back from the database."""
    return dict(
        Ticket.objects.filter(pk=ticket.pk).values(
            "status", "initiative_id", "duplicate_of_id", "decline_reason", "updated_at"
        )[0]
    )


def _initiative_row(initiative: Initiative) -> dict[str, object]:
    """Everything a PATCH may change on an initiative, read back from the database."""
    return dict(
        Initiative.objects.filter(pk=initiative.pk).values(
            "title",
            "description",
            "product_area_id",
            "owner_id",
            "effort",
            "status",
            "release_note",
            "decline_reason",
            "version",
            "shipped_at",
            "updated_at",
        )[0]
    )


def _ids(response: Any) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def _messages(response: Any, field: str) -> list[str]:
    """The field's messages in a 400 answer, checked to be the contract's shape."""
    assert response.status_code == 400, response.json()
    messages = response.json()[field]
    assert isinstance(messages, list), messages
    assert messages
    assert all(isinstance(message, str) and message for message in messages)
    return messages


# Linking a ticket


def test_linking_answers_the_ticket_linked(pm, submitter) -> None:
    initiative = InitiativeFactory.create(title="Invoice export")
    ticket = TicketFactory.create(submitted_by=submitter)
    response = api_as(pm).post(
        f"{TICKETS}{ticket.pk}/link/", {"initiative": initiative.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["id"] == ticket.pk
    assert answer["status"] == "linked"
    assert answer["initiative"] == initiative.pk
    assert answer["initiative_status"] == "proposed"
    assert answer["submitted_by"] == "sales"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.LINKED
    assert ticket.initiative == initiative
    initiative.refresh_from_db()
    assert initiative.ticket_count == 1
    assert initiative.customer_count == 1
    assert initiative.events.filter(kind=InitiativeEvent.Kind.TICKET_LINKED).count() == 1
    assert Notice.objects.filter(user=submitter, kind=NotificationKind.STAFF_LINKED).count() == 1


def test_linking_moves_a_ticket_to_another_initiative(pm) -> None:
    old, new = InitiativeFactory.create_batch(2)
    ticket = TicketFactory.create(status=TicketStatus.LINKED, initiative=old)
    response = api_as(pm).post(f"{TICKETS}{ticket.pk}/link/", {"initiative": new.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["initiative"] == new.pk
    assert Ticket.objects.get(pk=ticket.pk).initiative == new


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({}, "Name the initiative to link the ticket to, by its id.", id="missing"),
        pytest.param(
            {"initiative": None}, "Name the initiative to link the ticket to, by its id.", id="null"
        ),
        pytest.param(
            {"initiative": "abc"}, "An initiative is named by its id, a whole number.", id="abc"
        ),
    ],
)
def test_linking_without_a_known_initiative_is_400(pm, body: dict[str, Any], message: str) -> None:
    ticket = TicketFactory.create()
    before = _ticket_row(ticket)
    response = api_as(pm).post(f"{TICKETS}{ticket.pk}/link/", body, format="json")
    assert _messages(response, "initiative")[0].startswith(message)
    assert _ticket_row(ticket) == before


def test_linking_to_a_declined_initiative_is_400_with_its_reason(pm) -> None:
    initiative = InitiativeFactory.create(
        title="Dark mode", status=InitiativeStatus.DECLINED, decline_reason="Not this year."
    )
    ticket = TicketFactory.create()
    before = _ticket_row(ticket)
    response = api_as(pm).post(
        f"{TICKETS}{ticket.pk}/link/", {"initiative": initiative.pk}, format="json"
    )
    message = _messages(response, "initiative")[0]
    assert "Dark mode" in message
    assert "Not this year." in message
    assert _ticket_row(ticket) == before


def test_linking_to_a_shipped_initiative_links_and_tells_the_customer(pm) -> None:
    from notifications.models import Notification, NotificationKind

    initiative = InitiativeFactory.create(
        title="Dark mode", status=InitiativeStatus.SHIPPED, release_note="Out."
    )
    ticket = TicketFactory.create()
    response = api_as(pm).post(
        f"{TICKETS}{ticket.pk}/link/", {"initiative": initiative.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "linked"
    row = Notification.objects.get(kind=NotificationKind.CUSTOMER_SHIPPED)
    assert (row.initiative_id, row.contact_id) == (initiative.pk, ticket.contact_id)


def test_linking_a_ticket_twice_is_a_conflict(pm) -> None:
    initiative = InitiativeFactory.create()
    ticket = TicketFactory.create(status=TicketStatus.LINKED, initiative=initiative)
    before = _ticket_row(ticket)
    response = api_as(pm).post(
        f"{TICKETS}{ticket.pk}/link/", {"initiative": initiative.pk}, format="json"
    )
    assert response.status_code == 409
    assert "already linked" in response.json()["detail"]
    assert _ticket_row(ticket) == before


# Declining a ticket


def test_declining_answers_the_ticket_declined(pm, submitter) -> None:
    initiative = InitiativeFactory.create()
    ticket = TicketFactory.create(
        submitted_by=submitter, status=TicketStatus.LINKED, initiative=initiative
    )
    response = api_as(pm).post(
        f"{TICKETS}{ticket.pk}/decline/", {"reason": "Out of scope this year."}, format="json"
    )
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["status"] == "declined"
    assert answer["initiative"] is None
    assert answer["initiative_status"] is None
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DECLINED
    assert ticket.decline_reason == "Out of scope this year."
    assert ticket.initiative is None
    assert Notice.objects.filter(user=submitter, kind=NotificationKind.STAFF_DECLINED).count() == 1


@pytest.mark.parametrize("body", [{"reason": ""}, {"reason": "  \n "}, {}], ids=str)
def test_declining_without_a_reason_is_400(pm, body: dict[str, str]) -> None:
    ticket = TicketFactory.create()
    before = _ticket_row(ticket)
    response = api_as(pm).post(f"{TICKETS}{ticket.pk}/decline/", body, format="json")
    assert _messages(response, "reason") == ["A reason for declining is required."]
    assert _ticket_row(ticket) == before


def test_a_too_long_reason_is_400(pm) -> None:
    ticket = TicketFactory.create()
    before = _ticket_row(ticket)
    response = api_as(pm).post(
        f"{TICKETS}{ticket.pk}/decline/", {"reason": "x" * 2_001}, format="json"
    )
    assert "keep it under" in _messages(response, "reason")[0]
    assert _ticket_row(ticket) == before


def test_declining_a_declined_ticket_is_a_conflict(pm) -> None:
    ticket = TicketFactory.create(status=TicketStatus.DECLINED, decline_reason="No.")
    response = api_as(pm).post(f"{TICKETS}{ticket.pk}/decline/", {"reason": "Nope"}, format="json")
    assert response.status_code == 409
    assert Ticket.objects.get(pk=ticket.pk).decline_reason == "No."


# Marking a duplicate


def test_marking_a_duplicate_answers_the_ticket_duplicate(pm) -> None:
    initiative = InitiativeFactory.create()
    original = TicketFactory.create(status=TicketStatus.LINKED, initiative=initiative)
    ticket = TicketFactory.create()
    response = api_as(pm).post(
        f"{TICKETS}{ticket.pk}/duplicate/", {"of": original.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["status"] == "duplicate"
    assert answer["initiative"] == initiative.pk
    assert answer["initiative_status"] == "proposed"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DUPLICATE
    assert ticket.duplicate_of == original
    initiative.refresh_from_db()
    assert initiative.ticket_count == 2


@pytest.mark.parametrize(
    ("of", "message"),
    [
        pytest.param(None, "Name the ticket this one repeats, by its id.", id="null"),
        pytest.param("abc", "A ticket is named by its id, a whole number.", id="abc"),
        pytest.param("self", "A ticket cannot duplicate itself; pick another ticket.", id="self"),
    ],
)
def test_a_duplicate_of_no_other_ticket_is_400(pm, of: Any, message: str) -> None:
    ticket = TicketFactory.create()
    before = _ticket_row(ticket)
    body = {"of": ticket.pk if of == "self" else of}
    response = api_as(pm).post(f"{TICKETS}{ticket.pk}/duplicate/", body, format="json")
    assert _messages(response, "of") == [message]
    assert _ticket_row(ticket) == before


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        pytest.param(
            "link/", {"initiative": 999_999}, "There is no initiative #999999.", id="link"
        ),
        pytest.param("link/", {"initiative": 10**30}, "There is no initiative", id="huge id"),
        pytest.param("duplicate/", {"of": 999_999}, "There is no ticket #999999.", id="duplicate"),
    ],
)
def test_naming_what_does_not_exist_is_404(pm, path: str, body: dict[str, Any], words) -> None:
    # A body naming a missing object is answered as a path naming it is (the schema says so).
    ticket = TicketFactory.create()
    before = _ticket_row(ticket)
    response = api_as(pm).post(f"{TICKETS}{ticket.pk}/{path}", body, format="json")
    assert response.status_code == 404
    assert response.json()["detail"].startswith(words)
    assert _ticket_row(ticket) == before


@pytest.mark.parametrize("path", [INITIATIVES, "initiative"])
def test_an_unknown_product_area_is_404(pm, path: str) -> None:
    initiative = InitiativeFactory.create(title="Invoice export")
    before = _initiative_row(initiative)
    body = {"title": "Dark mode", "product_area": "nowhere"}
    if path == INITIATIVES:
        response = api_as(pm).post(INITIATIVES, body, format="json")
    else:
        response = _patch(pm, initiative, body)
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no product area “nowhere”."}
    assert _initiative_row(initiative) == before
    assert Initiative.objects.count() == 1


def test_a_duplicate_needs_of(pm) -> None:
    ticket = TicketFactory.create()
    response = api_as(pm).post(f"{TICKETS}{ticket.pk}/duplicate/", {}, format="json")
    assert _messages(response, "of") == ["Name the ticket this one repeats, by its id."]
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NEW


# Who may triage


@pytest.mark.parametrize("role", NOT_TRIAGERS)
@pytest.mark.parametrize("action", ["link", "decline", "duplicate"])
def test_only_product_managers_triage_tickets(request, role: str, action: str) -> None:
    initiative = InitiativeFactory.create()
    other = TicketFactory.create()
    ticket = TicketFactory.create()
    # A body that would go through for a product manager.
    body = {"initiative": initiative.pk, "reason": "Out of scope.", "of": other.pk}
    before = _ticket_row(ticket)
    response = api_as(request.getfixturevalue(role)).post(
        f"{TICKETS}{ticket.pk}/{action}/", body, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role may not triage tickets or change initiatives."}
    assert _ticket_row(ticket) == before


@pytest.mark.parametrize("action", ["link", "decline", "duplicate"])
def test_triaging_a_missing_ticket_is_404(pm, action: str) -> None:
    initiative = InitiativeFactory.create()
    body = {"initiative": initiative.pk, "reason": "No", "of": 1}
    response = api_as(pm).post(f"{TICKETS}999999/{action}/", body, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such ticket."}


# The initiative list


def test_the_list_is_a_page_of_initiatives_best_scored_first(submitter, pm) -> None:
    area = ProductAreaFactory.create(slug="billing")
    low = InitiativeFactory.create(priority_score=Decimal("2.00"))
    high = InitiativeFactory.create(
        title="Invoice export",
        description="CSV at month end",
        product_area=area,
        owner=pm,
        effort="2 weeks",
        priority_score=Decimal("9.50"),
        customer_count=7,
        ticket_count=9,
        critical_count=3,
        revenue_total=Decimal("240000"),
    )
    response = api_as(submitter).get(INITIATIVES)
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 2
    assert [row["id"] for row in page["results"]] == [high.pk, low.pk]
    row = page["results"][0]
    assert set(row) == INITIATIVE_FIELDS
    assert row["title"] == "Invoice export"
    assert row["description"] == "CSV at month end"
    assert row["status"] == "proposed"
    assert row["product_area"] == "billing"
    assert row["owner"] == "pm"
    assert row["effort"] == "2 weeks"
    assert row["priority_score"] == "9.50"
    assert row["customer_count"] == 7
    assert row["ticket_count"] == 9
    assert row["critical_count"] == 3
    assert row["revenue_total"] == "240000.00"
    assert row["score_explanation"] == "7 customers · 3 critical · $240k ARR"
    assert row["release_note"] == ""
    assert row["decline_reason"] == ""
    assert row["version"] == 1
    assert row["created_at"]
    assert row["updated_at"]
    assert row["shipped_at"] is None
    assert page["results"][1]["product_area"] is None
    assert page["results"][1]["owner"] is None


def test_the_list_orders_as_asked(facilitator) -> None:
    first = InitiativeFactory.create(title="Charlie", priority_score=Decimal(5))
    second = InitiativeFactory.create(title="alpha", priority_score=Decimal(1))
    third = InitiativeFactory.create(title="Bravo", priority_score=Decimal(3))
    client = api_as(facilitator)
    assert _ids(client.get(INITIATIVES)) == [first.pk, third.pk, second.pk]
    assert _ids(client.get(INITIATIVES, {"ordering": ""})) == [first.pk, third.pk, second.pk]
    by_score = client.get(INITIATIVES, {"ordering": "-priority_score"})
    assert _ids(by_score) == [first.pk, third.pk, second.pk]
    assert _ids(client.get(INITIATIVES, {"ordering": "priority_score"})) == [
        second.pk,
        third.pk,
        first.pk,
    ]
    assert _ids(client.get(INITIATIVES, {"ordering": "created_at"})) == [
        first.pk,
        second.pk,
        third.pk,
    ]
    assert _ids(client.get(INITIATIVES, {"ordering": "-created_at"})) == [
        third.pk,
        second.pk,
        first.pk,
    ]
    titles = [
        row["title"] for row in client.get(INITIATIVES, {"ordering": "title"}).json()["results"]
    ]
    assert [t.casefold() for t in titles] == ["alpha", "bravo", "charlie"]


def test_the_list_filters_by_status(submitter) -> None:
    proposed = InitiativeFactory.create()
    shipped = InitiativeFactory.create(status=InitiativeStatus.SHIPPED)
    client = api_as(submitter)
    assert _ids(client.get(INITIATIVES, {"status": "shipped"})) == [shipped.pk]
    assert _ids(client.get(INITIATIVES, {"status": "proposed"})) == [proposed.pk]
    assert _ids(client.get(INITIATIVES, {"status": "declined"})) == []
    assert set(_ids(client.get(INITIATIVES, {"status": ""}))) == {proposed.pk, shipped.pk}


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"ordering": "votes"}, "ordering", "“votes” is not an order of the list; use one of"),
        ({"ordering": "-title"}, "ordering", "-priority_score, priority_score, -created_at"),
        ({"status": "open"}, "status", "not a valid choice"),
    ],
)
def test_the_list_refuses_unknown_orders_and_statuses(
    submitter, query: dict[str, str], field: str, words: str
) -> None:
    response = api_as(submitter).get(INITIATIVES, query)
    assert words in _messages(response, field)[0]


def test_the_list_pages_by_50(submitter) -> None:
    InitiativeFactory.create_batch(51)
    client = api_as(submitter)
    first = client.get(INITIATIVES).json()
    assert first["count"] == 51
    assert len(first["results"]) == 50
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["previous"]


def test_the_list_makes_a_fixed_number_of_queries(
    submitter, pm, django_assert_max_num_queries
) -> None:
    area = ProductAreaFactory.create()
    InitiativeFactory.create_batch(3, product_area=area, owner=pm)
    client = api_as(submitter)
    with django_assert_max_num_queries(2):
        assert len(client.get(INITIATIVES).json()["results"]) == 3
    for n in range(27):
        InitiativeFactory.create(
            product_area=ProductAreaFactory.create(), owner=pm if n % 2 else None
        )
    with django_assert_max_num_queries(2):
        assert len(client.get(INITIATIVES).json()["results"]) == 30
    with django_assert_max_num_queries(2):
        assert (
            client.get(INITIATIVES, {"status": "proposed", "ordering": "title"}).json()["count"]
            == 30
        )


def test_one_initiative(facilitator, pm) -> None:
    initiative = InitiativeFactory.create(
        owner=pm, status=InitiativeStatus.DECLINED, decline_reason="Not our market."
    )
    response = api_as(facilitator).get(f"{INITIATIVES}{initiative.pk}/")
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == INITIATIVE_FIELDS
    assert answer["id"] == initiative.pk
    assert answer["status"] == "declined"
    assert answer["decline_reason"] == "Not our market."
    assert answer["owner"] == "pm"
    assert answer["score_explanation"] == "0 customers"


def test_a_missing_initiative_is_404(submitter, pm) -> None:
    assert api_as(submitter).get(f"{INITIATIVES}999999/").status_code == 404
    response = api_as(pm).patch(f"{INITIATIVES}999999/", {"title": "x"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such initiative."}


# Proposing an initiative


def test_proposing_answers_the_initiative_proposed(pm) -> None:
    ProductAreaFactory.create(slug="billing")
    body = {
        "title": "Invoice export",
        "description": "They download every invoice by hand.",
        "product_area": "billing",
        "effort": "M",
    }
    response = api_as(pm).post(INITIATIVES, body, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert set(answer) == INITIATIVE_FIELDS
    assert answer["status"] == "proposed"
    assert answer["title"] == "Invoice export"
    assert answer["description"] == "They download every invoice by hand."
    assert answer["product_area"] == "billing"
    assert answer["effort"] == "M"
    assert answer["owner"] == "pm"
    assert answer["priority_score"] == "0.00"
    assert answer["version"] == 1
    stored = Initiative.objects.get(pk=answer["id"])
    assert stored.owner == pm
    assert stored.product_area is not None
    assert stored.product_area.slug == "billing"
    assert stored.events.get().kind == InitiativeEvent.Kind.CREATED


def test_proposing_needs_only_a_title(pm) -> None:
    response = api_as(pm).post(INITIATIVES, {"title": "Dark mode"}, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["description"] == ""
    assert answer["product_area"] is None
    assert answer["effort"] == ""


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param({"title": ""}, "title", "A title is required.", id="empty title"),
        pytest.param({"title": "   "}, "title", "A title is required.", id="blank title"),
        pytest.param({"title": "x" * 201}, "title", "A title is 201 characters", id="long title"),
        pytest.param({"title": None}, "title", "This field may not be null.", id="null title"),
        pytest.param({"effort": "x" * 41}, "effort", "The effort is 41", id="long effort"),
        pytest.param(
            {"description": "a\x00b"},
            "description",
            "The problem statement contains a control character",
            id="null character",
        ),
    ],
)
def test_a_bad_proposal_is_400_and_stores_nothing(
    pm, changes: dict[str, Any], field: str, message: str
) -> None:
    body = {"title": "Invoice export", "description": "By hand.", **changes}
    response = api_as(pm).post(INITIATIVES, body, format="json")
    assert _messages(response, field)[0].startswith(message)
    assert Initiative.objects.count() == 0


def test_a_proposal_without_a_title_is_400(pm) -> None:
    response = api_as(pm).post(INITIATIVES, {"description": "By hand."}, format="json")
    assert _messages(response, "title") == ["A title is required."]
    assert Initiative.objects.count() == 0


@pytest.mark.parametrize("role", NOT_TRIAGERS)
def test_only_product_managers_propose(request, role: str) -> None:
    user = request.getfixturevalue(role)
    response = api_as(user).post(INITIATIVES, {"title": "Dark mode"}, format="json")
    assert response.status_code == 403
    assert Initiative.objects.count() == 0


# Changing an initiative


def _patch(user: Any, initiative: Initiative, body: dict[str, Any]) -> Any:
    return api_as(user).patch(f"{INITIATIVES}{initiative.pk}/", body, format="json")


def test_moving_an_initiative_answers_it_moved(pm) -> None:
    initiative = InitiativeFactory.create(owner=pm)
    response = _patch(pm, initiative, {"status": "planned", "version": 1})
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert set(answer) == INITIATIVE_FIELDS
    assert answer["status"] == "planned"
    assert answer["version"] == 2
    assert answer["owner"] == "pm"
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.PLANNED
    event = initiative.events.get(kind=InitiativeEvent.Kind.STATUS)
    assert (event.from_value, event.to_value, event.actor) == ("proposed", "planned", pm)


def test_shipping_keeps_the_release_note(pm) -> None:
    initiative = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    note = "Invoices now export as CSV from the billing page."
    response = _patch(pm, initiative, {"status": "shipped", "release_note": note})
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["status"] == "shipped"
    assert answer["release_note"] == note
    assert answer["shipped_at"]
    initiative.refresh_from_db()
    assert initiative.release_note == note
    assert initiative.shipped_at is not None


def test_a_proposed_initiative_ships_straight_and_its_customers_are_emailed(pm) -> None:
    # As on the board: any open status goes straight to shipped, through initiative_ship.
    initiative = InitiativeFactory.create()
    ticket = TicketFactory.create(initiative=initiative, status=TicketStatus.LINKED)
    response = _patch(pm, initiative, {"status": "shipped", "release_note": "It is out."})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "shipped"
    assert list(
        initiative.notifications.filter(kind=NotificationKind.CUSTOMER_SHIPPED).values_list(
            "contact_id", flat=True
        )
    ) == [ticket.contact_id]


def test_shipping_again_without_a_note_keeps_the_one_written_before(pm) -> None:
    initiative = InitiativeFactory.create(
        status=InitiativeStatus.IN_PROGRESS, release_note="Drafted earlier."
    )
    response = _patch(pm, initiative, {"status": "shipped"})
    assert response.status_code == 200, response.json()
    assert response.json()["release_note"] == "Drafted earlier."


@pytest.mark.parametrize("body", [{}, {"release_note": ""}, {"release_note": "  "}], ids=str)
def test_shipping_without_a_release_note_is_400(pm, body: dict[str, str]) -> None:
    initiative = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    before = _initiative_row(initiative)
    response = _patch(pm, initiative, {"status": "shipped", **body})
    assert _messages(response, "release_note") == ["A release note is required."]
    assert _initiative_row(initiative) == before


def test_declining_an_initiative_needs_a_reason(pm) -> None:
    initiative = InitiativeFactory.create()
    before = _initiative_row(initiative)
    response = _patch(pm, initiative, {"status": "declined"})
    assert _messages(response, "decline_reason") == ["A reason for declining is required."]
    assert _initiative_row(initiative) == before
    response = _patch(pm, initiative, {"status": "declined", "decline_reason": "Not our market."})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "declined"
    assert response.json()["decline_reason"] == "Not our market."


@pytest.mark.parametrize(
    ("status", "target", "words"),
    [
        ("shipped", "declined", "it can move to in progress, not straight to declined"),
        ("shipped", "planned", "not straight to planned"),
        ("declined", "planned", "it can move to proposed"),
        ("declined", "shipped", "not straight to shipped"),
    ],
)
def test_a_forbidden_move_is_400_on_status(pm, status: str, target: str, words: str) -> None:
    initiative = InitiativeFactory.create(status=status, release_note="Shipped it.")
    before = _initiative_row(initiative)
    response = _patch(pm, initiative, {"status": target, "release_note": "Shipped it."})
    assert words in _messages(response, "status")[0]
    assert _initiative_row(initiative) == before


def test_an_unknown_status_is_400(pm) -> None:
    initiative = InitiativeFactory.create()
    before = _initiative_row(initiative)
    response = _patch(pm, initiative, {"status": "done"})
    assert "not a valid choice" in _messages(response, "status")[0]
    assert _initiative_row(initiative) == before


def test_moving_to_the_status_it_has_is_a_conflict(pm) -> None:
    initiative = InitiativeFactory.create(status=InitiativeStatus.PLANNED)
    before = _initiative_row(initiative)
    response = _patch(pm, initiative, {"status": "planned"})
    assert response.status_code == 409
    assert "already planned" in response.json()["detail"]
    assert _initiative_row(initiative) == before


@pytest.mark.parametrize(
    "body",
    [
        {"status": "planned", "version": 1},
        {"title": "Something else", "version": 1},
        {"title": "Something else", "status": "planned", "version": 1},
        {"version": 1},
    ],
    ids=str,
)
def test_a_change_from_a_stale_version_is_a_conflict(pm, body: dict[str, Any]) -> None:
    initiative = InitiativeFactory.create(title="Invoice export")
    assert _patch(pm, initiative, {"effort": "M"}).json()["version"] == 2
    before = _initiative_row(initiative)
    response = _patch(pm, initiative, body)
    assert response.status_code == 409
    assert "while you were looking" in response.json()["detail"]
    assert "Nothing was changed" in response.json()["detail"]
    assert _initiative_row(initiative) == before


def test_a_change_from_the_current_version_goes_through(pm) -> None:
    initiative = InitiativeFactory.create(version=4)
    response = _patch(pm, initiative, {"title": "Renamed", "version": 4})
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 5
    assert response.json()["title"] == "Renamed"


def test_editing_changes_only_what_was_sent(pm) -> None:
    billing = ProductAreaFactory.create(slug="billing")
    reports = ProductAreaFactory.create(slug="reports")
    initiative = InitiativeFactory.create(
        title="Invoice export", description="By hand.", product_area=billing, effort="S", owner=pm
    )
    response = _patch(pm, initiative, {"title": "CSV export", "product_area": "reports"})
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["title"] == "CSV export"
    assert answer["product_area"] == "reports"
    assert answer["description"] == "By hand."
    assert answer["effort"] == "S"
    assert answer["status"] == "proposed"
    assert answer["version"] == 2
    initiative.refresh_from_db()
    assert (initiative.title, initiative.product_area, initiative.owner) == (
        "CSV export",
        reports,
        pm,
    )
    assert initiative.events.get(kind=InitiativeEvent.Kind.EDITED).note == (
        "Changed title, product area"
    )

    response = _patch(pm, initiative, {"product_area": None, "description": "", "effort": "L"})
    assert response.status_code == 200, response.json()
    initiative.refresh_from_db()
    assert (initiative.product_area, initiative.description, initiative.effort) == (None, "", "L")
    assert initiative.title == "CSV export"


def test_editing_and_moving_together(pm) -> None:
    initiative = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    body = {"title": "CSV export", "status": "shipped", "release_note": "Export is live."}
    response = _patch(pm, initiative, body)
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert (answer["title"], answer["status"], answer["version"]) == ("CSV export", "shipped", 3)


def test_an_edit_is_undone_when_its_move_is_refused(pm) -> None:
    initiative = InitiativeFactory.create(title="Invoice export", status=InitiativeStatus.DECLINED)
    before = _initiative_row(initiative)
    body = {"title": "CSV export", "status": "shipped", "release_note": "Out."}
    response = _patch(pm, initiative, body)
    assert "not straight to shipped" in _messages(response, "status")[0]
    assert _initiative_row(initiative) == before
    assert not initiative.events.exists()


def test_an_edit_that_changes_nothing_keeps_the_version(pm) -> None:
    initiative = InitiativeFactory.create(title="Invoice export")
    for body in ({}, {"title": "Invoice export"}):
        response = _patch(pm, initiative, body)
        assert response.status_code == 200, response.json()
        assert response.json()["version"] == 1
    assert not initiative.events.exists()


def test_an_initiative_whose_owner_left_product_can_still_be_edited(pm) -> None:
    initiative = InitiativeFactory.create(owner=pm)
    pm.role = Role.FACILITATOR
    pm.save(update_fields=["role"])
    manager = UserFactory.create(username="pm2", role=Role.PRODUCT_MANAGER)
    response = _patch(manager, initiative, {"title": "Renamed"})
    assert response.status_code == 200, response.json()
    assert response.json()["owner"] == "pm"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param({"title": ""}, "title", "A title is required.", id="empty title"),
        pytest.param({"title": "x" * 201}, "title", "A title is 201", id="long title"),
        pytest.param({"effort": "x" * 41}, "effort", "The effort is 41", id="long effort"),
        pytest.param({"version": 0}, "version", "Ensure this value", id="version 0"),
        pytest.param({"version": "new"}, "version", "A valid integer", id="version not a number"),
        pytest.param(
            {"release_note": "Live."},
            "release_note",
            "A release note goes with shipping: send it with status “shipped”.",
            id="release note without shipping",
        ),
        pytest.param(
            {"status": "planned", "decline_reason": "No."},
            "decline_reason",
            "A reason for declining goes with declining",
            id="reason without declining",
        ),
    ],
)
def test_a_bad_change_is_400_and_changes_nothing(
    pm, body: dict[str, Any], field: str, message: str
) -> None:
    ProductAreaFactory.create(slug="billing")
    initiative = InitiativeFactory.create(title="Invoice export")
    before = _initiative_row(initiative)
    response = _patch(pm, initiative, body)
    assert _messages(response, field)[0].startswith(message)
    assert _initiative_row(initiative) == before


def test_sending_back_the_notes_it_has_is_no_change(pm) -> None:
    initiative = InitiativeFactory.create(release_note="", decline_reason="")
    response = _patch(
        pm, initiative, {"title": "Renamed", "release_note": "", "decline_reason": ""}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Renamed"


@pytest.mark.parametrize("role", NOT_TRIAGERS)
@pytest.mark.parametrize("body", [{"status": "planned"}, {"title": "Renamed"}], ids=str)
def test_only_product_managers_change_initiatives(request, role: str, body: dict[str, str]) -> None:
    initiative = InitiativeFactory.create()
    before = _initiative_row(initiative)
    response = _patch(request.getfixturevalue(role), initiative, body)
    assert response.status_code == 403
    assert "Your role may not" in response.json()["detail"]
    assert _initiative_row(initiative) == before


def test_put_is_not_a_way_to_change(pm) -> None:
    initiative = InitiativeFactory.create()
    response = api_as(pm).put(f"{INITIATIVES}{initiative.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 405


# Anonymous callers and the schema


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", f"{TICKETS}1/link/"),
        ("post", f"{TICKETS}1/decline/"),
        ("post", f"{TICKETS}1/duplicate/"),
        ("get", INITIATIVES),
        ("post", INITIATIVES),
        ("get", f"{INITIATIVES}1/"),
        ("patch", f"{INITIATIVES}1/"),
    ],
)
def test_anonymous_callers_get_401(api: APIClient, method: str, path: str) -> None:
    response = getattr(api, method)(path, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_schema_describes_the_triage_calls(submitter) -> None:
    response = api_as(submitter).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/tickets/{ticket_id}/link/",
        "/api/tickets/{ticket_id}/decline/",
        "/api/tickets/{ticket_id}/duplicate/",
        "/api/initiatives/",
        "/api/initiatives/{initiative_id}/",
    ):
        assert path in paths, sorted(paths)
    assert set(paths["/api/initiatives/{initiative_id}/"]) >= {"get", "patch"}
    assert "put" not in paths["/api/initiatives/{initiative_id}/"]

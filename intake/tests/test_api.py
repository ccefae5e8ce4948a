"""The ticket and comment calls of the API contract (v1), against a real database."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rest_framework.test import APIClient

from core.text import TEXT_MAX
from intake.models import Comment, CommentKind, Contact, Customer, Ticket, TicketStatus
from intake.tests.factories import (
    CommentFactory,
    ContactFactory,
    CustomerFactory,
    ProductAreaFactory,
    TicketFactory,
)
from tests.helpers import api_as
from triage.models import Initiative

pytestmark = pytest.mark.django_db

TICKETS = "/api/tickets/"


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Export invoices",
        "description": "They download every invoice by hand at month end.",
        "source_team": "sales",
        "kind": "feature_request",
        "importance": "important",
        "customer": {"company": "Acme Inc", "email": "ops@acme.example", "name": "Ada Ops"},
        "revenue_at_stake": "25000.50",
        "product_area": None,
        "tags": ["Billing", "export"],
    }
    body.update(copy.deepcopy(changes))
    return body


def _counts() -> tuple[int, int, int]:
    return Ticket.objects.count(), Customer.objects.count(), Contact.objects.count()


def _ids(response: Any) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# Filing


def test_filing_answers_the_ticket_in_the_contract_shape(submitter) -> None:
    area = ProductAreaFactory.create(name="Billing", slug="billing")
    response = api_as(submitter).post(TICKETS, _body(product_area="billing"), format="json")
    assert response.status_code == 201, response.json()
    ticket = response.json()
    assert set(ticket) == {
        "id",
        "title",
        "description",
        "source_team",
        "kind",
        "importance",
        "customer",
        "revenue_at_stake",
        "product_area",
        "tags",
        "status",
        "submitted_by",
        "created_at",
        "initiative",
        "initiative_status",
        "source",
        "source_reference",
        "source_sender",
        "source_sent_at",
    }
    assert ticket["title"] == "Export invoices"
    assert ticket["source_team"] == "sales"
    assert ticket["kind"] == "feature_request"
    assert ticket["importance"] == "important"
    assert ticket["customer"] == {
        "company": "Acme Inc",
        "email": "ops@acme.example",
        "name": "Ada Ops",
        "segment": "other",
    }
    assert ticket["revenue_at_stake"] == "25000.50"
    assert ticket["product_area"] == "billing"
    assert ticket["tags"] == ["billing", "export"]
    assert ticket["status"] == "new"
    assert ticket["submitted_by"] == "sales"
    assert ticket["created_at"]
    assert ticket["initiative"] is None
    assert ticket["initiative_status"] is None
    assert ticket["source"] == "api"
    assert ticket["source_reference"] == ""
    assert ticket["source_sent_at"] is None

    stored = Ticket.objects.get(pk=ticket["id"])
    assert stored.source == "api"
    assert stored.submitted_by == submitter
    assert stored.customer.name == "Acme Inc"
    assert stored.contact.email == "ops@acme.example"
    assert stored.product_area == area


def test_filing_needs_only_the_required_fields(submitter) -> None:
    body = _body(customer={"company": "Acme Inc", "email": "ops@acme.example"})
    for optional in ("revenue_at_stake", "product_area", "tags"):
        del body[optional]
    response = api_as(submitter).post(TICKETS, body, format="json")
    assert response.status_code == 201, response.json()
    ticket = response.json()
    assert ticket["customer"]["name"] == ""
    assert ticket["revenue_at_stake"] is None
    assert ticket["product_area"] is None
    assert ticket["tags"] == []


def test_filing_for_a_known_company_reuses_it(submitter) -> None:
    customer = CustomerFactory.create(name="Acme Inc")
    client = api_as(submitter)
    body = _body(customer={"company": "  ACME   inc ", "email": "new@acme.example"})
    response = client.post(TICKETS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["customer"]["company"] == "Acme Inc"
    assert Customer.objects.count() == 1
    assert Ticket.objects.get().customer == customer


def test_a_new_company_takes_the_segment_given_and_a_known_one_keeps_its_own(submitter) -> None:
    client = api_as(submitter)
    customer = {"company": "Acme Inc", "email": "ops@acme.example", "segment": "enterprise"}
    response = client.post(TICKETS, _body(customer=customer), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["customer"]["segment"] == "enterprise"
    again = {"company": "ACME inc", "email": "cfo@acme.example", "segment": "startup"}
    response = client.post(TICKETS, _body(customer=again), format="json")
    assert response.json()["customer"]["segment"] == "enterprise"
    assert Customer.objects.get().segment == "enterprise"


@pytest.mark.parametrize("role", ["pm", "facilitator", "admin_user"])
def test_every_role_may_file(request, role: str) -> None:
    user = request.getfixturevalue(role)
    response = api_as(user).post(TICKETS, _body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["submitted_by"] == user.username


def test_filing_onto_an_initiative_links_the_ticket(submitter) -> None:
    initiative = Initiative.objects.create(title="Invoice export", description="CSV and PDF")
    response = api_as(submitter).post(TICKETS, _body(initiative=initiative.pk), format="json")
    assert response.status_code == 201, response.json()
    ticket = response.json()
    assert ticket["status"] == "linked"
    assert ticket["initiative"] == initiative.pk
    assert ticket["initiative_status"] == "proposed"
    assert Ticket.objects.get(pk=ticket["id"]).initiative == initiative
    initiative.refresh_from_db()
    assert initiative.ticket_count == 1
    assert initiative.customer_count == 1


def test_a_token_from_the_token_call_files_a_ticket(api: APIClient, submitter) -> None:
    response = api.post("/api/auth/token/", {"username": "sales", "password": "pw"}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    response = api.post(TICKETS, _body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["submitted_by"] == "sales"
    assert api.get(TICKETS).json()["count"] == 1


def test_a_wrong_token_is_refused(api: APIClient, submitter) -> None:
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.post(TICKETS, _body(), format="json").status_code == 401
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", TICKETS),
        ("post", TICKETS),
        ("get", f"{TICKETS}1/"),
        ("post", f"{TICKETS}1/comments/"),
    ],
)
def test_anonymous_callers_get_401(api: APIClient, method: str, path: str) -> None:
    response = getattr(api, method)(path, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def _customer(**changes: str) -> dict[str, str]:
    return {"company": "Acme Inc", "email": "ops@acme.example", "name": "Ada", **changes}


BAD_INPUT = [
    pytest.param({"title": ""}, ["title"], id="empty title"),
    pytest.param({"title": "x" * 201}, ["title"], id="long title"),
    pytest.param({"description": ""}, ["description"], id="empty description"),
    pytest.param({"description": "   \n "}, ["description"], id="blank description"),
    pytest.param({"description": "x" * (TEXT_MAX + 1)}, ["description"], id="long description"),
    pytest.param({"description": "a\x00b"}, ["description"], id="null character"),
    pytest.param({"source_team": "marketing"}, ["source_team"], id="unknown team"),
    pytest.param({"kind": "rant"}, ["kind"], id="unknown kind"),
    pytest.param({"importance": "urgent"}, ["importance"], id="unknown importance"),
    pytest.param({"customer": _customer(email="not-an-email")}, ["customer", "email"], id="email"),
    pytest.param({"customer": _customer(company="   ")}, ["customer", "company"], id="company"),
    pytest.param({"customer": {"company": "Acme Inc"}}, ["customer", "email"], id="no email"),
    pytest.param(
        {"customer": "Acme Inc"}, ["customer", "non_field_errors"], id="customer not an object"
    ),
    pytest.param(
        {"customer": {"company": "Acme Inc", "email": "ops@acme.example", "segment": "huge"}},
        ["customer", "segment"],
        id="unknown segment",
    ),
    pytest.param({"revenue_at_stake": "-5"}, ["revenue_at_stake"], id="negative revenue"),
    pytest.param({"revenue_at_stake": "abc"}, ["revenue_at_stake"], id="revenue not a number"),
    pytest.param({"revenue_at_stake": "NaN"}, ["revenue_at_stake"], id="revenue not finite"),
    pytest.param({"tags": [f"tag{n}" for n in range(11)]}, ["tags"], id="too many tags"),
    pytest.param({"tags": "billing"}, ["tags"], id="tags not a list"),
    pytest.param({"initiative": "abc"}, ["initiative"], id="initiative not an id"),
]


@pytest.mark.parametrize(("changes", "key"), BAD_INPUT)
def test_bad_input_gets_400_on_its_field_and_stores_nothing(
    submitter, changes: dict[str, Any], key: list[str]
) -> None:
    ProductAreaFactory.create(slug="billing")
    before = _counts()
    response = api_as(submitter).post(TICKETS, _body(**changes), format="json")
    assert response.status_code == 400
    errors = response.json()
    for part in key:
        assert part in errors, errors
        errors = errors[part]
    assert isinstance(errors, list), errors
    assert errors
    assert all(isinstance(message, str) and message for message in errors)
    assert _counts() == before


def test_filing_takes_json_only(submitter) -> None:
    response = api_as(submitter).post(TICKETS, {"title": "Export"}, format="multipart")
    assert response.status_code == 415
    assert Ticket.objects.count() == 0


def test_a_missing_field_is_named(submitter) -> None:
    body = _body()
    del body["importance"]
    del body["customer"]
    response = api_as(submitter).post(TICKETS, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"importance", "customer"}


def test_a_10_mb_description_is_refused_and_stores_nothing(submitter) -> None:
    before = _counts()
    body = _body(description="x" * (10 * 1024 * 1024))
    response = api_as(submitter).post(TICKETS, body, format="json")
    # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), so no field
    # can be named; the answer is still the contract's JSON shape.
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "larger than" in response.json()["non_field_errors"][0]
    assert _counts() == before


def test_a_10_mb_comment_is_refused(submitter) -> None:
    ticket = TicketFactory.create()
    body = {"body": "x" * (10 * 1024 * 1024)}
    response = api_as(submitter).post(f"{TICKETS}{ticket.pk}/comments/", body, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert Comment.objects.count() == 0


def test_an_email_known_at_another_company_is_a_conflict(submitter) -> None:
    # Well formed, but what is known disagrees: 409, as the schema documents.
    ContactFactory.create(email="ops@acme.example", customer=CustomerFactory.create(name="Globex"))
    before = _counts()
    response = api_as(submitter).post(TICKETS, _body(), format="json")
    assert response.status_code == 409
    assert "Globex" in response.json()["detail"]
    assert _counts() == before


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"initiative": 999_999}, "There is no initiative #999999."),
        ({"product_area": "nowhere"}, "There is no product area “nowhere”."),
    ],
)
def test_naming_what_does_not_exist_is_404(submitter, changes: dict[str, Any], words) -> None:
    before = _counts()
    response = api_as(submitter).post(TICKETS, _body(**changes), format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": words}
    assert _counts() == before


def test_markup_is_stored_verbatim_and_returned_as_text(submitter) -> None:
    script = "<script>alert('x')</script>"
    body = _body(
        title=f"<b>Bold</b> {script}",
        description=f'<img src=x onerror="alert(1)"> {script}',
        customer=_customer(company="<i>Acme</i> & Co", name=script),
        tags=["<em>x</em>"],
    )
    client = api_as(submitter)
    response = client.post(TICKETS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response["Content-Type"] == "application/json"
    created = response.json()
    detail = client.get(f"{TICKETS}{created['id']}/").json()
    for ticket in (created, detail):
        assert ticket["title"] == f"<b>Bold</b> {script}"
        assert ticket["description"] == f'<img src=x onerror="alert(1)"> {script}'
        assert ticket["customer"]["company"] == "<i>Acme</i> & Co"
        assert ticket["customer"]["name"] == script
        assert ticket["tags"] == ["<em>x</em>"]
    stored = Ticket.objects.get(pk=created["id"])
    assert stored.description == f'<img src=x onerror="alert(1)"> {script}'


# Reading


def test_the_list_is_a_page_of_tickets(submitter) -> None:
    tickets = TicketFactory.create_batch(3)
    response = api_as(submitter).get(TICKETS)
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 3
    assert page["next"] is None
    assert page["previous"] is None
    assert [row["id"] for row in page["results"]] == [t.pk for t in reversed(tickets)]
    assert "comments" not in page["results"][0]
    assert page["results"][0]["customer"]["email"] == tickets[-1].contact.email


def test_the_list_pages_by_50(submitter) -> None:
    TicketFactory.create_batch(51)
    client = api_as(submitter)
    first = client.get(TICKETS).json()
    assert first["count"] == 51
    assert len(first["results"]) == 50
    assert first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["previous"]


def test_the_list_filters_by_status_team_and_initiative(submitter) -> None:
    initiative = Initiative.objects.create(title="Invoice export", description="")
    new = TicketFactory.create(source_team="sales")
    declined = TicketFactory.create(status=TicketStatus.DECLINED, source_team="support")
    linked = TicketFactory.create(
        status=TicketStatus.LINKED, initiative=initiative, source_team="support"
    )
    client = api_as(submitter)
    assert _ids(client.get(TICKETS, {"status": "new"})) == {new.pk}
    assert _ids(client.get(TICKETS, {"status": "declined"})) == {declined.pk}
    assert _ids(client.get(TICKETS, {"source_team": "support"})) == {declined.pk, linked.pk}
    assert _ids(client.get(TICKETS, {"initiative": initiative.pk})) == {linked.pk}
    assert _ids(client.get(TICKETS, {"status": "linked", "source_team": "sales"})) == set()
    assert _ids(client.get(TICKETS, {"status": ""})) == {new.pk, declined.pk, linked.pk}
    row = client.get(TICKETS, {"initiative": initiative.pk}).json()["results"][0]
    assert row["initiative"] == initiative.pk
    assert row["initiative_status"] == "proposed"


def test_the_list_filters_by_source(submitter) -> None:
    web = TicketFactory.create()
    emailed = TicketFactory.create(
        source="email", source_reference="<CAF=x1@mail.gmail.com>", source_sender="jo@acme.example"
    )
    client = api_as(submitter)
    assert _ids(client.get(TICKETS, {"source": "email"})) == {emailed.pk}
    assert _ids(client.get(TICKETS, {"source": "web"})) == {web.pk}
    assert _ids(client.get(TICKETS, {"source": "slack"})) == set()
    row = client.get(f"{TICKETS}{emailed.pk}/").json()
    assert row["source"] == "email"
    assert row["source_reference"] == "<CAF=x1@mail.gmail.com>"
    assert row["source_sender"] == "jo@acme.example"


def test_filing_onto_an_initiative_over_the_api_is_marked_api(submitter) -> None:
    initiative = Initiative.objects.create(title="Invoice export", description="")
    response = api_as(submitter).post(TICKETS, _body(initiative=initiative.pk), format="json")
    assert response.status_code == 201, response.json()
    assert Ticket.objects.get(pk=response.json()["id"]).source == "api"


def test_the_list_searches_titles_and_descriptions(submitter) -> None:
    wanted = TicketFactory.create(
        title="Billing", description="They export invoices as CSV every month."
    )
    TicketFactory.create(title="Dark mode", description="The screen is too bright at night.")
    client = api_as(submitter)
    assert _ids(client.get(TICKETS, {"search": "invoices"})) == {wanted.pk}
    assert _ids(client.get(TICKETS, {"search": "invoice"})) == {wanted.pk}  # stemmed
    assert _ids(client.get(TICKETS, {"search": "spreadsheet"})) == set()


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"status": "open"}, "status"),
        ({"source_team": "marketing"}, "source_team"),
        ({"source": "fax"}, "source"),
        ({"initiative": "abc"}, "initiative"),
        ({"initiative": "1.5"}, "initiative"),
    ],
)
def test_the_list_refuses_unknown_filter_values(submitter, query: dict[str, str], key: str) -> None:
    response = api_as(submitter).get(TICKETS, query)
    assert response.status_code == 400
    messages = response.json()[key]
    assert isinstance(messages, list)
    assert messages


def test_the_list_makes_a_fixed_number_of_queries(submitter, django_assert_max_num_queries) -> None:
    initiative = Initiative.objects.create(title="Invoice export", description="")
    area = ProductAreaFactory.create()
    TicketFactory.create_batch(3, product_area=area, initiative=initiative)
    client = api_as(submitter)
    with django_assert_max_num_queries(2):
        assert len(client.get(TICKETS).json()["results"]) == 3
    TicketFactory.create_batch(30, product_area=area, initiative=initiative)
    with django_assert_max_num_queries(2):
        assert len(client.get(TICKETS).json()["results"]) == 33
    # A search counts its matches first, up to a cap, to know whether to rank them.
    with django_assert_max_num_queries(3):
        assert client.get(TICKETS, {"search": "customer asked"}).json()["count"] == 33


def test_a_ticket_comes_with_its_thread(submitter, pm) -> None:
    ticket = TicketFactory.create()
    first = CommentFactory.create(ticket=ticket, author=pm, body="Which export format?")
    second = CommentFactory.create(ticket=ticket, author=submitter, kind=CommentKind.ANSWER)
    response = api_as(submitter).get(f"{TICKETS}{ticket.pk}/")
    assert response.status_code == 200
    detail = response.json()
    assert detail["id"] == ticket.pk
    assert detail["title"] == ticket.title
    assert detail["status"] == "new"
    assert detail["comments"] == [
        {
            "id": first.pk,
            "author": "pm",
            "kind": "comment",
            "body": "Which export format?",
            "created_at": detail["comments"][0]["created_at"],
        },
        {
            "id": second.pk,
            "author": "sales",
            "kind": "answer",
            "body": "Some context.",
            "created_at": detail["comments"][1]["created_at"],
        },
    ]


def test_a_ticket_takes_the_same_queries_however_long_its_thread(
    submitter, django_assert_max_num_queries
) -> None:
    ticket = TicketFactory.create()
    CommentFactory.create_batch(2, ticket=ticket)
    client = api_as(submitter)
    with django_assert_max_num_queries(2):
        assert len(client.get(f"{TICKETS}{ticket.pk}/").json()["comments"]) == 2
    CommentFactory.create_batch(20, ticket=ticket)
    with django_assert_max_num_queries(2):
        assert len(client.get(f"{TICKETS}{ticket.pk}/").json()["comments"]) == 22


def test_a_missing_ticket_is_404(submitter) -> None:
    response = api_as(submitter).get(f"{TICKETS}999999/")
    assert response.status_code == 404
    assert "detail" in response.json()


# Comments


def test_anyone_on_staff_comments(submitter, facilitator) -> None:
    ticket = TicketFactory.create()
    response = api_as(facilitator).post(
        f"{TICKETS}{ticket.pk}/comments/", {"body": "They renewed today."}, format="json"
    )
    assert response.status_code == 201, response.json()
    comment = response.json()
    assert set(comment) == {"id", "author", "kind", "body", "created_at"}
    assert comment["author"] == "facilitator"
    assert comment["kind"] == "comment"
    assert comment["body"] == "They renewed today."
    assert Comment.objects.get(pk=comment["id"]).ticket == ticket


def test_a_product_manager_asks_and_the_submitter_answers(submitter, pm) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    path = f"{TICKETS}{ticket.pk}/comments/"
    asked = api_as(pm).post(path, {"body": "Which format?", "kind": "question"}, format="json")
    assert asked.status_code == 201, asked.json()
    assert asked.json()["kind"] == "question"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEEDS_INFO
    answer = {"body": "CSV, please.", "kind": "answer"}
    answered = api_as(submitter).post(path, answer, format="json")
    assert answered.status_code == 201, answered.json()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    thread = api_as(pm).get(f"{TICKETS}{ticket.pk}/").json()["comments"]
    assert [(c["author"], c["kind"]) for c in thread] == [("pm", "question"), ("sales", "answer")]


def test_a_submitter_may_not_ask_a_question(submitter) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    response = api_as(submitter).post(
        f"{TICKETS}{ticket.pk}/comments/", {"body": "Why?", "kind": "question"}, format="json"
    )
    assert response.status_code == 403
    assert "detail" in response.json()
    assert Comment.objects.count() == 0
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_a_question_on_a_triaged_ticket_is_a_conflict(pm) -> None:
    ticket = TicketFactory.create(status=TicketStatus.LINKED)
    response = api_as(pm).post(
        f"{TICKETS}{ticket.pk}/comments/", {"body": "Which?", "kind": "question"}, format="json"
    )
    assert response.status_code == 409
    assert Comment.objects.count() == 0


def test_only_the_submitter_answers(submitter, other_submitter) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    response = api_as(other_submitter).post(
        f"{TICKETS}{ticket.pk}/comments/", {"body": "CSV.", "kind": "answer"}, format="json"
    )
    assert response.status_code == 403
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"body": "Hi", "kind": "shout"}, "kind"),
    ],
)
def test_a_bad_comment_gets_400_on_its_field(submitter, body: dict[str, str], key: str) -> None:
    ticket = TicketFactory.create()
    response = api_as(submitter).post(f"{TICKETS}{ticket.pk}/comments/", body, format="json")
    assert response.status_code == 400
    assert key in response.json()
    assert Comment.objects.count() == 0


def test_commenting_on_a_missing_ticket_is_404(submitter) -> None:
    response = api_as(submitter).post(
        f"{TICKETS}999999/comments/", {"body": "Hello?"}, format="json"
    )
    assert response.status_code == 404
    assert Comment.objects.count() == 0

"""Exporting everything as CSV and JSON: every row, streamed in a fixed number of queries,
formula cells defused in CSV, for product managers and admins only, and recorded."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.models import User
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from sessions.models import Decision
from sessions.tests.factories import SessionFactory
from tests.helpers import api_as
from transfer.exports import DATASETS, defused
from triage.tests.factories import InitiativeFactory


def _body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]


def test_cells_a_spreadsheet_would_run_are_defused() -> None:
    for value in ("=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"):
        assert defused(value) == "'" + value
    assert defused("Export =SUM") == "Export =SUM"
    assert defused(-2) == -2  # numbers are numbers


@pytest.mark.django_db
def test_tickets_export_as_csv_with_every_row_and_formulas_defused(
    client, pm: User, django_assert_max_num_queries
) -> None:
    TicketFactory.create(title='=HYPERLINK("http://evil")', tags=["a", "b"])
    TicketFactory.create_batch(30)
    client.force_login(pm)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("transfer:export", args=["tickets", "csv"]))
        text = _body(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="feedbackloop-tickets-')
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 31
    first = rows[0]
    assert first["title"] == '\'=HYPERLINK("http://evil")'
    assert first["tags"] == "a; b"
    assert [column.name for column in DATASETS["tickets"].columns] == list(first)


@pytest.mark.django_db
def test_every_dataset_exports_as_json_rows_of_its_columns(pm: User) -> None:
    customer = CustomerFactory.create(name="Acme")
    ContactFactory.create(customer=customer, email="b@acme.example")
    ContactFactory.create(customer=customer, email="a@acme.example")
    initiative = InitiativeFactory.create(title="=Dark mode")
    TicketFactory.create(customer=customer, initiative=initiative)
    session = SessionFactory.create()
    session.agenda.create(
        initiative=initiative, decision=Decision.PLAN, rationale="-Top of the list"
    )
    client = api_as(pm)
    for name, dataset in DATASETS.items():
        response = client.get(f"/api/exports/{name}/")
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/json"
        rows = json.loads(_body(response))
        assert rows, name
        assert all(list(row) == [c.name for c in dataset.columns] for row in rows)
    customers = json.loads(_body(client.get("/api/exports/customers/")))
    assert customers[0]["contacts"] == "a@acme.example; b@acme.example"
    # JSON is data: nothing is defused there.
    assert json.loads(_body(client.get("/api/exports/initiatives/")))[0]["title"] == "=Dark mode"
    decisions = client.get("/api/exports/decisions/", {"format": "csv"})
    assert decisions["Content-Type"] == "text/csv; charset=utf-8"
    assert "'-Top of the list" in _body(decisions)


@pytest.mark.django_db
def test_an_export_is_in_the_audit_log(pm: User) -> None:
    from audit.actions import Action
    from audit.models import AuditEvent

    InitiativeFactory.create_batch(3)
    _body(api_as(pm).get("/api/exports/initiatives/", {"format": "csv"}))
    [event] = AuditEvent.objects.filter(action=Action.DATA_EXPORTED)
    assert event.actor == pm
    assert event.changes == {"what": "initiatives", "rows": 3, "format": "csv"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["submitter", "facilitator"])
def test_only_product_managers_and_admins_export(client, request, role: str) -> None:
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get(reverse("transfer:export", args=["tickets", "csv"])).status_code == 403
    response = api_as(user).get("/api/exports/tickets/")
    assert response.status_code == 403
    assert "Only product managers and admins export" in response.json()["detail"]


@pytest.mark.django_db
def test_an_admin_exports(client, admin_user: User) -> None:
    client.force_login(admin_user)
    response = client.get(reverse("transfer:export", args=["customers", "json"]))
    assert response.status_code == 200
    assert json.loads(_body(response)) == []


@pytest.mark.django_db
def test_an_unknown_table_or_format_is_404(client, pm: User) -> None:
    client.force_login(pm)
    assert client.get(reverse("transfer:export", args=["users", "csv"])).status_code == 404
    assert client.get(reverse("transfer:export", args=["tickets", "xlsx"])).status_code == 404
    assert api_as(pm).get("/api/exports/users/").status_code == 404

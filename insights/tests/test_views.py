"""The insights page: who sees it, empty states, CSV downloads and fixed query counts."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from intake.models import SourceTeam
from intake.tests.factories import TicketFactory
from triage.services import initiative_ship, ticket_link
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "status"),
    [("submitter", 403), ("pm", 200), ("facilitator", 200), ("admin_user", 200)],
)
def test_insights_are_for_pms_facilitators_and_admins(
    client, request, role: str, status: int
) -> None:
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("insights")).status_code == status
    assert client.get(reverse("insights-csv", args=["inbox"])).status_code == status


def test_an_empty_database_shows_helpful_empty_states(client, pm) -> None:
    client.force_login(pm)
    body = client.get(reverse("insights")).content.decode()
    assert "Nothing shipped in this period yet." in body
    assert "No tickets in this period." in body
    assert "No open initiatives yet." in body
    assert "<svg" not in body  # no empty, broken charts


def test_charts_tables_and_csv_carry_the_same_numbers(client, pm) -> None:
    for team in (SourceTeam.SALES, SourceTeam.SALES, SourceTeam.SUPPORT):
        TicketFactory.create(source_team=team)
    client.force_login(pm)
    body = client.get(reverse("insights")).content.decode()
    assert 'data-chart="tickets-per-week"' in body
    assert "3 tickets waiting for triage" in body or "3</div>" in body
    response = client.get(reverse("insights-csv", args=["tickets-per-week"]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["week", *SourceTeam.values, "total"]
    this_week = rows[-1]
    assert this_week[1] == "2"  # sales
    assert this_week[4] == "1"  # support
    assert this_week[-1] == "3"
    assert client.get(reverse("insights-csv", args=["nothing"])).status_code == 404


def test_a_title_that_looks_like_a_formula_is_defused_in_csv(client, pm) -> None:
    InitiativeFactory.create(title="=HYPERLINK(1)", priority_score=1)
    client.force_login(pm)
    text = client.get(reverse("insights-csv", args=["top-initiatives"])).content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_the_page_makes_a_fixed_number_of_queries(
    client, pm, django_assert_max_num_queries: Any
) -> None:
    client.force_login(pm)

    def grow(n: int) -> None:
        for _ in range(n):
            initiative = InitiativeFactory.create(status="in_progress")
            ticket_link(ticket=TicketFactory.create(), initiative=initiative, by=pm)
            initiative_ship(initiative=initiative, by=pm, release_note="Out.")
            TicketFactory.create()

    grow(1)
    with django_assert_max_num_queries(20) as small:
        assert client.get(reverse("insights") + "?months=12").status_code == 200
    grow(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("insights") + "?months=12").status_code == 200

"""GET /api/similar/ and the ticket form's similar panel: who may ask, bad input, the shape of
the answer, and a number of queries that does not grow with the data."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from intake.models import TicketStatus
from intake.tests.factories import TicketFactory
from tests.helpers import api_as
from triage.models import InitiativeStatus
from triage.tests.factories import InitiativeFactory
from triage.tests.test_similarity import DARK_THEME
from triage.tests.test_similarity import DARK_THEME_OTHER_WORDS as ASKED

pytestmark = pytest.mark.django_db

SIMILAR = "/api/similar/"


def _errors(response: Any, field: str) -> list[str]:
    assert response.status_code == 400, response.content
    messages = response.json()[field]
    assert isinstance(messages, list)
    assert messages
    assert all(isinstance(m, str) and m for m in messages)
    return messages


@pytest.mark.parametrize("role", ["submitter", "pm", "facilitator", "admin_user"])
def test_every_member_of_staff_may_ask(role: str, request: pytest.FixtureRequest) -> None:
    initiative = InitiativeFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
    response = api_as(request.getfixturevalue(role)).get(SIMILAR, {"text": ASKED})
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [initiative.pk]


def test_a_visitor_must_log_in() -> None:
    assert APIClient().get(SIMILAR, {"text": ASKED}).status_code == 401


def test_the_answer_s_shape_mixes_both_kinds_best_first(submitter) -> None:
    shipped = InitiativeFactory.create(
        title=DARK_THEME[0], description=DARK_THEME[1], status=InitiativeStatus.SHIPPED
    )
    ticket = TicketFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
    TicketFactory.create(title=DARK_THEME[0], description=DARK_THEME[1], status=TicketStatus.LINKED)
    response = api_as(submitter).get(SIMILAR, {"text": "Dark theme, please"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["type"], r["id"]) for r in results] == [
        ("initiative", shipped.pk),
        ("ticket", ticket.pk),
    ]
    assert set(results[0]) == {"type", "id", "title", "status", "score", "why"}
    assert results[0]["status"] == "shipped"
    assert results[1]["status"] == "new"
    assert results[0]["title"] == DARK_THEME[0]
    assert results[0]["why"] == "shared words: dark, theme"
    assert all(0 < r["score"] <= 1 for r in results)
    assert results[0]["score"] >= results[1]["score"]


def test_limit_bounds_the_answer(submitter) -> None:
    for _ in range(3):
        InitiativeFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
        TicketFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
    api = api_as(submitter)
    assert len(api.get(SIMILAR, {"text": ASKED}).json()["results"]) == 5
    assert len(api.get(SIMILAR, {"text": ASKED, "limit": "2"}).json()["results"]) == 2
    assert len(api.get(SIMILAR, {"text": ASKED, "limit": "20"}).json()["results"]) == 6


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 2_000}, "text"),
        ({"text": "csv", "limit": "0"}, "limit"),
        ({"text": "csv", "limit": "21"}, "limit"),
        ({"text": "csv", "limit": "five"}, "limit"),
    ],
)
def test_bad_input_is_a_field_error(submitter, query: dict[str, str], field: str) -> None:
    _errors(api_as(submitter).get(SIMILAR, query), field)


def test_text_just_under_the_limit_is_answered(submitter) -> None:
    response = api_as(submitter).get(SIMILAR, {"text": "dark " * 399 + "mode"})
    assert response.status_code == 200


@pytest.mark.parametrize("text", ["!!!", "the of and", "🙂", "請求書をCSVで", "تصدير"])
def test_any_text_is_answered(submitter, text: str) -> None:
    InitiativeFactory.create(title="CSV export", description="Invoices as a spreadsheet.")
    response = api_as(submitter).get(SIMILAR, {"text": text})
    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)


def test_the_form_s_similar_panel_takes_the_same_queries_with_more_data(
    client, submitter, django_assert_max_num_queries
) -> None:
    def panel() -> str:
        response = client.get(
            "/intake/new/similar/",
            {"title": "Dark theme", "description": ASKED},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        html: str = response.content.decode()
        return html

    client.force_login(submitter)
    InitiativeFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
    TicketFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
    panel()  # the first search reads the vectors in
    with django_assert_max_num_queries(10) as few:
        assert DARK_THEME[0] in panel()
    queries = len(few.captured_queries)  # read now: each request empties Django's log
    for _ in range(10):
        InitiativeFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
        TicketFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
    panel()
    with django_assert_max_num_queries(queries):
        assert panel().count('class="suggestion match') == 10  # five of each kind

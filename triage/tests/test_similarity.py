"""Similar feedback by meaning and shared words: what is found, what is kept out, vectors
written with every change, the per-process copy kept in step, and bad input."""

from __future__ import annotations

import io
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from core.embeddings import DIMENSIONS, embed, item_embedding, item_text, vector_from_bytes
from intake.models import Ticket, TicketStatus
from intake.selectors import any_words_query
from intake.services import ticket_create, ticket_update, tickets_embed
from intake.tests.factories import TicketFactory
from triage import similarity
from triage.models import Initiative, InitiativeStatus
from triage.selectors import similar_feedback
from triage.services import initiative_create, initiative_merge, initiative_update, ticket_link
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

DARK_THEME = (
    "Dark theme for the dashboard",
    "A dark colour scheme for the whole app, for people who work at night.",
)
# The same ask with no word in common (not even a stem) with DARK_THEME.
DARK_THEME_OTHER_WORDS = (
    "Nightshift users want a dimmer screen. Bright white pages strain operators' eyes after "
    "midnight."
)
UNRELATED = "Weekly digest of new comments by email"


def _stored(model: type[Ticket] | type[Initiative], pk: int) -> np.ndarray:
    vector = model.objects.values_list("embedding", flat=True).get(pk=pk)
    assert vector is not None
    return vector_from_bytes(vector)


def _ticket_fields(**overrides: str) -> dict[str, Any]:
    return {
        "title": "Export invoices as CSV",
        "description": "Finance downloads every invoice by hand.",
        "company": "Acme",
        "email": "ops@acme.example",
        "source_team": "sales",
        "kind": "feature_request",
        "importance": "important",
        **overrides,
    }


@pytest.fixture
def initiatives() -> list[Initiative]:
    return [
        InitiativeFactory.create(title=DARK_THEME[0], description=DARK_THEME[1]),
        InitiativeFactory.create(
            title="CSV export for invoices",
            description="Finance downloads every invoice as a spreadsheet at month end.",
        ),
        InitiativeFactory.create(
            title="Slack alerts for approvals",
            description="Managers want approval requests posted in Slack.",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# What is found, what is kept out


def test_the_same_ask_in_other_words_is_found_where_full_text_finds_nothing(
    initiatives: list[Initiative],
) -> None:
    query = any_words_query(DARK_THEME_OTHER_WORDS)
    assert initiatives[0] not in Initiative.objects.filter(search_vector=query)

    found = similar_feedback(text=DARK_THEME_OTHER_WORDS)
    assert found.initiatives == [initiatives[0]]
    first: Any = found.initiatives[0]
    assert first.why == "similar meaning"
    assert 0 < first.score <= 1


def test_shared_words_are_named(initiatives: list[Initiative]) -> None:
    found = similar_feedback(text="Export our invoices as CSV")
    assert found.initiatives == [initiatives[1]]
    first: Any = found.initiatives[0]
    assert first.why == "shared words: export, invoices, csv"


def test_the_floor_keeps_an_unrelated_initiative_out(initiatives: list[Initiative]) -> None:
    TicketFactory.create(title="Slack alerts", description="Approvals in Slack, please.")
    assert not similar_feedback(text=UNRELATED)


def test_a_waiting_ticket_in_other_words_is_found_and_can_be_left_out() -> None:
    ticket = TicketFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
    TicketFactory.create(title="CSV export", description="Invoices as a spreadsheet.")
    found = similar_feedback(text=DARK_THEME_OTHER_WORDS)
    assert found.tickets == [ticket]
    first: Any = found.tickets[0]
    assert first.why == "similar meaning"
    assert not similar_feedback(text=DARK_THEME_OTHER_WORDS, exclude_ticket=ticket.pk).tickets


def test_every_status_of_initiative_is_offered_with_its_score() -> None:
    rows = [
        InitiativeFactory.create(title=DARK_THEME[0], description=DARK_THEME[1], status=status)
        for status in InitiativeStatus
    ]
    found = similar_feedback(text=DARK_THEME_OTHER_WORDS, limit=10)
    assert {i.pk for i in found.initiatives} == {i.pk for i in rows}
    scores: set[Any] = {getattr(i, "score", None) for i in found.initiatives}
    assert len(scores) == 1


def test_limit_is_per_kind() -> None:
    for _ in range(4):
        InitiativeFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
        TicketFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
    found = similar_feedback(text=DARK_THEME_OTHER_WORDS, limit=3)
    assert (len(found.initiatives), len(found.tickets)) == (3, 3)


def test_a_merged_initiative_s_wording_finds_the_one_it_was_merged_into(pm) -> None:
    source = initiative_create(by=pm, title=DARK_THEME[0], description=DARK_THEME[1])
    # Its own wording is far from the text: only the merged one's finds it.
    target = initiative_create(
        by=pm, title="Personal settings", description="One page for every per-user option."
    )
    assert similar_feedback(text=DARK_THEME_OTHER_WORDS).initiatives == [source]
    initiative_merge(initiative=source, into=target, by=pm)
    assert similar_feedback(text=DARK_THEME_OTHER_WORDS).initiatives == [target]


def test_a_row_without_a_vector_is_still_found_by_its_words() -> None:
    initiative = Initiative.objects.create(title="CSV export for invoices")
    assert similar_feedback(text="export invoices as CSV").initiatives == [initiative]


# ---------------------------------------------------------------------------------------------
# Vectors written with every change


def test_a_filed_ticket_is_embedded_by_the_task_it_asks_for_once_committed(
    submitter, django_capture_on_commit_callbacks
) -> None:
    # The suite runs tasks in-process: the task runs when the filing commits.
    with django_capture_on_commit_callbacks(execute=False) as asked:
        ticket = ticket_create(submitted_by=submitter, **_ticket_fields())
    assert Ticket.objects.get(pk=ticket.pk).embedding is None
    for ask in asked:
        ask()
    expected = embed([item_text(ticket.title, ticket.description)])[0]
    assert np.allclose(_stored(Ticket, ticket.pk), expected)


def test_a_burst_of_filings_asks_for_one_run(submitter, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as asked:
        tickets = [ticket_create(submitted_by=submitter, **_ticket_fields()) for _ in range(3)]
    with patch("intake.tasks.embed_tickets.delay") as delay:
        for ask in asked:
            ask()
    assert delay.call_count == 1
    # The run clears the request as it starts; it embeds all three.
    assert tickets_embed() == 3
    assert all(_stored(Ticket, t.pk).any() for t in tickets)
    with django_capture_on_commit_callbacks(execute=False) as asked:
        ticket_create(submitted_by=submitter, **_ticket_fields())
    with patch("intake.tasks.embed_tickets.delay") as delay:
        asked[0]()
    assert delay.call_count == 1


def test_editing_a_ticket_stores_its_new_vector(
    submitter, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(submitted_by=submitter, **_ticket_fields())
    before = _stored(Ticket, ticket.pk).copy()
    fields = _ticket_fields(title=DARK_THEME[0], description=DARK_THEME[1])
    del fields["company"], fields["email"]
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), by=submitter, **fields)
    after = _stored(Ticket, ticket.pk)
    assert not np.allclose(before, after)
    assert np.allclose(after, vector_from_bytes(item_embedding(*DARK_THEME)))


def test_a_ticket_not_embedded_yet_is_found_by_its_words_and_scored_by_meaning(
    submitter,
) -> None:
    ticket = ticket_create(
        submitted_by=submitter, **_ticket_fields(title=DARK_THEME[0], description=DARK_THEME[1])
    )
    assert Ticket.objects.get(pk=ticket.pk).embedding is None
    assert similar_feedback(text="dark theme for the dashboard please").tickets == [ticket]


def test_an_initiative_s_vector_follows_its_title_and_problem_statement(pm) -> None:
    initiative = initiative_create(by=pm, title="CSV export", description="For finance.")
    first = _stored(Initiative, initiative.pk).copy()
    assert np.allclose(first, vector_from_bytes(item_embedding("CSV export", "For finance.")))

    def edit(title: str, effort: str) -> None:
        initiative_update(
            initiative=Initiative.objects.get(pk=initiative.pk),
            by=pm,
            title=title,
            description="For finance.",
            product_area=None,
            owner=pm,
            effort=effort,
        )

    edit("CSV export", "2 weeks")  # not what it is about: the vector stays
    assert np.array_equal(_stored(Initiative, initiative.pk), first)
    edit(DARK_THEME[0], "2 weeks")
    assert np.allclose(
        _stored(Initiative, initiative.pk),
        vector_from_bytes(item_embedding(DARK_THEME[0], "For finance.")),
    )


def test_lists_do_not_carry_the_vectors() -> None:
    TicketFactory.create()
    InitiativeFactory.create()
    assert "embedding" in Ticket.objects.get().get_deferred_fields()
    assert "embedding" in Initiative.objects.get().get_deferred_fields()


def test_backfill_fills_what_is_missing_once() -> None:
    ticket = TicketFactory.create(embedding=None, title=DARK_THEME[0], description=DARK_THEME[1])
    TicketFactory.create()
    initiative = InitiativeFactory.create(embedding=None)
    out = io.StringIO()
    call_command("embed_backfill", "--batch-size", "1", stdout=out)
    assert "initiatives: 1 of 1 without a vector" in out.getvalue()
    assert "tickets: 1 of 2 without a vector" in out.getvalue()
    assert "tickets: 1 embedded" in out.getvalue()
    assert np.allclose(_stored(Ticket, ticket.pk), vector_from_bytes(item_embedding(*DARK_THEME)))
    assert _stored(Initiative, initiative.pk).any()

    again = io.StringIO()
    call_command("embed_backfill", stdout=again)
    assert "tickets: 0 embedded" in again.getvalue()
    assert "initiatives: 0 embedded" in again.getvalue()


def test_backfill_embeds_again_what_an_older_model_stored() -> None:
    # wordllama's vectors, before this model: 256 float32.
    old = np.ones(256, dtype=np.float32).tobytes()
    ticket = TicketFactory.create(embedding=old, title=DARK_THEME[0], description=DARK_THEME[1])
    initiative = InitiativeFactory.create(embedding=old)
    out = io.StringIO()
    call_command("embed_backfill", stdout=out)
    assert "tickets: 1 of 1 without a vector" in out.getvalue()
    assert "initiatives: 1 embedded" in out.getvalue()
    assert np.allclose(_stored(Ticket, ticket.pk), vector_from_bytes(item_embedding(*DARK_THEME)))
    assert len(_stored(Initiative, initiative.pk)) == DIMENSIONS


def test_a_candidate_with_an_older_model_s_vector_is_scored_as_this_model_would() -> None:
    # An older process may still write one while the new one runs (the migration dropped the
    # rest): never compared as it is, embedded on the spot instead.
    old = np.ones(256, dtype=np.float32).tobytes()
    row = InitiativeFactory.create(embedding=old, title=DARK_THEME[0], description=DARK_THEME[1])
    query = embed([DARK_THEME_OTHER_WORDS])[0]
    scored: similarity._Scored = (row.pk, row.title, row.description, old, 0.0, [])
    (meaning,) = similarity._meanings([scored], query)
    expected = float(embed([item_text(*DARK_THEME)])[0] @ query)
    assert meaning == pytest.approx(expected, abs=1e-5)


# ---------------------------------------------------------------------------------------------
# The per-process copy of the vectors follows the tables


def test_the_copy_follows_new_edited_and_triaged_rows(pm, submitter) -> None:
    assert not similar_feedback(text=DARK_THEME_OTHER_WORDS)  # the copy is read, empty
    initiative = initiative_create(by=pm, title=DARK_THEME[0], description=DARK_THEME[1])
    ticket = ticket_create(
        submitted_by=submitter, **_ticket_fields(title=DARK_THEME[0], description=DARK_THEME[1])
    )
    tickets_embed()  # what the worker does once the filing commits
    found = similar_feedback(text=DARK_THEME_OTHER_WORDS)
    assert (found.initiatives, found.tickets) == ([initiative], [ticket])

    ticket_link(ticket=Ticket.objects.get(pk=ticket.pk), initiative=initiative, by=pm)
    initiative_update(
        initiative=Initiative.objects.get(pk=initiative.pk),
        by=pm,
        title="CSV export",
        description="Invoices as a spreadsheet.",
        product_area=None,
        owner=pm,
        effort="",
    )
    assert not similar_feedback(text=DARK_THEME_OTHER_WORDS)


def test_a_late_commit_is_picked_up(pm) -> None:
    # A row written just before a search but committed after it (so that search did not see
    # it) has an updated_at older than the search: the next search still reads it.
    assert not similar_feedback(text=DARK_THEME_OTHER_WORDS)
    late = initiative_create(by=pm, title=DARK_THEME[0], description=DARK_THEME[1])
    Initiative.objects.filter(pk=late.pk).update(updated_at=timezone.now() - similarity.OVERLAP / 2)
    assert similar_feedback(text=DARK_THEME_OTHER_WORDS).initiatives == [late]


def test_a_waiting_ticket_found_while_the_copy_is_stale_is_checked_in_the_database() -> None:
    ticket = TicketFactory.create(title=DARK_THEME[0], description=DARK_THEME[1])
    assert similar_feedback(text=DARK_THEME_OTHER_WORDS).tickets == [ticket]
    # Changed without updated_at moving: the copy still holds it, the answer does not.
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.DECLINED)
    assert not similar_feedback(text=DARK_THEME_OTHER_WORDS).tickets


# ---------------------------------------------------------------------------------------------
# Bad input: suggestions or nothing, never an error


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "the and of to",
        "!!! ??? ... :* & | ()",
        "🙂🙂🚀",
        "请把发票导出为 CSV 文件",
        "Экспорт счетов в CSV",
        "تصدير الفواتير",
        "Rechnungen als CSV exportieren, bitte",
        "x" * 10_000,
        "dark " * 3_000,
        "\u200b\u200d\ufeff",
    ],
)
def test_any_text_gives_suggestions_or_nothing(text: str, initiatives: list[Initiative]) -> None:
    TicketFactory.create(title="CSV export", description="Invoices as a spreadsheet.")
    found = similar_feedback(text=text)
    items: list[Any] = [*found.initiatives, *found.tickets]
    for item in items:
        assert 0 <= item.score <= 1
        assert item.why


def test_only_stop_words_or_punctuation_suggest_nothing(initiatives: list[Initiative]) -> None:
    assert not similar_feedback(text="the and of to")
    assert not similar_feedback(text="!!! ??? ... :* & | ()")

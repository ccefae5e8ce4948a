"""A ticket is filed without its vector and a real Celery worker on Redis stores it a moment
later; until then similar-feedback search finds it by its words."""

from __future__ import annotations

from typing import Any

import pytest

from core.embeddings import embed, item_text, vector_from_bytes
from intake.models import Ticket
from intake.services import ticket_create
from tests.worker import CeleryWorker, broker_queued, wait_for
from triage.selectors import similar_feedback

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

FIELDS: dict[str, Any] = {
    "title": "Dark theme for the dashboard",
    "description": "A dark colour scheme for the whole app, for people who work at night.",
    "company": "Acme",
    "email": "ops@acme.example",
    "source_team": "sales",
    "kind": "feature_request",
    "importance": "important",
}
OTHER_WORDS = "Nightshift operators want a dimmer screen: bright white pages strain their eyes."


def stored(ticket: Ticket) -> bytes | None:
    value = Ticket.objects.values_list("embedding", flat=True).get(pk=ticket.pk)
    return None if value is None else bytes(value)


def test_a_worker_embeds_what_is_filed_and_search_finds_it_by_meaning_then(
    worker_sharing_cache: CeleryWorker, submitter: Any, broker: str
) -> None:
    worker = worker_sharing_cache
    tickets = [ticket_create(submitted_by=submitter, **FIELDS) for _ in range(3)]
    # Filed without a vector; the three filings asked for one run between them.
    assert all(stored(ticket) is None for ticket in tickets)
    assert broker_queued(broker) == 1
    # Found by its words meanwhile, not yet by other words with nothing in common.
    assert similar_feedback(text="dark theme dashboard").tickets
    assert not similar_feedback(text=OTHER_WORDS).tickets

    worker.start()
    wait_for(
        lambda: all(stored(ticket) is not None for ticket in tickets),
        what="the worker's vectors",
        worker=worker,
    )
    expected = embed([item_text(FIELDS["title"], FIELDS["description"])])[0]
    for ticket in tickets:
        # Embedded in a batch: the same vector up to float rounding.
        assert float(vector_from_bytes(stored(ticket) or b"") @ expected) > 0.9999
    # Now the same ask in other words finds them.
    assert len(similar_feedback(text=OTHER_WORDS).tickets) == 3

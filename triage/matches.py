"""What a ticket could be the same ask as: every kind of match, for the places that act on one.

The ticket form, a ticket's page, the inbox's link action and a review's agenda show the
initiatives and waiting tickets `triage.selectors.similar_feedback` finds, each with the action
its kind allows: an open initiative takes the customer, a shipped one takes it and tells the
customer at once, a declined one shows its reason, a waiting ticket makes an initiative of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.postgres.search import SearchRank
from django.db.models import F

from intake.models import Ticket
from intake.selectors import any_words_query
from triage.models import Initiative, InitiativeStatus
from triage.selectors import SIMILAR_MIN_RANK, similar_feedback

MATCHES_SHOWN = 5


@dataclass(frozen=True)
class Matches:
    """Initiatives of any status, best first, and waiting tickets, best first."""

    initiatives: Sequence[Initiative]
    tickets: Sequence[Ticket]

    def __bool__(self) -> bool:
        return bool(self.initiatives or self.tickets)


def _scored(found: object) -> bool:
    """Whether the selector scored what it found (it then offers every status itself)."""
    items = [*getattr(found, "initiatives", []), *getattr(found, "tickets", [])]
    return any(hasattr(item, "score") for item in items)


def _closed_by_words(text: str, limit: int) -> list[Initiative]:
    """Shipped and declined initiatives sharing words with `text` (one query), for a selector
    that offers open ones only: full text, ranked and floored as similar_feedback ranks."""
    query = any_words_query(text)
    if query is None:
        return []
    return list(
        Initiative.objects.filter(search_vector=query, status__in=InitiativeStatus.closed())
        .annotate(rank=SearchRank(F("search_vector"), query))
        .filter(rank__gte=SIMILAR_MIN_RANK)
        .order_by("-rank", "-shipped_at", "-id")
        .defer("search_vector")[:limit]
    )


def same_ask_matches(
    *, text: str, limit: int = MATCHES_SHOWN, exclude_ticket: int | None = None
) -> Matches:
    """The initiatives (open, shipped or declined) and waiting tickets most like `text`."""
    found = similar_feedback(text=text, limit=limit, exclude_ticket=exclude_ticket)
    initiatives = list(found.initiatives)
    if not _scored(found):
        # The full-text selector offers open initiatives only; shipped and declined ones are
        # what a rep most needs to hear about ("already shipped", "declined because…").
        initiatives += _closed_by_words(text, limit)
        initiatives.sort(key=lambda i: -float(getattr(i, "rank", 0) or 0))
    tickets = [t for t in found.tickets if t.is_untriaged and t.pk != exclude_ticket]
    return Matches(initiatives=initiatives[:limit], tickets=tickets[:limit])

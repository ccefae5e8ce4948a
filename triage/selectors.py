"""Reads on initiatives."""

from __future__ import annotations

from triage.models import Initiative, InitiativeStatus

OPEN_STATUSES = (InitiativeStatus.PROPOSED, InitiativeStatus.PLANNED, InitiativeStatus.IN_PROGRESS)


def initiatives_top(*, limit: int = 5) -> list[Initiative]:
    """The open initiatives with the highest priority score."""
    return list(
        Initiative.objects.filter(status__in=OPEN_STATUSES)
        .defer("search_vector")
        .order_by("-priority_score", "-id")[:limit]
    )

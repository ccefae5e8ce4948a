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


def initiative_get(*, initiative_id: int | str) -> Initiative | None:
    """One initiative by id, or None (also for an id that is not a number)."""
    try:
        return Initiative.objects.defer("search_vector").filter(pk=int(initiative_id)).first()
    except (TypeError, ValueError):
        return None

"""Periodic insights chores; each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from insights.rollups import rollups_compact


@shared_task
def compact_rollups() -> int:
    """Fold the rows the triggers appended since last time (insights.rollups)."""
    return rollups_compact()

"""Periodic triage chores; each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from intake.lifecycle import tickets_wake
from triage.services import scores_snapshot
from triage.themes import themes_find


@shared_task
def wake_snoozed_tickets() -> int:
    """Snoozed tickets whose day has come go back to the inbox."""
    return tickets_wake()


@shared_task
def snapshot_scores() -> int:
    """Keep this month's opening scores for the board's change since last month."""
    return scores_snapshot()


@shared_task
def find_themes() -> None:
    """Group the inbox's waiting tickets into themes and cache them (triage.themes): asked for
    by the inbox when its tickets changed since the last time."""
    themes_find()

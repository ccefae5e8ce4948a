"""Intake's background work; each task is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from intake.services import tickets_embed


@shared_task
def embed_tickets() -> int:
    """Store the vectors of the tickets filed or edited since the last run (asked for by
    intake.services.tickets_embed_soon, and swept every minute in case a request was lost)."""
    return tickets_embed()

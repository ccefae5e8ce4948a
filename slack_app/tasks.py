"""Thin Celery wrappers for the Slack app: what a request to us cannot wait for."""

from __future__ import annotations

from celery import shared_task

from slack_app.modal import Origin
from slack_app.services import modal_similar_show


@shared_task
def modal_similar(view_id: str, view_hash: str, origin: str, text: str) -> bool:
    """Fill the just-opened modal's permalink and similar initiatives (views.update)."""
    return modal_similar_show(
        view_id=view_id, view_hash=view_hash, origin=Origin.loads(origin, text=text)
    )

"""The import's worker: a thin wrapper, safe to run twice (the file's status is checked under a
row lock)."""

from __future__ import annotations

from celery import shared_task

from transfer.services import feedback_import_run, imports_resume


@shared_task
def import_feedback(import_id: int) -> str:
    """Import a queued feedback file (transfer.services.feedback_import_run)."""
    return feedback_import_run(import_id=import_id).status


@shared_task
def resume_imports() -> int:
    """Beat: queue again the imports whose task was lost (transfer.services.imports_resume)."""
    return imports_resume()

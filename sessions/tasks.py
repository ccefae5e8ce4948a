"""Periodic session chores; each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from sessions.services import reviews_schedule, sessions_remind


@shared_task
def schedule_reviews() -> int | None:
    """Make sure next month's review exists, with its agenda and invites."""
    session = reviews_schedule()
    return session.pk if session else None


@shared_task
def send_reminders() -> int:
    """Remind invitees a day before their session."""
    return sessions_remind()

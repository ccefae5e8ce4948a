"""Asking a worker for a run that one run answers for all who asked (finding the inbox's themes,
embedding new tickets): queued once while a run is pending, however many requests ask."""

from __future__ import annotations

import logging

import kombu.exceptions
from celery import current_app
from django.core.cache import cache

log = logging.getLogger(__name__)


def ask_once(task: str, *, key: str, seconds: int, what: str) -> None:
    """Queue `task` unless it was asked for in the last `seconds` (`key` in the cache, which the
    run may delete as it starts so the next change asks again). A broker that cannot be reached
    forgets the request and logs `what` was not done: the next request, or a sweep, asks again."""
    if not cache.add(key, True, seconds):
        return
    try:
        current_app.tasks[task].delay()
    except kombu.exceptions.OperationalError as exc:
        cache.delete(key)
        log.warning("%s: the broker could not be reached (%s)", what, exc)

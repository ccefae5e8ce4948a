"""Fixtures of the tests that run a real Celery worker: the SMTP sink and the worker's broker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.smtp import SmtpSink
from tests.worker import broker_flush, publishing_to, worker_broker_url


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A real SMTP server on localhost that keeps what it receives."""
    server = SmtpSink()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(settings: Any) -> Iterator[str]:
    """This process (and a live server in it) publishes to the worker's Redis database instead
    of running tasks eagerly; the suite's eager mode comes back afterwards."""
    url = worker_broker_url()
    broker_flush(url)
    with publishing_to(url):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        yield url
    broker_flush(url)

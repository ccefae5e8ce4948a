"""Fixtures of the tests that run a real Celery worker: the SMTP sink and the worker's broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from feedbackloop.embedded import EmbeddedRedis
from tests.smtp import SmtpSink
from tests.worker import (
    CeleryWorker,
    broker_flush,
    publishing_to,
    worker_broker_url,
    worker_env,
)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL's Redis, or with none set an embedded one for this run (started in about
    0.1 s, stopped at the end), so the worker tests need no service on the machine."""
    if django_settings.REDIS_URL:
        yield django_settings.REDIS_URL
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A real SMTP server on localhost that keeps what it receives."""
    server = SmtpSink()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(settings: Any, redis_server: str) -> Iterator[str]:
    """This process (and a live server in it) publishes to the worker's Redis database instead
    of running tasks eagerly; the suite's eager mode comes back afterwards."""
    url = worker_broker_url(redis_server)
    broker_flush(url)
    with publishing_to(url):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        yield url
    broker_flush(url)


@pytest.fixture
def worker_sharing_cache(
    transactional_db: None, sink: SmtpSink, broker: str, settings: Any, tmp_path: Path
) -> Iterator[CeleryWorker]:
    """A Celery worker (not started yet) and this process on one Redis cache: what one asks
    for or caches there (themes found, a run asked for), the other sees."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": broker}
    }
    process = CeleryWorker(
        env=worker_env(broker_url=broker, email_url=sink.url), log_path=tmp_path / "worker.log"
    )
    yield process
    process.close()

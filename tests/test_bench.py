"""The benchmark runs end to end in its small preset and prints every row of its table.

It proves the benchmark works (fill, pages and their floors, gunicorn, the Celery worker and the
SMTP sink), not that the app is fast: the figures of a shared CI machine say little.
"""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from django.conf import settings

from feedbackloop.embedded import redis_url_with_db
from tests.worker import database_url

ROWS = [
    "inbox",
    "board",
    "initiative",
    "ticket list API",
    "similar feedback",
    "insights",
    "POST /api/tickets/",
    "shipping emails",
]
# Its own Redis database, flushed by the benchmark: not the worker tests' (WORKER_REDIS_DB).
BENCH_REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "10"))


@pytest.mark.worker
def test_small_benchmark_prints_every_row(redis_server: str) -> None:
    # The suite's PostgreSQL server (the embedded one too), in a database of the benchmark's own.
    bench_database = urlparse(database_url())._replace(path="/feedbackloop_bench_ci").geturl()
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": bench_database,
        "BENCH_REDIS_URL": redis_url_with_db(redis_server, BENCH_REDIS_DB),
    }
    run = subprocess.run(
        [sys.executable, "bench/loop.py", "--small"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = f"{run.stdout}\n{run.stderr}"
    assert run.returncode == 0, output
    table = run.stdout.split("\npage ", 1)[-1]
    printed = {line.split("  ")[0] for line in table.splitlines()}
    assert set(ROWS) <= printed, output


DEV_SET = settings.BASE_DIR.parent / "shared" / "dedupe" / "dev.json"


@pytest.mark.skipif(not DEV_SET.is_file(), reason="the dedupe dev set is not beside the checkout")
def test_dedupe_benchmark_prints_both_methods() -> None:
    bench_database = urlparse(database_url())._replace(path="/feedbackloop_bench_ci").geturl()
    run = subprocess.run(
        [sys.executable, "bench/dedupe.py"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "BENCH_DATABASE_URL": bench_database},
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = f"{run.stdout}\n{run.stderr}"
    assert run.returncode == 0, output
    assert "full text alone" in run.stdout, output
    assert "hybrid (words" in run.stdout, output

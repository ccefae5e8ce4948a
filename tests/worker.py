"""A real Celery worker process for tests, the broker it and the test process share, and a
helper to wait for what the worker does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

from feedbackloop.celery import app as celery_app
from feedbackloop.config import celery_broker_url
from feedbackloop.embedded import redis_url_with_db

# Its own Redis database, flushed before and after each test. WORKER_REDIS_DB picks another one
# when two checkouts run their suites against the same Redis at once.
WORKER_REDIS_DB = int(os.environ.get("WORKER_REDIS_DB", "5"))


def worker_broker_url(redis_url: str) -> str:
    """The suite's Redis (REDIS_URL's or the embedded one), on the worker tests' own database."""
    return redis_url_with_db(redis_url, WORKER_REDIS_DB)


def database_url() -> str:
    """The test database, as a DATABASE_URL a worker process can read (the embedded server's
    socket folder percent-encoded as the host, as libpq writes it)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    if host.startswith("/"):  # a socket folder (the embedded PostgreSQL)
        host = quote(host, safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def worker_env(*, broker_url: str, email_url: str, **extra: str) -> dict[str, str]:
    """What a worker needs to run the production settings against the test database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "feedbackloop.settings",
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker_url,
        "EMAIL_URL": email_url,
        "SITE_URL": "http://testserver",
        **extra,
    }


def broker_flush(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        raise AssertionError(
            f"The worker tests need Redis at {url} ({exc}); start redis-server, "
            "or set REDIS_URL to a Redis they may use (database WORKER_REDIS_DB is flushed)."
        ) from exc
    finally:
        client.close()


def broker_queued(url: str, queue: str = "celery") -> int:
    """How many messages wait in a queue (kombu keeps a Redis list per queue)."""
    client = redis.Redis.from_url(url)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


def _drop_producer_pools() -> None:
    # The app keeps its producer pools for the broker it first published to (the in-memory
    # or REDIS_URL one of the eager tests); forget them so the next publish connects anew.
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


@contextmanager
def publishing_to(redis_url: str) -> Iterator[None]:
    """Tasks queued by the code under test go to this Redis instead of running in-process.

    Enter it before overriding CELERY_* settings: the app reads them when first used."""
    conf = celery_app.conf
    saved = {"broker_url": conf.broker_url, "task_always_eager": conf.task_always_eager}
    conf.update(broker_url=celery_broker_url(redis_url), task_always_eager=False)
    _drop_producer_pools()
    try:
        yield
    finally:
        conf.update(saved)
        _drop_producer_pools()


class CeleryWorker:
    """`celery worker` in its own process group, started the way production starts it."""

    def __init__(self, *, env: dict[str, str], log_path: Path, concurrency: int = 2) -> None:
        self.env = env
        self.log_path = log_path
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, **env: str) -> None:
        assert not self.running, "the worker is already running"
        self.starts += 1
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "feedbackloop",
            "worker",
            "--pool=prefork",
            f"--concurrency={self.concurrency}",
            "--loglevel=warning",
            "-Q",
            "celery",
            "-n",
            self.name,
            # Nothing to synchronise with: start consuming at once.
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts}: {' '.join(command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                command,
                env={**self.env, **env},
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so kill() takes the pool too
            )

    @property
    def name(self) -> str:
        """Its node name, different for each start."""
        return f"test{os.getpid()}-{self.starts}@{socket.gethostname()}"

    def wait_ready(self, timeout: float = 60) -> None:
        """Until it answers a ping: it consumes from its queue by then."""
        wait_for(
            lambda: celery_app.control.ping(destination=[self.name], timeout=0.5),
            what=f"the worker {self.name} to answer a ping",
            timeout=timeout,
            worker=self,
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM to the main process, as `docker stop` does: a warm shutdown."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the main process and its pool processes at once, as a crash would."""
        assert self.process is not None
        self._kill_group()
        self.process.wait(10)

    def _kill_group(self) -> None:
        assert self.process is not None
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def close(self) -> None:
        """Leave no process of this worker behind (the test is over: no need to be gentle)."""
        if self.process is not None:
            self.kill()

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except FileNotFoundError:
            return ""


def wait_for(
    condition: Callable[[], object],
    *,
    what: str,
    timeout: float = 30,
    worker: CeleryWorker | None = None,
) -> None:
    """Poll until `condition()` is true; fail with `what` (and the worker's log) otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if worker is not None and worker.process is not None and not worker.running:
            raise AssertionError(
                f"waiting for {what}: the worker exited ({worker.process.returncode})\n"
                f"{worker.log()}"
            )
        if time.monotonic() > deadline:
            log = f"\nworker log:\n{worker.log()}" if worker is not None else ""
            raise AssertionError(f"waiting for {what}: not within {timeout:g} s{log}")
        time.sleep(0.05)

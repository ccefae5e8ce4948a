"""`manage.py start`: migrate, seed the demo, then run the web server, a Celery worker and beat
(on REDIS_URL, or in development on an embedded Redis) until Ctrl-C or SIGTERM stops them all,
the embedded PostgreSQL included."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from feedbackloop.config import check_database, check_model, check_redis
from feedbackloop.embedded import (
    EmbeddedRedis,
    database_handles_prune,
    run_lock,
    run_unlock,
)

DEFAULT_ADDR = "127.0.0.1:8000"
READY_SECONDS = 60
STOP_SECONDS = 20


class Child(NamedTuple):
    name: str
    process: subprocess.Popen[bytes]


class Stop(Exception):
    """SIGTERM arrived: stop as Ctrl-C does."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Stop


def addr_parse(addr: str) -> tuple[str, int]:
    """`host:port` as given to ADDR; a clear error for anything else."""
    host, _, port = addr.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"ADDR={addr!r} is not host:port; give it like 127.0.0.1:8000")
    return host, int(port)


def site_url_for(host: str, port: int) -> str:
    """The address people open for a server listening on host:port (all interfaces: this
    machine's name as the browser on it knows it)."""
    shown = "localhost" if host in ("0.0.0.0", "::") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@contextmanager
def quiet_tasks() -> Iterator[None]:
    """The demo's seeding runs its tasks in-process; their log lines would come before the
    banner, so they are kept out of the terminal."""
    logger = logging.getLogger("celery.app.trace")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class Command(BaseCommand):
    help = (
        "Migrate, seed the demo data and serve the app with a Celery worker and beat; "
        "Ctrl-C (or SIGTERM) stops all it started."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default=DEFAULT_ADDR, help="host:port to listen on")
        parser.add_argument("--no-seed", action="store_true", help="skip the demo data")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = addr_parse(options["addr"])
        # The model is part of this install, so it is checked first: a broken install says so
        # before anything about the services it would connect to.
        check_model()
        check_redis(settings.REDIS_URL)
        check_database()
        data_dir = settings.DATA_DIR
        other = run_lock(data_dir)
        if other is not None:
            raise CommandError(
                f"FeedbackLoop already runs from {data_dir} (process {other}); stop it first "
                f"(Ctrl-C in its terminal, or kill {other}), or give this one another DATA_DIR"
            )
        signal.signal(signal.SIGTERM, _on_sigterm)
        redis = EmbeddedRedis(data_dir / "redis")
        children: list[Child] = []
        # In development links in emails point at the address served, whatever the port: the
        # demo's emails, sent from this process, as well as the children's.
        if settings.DEBUG and not os.environ.get("SITE_URL"):
            settings.SITE_URL = site_url_for(host, port)
        try:
            call_command("migrate", interactive=False, verbosity=0)
            if not options["no_seed"]:
                with quiet_tasks():
                    call_command("seed_demo")
            redis_url = settings.REDIS_URL or redis.start()
            env = {
                **os.environ,
                "REDIS_URL": redis_url,
                "DEBUG": "1" if settings.DEBUG else "0",
                "SITE_URL": settings.SITE_URL,
            }
            children = self._start_children(env, options["addr"], data_dir)
            self._wait_until_serving(host, port, children)
            self._banner(host, port, redis_url)
            self._wait(children)
        except (KeyboardInterrupt, Stop):
            pass
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut this short
            self._stop(children)
            redis.stop()
            # A child killed along the way stays on pgserver's list; off it, this process is the
            # last user, so its exit stops the embedded PostgreSQL.
            database_handles_prune(data_dir / "postgres")
            run_unlock(data_dir)

    def _start_children(self, env: dict[str, str], addr: str, data_dir: Path) -> list[Child]:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "feedbackloop", "--quiet"]
        commands = {
            # --skip-checks: start ran them. Its stdout only repeats what the banner says.
            "the web server": [
                python, "manage.py", "runserver", addr, "--noreload", "--skip-checks",
            ],
            "the Celery worker": [
                *celery, "worker", "--loglevel=INFO", "--concurrency=2",
                "--without-mingle", "--without-gossip",
            ],
            "Celery beat": [
                *celery, "beat", "--loglevel=WARNING",
                "--schedule", str(data_dir / "celerybeat-schedule"),
            ],
        }  # fmt: skip
        return [
            Child(
                name,
                subprocess.Popen(
                    command,
                    env=env,
                    cwd=settings.BASE_DIR,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL if name == "the web server" else None,
                ),
            )
            for name, command in commands.items()
        ]

    def _wait_until_serving(self, host: str, port: int, children: list[Child]) -> None:
        """Until the web server accepts connections; a child that exits first (a port in use)
        stops the start with its own error above."""
        connect_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        deadline = time.monotonic() + READY_SECONDS
        while True:
            for child in children:
                if child.process.poll() is not None:
                    raise CommandError(
                        f"{child.name} stopped ({child.process.returncode}); see above"
                    )
            try:
                with socket.create_connection((connect_host, port), timeout=1):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise CommandError(f"the web server did not answer on {host}:{port}")
            time.sleep(0.1)

    def _banner(self, host: str, port: int, redis_url: str) -> None:
        redis_line = (
            f"Celery worker and beat on REDIS_URL={redis_url}"
            if settings.REDIS_URL
            else "Celery worker and beat on an embedded Redis (no REDIS_URL set)"
        )
        lines = [
            self.style.SUCCESS(f"\nFeedbackLoop is running at {site_url_for(host, port)}/"),
            redis_line,
        ]
        if not os.environ.get("DATABASE_URL"):
            lines.append(f"Embedded PostgreSQL in {settings.DATA_DIR / 'postgres'}")
        if settings.DEBUG and not os.environ.get("EMAIL_URL"):
            lines.append(f"Mail is not sent: read it at {settings.SITE_URL}/dev/mail/ (admins)")
        lines += [
            "Demo logins (password 'demo' unless seeded otherwise): "
            "sales, success, onboarding, pm, facilitator, admin",
            "Press Ctrl-C to stop everything.\n",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def _wait(self, children: list[Child]) -> None:
        """Until one of them exits (then stop the others: a half-running app misleads)."""
        while all(child.process.poll() is None for child in children):
            time.sleep(0.2)
        gone = next(child for child in children if child.process.poll() is not None)
        raise CommandError(
            f"{gone.name} stopped ({gone.process.returncode}); stopped everything else too"
        )

    def _stop(self, children: list[Child]) -> None:
        """SIGTERM to each (a warm shutdown for the worker), SIGKILL to what outlasts it."""
        for child in children:
            if child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in children:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()

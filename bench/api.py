"""Tickets filed per second through `POST /api/tickets/` under gunicorn, against its floor.

The app is served as production serves it, `gunicorn feedbackloop.wsgi -w <CPUs>`, and a
thread pool of concurrent clients files tickets with a token, each request on a new connection
(gunicorn's sync workers close it after every answer). The floor is the same gunicorn command
with bench.floor_settings: a view without middleware that inserts one row.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.floor_urls import CREATE_TABLE, TABLE
from bench.processes import cpu_count, free_port, port_open, server

PATH = "/api/tickets/"
USERNAME = "bench-sales-1"  # a sales rep from triage.users_ensure, filing from their own tools
PASSWORD = "bench-password-not-secret"
COMPANIES = 50


@dataclass(frozen=True)
class Rate:
    """How many of something per second, the floor's figure, and how many times slower."""

    label: str
    count: int
    seconds: float
    floor_seconds: float
    note: str

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @property
    def floor_per_second(self) -> float:
        return self.count / self.floor_seconds

    @property
    def ratio(self) -> float:
        """Time per item over the floor's time per item (as for pages)."""
        return self.seconds / self.floor_seconds


def _request(
    port: int, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# As production serves: DEBUG off (Django then keeps no log of queries), plain HTTP from the
# clients on the same machine, a key of its own; mail is never sent by filing.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-" + "k3y-0f-the-benchmark-not-a-secret-" * 2,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "EMAIL_URL": "smtp://127.0.0.1:25",
}


@contextmanager
def gunicorn(settings_module: str, log: Path) -> Iterator[int]:
    """`gunicorn feedbackloop.wsgi` with one worker per CPU on a free port, with production's
    settings; yields the port."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "feedbackloop.wsgi",
        "-w",
        str(cpu_count()),
        "-b",
        f"127.0.0.1:{port}",
    ]
    env = {**os.environ, **PRODUCTION, "DJANGO_SETTINGS_MODULE": settings_module}
    with server("gunicorn", command, env=env, log=log) as running:
        running.wait_for(lambda: port_open(port), what=f"gunicorn on port {port}")
        yield port


def _bodies(count: int, batch: str) -> list[bytes]:
    """Tickets as the API contract has them, for a few dozen companies, each from a new
    contact (the batch name and the time keep the addresses new)."""
    run = f"{batch}.{time.time_ns()}"
    return [
        json.dumps(
            {
                "customer": {
                    "company": f"Bench API Customer {n % COMPANIES}",
                    "email": f"buyer.{run}.{n}@bench-api-{n % COMPANIES}.example",
                },
                "title": "Export invoices as CSV",
                "description": "Their finance team copies every invoice into a spreadsheet.",
                "source_team": "sales",
                "kind": "feature_request",
                "importance": "important",
            }
        ).encode()
        for n in range(count)
    ]


def _post_all(port: int, bodies: Sequence[bytes], headers: dict[str, str], clients: int) -> float:
    """POST every body with `clients` at a time after a warm-up round; the seconds it took."""

    def post(body: bytes) -> int:
        status, answer = _request(port, "POST", PATH, body, headers)
        if status != 201:
            raise RuntimeError(f"POST {PATH} answered {status}: {answer[:500]!r}")
        return status

    with ThreadPoolExecutor(max_workers=clients) as pool:
        # The first requests of each gunicorn worker load the app and open connections.
        warm_up = 2 * clients
        list(pool.map(post, _bodies(warm_up, "warm-up")))
        start = time.perf_counter()
        list(pool.map(post, bodies))
        return time.perf_counter() - start


def _token(port: int) -> str:
    status, answer = _request(
        port,
        "POST",
        "/api/auth/token/",
        json.dumps({"username": USERNAME, "password": PASSWORD}).encode(),
        {"Content-Type": "application/json"},
    )
    if status != 200:
        raise RuntimeError(f"POST /api/auth/token/ answered {status}: {answer[:500]!r}")
    token: str = json.loads(answer)["token"]
    return token


def api_rate(*, posts: int, clients: int, logs: Path) -> Rate:
    """File `posts` tickets through the API with `clients` concurrent clients, then the same
    number of bare inserts through the floor view."""
    from django.db import connection

    from accounts.models import User

    user = User.objects.get(username=USERNAME)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)

    bodies = _bodies(posts, "timed")
    with gunicorn("feedbackloop.settings", logs / "gunicorn-app.log") as port:
        headers = {"Content-Type": "application/json", "Authorization": f"Token {_token(port)}"}
        seconds = _post_all(port, bodies, headers, clients)
    with gunicorn("bench.floor_settings", logs / "gunicorn-floor.log") as port:
        floor_seconds = _post_all(port, bodies, {"Content-Type": "application/json"}, clients)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")
    return Rate(
        label="POST /api/tickets/",
        count=posts,
        seconds=seconds,
        floor_seconds=floor_seconds,
        note=(
            f"{posts:,} tickets by {clients} concurrent clients, gunicorn -w {cpu_count()}; "
            "floor: a view without middleware inserting one row"
        ),
    )

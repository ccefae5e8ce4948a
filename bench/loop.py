"""The benchmark: how fast FeedbackLoop answers at scale, each figure beside its floor.

    .venv/bin/python bench/loop.py            # 100,000 tickets, 20,000 customers, 2,000 initiatives
    .venv/bin/python bench/loop.py --size 1m  # 1,000,000 / 200,000 / 20,000 of them
    .venv/bin/python bench/loop.py --small    # the CI preset, well under a minute
        [--tickets N --customers N --initiatives N] [--refill] [--requests 30]
        [--posts 2000 --clients 8] [--emails 10000] [--explain] [--only pages|rates]

Pages, timed server-side through Django's test client as a product manager: the inbox, the
board, the biggest initiative, the ticket list API, similar-feedback suggestions and insights.
Each page's floor is its bare SQL: the statements it ran, run again on a bare psycopg
connection. Targets: p95 under 150 ms (insights 300 ms) and a median within 3x the floor.

Then two rates, each against a floor measured in the same run:
- tickets filed per second through POST /api/tickets/ under gunicorn (bench/api.py);
- emails sent per second when an initiative ships, through a Celery worker with two worker
  processes and with one, into an SMTP sink (bench/delivery.py).

--only pages (or rates) runs one half.

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/feedbackloop_bench; created if
missing; its name must contain "bench") is filled through COPY (bench/triage.py), or reused
when it already holds the requested counts; --refill fills it again. What the rates add is
deleted at the end. BENCH_REDIS_URL (default redis://127.0.0.1:6379/9) is the Celery broker of
the shipping run and is flushed. The exit code is 0 whether targets are met or missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
# Python puts this script's folder first on sys.path, where bench/triage.py would shadow the
# `triage` app it measures; the project root goes there instead.
sys.path[0] = str(ROOT)

import psycopg  # noqa: E402

from bench.api import USERNAME as SUBMITTER  # noqa: E402
from bench.api import Rate, api_rate  # noqa: E402
from bench.delivery import delivery_rates  # noqa: E402
from bench.triage import (  # noqa: E402
    RATIO_TARGET,
    SIZES,
    SMALL,
    Sizes,
    Timing,
    counts,
    database_ensure,
    django_setup,
    explain,
    fill,
    max_id,
    page_time,
    pages,
    step,
    users_ensure,
)

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/feedbackloop_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"


@dataclass(frozen=True)
class Load:
    """How much the rates push through: tickets filed by how many clients, emails sent."""

    posts: int
    clients: int
    emails: int


FULL_LOAD = Load(posts=2_000, clients=8, emails=10_000)
SMALL_LOAD = Load(posts=100, clients=4, emails=200)


@dataclass(frozen=True)
class Options:
    sizes: Sizes
    load: Load
    requests: int
    refill: bool
    explain: bool
    only: str | None
    database_url: str
    redis_url: str


def options_parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--small", action="store_true", help=f"the CI preset: {SMALL}, {SMALL_LOAD}"
    )
    parser.add_argument(
        "--size",
        choices=list(SIZES),
        default="100k",
        help=", ".join(f"{name}: {sizes}" for name, sizes in SIZES.items()),
    )
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--customers", type=int)
    parser.add_argument("--initiatives", type=int)
    parser.add_argument("--requests", type=int, help="timed requests per page (30; --small 10)")
    parser.add_argument("--posts", type=int, help="tickets filed through the API")
    parser.add_argument("--clients", type=int, help="concurrent API clients")
    parser.add_argument("--emails", type=int, help="contacts told when the initiative ships")
    parser.add_argument("--refill", action="store_true", help="fill again even if the counts match")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest query"
    )
    parser.add_argument(
        "--only", choices=["pages", "rates"], help="time only the pages, or only the rates"
    )
    args = parser.parse_args(argv)
    sizes, load = (SMALL, SMALL_LOAD) if args.small else (SIZES[args.size], FULL_LOAD)
    sizes = Sizes(
        tickets=args.tickets or sizes.tickets,
        customers=args.customers or sizes.customers,
        initiatives=args.initiatives or sizes.initiatives,
    )
    load = Load(
        posts=args.posts or load.posts,
        clients=args.clients or load.clients,
        emails=args.emails or load.emails,
    )
    requests = args.requests or (10 if args.small else 30)
    numbers = [*vars(sizes).values(), *vars(load).values(), requests]
    if min(numbers) < 1:
        parser.error("every count must be at least 1")
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    name = urlparse(url).path.lstrip("/")
    if "bench" not in name:
        # The fill truncates tables; a typo must not point it at a database that matters.
        parser.error(f"BENCH_DATABASE_URL names database {name!r}; its name must contain 'bench'")
    return Options(
        sizes=sizes,
        load=load,
        requests=requests,
        refill=args.refill,
        explain=args.explain,
        only=args.only,
        database_url=url,
        redis_url=os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL,
    )


# ---------------------------------------------------------------------------------------------
# What the rates add, and taking it away again

ADDED_TO = [
    "notifications_notification",
    "notifications_notice",
    "triage_initiative",
    "intake_ticket",
    "intake_contact",
    "intake_customer",
]


def watermarks() -> dict[str, int]:
    return {table: max_id(table) for table in ADDED_TO}


def added_delete(marks: dict[str, int]) -> None:
    """Delete every row the rates added, so the next run finds the counts it filled."""
    from django.db import connection

    from intake.models import Contact, Customer, Ticket
    from notifications.models import Notice, Notification
    from triage.models import Initiative

    # Through the ORM, so whatever hangs off these rows (history, outbox) goes with them.
    Initiative.objects.filter(pk__gt=marks["triage_initiative"]).delete()
    Ticket.objects.filter(pk__gt=marks["intake_ticket"]).delete()
    Contact.objects.filter(pk__gt=marks["intake_contact"]).delete()
    Customer.objects.filter(pk__gt=marks["intake_customer"]).delete()
    Notification.objects.filter(pk__gt=marks["notifications_notification"]).delete()
    Notice.objects.filter(pk__gt=marks["notifications_notice"]).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(ADDED_TO)}")


# ---------------------------------------------------------------------------------------------
# The table


# Times in ms; each "floor" and "x floor" follows the figure it is the floor of.
PAGE_COLUMNS = [
    "page",
    "median",
    "floor",
    "x floor",
    "p95",
    "floor",
    "x floor",
    "queries",
    "target",
    "time",
    "ratio",
]


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """The first column left-aligned, the others right-aligned, each as wide as it needs."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [cell.rjust(width) for cell, width in zip(row, widths, strict=True)]
        cells[0] = row[0].ljust(widths[0])
        print("  ".join(cells).rstrip())


def report(timings: Sequence[Timing], rates: Sequence[Rate]) -> None:
    """Pages, then rates, each figure beside its floor."""
    if timings:
        print()
        _table(
            PAGE_COLUMNS,
            [
                [
                    t.page.label,
                    f"{t.median_ms:.1f}",
                    f"{t.floor_median_ms:.1f}",
                    f"{t.ratio:.1f}x",
                    f"{t.p95_ms:.1f}",
                    f"{t.floor_p95_ms:.1f}",
                    f"{t.p95_ratio:.1f}x",
                    t.queries_label,
                    f"{t.page.target_ms:.0f}",
                    _verdict(t.fast_enough),
                    _verdict(t.close_to_floor),
                ]
                for t in timings
            ],
        )
    if rates:
        print()
        _table(
            ["rate", "per second", "floor per second", "x floor"],
            [
                [r.label, f"{r.per_second:.1f}", f"{r.floor_per_second:.1f}", f"{r.ratio:.1f}x"]
                for r in rates
            ],
        )
    print()
    if timings:
        print(
            "Times in ms. floor: the page's SQL statements run again on a bare psycopg connection."
            "\nx floor: how many times the floor's time it takes. time: p95 within the target."
            f"\nratio: median within {RATIO_TARGET:g}x the floor's median."
        )
    for r in rates:
        print(f"{r.label}: {r.note}.")


def pages_time(manager: User, options: Options) -> list[Timing]:
    """Each page's server time beside its bare SQL's."""
    from django.db import connection
    from django.test import Client

    # The inbox shows the themes a worker found (triage.themes); found here first, as the
    # worker would have, so the inbox is timed with them.
    from triage.themes import inbox_themes, themes_find

    with step("finding the inbox's themes, as the worker does"):
        themes_find()
    print(f"  {len(inbox_themes())} themes in the inbox")
    print("timing pages")
    # DEBUG is on, so "localhost" is an allowed host; the test client's "testserver" is not.
    client = Client(SERVER_NAME="localhost")
    client.force_login(manager)
    timings: list[Timing] = []
    # The floor runs with the app's session settings (no JIT: feedbackloop/settings.py).
    session = connection.settings_dict["OPTIONS"].get("options", "")
    with psycopg.connect(options.database_url, options=session) as floor:
        for page in pages():
            with step(page.label):
                timings.append(page_time(client, floor, page, options.requests))
    return timings


def rates_time(manager: User, options: Options) -> list[Rate]:
    """Filing through the API and shipping emails, each beside its floor; what they add to the
    database is deleted again."""
    from accounts.models import User

    load = options.load
    marks = watermarks()
    try:
        with tempfile.TemporaryDirectory(prefix="feedbackloop-bench-") as folder:
            logs = Path(folder)
            with step(f"filing {load.posts:,} tickets through the API, then the floor"):
                api = api_rate(posts=load.posts, clients=load.clients, logs=logs)
            with step(f"shipping to {load.emails:,} contacts twice (2, 1 processes), the floor"):
                emails = delivery_rates(
                    emails=load.emails,
                    manager=manager,
                    submitter=User.objects.get(username=SUBMITTER),
                    redis_url=options.redis_url,
                    logs=logs,
                )
    finally:
        with step("deleting what the rates added"):
            added_delete(marks)
    return [api, *emails]


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    options = options_parse(argv)
    database_ensure(options.database_url)
    django_setup(options.database_url, redis_url=options.redis_url)
    manager, _ = users_ensure()
    held = counts()
    if held == options.sizes and not options.refill:
        print(f"{urlparse(options.database_url).path.lstrip('/')} already holds {held}; reusing it")
    else:
        print(f"filling with {options.sizes} (held {held})")
        fill_start = time.perf_counter()
        fill(options.sizes)
        print(f"filled in {time.perf_counter() - fill_start:.1f}s")

    timings: list[Timing] = []
    if options.only != "rates":
        timings = pages_time(manager, options)
    rates: list[Rate] = []
    if options.only != "pages":
        rates = rates_time(manager, options)

    report(timings, rates)
    if options.explain:
        for timing in timings:
            print(f"\n-- {timing.page.label}: slowest query\n{timing.slowest_sql}\n")
            print(explain(timing.slowest_sql))
    print(f"\nran in {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

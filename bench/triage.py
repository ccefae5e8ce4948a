"""The triage data at scale, and page timing against the bare SQL of each page.

Used by bench/loop.py, the benchmark's one command. `fill` empties the benchmark database's
tickets, contacts, customers and initiatives and fills them again through COPY with made-up but
plausibly skewed data, then rescores every initiative. `page_time` requests a page with Django's
test client as a product manager and, after each request, runs the SQL that request made once
more on a bare psycopg connection: that second figure is the page's floor.
"""

from __future__ import annotations

import datetime
import itertools
import os
import random
import re
import statistics
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlparse, urlunparse

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from django.test import Client

    from accounts.models import User

TARGET_MS = 150.0
# The insights page aggregates months of tickets; its target is 300 ms (issue 7).
INSIGHTS_TARGET_MS = 300.0
# A page may take at most this many times its bare SQL: the rest is Python.
RATIO_TARGET = 3.0
WARM_UPS = 3
SEED = 20240601


@dataclass(frozen=True)
class Sizes:
    tickets: int
    customers: int
    initiatives: int

    def __str__(self) -> str:
        return (
            f"{self.tickets:,} tickets, {self.customers:,} customers, "
            f"{self.initiatives:,} initiatives"
        )


FULL = Sizes(tickets=100_000, customers=20_000, initiatives=2_000)
# Ten years of a large company's feedback (issue 17): --size 1m.
MILLION = Sizes(tickets=1_000_000, customers=200_000, initiatives=20_000)
SIZES = {"100k": FULL, "1m": MILLION}
SMALL = Sizes(tickets=2_000, customers=400, initiatives=40)


# ---------------------------------------------------------------------------------------------
# The database


def database_ensure(url: str) -> None:
    """Create the benchmark database on its server if it is not there yet."""
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    maintenance = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}")


def django_setup(url: str, *, redis_url: str) -> None:
    """Django on the benchmark database, publishing tasks to `redis_url` (not running them
    in-process). The environment is set before setup, so servers started later inherit it."""
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = redis_url
    os.environ["DEBUG"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "feedbackloop.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def counts() -> Sizes:
    from intake.models import Customer, Ticket
    from triage.models import Initiative

    return Sizes(
        tickets=Ticket.objects.count(),
        customers=Customer.objects.count(),
        initiatives=Initiative.objects.count(),
    )


@contextmanager
def step(label: str) -> Iterator[None]:
    print(f"  {label}...", end="", flush=True)
    start = time.perf_counter()
    try:
        yield
    except BaseException:
        print(" failed", flush=True)
        raise
    print(f" {time.perf_counter() - start:.1f}s", flush=True)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Stream rows into a table with COPY, then move its id sequence past the ids given."""
    from django.db import connection

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    with connection.cursor() as cursor:
        raw: psycopg.Cursor[Any] = cursor.cursor
        with raw.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        raw.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {}))"
            ).format(sql.Identifier(table)),
            [table],
        )


def max_id(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        raw: psycopg.Cursor[Any] = cursor.cursor
        statement = sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(sql.Identifier(table))
        row = raw.execute(statement).fetchone()
    return int(row[0]) if row else 0


# ---------------------------------------------------------------------------------------------
# Made-up but plausible data

COMPANY_WORDS = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Soylent", "Wayne", "Stark", "Wonka",
    "Tyrell", "Cyberdyne", "Aperture", "Vandelay", "Oscorp", "Nakatomi", "Dunder", "Prestige",
    "Monarch", "Blue Sun", "Gringotts", "Massive", "Pied Piper", "Sterling", "Bluth",
]  # fmt: skip
COMPANY_KINDS = [
    "Logistics", "Health", "Foods", "Labs", "Systems", "Bank", "Retail", "Media", "Energy",
    "Travel", "Insurance", "Analytics", "Robotics", "Studios", "Pharma", "Freight",
]  # fmt: skip
FIRST_NAMES = [
    "Ana", "Ben", "Chloe", "Dev", "Emeka", "Fatima", "Grace", "Hiro", "Ines", "Jon", "Kemal",
    "Lena", "Mateo", "Nia", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Wei",
]  # fmt: skip
LAST_NAMES = [
    "Adeyemi", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hughes", "Ito",
    "Jensen", "Kowalski", "Li", "Moreau", "Novak", "Okafor", "Patel", "Rossi", "Silva", "Tanaka",
]  # fmt: skip
FEATURES = [
    "CSV export", "Bulk edit", "Audit log", "Single sign-on", "Webhooks", "Custom fields",
    "Dark mode", "Offline mode", "Saved filters", "Scheduled reports", "API access",
    "Two-factor login", "Approval workflows", "Slack alerts", "Role permissions", "Faster search",
    "Recurring billing", "Multi-currency", "Calendar sync", "Data retention rules",
]  # fmt: skip
OBJECTS = [
    "invoices", "projects", "orders", "reports", "users", "dashboards", "contracts", "payments",
    "documents", "teams", "shipments", "forms", "time sheets", "expenses",
]  # fmt: skip
ASKS = [
    "Need", "Asking for", "Please add", "Blocked without", "Would pay more for", "Missing",
    "Renewal depends on", "Churn risk without", "Competitor has",
]  # fmt: skip
PAINS = [
    "does this by hand every week and it takes hours",
    "copies the data into spreadsheets and makes mistakes",
    "cannot roll the product out to the rest of the company without it",
    "says a competitor already offers this and they are evaluating them",
    "has asked about this on every call since onboarding",
    "lost a day of work last month because of this",
]  # fmt: skip
TAGS = [
    "renewal", "churn-risk", "expansion", "security", "compliance", "ux", "performance",
    "mobile", "reporting", "integration", "admin", "onboarding",
]  # fmt: skip
AREAS = [
    ("Billing", "billing"),
    ("Reporting", "reporting"),
    ("Integrations", "integrations"),
    ("Onboarding", "onboarding"),
    ("Mobile app", "mobile-app"),
    ("Permissions", "permissions"),
    ("Search", "search"),
    ("Notifications", "notifications"),
]
# (value, weight, revenue range); the value set follows intake.models.Segment.
SEGMENTS = [
    ("smb", 45, (5_000, 60_000)),
    ("mid_market", 25, (60_000, 400_000)),
    ("enterprise", 10, (400_000, 3_000_000)),
    ("startup", 12, (1_000, 40_000)),
    ("other", 8, (1_000, 100_000)),
]
INITIATIVE_STATUSES = [
    ("proposed", 70),
    ("planned", 12),
    ("in_progress", 8),
    ("shipped", 7),
    ("declined", 3),
]
TICKET_STATUSES = [
    ("new", 30),
    ("linked", 57),
    ("duplicate", 4),
    ("needs_info", 3),
    ("snoozed", 3),
    ("declined", 3),
]
KINDS = [("feature_request", 55), ("friction", 20), ("bug", 15), ("other", 10)]
IMPORTANCES = [("nice_to_have", 45), ("important", 40), ("critical", 15)]
SUBMITTER_TEAMS = ["sales", "customer_success", "onboarding", "support"]
DECLINE_REASONS = [
    "Out of scope for the product.",
    "Already possible with saved filters; sent the customer the help article.",
    "Only one customer needs this and it would complicate the settings for everyone.",
]


# Model defaults are not column defaults, so COPY names them; the rescore fills in the score.
SCORE_COLUMNS = [
    "priority_score",
    "customer_count",
    "ticket_count",
    "critical_count",
    "revenue_total",
    "version",
]
UNSCORED = (0, 0, 0, 0, 0, 1)

TICKET_COLUMNS = [
    "id",
    "title",
    "description",
    "customer_id",
    "contact_id",
    "submitted_by_id",
    "source_team",
    "kind",
    "importance",
    "revenue_at_stake",
    "product_area_id",
    "tags",
    "status",
    "initiative_id",
    "duplicate_of_id",
    "decline_reason",
    "snoozed_until",
    "created_at",
    "updated_at",
    "embedding",
]
# Tickets are embedded this many at a time as they stream into COPY.
EMBED_BATCH = 4096


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, ...]], k: int) -> list[Any]:
    return rng.choices([c[0] for c in choices], weights=[c[1] for c in choices], k=k)


def _skewed_weights(n: int, exponent: float) -> list[float]:
    """Zipf-like weights: a few items get most picks, as popular asks and big customers do."""
    return [1 / (rank + 1) ** exponent for rank in range(n)]


def _moment(rng: random.Random, now: datetime.datetime, days: int) -> datetime.datetime:
    # The power leans towards recent dates: the product gets more feedback as it grows.
    return now - datetime.timedelta(seconds=rng.random() ** 1.4 * days * 86_400)


def users_ensure() -> tuple[User, list[User]]:
    """The product manager the pages are requested as, and the submitters tickets come from."""
    from accounts.models import Role, Team, User

    def user(username: str, role: Role, team: str, first: str, last: str) -> User:
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            return existing
        return User.objects.create_user(
            username=username,
            email=f"{username}@staff.example",
            password=None,
            role=role,
            team=team,
            first_name=first,
            last_name=last,
        )

    managers = [
        user(f"bench-pm-{n}", Role.PRODUCT_MANAGER, Team.PRODUCT, "Pat", f"Manager{n}")
        for n in range(1, 4)
    ]
    submitters = [
        user(f"bench-{team}-{n}", Role.SUBMITTER, team, FIRST_NAMES[n], Team(team).label)
        for team in SUBMITTER_TEAMS
        for n in range(1, 4)
    ]
    return managers[0], managers + submitters


def areas_ensure() -> list[int]:
    from intake.models import ProductArea

    return [
        ProductArea.objects.get_or_create(slug=slug, defaults={"name": name})[0].pk
        for name, slug in AREAS
    ]


def fill(sizes: Sizes, *, seed: int = SEED) -> None:
    """Empty the benchmark tables and fill them with `sizes` rows, scored and analyzed."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Role
    from triage.scoring import initiatives_rescore_all
    from triage.services import scores_snapshot

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    with step("emptying tickets, contacts, customers, initiatives"), connection.cursor() as c:
        # CASCADE also empties what hangs off them: comments, history, snapshots, notifications.
        c.execute(
            "TRUNCATE intake_ticket, intake_contact, intake_customer, triage_initiative "
            "RESTART IDENTITY CASCADE"
        )
    _, staff = users_ensure()
    managers = [u.pk for u in staff if u.role == Role.PRODUCT_MANAGER]
    submitters = [(u.pk, u.team) for u in staff if u.role == Role.SUBMITTER]
    area_ids = areas_ensure()

    with transaction.atomic():
        with step(f"customers ({sizes.customers:,})"):
            segments = _weighted(rng, SEGMENTS, sizes.customers)
            revenue = {name: bounds for name, _, bounds in SEGMENTS}
            customer_rows: list[tuple[int, str, str, str, Decimal | None, datetime.datetime]] = []
            for pk, segment in enumerate(segments, start=1):
                name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {pk}"
                low, high = revenue[segment]
                annual = None if rng.random() < 0.1 else Decimal(rng.randrange(low, high, 500))
                created = _moment(rng, now, 900)
                customer_rows.append((pk, name, name.casefold(), segment, annual, created))
            copy_rows(
                "intake_customer",
                ["id", "name", "name_key", "segment", "annual_revenue", "created_at"],
                customer_rows,
            )

        with step("contacts"):
            contacts_of: list[list[int]] = [[]]  # index = customer id
            contact_rows: list[tuple[object, ...]] = []
            for customer_pk, name, *_rest, created in customer_rows:
                domain = name.lower().replace(" ", "-")
                contacts_of.append([])
                for _ in range(rng.choice((1, 1, 2))):
                    pk = len(contact_rows) + 1
                    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                    email = f"{first.lower()}.{last.lower()}.{pk}@{domain}.example"
                    contacts_of[customer_pk].append(pk)
                    contact_rows.append(
                        (pk, customer_pk, f"{first} {last}", email, None, False, created)
                    )
            copy_rows(
                "intake_contact",
                ["id", "customer_id", "name", "email", "unsubscribed_at", "bouncing", "created_at"],
                contact_rows,
            )

        with step(f"initiatives ({sizes.initiatives:,})"):
            initiative_rows: list[tuple[object, ...]] = []
            initiative_area: list[int | None] = [None]  # index = initiative id
            topics: list[str] = [""]
            statuses = _weighted(rng, INITIATIVE_STATUSES, sizes.initiatives)
            for pk, status in enumerate(statuses, start=1):
                topic = f"{rng.choice(FEATURES)} for {rng.choice(OBJECTS)}"
                area = rng.choice(area_ids)
                created = _moment(rng, now, 730)
                updated = min(now, created + datetime.timedelta(days=rng.randint(0, 60)))
                shipped = status == "shipped"
                initiative_rows.append(
                    (
                        pk,
                        topic,
                        f"Customers want {topic.lower()}; today they work around it by hand.",
                        area,
                        rng.choice(managers)
                        if status != "proposed" or rng.random() < 0.4
                        else None,
                        status,
                        rng.choice(DECLINE_REASONS) if status == "declined" else "",
                        f"{topic} is live for everyone." if shipped else "",
                        "",  # release_note_draft
                        "",  # effort
                        created,
                        updated,
                        updated if shipped else None,
                        *UNSCORED,
                    )
                )
                initiative_area.append(area)
                topics.append(topic)
            vectors = embeddings([(str(row[1]), str(row[2])) for row in initiative_rows])
            initiative_rows = [
                (*row, vector) for row, vector in zip(initiative_rows, vectors, strict=True)
            ]
            copy_rows(
                "triage_initiative",
                [
                    "id",
                    "title",
                    "description",
                    "product_area_id",
                    "owner_id",
                    "status",
                    "decline_reason",
                    "release_note",
                    "release_note_draft",
                    "effort",
                    "created_at",
                    "updated_at",
                    "shipped_at",
                    *SCORE_COLUMNS,
                    "embedding",
                ],
                initiative_rows,
            )

        with step(f"tickets ({sizes.tickets:,})"):
            copy_rows(
                "intake_ticket",
                TICKET_COLUMNS,
                _embedded(
                    _ticket_rows(
                        rng,
                        sizes,
                        now=now,
                        today=today,
                        contacts_of=contacts_of,
                        submitters=submitters,
                        area_ids=area_ids,
                        initiative_area=initiative_area,
                        topics=topics,
                    )
                ),
            )

        with step("scoring every initiative"):
            initiatives_rescore_all()
        with step("this month's score snapshot"):
            scores_snapshot()

    with step("VACUUM ANALYZE"), connection.cursor() as c:
        c.execute("VACUUM ANALYZE")


def _embedded(rows: Iterator[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
    """Each ticket row with its vector (title and description are its 2nd and 3rd values)."""
    while batch := list(itertools.islice(rows, EMBED_BATCH)):
        vectors = embeddings([(str(row[1]), str(row[2])) for row in batch])
        yield from ((*row, vector) for row, vector in zip(batch, vectors, strict=True))


_EMBEDDED: dict[tuple[str, str], bytes] = {}


def embeddings(items: list[tuple[str, str]]) -> list[bytes]:
    """The stored vectors of (title, description) pairs, each distinct text embedded once: the
    fill's texts repeat (an ask, a topic, a pain: about 15,000 distinct tickets), and the model
    embeds about 150 texts a second on one core, so a million would take two hours."""
    from core.embeddings import item_embeddings

    new = list(dict.fromkeys(item for item in items if item not in _EMBEDDED))
    _EMBEDDED.update(zip(new, item_embeddings(new), strict=True))
    return [_EMBEDDED[item] for item in items]


def _ticket_rows(
    rng: random.Random,
    sizes: Sizes,
    *,
    now: datetime.datetime,
    today: datetime.date,
    contacts_of: list[list[int]],
    submitters: list[tuple[int, str]],
    area_ids: list[int],
    initiative_area: list[int | None],
    topics: list[str],
) -> Iterator[tuple[object, ...]]:
    """Tickets in id order = time order; duplicates point at an earlier counted ticket."""
    n = sizes.tickets
    moments = sorted(_moment(rng, now, 730) for _ in range(n))
    statuses = _weighted(rng, TICKET_STATUSES, n)
    kinds = _weighted(rng, KINDS, n)
    importances = _weighted(rng, IMPORTANCES, n)
    customer_ids = list(range(1, sizes.customers + 1))
    rng.shuffle(customer_ids)  # which customers ask the most is random, not by id
    customers = rng.choices(customer_ids, weights=_skewed_weights(sizes.customers, 0.6), k=n)
    initiative_ids = list(range(1, sizes.initiatives + 1))
    rng.shuffle(initiative_ids)
    initiatives = rng.choices(initiative_ids, weights=_skewed_weights(sizes.initiatives, 0.8), k=n)
    counted: list[tuple[int, int]] = []  # (ticket id, initiative id) of linked tickets so far
    for index in range(n):
        pk = index + 1
        status = statuses[index]
        initiative: int | None = None
        duplicate_of: int | None = None
        if status == "duplicate" and counted:
            duplicate_of, initiative = counted[rng.randrange(len(counted))]
        elif status in ("duplicate", "linked"):
            status = "linked"
            initiative = initiatives[index]
            counted.append((pk, initiative))
        customer = customers[index]
        topic = (
            topics[initiative]
            if initiative is not None
            else f"{rng.choice(FEATURES)} for {rng.choice(OBJECTS)}"
        )
        submitter, team = rng.choice(submitters)
        created = moments[index]
        yield (
            pk,
            f"{rng.choice(ASKS)} {topic[0].lower()}{topic[1:]}",
            # Not the customer's name: the texts repeat, so each is embedded once (`embeddings`).
            f"The customer {rng.choice(PAINS)}. They asked for {topic.lower()}.",
            customer,
            rng.choice(contacts_of[customer]),
            submitter,
            team if rng.random() < 0.9 else "other",
            kinds[index],
            importances[index],
            Decimal(rng.randrange(1_000, 250_000, 1_000)) if rng.random() < 0.2 else None,
            initiative_area[initiative] if initiative is not None else rng.choice(area_ids),
            rng.sample(TAGS, k=rng.choice((0, 0, 1, 1, 2, 3))),
            status,
            initiative,
            duplicate_of,
            rng.choice(DECLINE_REASONS) if status == "declined" else "",
            today + datetime.timedelta(days=rng.randint(1, 60)) if status == "snoozed" else None,
            created,
            min(now, created + datetime.timedelta(days=rng.randint(0, 20))),
        )


# ---------------------------------------------------------------------------------------------
# Timing


@dataclass(frozen=True)
class Page:
    label: str
    url: str
    target_ms: float = TARGET_MS


def _p95(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


@dataclass(frozen=True)
class Timing:
    """A page's server times and, request by request, the time of its bare SQL."""

    page: Page
    durations_ms: list[float]
    floor_ms: list[float]
    queries: list[int]
    slowest_sql: str

    @property
    def median_ms(self) -> float:
        return statistics.median(self.durations_ms)

    @property
    def p95_ms(self) -> float:
        return _p95(self.durations_ms)

    @property
    def floor_median_ms(self) -> float:
        return statistics.median(self.floor_ms)

    @property
    def floor_p95_ms(self) -> float:
        return _p95(self.floor_ms)

    @property
    def ratio(self) -> float:
        """Median page time over median floor: how many times its bare SQL the page takes."""
        return self.median_ms / self.floor_median_ms

    @property
    def p95_ratio(self) -> float:
        return self.p95_ms / self.floor_p95_ms

    @property
    def queries_label(self) -> str:
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"

    @property
    def fast_enough(self) -> bool:
        return self.p95_ms <= self.page.target_ms

    @property
    def close_to_floor(self) -> bool:
        return self.ratio <= RATIO_TARGET


def pages() -> list[Page]:
    """The pages timed: the product manager's daily ones, the ticket API's list and the
    suggestions a submitter sees while typing."""
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import timezone

    from core.dates import month_start
    from intake.models import Customer
    from sessions.services import review_create
    from triage.models import Initiative

    board = reverse("triage:board")
    insights = reverse("insights")
    tickets = reverse("intake:list")
    # The initiative with the most tickets: its page lists every customer who asked.
    biggest = Initiative.objects.order_by("-ticket_count", "pk").values_list("pk", flat=True)[0]
    # The customer with the most tickets: their history is the ticket list for that company.
    customer = (
        Customer.objects.annotate(asked=Count("tickets"))
        .order_by("-asked", "pk")
        .values_list("name", flat=True)[0]
    )
    # This month's review, with the agenda it is made with (made once, then reused).
    review, _ = review_create(month=month_start(timezone.localdate()))
    return [
        Page("inbox", reverse("triage:inbox")),
        Page("board", board),
        Page("board, 90 days, sales", f"{board}?period=90&source_team=sales"),
        Page("initiative", reverse("triage:initiative", args=[biggest])),
        Page("ticket list API", reverse("api-tickets")),
        Page("all-tickets search", f"{tickets}?{urlencode({'q': 'export invoices'})}"),
        Page("customer's history", f"{tickets}?{urlencode({'company': customer})}"),
        Page("review", reverse("sessions:detail", args=[review.pk])),
        Page(
            "similar feedback",
            f"{reverse('intake:similar')}?{urlencode({'title': 'export invoices csv'})}",
        ),
        Page("insights", insights, INSIGHTS_TARGET_MS),
        Page("insights, 12 months", f"{insights}?months=12", INSIGHTS_TARGET_MS),
    ]


# Django reads a queryset's .iterator() through a named cursor: DECLARE, then FETCHes that
# CaptureQueriesContext does not see. Running the SELECT itself and fetching every row is the
# same work for the server.
_DECLARE = re.compile(r'^DECLARE "[^"]+" NO SCROLL CURSOR WITH(?:OUT)? HOLD FOR ', re.DOTALL)


def sql_replay(floor: psycopg.Connection[Any], statements: Sequence[str]) -> float:
    """Run statements as captured (parameters already in them) and fetch every row; the
    milliseconds they took. Rolled back, so a page that writes changes nothing twice."""
    with floor.cursor() as cursor:
        start = time.perf_counter()
        for statement in statements:
            # Bytes: psycopg runs them as they are, without looking for placeholders.
            cursor.execute(_DECLARE.sub("", statement).encode())
            if cursor.description is not None:
                cursor.fetchall()
        elapsed = time.perf_counter() - start
    floor.rollback()
    return elapsed * 1000


def page_time(client: Client, floor: psycopg.Connection[Any], page: Page, requests: int) -> Timing:
    """Median and p95 of `requests` GETs after a few warm-ups; after each, its floor: the same
    SQL statements again on `floor`, a bare connection to the same database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> None:
        response = client.get(page.url)
        assert response.status_code == 200, f"{page.url} answered {response.status_code}"

    for _ in range(WARM_UPS):
        get()
    durations: list[float] = []
    floor_ms: list[float] = []
    queries: list[int] = []
    slowest = (0.0, "")
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            get()
            durations.append((time.perf_counter() - start) * 1000)
        statements = [query["sql"] for query in captured.captured_queries]
        floor_ms.append(sql_replay(floor, statements))
        queries.append(len(statements))
        for query in captured.captured_queries:
            slowest = max(slowest, (float(query["time"]), query["sql"]))
    return Timing(page, durations, floor_ms, queries, slowest[1])


def explain(statement: str) -> str:
    from django.db import connection

    if not statement.startswith("SELECT"):
        # ANALYZE runs the statement; only reads are safe to run again (not a DECLARE either).
        return "(not a plain SELECT; not explained)"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}")
        return "\n".join(row[0] for row in cursor.fetchall())

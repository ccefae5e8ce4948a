"""Same-ask matching, measured: how often similar-feedback search finds the ask a text repeats,
and how fast it answers at scale.

    .venv/bin/python bench/dedupe.py             # recall@1, recall@5, noise@5: full text, hybrid
    .venv/bin/python bench/dedupe.py --sweep     # ... and the grid the hybrid's constants came from
    .venv/bin/python bench/dedupe.py --latency [--tickets 1000000 --initiatives 20000]

The dev set (../shared/dedupe/dev.json beside the checkout, or --set) holds 50 asks, each
written four ways, and 40 look-alike distractors. The first wording of each ask and the
distractors become initiatives (through initiative_create, so with their vectors) in a database
of their own beside the benchmark's (BENCH_DATABASE_URL's name + "_dedupe"), and the three other
wordings of each ask are the queries (150), sent as the ticket form sends them (title, then
description). For each query, of the initiatives suggested (at most 5):
- recall@1: the first is the ask's initiative;
- recall@5: the ask's initiative is among them;
- noise@5: how many others there are (wrong suggestions), on average;
- new ask: how many are suggested when the ask's initiative is left out, as for an ask never
  seen before (all of them wrong), on average: what keeps the floor honest, since every query
  of the set has a right answer.
"Full text" is the search before vectors (PostgreSQL's rank for any of the words, at least 0.05,
best 5); "hybrid" is triage.similarity as the app runs it. Only this set was used to choose the
hybrid's constants: figures on asks never seen are likely lower.

--latency times triage.selectors.similar_feedback in this process on the benchmark database
itself (BENCH_DATABASE_URL, filled as bench/loop.py fills it, reused when the counts match),
with the dev set's queries: the first call (which reads every vector into memory), then the
median and p95 of the rest, beside the full-text search alone over the same rows.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
# As in bench/loop.py: bench/triage.py must not shadow the `triage` app.
sys.path[0] = str(ROOT)

from bench.triage import (  # noqa: E402
    MILLION,
    Sizes,
    counts,
    database_ensure,
    django_setup,
    fill,
    step,
    users_ensure,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/feedbackloop_bench"
DEFAULT_SET = ROOT.parent / "shared" / "dedupe" / "dev.json"
TOP = 5
# bench/loop.py --size 1m: one database serves both.
LATENCY_SIZES = MILLION
# Text with words but nothing to ask (mashed keys, fillers, placeholders; text of punctuation or
# stop words only is never scored): a blend that offers an initiative for any of these has its
# floor too low, whatever it scores on the dev set.
NOTHING_TO_MATCH = [
    "asdf", "asdf jkl qwerty", "qwertyuiop", "xxxxxxxx", "zzz", "hello", "hi there", "thanks",
    "ok", "n/a", "see above", "as discussed", "per our call", "same as before", "blah blah",
    "lorem ipsum dolor sit amet", "foo bar baz", "123456", "🙂🚀 ok",
]  # fmt: skip


@dataclass(frozen=True)
class Ask:
    """One query: a wording of an ask, and which initiative holds the ask's first wording."""

    text: str
    cluster: str
    hard: bool


@dataclass(frozen=True)
class DevSet:
    initiatives: list[tuple[str, str, str]]  # (cluster id or "", title, description)
    asks: list[Ask]

    @classmethod
    def load(cls, path: Path) -> DevSet:
        data = json.loads(path.read_text())
        initiatives = [
            (c["id"], c["items"][0]["title"], c["items"][0]["description"])
            for c in data["clusters"]
        ] + [("", d["title"], d["description"]) for d in data["distractors"]]
        asks = [
            Ask(f"{item['title']} {item['description']}", c["id"], bool(item.get("hard")))
            for c in data["clusters"]
            for item in c["items"][1:]
        ]
        return cls(initiatives, asks)


@dataclass(frozen=True)
class Figures:
    recall_1: float
    recall_5: float
    noise_5: float
    empty: int
    new_noise: float | None = None  # suggestions when the ask has no initiative yet

    def row(self, label: str) -> list[str]:
        return [
            label,
            f"{self.recall_1:.2f}",
            f"{self.recall_5:.2f}",
            f"{self.noise_5:.2f}",
            str(self.empty),
            "" if self.new_noise is None else f"{self.new_noise:.2f}",
        ]

    @property
    def meets_targets(self) -> bool:
        return self.recall_1 >= 0.75 and self.recall_5 >= 0.90 and self.noise_5 <= 1.0


def figures(asks: Sequence[Ask], found: Sequence[Sequence[str]]) -> Figures:
    """`found[i]`: the clusters of the initiatives suggested for asks[i] ("" = a distractor)."""
    first = sum(1 for ask, f in zip(asks, found, strict=True) if f[:1] == [ask.cluster])
    within = sum(1 for ask, f in zip(asks, found, strict=True) if ask.cluster in f[:TOP])
    noise = sum(
        sum(1 for c in f[:TOP] if c != ask.cluster) for ask, f in zip(asks, found, strict=True)
    )
    n = len(asks)
    return Figures(first / n, within / n, noise / n, sum(1 for f in found if not f))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [cell.rjust(width) for cell, width in zip(row, widths, strict=True)]
        cells[0] = row[0].ljust(widths[0])
        print("  ".join(cells).rstrip())


# ---------------------------------------------------------------------------------------------
# Recall and noise on the dev set


def load(dev: DevSet) -> dict[int, str]:
    """Empty the dedupe database's initiatives and tickets, load the dev set's initiatives;
    returns the cluster of each initiative id."""
    from django.db import connection

    from triage import similarity
    from triage.services import initiative_create

    manager, _ = users_ensure()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE intake_ticket, triage_initiative RESTART IDENTITY CASCADE")
    similarity.forget()
    return {
        initiative_create(by=manager, title=title, description=description).pk: cluster
        for cluster, title, description in dev.initiatives
    }


def fulltext_alone(text: str) -> list[int]:
    """The initiatives the search before vectors suggested: rank for any word, >= 0.05."""
    from django.contrib.postgres.search import SearchRank
    from django.db.models import F

    from intake.selectors import any_words_query
    from triage.models import Initiative

    query = any_words_query(text)
    if query is None:
        return []
    return list(
        Initiative.objects.filter(search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .filter(rank__gte=0.05)
        .order_by("-rank", "-priority_score")
        .values_list("pk", flat=True)[:TOP]
    )


def quality(dev: DevSet, *, sweep: bool) -> None:
    from triage import similarity

    with step(f"loading {len(dev.initiatives)} initiatives"):
        cluster_of = load(dev)
    asks = dev.asks
    with step(f"{len(asks)} queries, both ways"):
        by_words = [[cluster_of[pk] for pk in fulltext_alone(ask.text)] for ask in asks]
        candidates = [_candidates(ask.text) for ask in asks]
        contentless = [_candidates(text) for text in NOTHING_TO_MATCH]

    def offers_for_nothing(blend: similarity.Blend) -> int:
        """How many of NOTHING_TO_MATCH get an initiative offered."""
        return sum(1 for c in contentless if similarity.kept(c, limit=TOP, blend=blend))

    def hybrid(blend: similarity.Blend, subset: Callable[[Ask], bool] = lambda a: True) -> Figures:
        chosen = [i for i, ask in enumerate(asks) if subset(ask)]
        found = [
            [cluster_of[c.pk] for c, _ in similarity.kept(candidates[i], limit=TOP, blend=blend)]
            for i in chosen
        ]
        # The same queries as if their ask were new: without its initiative, all is noise.
        unseen = [
            len(
                similarity.kept(
                    [c for c in candidates[i] if cluster_of[c.pk] != asks[i].cluster],
                    limit=TOP,
                    blend=blend,
                )
            )
            for i in chosen
        ]
        base = figures([asks[i] for i in chosen], found)
        return dataclasses.replace(base, new_noise=sum(unseen) / len(chosen))

    meaning_only = similarity.Blend(words=0.0, floor=-1.0, near_best=0.0, sure=1.0)
    words = figures(asks, by_words)
    mixed = hybrid(similarity.BLEND)
    print(
        f"\n{len(asks)} queries ({sum(a.hard for a in asks)} of them hard: no word in common "
        f"with the ask's first wording), {len(dev.initiatives)} initiatives"
    )
    b = similarity.BLEND
    _table(
        ["method", "recall@1", "recall@5", "noise@5", "empty", "new ask"],
        [
            words.row("full text alone"),
            hybrid(meaning_only).row("meaning alone, no floor"),
            mixed.row(
                f"hybrid (words {b.words}, floor {b.floor}, near {b.near_best}, sure {b.sure})"
            ),
            hybrid(b, lambda a: not a.hard).row("  hybrid, the 100 other queries"),
            hybrid(b, lambda a: a.hard).row("  hybrid, the 50 hard queries"),
            ["target", ">= 0.75", ">= 0.90", "<= 1.00", "", ""],
        ],
    )
    print(f"hybrid meets every target: {'yes' if mixed.meets_targets else 'no'}")
    print(
        f"texts with nothing to ask offered an initiative: {offers_for_nothing(b)} of "
        f"{len(NOTHING_TO_MATCH)} (the best of them scores {_best_score(contentless, b):.3f})"
    )
    wrong = [
        [c for c in found if cluster_of[c.pk] != ask.cluster]
        for ask, found in zip(asks, candidates, strict=True)
    ]
    print(f"the best-scoring wrong initiative scores {_best_score(wrong, b):.3f}")
    if sweep:
        _sweep(hybrid, offers_for_nothing)


def _candidates(text: str) -> list[Any]:
    from triage import similarity

    query = similarity.Query.of(text)
    return similarity.initiative_candidates(query) if query else []


def _best_score(candidates: Sequence[Sequence[Any]], blend: Any) -> float:
    return max((c.score(blend) for found in candidates for c in found), default=0.0)


def _sweep(hybrid: Callable[[Any], Figures], offers_for_nothing: Callable[[Any], int]) -> None:
    """Every blend on a small grid; the best recall@5 at each noise budget among those that
    offer nothing for text with nothing to ask."""
    from triage import similarity

    blends = [
        similarity.Blend(words=w, floor=f, near_best=n, sure=s)
        for w in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
        for f in (0.2, 0.22, 0.24, 0.26, 0.28, 0.3, 0.32, 0.35, 0.4)
        for n in (0.0, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
        for s in (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 1.0)
    ]
    grid = [(blend, hybrid(blend)) for blend in blends if not offers_for_nothing(blend)]
    print(
        f"\nsweep: {len(grid)} of {len(blends)} blends offer nothing for text with nothing to "
        "ask; of those, the best recall@5 (then recall@1) with noise@5 within a budget"
    )
    rows = []
    for noise in (0.5, 0.9, 1.0, 1.5, 2.0, 5.0):
        fitting = [(b, f) for b, f in grid if f.noise_5 <= noise]
        if fitting:
            b, f = max(fitting, key=lambda bf: (bf[1].recall_5, bf[1].recall_1, -bf[1].noise_5))
            label = f"noise <= {noise}: words {b.words}, floor {b.floor}, near {b.near_best}, "
            rows.append(f.row(label + f"sure {b.sure}"))
    _table(["best blend", "recall@1", "recall@5", "noise@5", "empty", "new ask"], rows)


# ---------------------------------------------------------------------------------------------
# Latency at scale


def _p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def latency(dev: DevSet, sizes: Sizes, requests: int, refill: bool) -> None:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from intake.models import Ticket, TicketStatus
    from triage import similarity
    from triage.selectors import similar_feedback

    held = counts()
    if held == sizes and not refill:
        print(f"reusing the benchmark database: {held}")
    else:
        print(f"filling with {sizes} (held {held})")
        fill(sizes)
    waiting = Ticket.objects.filter(status__in=TicketStatus.untriaged()).count()
    texts = [ask.text for ask in dev.asks]
    similarity.forget()
    start = time.perf_counter()
    similar_feedback(text=texts[0])
    cold = (time.perf_counter() - start) * 1000
    times: list[float] = []
    queries: list[int] = []
    cpu_start = time.process_time()
    for text in itertools.islice(itertools.cycle(texts), requests):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            similar_feedback(text=text)
            times.append((time.perf_counter() - start) * 1000)
        queries.append(len(captured.captured_queries))
    cpu = (time.process_time() - cpu_start) * 1000 / requests
    coarse = _coarse_overlap(texts)
    words: list[float] = []
    for text in itertools.islice(itertools.cycle(texts), min(requests, 60)):
        start = time.perf_counter()
        _fulltext_feedback(text)
        words.append((time.perf_counter() - start) * 1000)
    print(
        f"\nsimilar_feedback at {sizes} ({waiting:,} tickets waiting), "
        f"{requests} calls with the dev set's texts, in ms"
    )
    _table(
        ["", "median", "p95", "max", "queries"],
        [
            [
                "hybrid (triage.similarity)",
                f"{statistics.median(times):.1f}",
                f"{_p95(times):.1f}",
                f"{max(times):.1f}",
                f"{min(queries)}-{max(queries)}",
            ],
            [
                "full text alone, tickets and initiatives",
                f"{statistics.median(words):.1f}",
                f"{_p95(words):.1f}",
                f"{max(words):.1f}",
                "2",
            ],
            ["first call, reading every vector", f"{cold:.0f}", "", "", ""],
            ["target", "", "50", "", ""],
        ],
    )
    print(
        f"\nthis process's CPU time: {cpu:.1f} ms a call (load average now "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall times grow with it)"
    )
    if coarse is not None:
        print(
            f"\nwaiting tickets searched coarsely (core.vectors): of the exact search's "
            f"{similarity.CANDIDATES} nearest, {coarse[0]:.0%} are among the coarse search's, "
            f"and {coarse[1]:.0%} of its nearest 5"
        )


def _coarse_overlap(texts: Sequence[str]) -> tuple[float, float] | None:
    """How much of the exact search's nearest waiting tickets the coarse search finds (None
    when there are too few to be searched coarsely)."""
    from core.embeddings import embed_query
    from core.vectors import prefix
    from triage import similarity

    index = similarity._tickets.index
    if not index.coarse:
        return None
    found = [0, 0]
    wanted = [0, 0]
    for text in texts:
        query = prefix(embed_query(text), similarity.TICKET_SEARCH_DIMENSIONS)
        exact = [pk for pk, _ in index.nearest(query, similarity.CANDIDATES, exact=True)]
        coarse = {pk for pk, _ in index.nearest(query, similarity.CANDIDATES)}
        for n, best in enumerate((exact, exact[:TOP])):
            found[n] += len(coarse.intersection(best))
            wanted[n] += len(best)
    return found[0] / max(1, wanted[0]), found[1] / max(1, wanted[1])


def _fulltext_feedback(text: str) -> None:
    """The similar-feedback search before vectors: full text over open initiatives and
    waiting tickets (what the hybrid would cost if it also ranked every ticket by words)."""
    from django.contrib.postgres.search import SearchRank
    from django.db.models import F

    from intake.models import Ticket, TicketStatus
    from intake.selectors import any_words_query
    from triage.models import Initiative

    query = any_words_query(text)
    if query is None:
        return
    rank = SearchRank(F("search_vector"), query)
    list(
        Initiative.objects.filter(search_vector=query)
        .annotate(rank=rank)
        .filter(rank__gte=0.05)
        .order_by("-rank")
        .values_list("pk", flat=True)[:TOP]
    )
    list(
        Ticket.objects.filter(search_vector=query, status__in=TicketStatus.untriaged())
        .annotate(rank=rank)
        .filter(rank__gte=0.05)
        .order_by("-rank")
        .values_list("pk", flat=True)[:TOP]
    )


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help=f"default {DEFAULT_SET}")
    parser.add_argument("--sweep", action="store_true", help="print the grid of blends too")
    parser.add_argument("--latency", action="store_true", help="time similar_feedback at scale")
    parser.add_argument("--tickets", type=int, default=LATENCY_SIZES.tickets)
    parser.add_argument("--initiatives", type=int, default=LATENCY_SIZES.initiatives)
    parser.add_argument("--customers", type=int, default=LATENCY_SIZES.customers)
    parser.add_argument("--requests", type=int, default=200, help="timed calls (--latency)")
    parser.add_argument("--refill", action="store_true", help="fill again (--latency)")
    args = parser.parse_args(argv)
    if not args.set.is_file():
        parser.error(f"no dev set at {args.set}; pass --set PATH")
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    name = urlparse(url).path.lstrip("/")
    if "bench" not in name:
        parser.error(f"BENCH_DATABASE_URL names database {name!r}; its name must contain 'bench'")
    if not args.latency:
        # The dev set gets its own database: the benchmark's keeps its million tickets.
        url = urlparse(url)._replace(path=f"/{name}_dedupe").geturl()
    database_ensure(url)
    django_setup(url, redis_url=os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/9")
    dev = DevSet.load(args.set)
    if args.latency:
        sizes = Sizes(tickets=args.tickets, customers=args.customers, initiatives=args.initiatives)
        latency(dev, sizes, args.requests, args.refill)
    else:
        quality(dev, sweep=args.sweep)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Themes in the inbox: waiting tickets that look like the same ask, grouped by what their words
mean ("5 tickets from 4 companies look like SSO with Okta"), so a product manager makes them one
initiative, or links them all to the initiative suggested, in one action.

How: the first THEME_WINDOW tickets of the waiting inbox (its own order), less those a product
manager took out (ThemeExclusion), are embedded (core.embeddings; a ticket's stored vector when
it has one) and grouped by average-linkage agglomerative clustering on cosine similarity, merging
while two groups are, on average, at least THEME_THRESHOLD alike. A theme holds at least two
tickets from at least two companies; it is named after its most central ticket and suggests the
best similar open initiative (triage.selectors.similar_feedback).

Cost: a request asks the database for a digest of the window's ids and versions (one aggregate
query) and looks the themes up in the cache under it, so any change to a waiting ticket, or a
ticket in or out, makes a new key; one more query re-reads the suggested initiatives. Themes are
never found on a request: a miss asks a worker to find them (`triage.tasks.find_themes`, one at a
time) and shows the last ones found meanwhile, less the tickets no longer in the window (one
query). Finding them takes seconds at a million tickets (the suggestions' searches, the
clustering); a worker embeds only the ticket versions not embedded before (each vector is cached
too). Where Celery runs tasks in the process (no REDIS_URL), the request finds them itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.postgres.aggregates import StringAgg
from django.core.cache import cache
from django.db.models import CharField, Count, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import MD5, Cast, Concat
from django.urls import reverse

from core.embeddings import DIMENSIONS, MODEL_ID, embed
from core.workers import ask_once
from intake.models import Ticket, TicketStatus
from triage.models import Initiative, InitiativeStatus, ThemeExclusion
from triage.selectors import similar_feedback

THEME_WINDOW = 2_000
# Average cosine two groups need to be one theme. Measured on the dedupe dev set
# (../shared/dedupe/dev.json, its 240 texts clustered): at 0.5, 84% of the pairs it groups are
# the same ask and it finds 97 of the 300 same-ask pairs (0.45: 76%, 117; 0.55: 89%, 68). The
# model before (wordllama) grouped 81% right at 0.5 and found 56.
THEME_THRESHOLD = 0.5
THEMES_SHOWN = 5
# A theme keeps its most central tickets up to this many; one action links them all.
THEME_SIZE_MAX = 100
THEME_CACHE_SECONDS = 15 * 60
# The last themes found, whatever the window then: shown while a worker finds the new ones.
LATEST_CACHE_SECONDS = 24 * 60 * 60
# One search at a time: a request that misses asks for one unless one was asked for this long
# ago and has not finished (a worker that died lets the next request ask again).
FINDING_SECONDS = 120
VECTOR_CACHE_SECONDS = 24 * 60 * 60
# Part of every cache key: a change to how themes are found must not read old answers.
ALGORITHM = (
    f"average-linkage-v2-{THEME_THRESHOLD}-{THEME_WINDOW}-{THEMES_SHOWN}-{THEME_SIZE_MAX}-"
    f"{MODEL_ID}"
)
TEXT_LIMIT = 2_000


@dataclass(frozen=True)
class ThemeTicket:
    """A ticket of a theme, as the inbox lists it."""

    pk: int
    title: str
    customer_name: str
    # Its page, found when the theme is (a page of themes links hundreds of tickets).
    url: str


@dataclass(frozen=True)
class Theme:
    """Waiting tickets that look like one ask, the most central first."""

    tickets: Sequence[ThemeTicket]
    label: str
    companies: int
    initiative: Initiative | None

    @property
    def ticket_ids(self) -> list[int]:
        return [ticket.pk for ticket in self.tickets]

    @property
    def ticket_list(self) -> str:
        """Its tickets' ids as the theme's forms send them, in one value."""
        return ",".join(str(pk) for pk in self.ticket_ids)


@dataclass(frozen=True)
class _Found:
    """A theme as cached. Its tickets' titles are as current as the key: the key changes with
    any change to a waiting ticket."""

    tickets: tuple[ThemeTicket, ...]
    label: str
    companies: int
    initiative_id: int | None


def _groupable() -> QuerySet[Ticket]:
    """Waiting tickets, but for those a product manager took out of themes."""
    taken_out = ThemeExclusion.objects.filter(ticket=OuterRef("pk"))
    return Ticket.objects.filter(status=TicketStatus.NEW).filter(~Exists(taken_out))


def _window() -> QuerySet[Ticket]:
    """The tickets themes are found among: the first THEME_WINDOW groupable ones in the waiting
    inbox's order (read on its index)."""
    return _groupable().order_by("-importance_rank", "created_at", "id")[:THEME_WINDOW]


def _window_key() -> tuple[int, str]:
    """How many tickets the window holds, and a digest of their ids and versions (one
    aggregate query: the rows stay in the database)."""
    version = Concat(
        Cast("pk", output_field=CharField()),
        Value(":"),
        Cast("updated_at", output_field=CharField()),
    )
    row = _window().aggregate(
        size=Count("pk"),
        digest=MD5(StringAgg(version, delimiter=",", order_by="pk", default=Value(""))),
    )
    return row["size"], row["digest"] or ""


def _key(digest: str) -> str:
    return f"triage:themes:{ALGORITHM}:{digest}"


_LATEST_KEY = f"triage:themes:{ALGORITHM}:latest"
_FINDING_KEY = f"triage:themes:{ALGORITHM}:finding"


def themes_find() -> None:
    """Find the window's themes now and cache them (the worker's side of `inbox_themes`)."""
    try:
        size, digest = _window_key()
        found = _themes_find() if size >= 2 else []
        cache.set(_key(digest), found, THEME_CACHE_SECONDS)
        cache.set(_LATEST_KEY, found, LATEST_CACHE_SECONDS)
    finally:
        cache.delete(_FINDING_KEY)


# triage/tasks.py imports this module, so the task is published to by name.
FIND_THEMES = "triage.tasks.find_themes"


def forget() -> None:
    """Drop the last themes found and any search asked for (tests start again with these)."""
    cache.delete_many([_LATEST_KEY, _FINDING_KEY])


def _ask_for_themes() -> None:
    """Have a worker find the themes, unless one is at it already. A broker that cannot be
    reached leaves the inbox with the last themes found: the next request asks again."""
    ask_once(FIND_THEMES, key=_FINDING_KEY, seconds=FINDING_SECONDS, what="Themes not found")


def _still_waiting(found: list[_Found]) -> list[_Found]:
    """Themes found for an earlier window, less the tickets no longer waiting (triaged, taken
    out, snoozed), and those left without two tickets from two companies (one query)."""
    ids = {ticket.pk for theme in found for ticket in theme.tickets}
    if not ids:
        return []
    waiting = set(_groupable().filter(pk__in=ids).values_list("pk", flat=True))
    kept = []
    for theme in found:
        tickets = tuple(ticket for ticket in theme.tickets if ticket.pk in waiting)
        companies = len({ticket.customer_name for ticket in tickets})
        if len(tickets) >= 2 and companies >= 2:
            # Named after its most central ticket still waiting, as when it was found.
            kept.append(_Found(tickets, tickets[0].title, companies, theme.initiative_id))
    return kept


def inbox_themes() -> list[Theme]:
    """The inbox's themes, most companies first: one query when nothing changed since they were
    found (two with suggested initiatives, re-read so a suggestion is open now). When something
    did, the last themes found, still waiting (a query more), while a worker finds new ones."""
    size, digest = _window_key()
    if size < 2:
        return []
    found: list[_Found] | None = cache.get(_key(digest))
    if found is None:
        _ask_for_themes()
        # A task run in this process (no broker) has just cached them.
        found = cache.get(_key(digest))
    if found is None:
        found = _still_waiting(cache.get(_LATEST_KEY) or [])
    if not found:
        return []
    suggested = {theme.initiative_id for theme in found if theme.initiative_id}
    initiatives = {
        initiative.pk: initiative
        for initiative in Initiative.objects.filter(
            pk__in=suggested, status__in=InitiativeStatus.open()
        ).defer("search_vector")
    }
    return [
        Theme(
            tickets=theme.tickets,
            label=theme.label,
            companies=theme.companies,
            initiative=initiatives.get(theme.initiative_id or 0),
        )
        for theme in found
    ]


# ---------------------------------------------------------------------------------------------
# Finding them (on a cache miss)


def _stored_vector_field() -> str | None:
    """The ticket field holding its stored embedding, once tickets have one."""
    names = {field.name for field in Ticket._meta.concrete_fields}
    return next((name for name in ("embedding", "vector") if name in names), None)


def _as_vector(value: object) -> np.ndarray | None:
    """A stored vector (real[] or float32 bytes) as a unit row, or None if it is not one."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        vector = np.frombuffer(bytes(value), dtype=np.float32)
    else:
        try:
            vector = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            return None
    if vector.shape != (DIMENSIONS,):
        return None
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else None


def _vector_key(pk: int, updated: Any) -> str:
    return f"triage:vector:{MODEL_ID}:{pk}:{updated.timestamp()}"


def _vectors(window: Sequence[tuple[int, Any]]) -> np.ndarray:
    """One unit row per window ticket: stored, cached, or embedded now (and cached)."""
    keys = {pk: _vector_key(pk, updated) for pk, updated in window}
    cached = cache.get_many(list(keys.values()))
    rows: dict[int, np.ndarray] = {}
    for pk, key in keys.items():
        if key in cached:
            rows[pk] = np.frombuffer(cached[key], dtype=np.float32)
    missing = [pk for pk in keys if pk not in rows]
    if missing:
        stored = _stored_vector_field()
        fields = ["pk", "title", "description", *([stored] if stored else [])]
        texts: dict[int, str] = {}
        for row in Ticket.objects.filter(pk__in=missing).values(*fields):
            vector = _as_vector(row[stored]) if stored else None
            if vector is not None:
                rows[row["pk"]] = vector
            else:
                texts[row["pk"]] = f"{row['title']}. {row['description']}"[:TEXT_LIMIT]
        if texts:
            embedded = embed(list(texts.values()))
            for pk, vector in zip(texts, embedded, strict=True):
                rows[pk] = vector
        cache.set_many(
            {keys[pk]: rows[pk].astype(np.float32).tobytes() for pk in missing if pk in rows},
            VECTOR_CACHE_SECONDS,
        )
    empty = np.zeros(DIMENSIONS, dtype=np.float32)
    return np.vstack([rows.get(pk, empty) for pk, _ in window]).astype(np.float32)


def _components(linked: np.ndarray) -> list[np.ndarray]:
    """The connected groups of a boolean adjacency matrix, leaving out lone rows."""
    seen = np.zeros(len(linked), dtype=bool)
    seen[~linked.any(axis=1)] = True
    groups = []
    for start in range(len(linked)):
        if seen[start]:
            continue
        seen[start] = True
        members, frontier = [start], [start]
        while frontier:
            reached = np.flatnonzero(linked[frontier].any(axis=0) & ~seen)
            seen[reached] = True
            members += reached.tolist()
            frontier = reached.tolist()
        groups.append(np.array(sorted(members)))
    return groups


def average_linkage(similarity: np.ndarray, threshold: float) -> list[list[int]]:
    """Agglomerative clustering (average linkage, UPGMA) of rows whose pairwise `similarity` is
    given, merging the most alike pair of groups while they are at least `threshold` alike on
    average; the groups of two or more, as row indices."""
    n = len(similarity)
    alike = similarity.astype(np.float64)
    np.fill_diagonal(alike, -np.inf)
    size = np.ones(n)
    alive = np.ones(n, dtype=bool)
    members: list[list[int]] = [[i] for i in range(n)]
    best = alike.max(axis=1)
    partner = alike.argmax(axis=1)
    while n > 1:
        a = int(np.argmax(best))
        if best[a] < threshold:
            break
        b = int(partner[a])
        merged = (alike[a] * size[a] + alike[b] * size[b]) / (size[a] + size[b])
        alike[a], alike[:, a] = merged, merged
        alike[a, a] = -np.inf
        alike[b], alike[:, b] = -np.inf, -np.inf
        alive[b], best[b] = False, -np.inf
        size[a] += size[b]
        members[a] += members[b]
        members[b] = []
        stale = np.flatnonzero(alive & ((partner == a) | (partner == b))).tolist()
        for row in [*stale, a]:
            best[row], partner[row] = alike[row].max(), alike[row].argmax()
        closer = alive & (alike[:, a] > best)
        best[closer], partner[closer] = alike[closer, a], a
    return [group for group in members if len(group) >= 2]


def clusters(vectors: np.ndarray, threshold: float = THEME_THRESHOLD) -> list[list[int]]:
    """Groups of row indices of unit `vectors` that are alike, per average_linkage: found within
    each connected group of pairs at least `threshold` alike (a merge never crosses them)."""
    similarity = vectors @ vectors.T
    linked = similarity >= threshold
    np.fill_diagonal(linked, False)
    found = []
    for component in _components(linked):
        inner = similarity[np.ix_(component, component)]
        found += [component[group].tolist() for group in average_linkage(inner, threshold)]
    return found


def _themes_find() -> list[_Found]:
    window = sorted(_window().values_list("pk", "updated_at"))
    if len(window) < 2:
        return []
    vectors = _vectors(window)
    groups = clusters(vectors)
    if not groups:
        return []
    ids = [window[i][0] for group in groups for i in group]
    facts = {
        pk: (title, customer_id, customer_name)
        for pk, title, customer_id, customer_name in Ticket.objects.filter(pk__in=ids).values_list(
            "pk", "title", "customer_id", "customer__name"
        )
    }
    themes = []
    for group in groups:
        rows = [i for i in group if window[i][0] in facts]
        if len(rows) < 2:
            continue
        # The most central ticket first: the one most alike to the rest names the theme.
        centrality = (vectors[rows] @ vectors[rows].T).sum(axis=1)
        ordered = [rows[i] for i in np.argsort(-centrality, kind="stable")][:THEME_SIZE_MAX]
        pks = tuple(window[i][0] for i in ordered)
        companies = len({facts[pk][1] for pk in pks})
        if companies >= 2:
            themes.append((companies, len(pks), pks))
    themes.sort(key=lambda theme: (-theme[0], -theme[1], theme[2][0]))
    found = []
    for companies, _, pks in themes[:THEMES_SHOWN]:
        tickets = tuple(
            ThemeTicket(pk, facts[pk][0], facts[pk][2], reverse("intake:detail", args=[pk]))
            for pk in pks
        )
        found.append(
            _Found(
                tickets=tickets,
                label=tickets[0].title,
                companies=companies,
                initiative_id=_suggestion([t.title for t in tickets]),
            )
        )
    return found


def _suggestion(titles: Sequence[str]) -> int | None:
    """The best similar open initiative for a theme's tickets, by their titles."""
    similar = similar_feedback(text=" ".join(titles)[:TEXT_LIMIT], limit=5)
    return next(
        (i.pk for i in similar.initiatives if i.status in InitiativeStatus.open()),
        None,
    )

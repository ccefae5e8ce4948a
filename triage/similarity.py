"""Similar feedback: the initiatives and waiting tickets closest to a text, by meaning and by
shared words. `triage.selectors.similar_feedback` is the way in; bench/dedupe.py measures it.

Each candidate gets two numbers:
- meaning: the cosine between the text's sentence vector and the item's (core.embeddings),
  below 0 counted as 0;
- words: PostgreSQL's full-text rank of the item for any of the text's words, capped at 1.
Its score is `(1 - Blend.words) * meaning + Blend.words * words`. An item is suggested when its
score reaches `Blend.floor` and either `Blend.near_best` times the best score of its kind or
`Blend.sure`: an unrelated item stays out, and so does a weak one next to a clear match.

Candidates are found by meaning: the nearest initiatives (every status; a merged initiative's
wording stands for the one it was merged into) and waiting tickets, in memory. One query each
then fetches them with their full-text rank and shared words. Full text scores candidates but
does not find them: ranking every row that shares a word with a long text takes about a second
at 1,000,000 tickets (bench/dedupe.py --latency). Rows without a vector yet (filed before
vectors, until `manage.py embed_backfill`) are the exception: those are found by their words,
then embedded on the spot to be scored like the others.

The vectors are searched in NumPy over a copy this process keeps of each table (`_Mirror`),
read in full once and then kept in step by `updated_at`: each search first reads the rows
changed since the last one (an indexed, usually empty query).
"""

from __future__ import annotations

import dataclasses
import datetime
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import BinaryField, F, Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils import timezone

from core.embeddings import (
    DIMENSIONS,
    VECTOR_BYTES,
    embed,
    embed_query,
    is_current,
    item_text,
    vector_from_bytes,
    vectors_from_bytes,
)
from core.vectors import VectorIndex, prefix
from intake.models import Ticket, TicketStatus, embedding_size
from intake.selectors import any_words_query, query_words
from triage.models import Initiative


@dataclass(frozen=True)
class Blend:
    """How the two scores make one, and what is good enough to suggest. Chosen on the dev set
    only (bench/dedupe.py --sweep), by one rule: the best recall@5 with at most 0.9 wrong
    suggestions per query on average (the target is 1.0; the margin is for asks the set does
    not hold) among the blends that offer nothing for text with nothing to ask (mashed keys,
    fillers: bench/dedupe.py's NOTHING_TO_MATCH, whose best scores 0.22 here). Shared words
    count for a little: the set's look-alike distractors share words with the asks, but exact
    terms (product names, codes) still break ties. The near-best cut does most of the work
    against noise."""

    words: float = 0.15
    floor: float = 0.24
    near_best: float = 0.8
    # This close is offered even next to a closer one: an ask can have several initiatives (an
    # open one, a shipped one, a declined one). The lowest of the sweep's choices; it costs
    # nothing on the dev set.
    sure: float = 0.55


BLEND = Blend()
# How many of each kind are looked at before scoring: enough that the best few by the blend
# are among them, few enough to fetch in one small query.
CANDIDATES = 40
# Waiting tickets are searched on the first 128 of the 384 dimensions (a third of the memory and
# time): stored vectors are randomly rotated (core.embeddings), so these are a random projection
# of the whole, and the candidates are then scored on the whole vector. Measured on the dev set's
# asks among 2,240 look-alike tickets: 93% of the same-ask tickets of the exact top 5 are among
# the 40 candidates (64 dimensions: 82%, 192: 99%).
TICKET_SEARCH_DIMENSIONS = 128
# From this many waiting tickets on, they are searched coarsely (core.vectors): only those
# filed under the centres nearest the text. Fewer are searched whole, in a few milliseconds.
COARSE_FROM = 50_000
# Rows changed this long before the newest one seen are read again at the next search: a
# transaction that commits late still has its rows picked up.
OVERLAP = datetime.timedelta(seconds=5)
# A full re-read now and then drops whatever was missed (rows deleted, a clock that jumped).
RELOAD_SECONDS = 3600.0
SHARED_WORDS_SHOWN = 4

_Row = tuple[int, bool, bytes | memoryview | None, int | None]


class _Mirror:
    """This process's copy of one table's vectors, kept in step by its `updated_at`."""

    def __init__(self, dimensions: int, *, coarse_from: int | None = None) -> None:
        self.index = VectorIndex(dimensions, coarse_from=coarse_from)
        self.lock = threading.Lock()
        self.merged_into: dict[int, int] = {}
        # Every row changed before this has been read (None: nothing read yet).
        self._settled: datetime.datetime | None = None
        self._loaded = 0.0

    def forget(self) -> None:
        with self.lock:
            self.index.clear()
            self.merged_into.clear()
            self._settled = None

    def sync(self) -> None:
        """Read what changed since the last call (everything, the first time). Hold `lock`."""
        # A row written before `start - OVERLAP` is committed by now (no transaction here takes
        # that long), so the next call need not read it again.
        start = timezone.now()
        if self._settled is None or time.monotonic() - self._loaded > RELOAD_SECONDS:
            self.index.clear()
            self.merged_into.clear()
            self._loaded = time.monotonic()
            self._apply(self.read(since=None))
        else:
            self._apply(self.read(since=self._settled))
        self._settled = start - OVERLAP

    def read(self, *, since: datetime.datetime | None) -> Iterable[_Row]:
        """(id, searchable, vector bytes, merged into) of the rows changed since `since`; a row
        whose vector is another model's (see core.embeddings.is_current) is not searchable."""
        raise NotImplementedError

    def _apply(self, rows: Iterable[_Row]) -> None:
        keep: list[int] = []
        vectors: list[bytes | memoryview] = []
        gone: list[int] = []
        for pk, searchable, vector, merged_into in rows:
            if searchable and vector is not None:
                keep.append(pk)
                vectors.append(vector)
            else:
                gone.append(pk)
            if merged_into is None:
                self.merged_into.pop(pk, None)
            else:
                self.merged_into[pk] = merged_into
        self.index.drop(gone)
        self.index.put(keep, self.prepare(vectors_from_bytes(vectors, self.index.dimensions)))

    def prepare(self, vectors: np.ndarray) -> np.ndarray:
        return vectors


def _changed(rows: QuerySet[Any, Any], since: datetime.datetime | None, *, chunk_size: int) -> Any:
    """The rows changed since `since` in one plain query (usually none); every row, the first
    time, through a cursor that reads them a chunk at a time."""
    if since is None:
        return rows.iterator(chunk_size=chunk_size)
    return rows.filter(updated_at__gte=since)


class _InitiativeMirror(_Mirror):
    """Every initiative with a vector, whatever its status."""

    def read(self, *, since: datetime.datetime | None) -> Iterable[_Row]:
        rows = Initiative.objects.order_by().values_list("pk", "embedding", "merged_into_id")
        for pk, vector, merged_into in _changed(rows, since, chunk_size=5000):
            yield pk, is_current(vector), vector, merged_into

    def answer(self, pk: int) -> int:
        """The initiative a match on `pk` stands for: the one it was merged into, if it was."""
        seen = {pk}
        while pk in self.merged_into and self.merged_into[pk] not in seen:
            pk = self.merged_into[pk]
            seen.add(pk)
        return pk


class _WaitingTicketMirror(_Mirror):
    """The untriaged tickets' vectors, their first TICKET_SEARCH_DIMENSIONS only."""

    def read(self, *, since: datetime.datetime | None) -> Iterable[_Row]:
        rows = Ticket.objects.all()
        if since is None:
            rows = rows.filter(status__in=TicketStatus.untriaged(), embedding__isnull=False)
        waiting = set(TicketStatus.untriaged())
        head = Substr("embedding", 1, TICKET_SEARCH_DIMENSIONS * 4, output_field=BinaryField())
        values = (
            rows.order_by()
            .annotate(head=head, size=embedding_size())
            .values_list("pk", "status", "head", "size")
        )
        for pk, status, vector, stored in _changed(values, since, chunk_size=20_000):
            yield pk, status in waiting and stored == VECTOR_BYTES, vector, None

    def prepare(self, vectors: np.ndarray) -> np.ndarray:
        return prefix(vectors, TICKET_SEARCH_DIMENSIONS)


_initiatives = _InitiativeMirror(DIMENSIONS)
_tickets = _WaitingTicketMirror(TICKET_SEARCH_DIMENSIONS, coarse_from=COARSE_FROM)


def forget() -> None:
    """Drop this process's copies; the next search reads the tables again (tests use this)."""
    _initiatives.forget()
    _tickets.forget()


# ---------------------------------------------------------------------------------------------
# Scoring


def _shared_words(words: Sequence[str]) -> RawSQL:
    """The text's words (as typed, in order) whose stem is in the row's full-text vector."""
    return RawSQL(
        "ARRAY(SELECT t.word FROM unnest(%s::text[]) WITH ORDINALITY AS t(word, n) "
        "WHERE tsvector_to_array(to_tsvector('english', t.word)) "
        "&& tsvector_to_array(search_vector) ORDER BY t.n)",
        [list(dict.fromkeys(words))],
    )


def score(*, meaning: float, rank: float, blend: Blend = BLEND) -> float:
    """One candidate's blended score, 0..1."""
    words = min(1.0, max(0.0, rank))
    return (1 - blend.words) * max(0.0, meaning) + blend.words * words


_Item = TypeVar("_Item", bound=Model)


@dataclass(frozen=True)
class Candidate(Generic[_Item]):
    """An initiative or ticket near the text, with what it is scored on. Only the few kept are
    read whole (`similar`); the others are scored on these numbers alone."""

    pk: int
    meaning: float  # cosine of the vectors
    rank: float  # PostgreSQL's ts_rank for any of the text's words
    shared: list[str]  # the text's words found in it
    item: _Item | None = None

    def score(self, blend: Blend = BLEND) -> float:
        return score(meaning=self.meaning, rank=self.rank, blend=blend)

    @property
    def why(self) -> str:
        if self.shared:
            return "shared words: " + ", ".join(self.shared[:SHARED_WORDS_SHOWN])
        return "similar meaning"


def kept(
    candidates: Iterable[Candidate[_Item]], *, limit: int, blend: Blend = BLEND
) -> list[tuple[Candidate[_Item], float]]:
    """The best `limit` (with their scores) that reach the floor and are near the best one
    (or sure enough on their own)."""
    scored = sorted(((c, c.score(blend)) for c in candidates), key=lambda cs: (-cs[1], -cs[0].pk))
    if not scored:
        return []
    bar = max(blend.floor, min(blend.near_best * scored[0][1], blend.sure))
    return [cs for cs in scored if cs[1] >= bar][:limit]


# (id, title, description, vector, rank, shared words): what a candidate is scored on.
_Scored = tuple[int, str, str, bytes | memoryview | None, float, list[str]]
_SCORED_FIELDS = ("pk", "title", "description", "embedding", "rank", "shared")


def _meanings(rows: Sequence[_Scored], query: np.ndarray) -> list[float]:
    """The cosine of each row's vector with the query's. A row without a stored vector of this
    model yet (a ticket its worker has not embedded yet, or rows before `manage.py
    embed_backfill`) is embedded now, so it is scored like the others."""
    missing = [i for i, row in enumerate(rows) if not is_current(row[3])]
    made = embed([item_text(rows[i][1], rows[i][2]) for i in missing])
    vectors = dict(zip(missing, made, strict=True))
    return [
        float((vectors[i] if i in vectors else vector_from_bytes(row[3] or b"")) @ query)
        for i, row in enumerate(rows)
    ]


# ---------------------------------------------------------------------------------------------
# Candidates


@dataclass(frozen=True)
class Query:
    """A text ready to search: its words, its full-text query and its vector."""

    words: list[str]
    fulltext: SearchQuery
    vector: np.ndarray

    @classmethod
    def of(cls, text: str) -> Query | None:
        """None for a text without a word to look for (empty, punctuation)."""
        fulltext = any_words_query(text)
        if fulltext is None:
            return None
        return cls(query_words(text), fulltext, embed_query(text))


def _ids_or_unembedded(ids: list[int], rows: QuerySet[_Item], query: Query) -> Q:
    """These ids, or the rows without a vector yet that rank best for the query's words
    (filed before vectors, or loaded in bulk, until `manage.py embed_backfill`). Spelled so
    that PostgreSQL reads the two from their indexes (the ids' and a partial one that is
    empty once every row has a vector) instead of scanning the table."""
    unembedded = Q(embedding__isnull=True, search_vector=query.fulltext)
    best = (
        rows.filter(unembedded)
        .annotate(rank=SearchRank(F("search_vector"), query.fulltext))
        .order_by("-rank")
        .values("pk")[:CANDIDATES]
    )
    return Q(pk__in=ids) | (unembedded & Q(pk__in=best))


def initiative_candidates(query: Query) -> list[Candidate[Initiative]]:
    """Initiatives near the query by meaning, with their rank for its words too (one query)."""
    with _initiatives.lock:
        _initiatives.sync()
        meaning: dict[int, float] = {}
        for pk, near in _initiatives.index.nearest(query.vector, CANDIDATES * 2):
            target = _initiatives.answer(pk)
            meaning[target] = max(meaning.get(target, -1.0), near)
            if len(meaning) == CANDIDATES:
                break
    rank = SearchRank(F("search_vector"), query.fulltext)
    rows: list[_Scored] = list(
        Initiative.objects.filter(
            _ids_or_unembedded(list(meaning), Initiative.objects.all(), query)
        )
        .annotate(rank=rank, shared=_shared_words(query.words))
        .order_by()
        .values_list(*_SCORED_FIELDS)
    )
    candidates: list[Candidate[Initiative]] = []
    for row, cosine in zip(rows, _meanings(rows, query.vector), strict=True):
        # The best of its own wording and those of the initiatives merged into it.
        cosine = max(cosine, meaning.get(row[0], -1.0))
        candidates.append(Candidate(row[0], cosine, float(row[4]), list(row[5])))
    return candidates


def ticket_candidates(query: Query, *, exclude: int | None = None) -> list[Candidate[Ticket]]:
    """Waiting tickets near the query by meaning, each scored with its words too (one query)."""
    with _tickets.lock:
        _tickets.sync()
        near = _tickets.index.nearest(prefix(query.vector, TICKET_SEARCH_DIMENSIONS), CANDIDATES)
    waiting = Ticket.objects.filter(status__in=TicketStatus.untriaged())
    rows: list[_Scored] = list(
        Ticket.objects.filter(_ids_or_unembedded([pk for pk, _ in near], waiting, query))
        .filter(status__in=TicketStatus.untriaged())
        .exclude(pk=exclude or 0)
        .annotate(
            rank=SearchRank(F("search_vector"), query.fulltext),
            shared=_shared_words(query.words),
        )
        .order_by()
        .values_list(*_SCORED_FIELDS)
    )
    return [
        Candidate(row[0], cosine, float(row[4]), list(row[5]))
        for row, cosine in zip(rows, _meanings(rows, query.vector), strict=True)
    ]


def _read(
    kept: list[tuple[Candidate[_Item], float]], rows: QuerySet[_Item]
) -> list[tuple[Candidate[_Item], float]]:
    """The kept candidates with their rows read whole (one query, none for none kept); one
    gone since it was scored is left out."""
    if not kept:
        return []
    found = rows.in_bulk([c.pk for c, _ in kept])
    return [(dataclasses.replace(c, item=found[c.pk]), score) for c, score in kept if c.pk in found]


def similar(
    *, text: str, limit: int, exclude_ticket: int | None = None, blend: Blend = BLEND
) -> tuple[list[tuple[Candidate[Initiative], float]], list[tuple[Candidate[Ticket], float]]]:
    """The initiatives and waiting tickets to suggest for `text`, best first, with their
    scores and rows (`Candidate.item`): two queries for the candidates' scores, one each for
    the rows of those kept, and the two copies' reads of what changed."""
    query = Query.of(text)
    if query is None or limit < 1:
        return [], []
    initiatives = kept(initiative_candidates(query), limit=limit, blend=blend)
    tickets = kept(ticket_candidates(query, exclude=exclude_ticket), limit=limit, blend=blend)
    return (
        _read(initiatives, Initiative.objects.defer("search_vector", "embedding")),
        _read(
            tickets,
            Ticket.objects.select_related("customer").defer(
                "search_vector", "embedding", "customer__name_key"
            ),
        ),
    )

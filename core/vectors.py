"""Nearest neighbours in NumPy over a matrix of unit vectors kept in memory, one row per id.

Rows are put, replaced and dropped in place, so a copy of a table kept in step with it costs
only its changes; a search is one matrix-vector product over the rows held.

A large index searches coarsely (an inverted file, as FAISS's IVF indexes do): once it holds
`coarse_from` rows it groups them around about sqrt(n) centres (k-means on a sample) and a
search scores only the rows of the `probe` centres nearest the query. At 360,000 rows of 128
dimensions that reads a tenth of the matrix instead of all of it; the price is the rare near
row filed under a centre that was not probed (bench/dedupe.py --latency prints how often the
coarse search's top 40 differ from the exact one's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def prefix(vectors: np.ndarray, dimensions: int) -> np.ndarray:
    """The first `dimensions` of each row, unit length again. Stored vectors are randomly
    rotated (core.embeddings), so a prefix is a random projection of the whole vector: its
    cosines approximate the whole one's, closer the more dimensions are kept."""
    cut = np.array(vectors[..., :dimensions], dtype=np.float32)
    norms = np.linalg.norm(cut, axis=-1, keepdims=True)
    np.divide(cut, norms, out=cut, where=norms > 0)
    return cut


# Coarse search: centres trained on at most this many rows, for this many rounds of k-means.
TRAINING_SAMPLE = 20_000
TRAINING_ROUNDS = 8
# The share of the centres probed by a search (and never fewer than MIN_PROBE).
PROBE_SHARE = 0.08
MIN_PROBE = 8
# Rows assigned to their centres this many at a time (a block of cosines to every centre).
ASSIGN_BLOCK = 16_384
# Rows put since the rows were last sorted by centre, as a share of those sorted, before they
# are sorted again (unsorted ones are searched by a mask, which costs a copy of each).
UNSORTED_SHARE = 0.1
SEED = 20


class VectorIndex:
    """Unit vectors by id; `nearest` gives the ids with the highest cosine to a query (from
    `coarse_from` rows on, among the rows near the centres nearest to it).

    The matrix's rows: `_sorted` rows ordered by centre (centre c's are `_bounds[c]` up to
    `_bounds[c + 1]`, so a probe reads whole slices), then rows put since, up to `_size`.
    A dropped row stays, zeroed, with id -1, until the matrix is compacted."""

    def __init__(self, dimensions: int, *, coarse_from: int | None = None) -> None:
        self.dimensions = dimensions
        self.coarse_from = coarse_from
        self.clear()

    def clear(self) -> None:
        self._matrix = np.zeros((0, self.dimensions), dtype=np.float32)
        self._ids = np.zeros(0, dtype=np.int64)
        self._size = 0  # rows used in _matrix, dropped ones included
        self._row: dict[int, int] = {}
        # The coarse search: its centres (none until `coarse_from` rows), each row's centre,
        # the sorted rows' slices, and how many rows there were when the centres were found
        # (twice as many: they are found again).
        self._centres: np.ndarray | None = None
        self._centre = np.zeros(0, dtype=np.int32)
        self._bounds = np.zeros(1, dtype=np.int64)
        self._sorted = 0
        self._trained_at = 0

    @property
    def coarse(self) -> bool:
        return self._centres is not None

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, pk: object) -> bool:
        return pk in self._row

    def put(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Add or replace the vector of each id."""
        if len(ids) == 0:
            return
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.dimensions)
        if self._centres is not None:
            # A changed row may belong under another centre: it moves to the end.
            self._forget(ids)
        new = [pk for pk in dict.fromkeys(ids) if pk not in self._row]
        self._grow(self._size + len(new))
        for pk in new:
            self._row[pk] = self._size
            self._ids[self._size] = pk
            self._size += 1
        rows = np.fromiter((self._row[pk] for pk in ids), dtype=np.int64, count=len(ids))
        self._matrix[rows] = vectors
        if self.coarse_from is not None and len(self._row) >= max(
            self.coarse_from, 2 * self._trained_at
        ):
            self._train()
        elif self._centres is not None:
            self._centre[rows] = self._assign(vectors)
            if self._size - self._sorted > UNSORTED_SHARE * self._sorted:
                self._sort()
        self._compact_if_sparse()

    def drop(self, ids: Iterable[int]) -> None:
        """Forget these ids (unknown ones are ignored)."""
        self._forget(ids)
        self._compact_if_sparse()

    def vector(self, pk: int) -> np.ndarray | None:
        row = self._row.get(pk)
        return None if row is None else self._matrix[row]

    def nearest(self, query: np.ndarray, k: int, *, exact: bool = False) -> list[tuple[int, float]]:
        """Up to k (id, cosine) pairs, the closest first (`exact`: over every row, even in a
        coarse index)."""
        query = np.asarray(query, dtype=np.float32)
        if self._centres is None or exact:
            rows = np.arange(self._size)
            scores = self._matrix[: self._size] @ query
        else:
            rows, scores = self._probe(query)
        k = min(k, len(scores))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [
            (int(self._ids[row]), float(score))
            for row, score in zip(rows[top], scores[top], strict=True)
            if self._ids[row] >= 0
        ]

    def _probe(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows under the centres nearest the query, and their cosines."""
        assert self._centres is not None
        near = self._centres @ query
        probe = min(len(near), max(MIN_PROBE, int(len(near) * PROBE_SHARE)))
        chosen = np.argpartition(-near, probe - 1)[:probe]
        rows = [np.arange(self._bounds[c], self._bounds[c + 1]) for c in chosen]
        scores = [self._matrix[self._bounds[c] : self._bounds[c + 1]] @ query for c in chosen]
        if self._size > self._sorted:
            probed = np.zeros(len(near), dtype=bool)
            probed[chosen] = True
            late = self._sorted + np.flatnonzero(probed[self._centre[self._sorted : self._size]])
            rows.append(late)
            scores.append(self._matrix[late] @ query)
        return np.concatenate(rows), np.concatenate(scores)

    def _forget(self, ids: Iterable[int]) -> None:
        for pk in ids:
            row = self._row.pop(pk, None)
            if row is not None:
                # A zero row scores 0 for every query; `nearest` leaves dropped rows out.
                self._matrix[row] = 0
                self._ids[row] = -1

    def _assign(self, vectors: np.ndarray) -> np.ndarray:
        """Each row's nearest centre."""
        assert self._centres is not None
        out = np.empty(len(vectors), dtype=np.int32)
        for start in range(0, len(vectors), ASSIGN_BLOCK):
            block = vectors[start : start + ASSIGN_BLOCK] @ self._centres.T
            out[start : start + ASSIGN_BLOCK] = block.argmax(axis=1)
        return out

    def _train(self) -> None:
        """Find about sqrt(n) centres by spherical k-means on a sample of the rows held, file
        every row under its nearest one, and sort them so."""
        held = self._held()
        random = np.random.default_rng(SEED)
        sample = self._matrix[random.choice(held, min(len(held), TRAINING_SAMPLE), replace=False)]
        count = min(len(sample), max(MIN_PROBE, int(np.sqrt(len(held)))))
        centres = sample[random.choice(len(sample), count, replace=False)].copy()
        for _ in range(TRAINING_ROUNDS):
            nearest = (sample @ centres.T).argmax(axis=1)
            sums = np.zeros_like(centres)
            np.add.at(sums, nearest, sample)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            # A centre left without rows keeps its place.
            centres = np.where(norms > 0, sums / np.maximum(norms, 1e-12), centres)
        self._centres = centres.astype(np.float32)
        self._centre = np.zeros(len(self._matrix), dtype=np.int32)
        self._centre[held] = self._assign(self._matrix[held])
        self._trained_at = len(held)
        self._sort()

    def _sort(self) -> None:
        """Rewrite the matrix with the rows held ordered by centre (dropped ones left out)."""
        assert self._centres is not None
        held = self._held()
        order = held[np.argsort(self._centre[held], kind="stable")]
        centre = self._centre[order]
        self._matrix[: len(order)] = self._matrix[order]
        self._ids[: len(order)] = self._ids[order]
        self._centre[: len(order)] = centre
        self._matrix[len(order) : self._size] = 0
        self._ids[len(order) : self._size] = -1
        self._size = self._sorted = len(order)
        self._row = {int(pk): row for row, pk in enumerate(self._ids[: self._size])}
        self._bounds = np.searchsorted(centre, np.arange(len(self._centres) + 1))

    def _held(self) -> np.ndarray:
        return np.flatnonzero(self._ids[: self._size] >= 0)

    def _grow(self, needed: int) -> None:
        if needed <= len(self._matrix):
            return
        capacity = max(needed, 2 * len(self._matrix), 64)
        matrix = np.zeros((capacity, self.dimensions), dtype=np.float32)
        matrix[: self._size] = self._matrix[: self._size]
        ids = np.full(capacity, -1, dtype=np.int64)
        ids[: self._size] = self._ids[: self._size]
        centre = np.zeros(capacity, dtype=np.int32)
        centre[: min(self._size, len(self._centre))] = self._centre[: self._size]
        self._matrix, self._ids, self._centre = matrix, ids, centre

    def _compact_if_sparse(self) -> None:
        if self._size > 1024 and len(self._row) < self._size // 2:
            if self._centres is not None:
                self._sort()
                return
            rows = self._held()
            matrix, ids = self._matrix[rows], self._ids[rows]
            self.clear()
            self.put([int(pk) for pk in ids], matrix)

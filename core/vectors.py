"""Nearest neighbours in NumPy over a matrix of unit vectors kept in memory, one row per id.

Rows are put, replaced and dropped in place, so a copy of a table kept in step with it costs
only its changes; a search is one matrix-vector product over the rows held.
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


class VectorIndex:
    """Unit vectors by id; `nearest` gives the ids with the highest cosine to a query."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self.clear()

    def clear(self) -> None:
        self._matrix = np.zeros((0, self.dimensions), dtype=np.float32)
        self._ids = np.zeros(0, dtype=np.int64)
        self._size = 0  # rows used in _matrix, dropped ones included
        self._row: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, pk: object) -> bool:
        return pk in self._row

    def put(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Add or replace the vector of each id."""
        if len(ids) == 0:
            return
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.dimensions)
        new = [pk for pk in dict.fromkeys(ids) if pk not in self._row]
        self._grow(self._size + len(new))
        for pk in new:
            self._row[pk] = self._size
            self._ids[self._size] = pk
            self._size += 1
        rows = np.fromiter((self._row[pk] for pk in ids), dtype=np.int64, count=len(ids))
        self._matrix[rows] = vectors

    def drop(self, ids: Iterable[int]) -> None:
        """Forget these ids (unknown ones are ignored)."""
        for pk in ids:
            row = self._row.pop(pk, None)
            if row is not None:
                # A zero row scores 0 for every query; `nearest` leaves dropped rows out.
                self._matrix[row] = 0
                self._ids[row] = -1
        if self._size > 1024 and len(self._row) < self._size // 2:
            self._compact()

    def vector(self, pk: int) -> np.ndarray | None:
        row = self._row.get(pk)
        return None if row is None else self._matrix[row]

    def nearest(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Up to k (id, cosine) pairs, the closest first."""
        k = min(k, self._size)
        if k <= 0:
            return []
        scores = self._matrix[: self._size] @ np.asarray(query, dtype=np.float32)
        top = np.argpartition(-scores, k - 1)[:k] if k < self._size else np.arange(self._size)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self._ids[i]), float(scores[i])) for i in top if self._ids[i] >= 0]

    def _grow(self, needed: int) -> None:
        if needed <= len(self._matrix):
            return
        capacity = max(needed, 2 * len(self._matrix), 64)
        matrix = np.zeros((capacity, self.dimensions), dtype=np.float32)
        matrix[: self._size] = self._matrix[: self._size]
        ids = np.full(capacity, -1, dtype=np.int64)
        ids[: self._size] = self._ids[: self._size]
        self._matrix, self._ids = matrix, ids

    def _compact(self) -> None:
        rows = np.fromiter(self._row.values(), dtype=np.int64, count=len(self._row))
        matrix, ids = self._matrix[rows], self._ids[rows]
        self.clear()
        self.put([int(pk) for pk in ids], matrix)

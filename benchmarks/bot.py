"""How well the demo shop's bot understands shoppers, per language (a report, not a test).

Stratified k-fold cross-validation over the demo content's own examples: each fold's bot is
trained on the other folds (masked the same way as in production) and asked about held-out
phrasings. Reported per language:

- answered: share of in-scope questions the bot answers (confidence above the content's
  answer threshold and not out_of_scope); the rest get the fallback ladder
- right when answered / wrong answers: what a shopper sees; a wrong answer is worse than a
  "could you rephrase"
- ranked first / in top 3: where the right intent sits among the in-scope intents, answered or
  not; top 3 is what the "did you mean …?" buttons offer
- out-of-scope refused: share of out_of_scope examples the bot does not answer
- language: share of held-out examples whose language is identified correctly with no prior
  (`cold`) and against the prior of another language (`switch`, the harder case)
Plus the demo's conversation tests and single-message latency of the whole understanding step.

Usage: .venv/bin/python benchmarks/bot.py [--folds 5] [--content content/demo]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

from botdesk.bot.conversation_tests import run_dialogues
from botdesk.bot.dialogue import ContentResponder
from botdesk.bot.understanding import Understanding
from botdesk.content.loader import TenantContent, load_directory
from botdesk.content.schema import OUT_OF_SCOPE
from botdesk.nlu import Example, IntentModel
from botdesk.nlu.backends import BackendFactory
from botdesk.pii import detect, mask

ROOT = Path(__file__).resolve().parent.parent


def folds_of(items: list[tuple[str, str, str]], k: int, seed: int) -> list[int]:
    """Stratified by (intent, language): each fold holds a share of every cell."""
    by_cell: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, (_text, intent, lang) in enumerate(items):
        by_cell[(intent, lang)].append(index)
    fold = [0] * len(items)
    rng = random.Random(seed)
    for indices in by_cell.values():
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            fold[index] = position % k
    return fold


def evaluate(
    content: TenantContent, k: int, seed: int, backend: BackendFactory | None = None
) -> dict[str, object]:
    items = [
        (text, spec.intent, lang)
        for spec in content.intents.values()
        for lang, texts in spec.examples.items()
        for text in texts
    ]
    fold = folds_of(items, k, seed)
    patterns = content.entity_patterns
    threshold = content.bot.answer_threshold
    languages = tuple(content.bot.languages)
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    train_seconds: list[float] = []
    for f in range(k):
        train = [
            Example(mask(t, detect(t, patterns)), i)
            for (t, i, _l), g in zip(items, fold, strict=True)
            if g != f
        ]
        started = time.perf_counter()
        model = IntentModel.train(train, seed=seed, backend_factory=backend)
        train_seconds.append(time.perf_counter() - started)
        by_language: dict[str, list[str]] = defaultdict(list)
        for (t, _i, lang), g in zip(items, fold, strict=True):
            if g != f:
                by_language[lang].append(t)
        understanding = Understanding(languages, patterns, model, by_language)
        for (text, intent, lang), g in zip(items, fold, strict=True):
            if g != f:
                continue
            s = stats[lang]
            heard = understanding.understand(text, None)
            answered = heard.intent != OUT_OF_SCOPE and heard.confidence >= threshold
            s["language_cold"] += heard.language == lang
            other = languages[(languages.index(lang) + 1) % len(languages)]
            s["language_switch"] += understanding.languages.identify(text, other) == lang
            s["n"] += 1
            if intent == OUT_OF_SCOPE:
                s["oos"] += 1
                s["oos_refused"] += not answered
                continue
            s["in_scope"] += 1
            ranked = [name for name, _p in heard.ranking if name != OUT_OF_SCOPE]
            s["top1"] += ranked[:1] == [intent]
            s["top3"] += intent in ranked[:3]
            s["answered"] += answered
            s["answered_right"] += answered and heard.intent == intent
    report_languages = {}
    for lang in languages:
        s = stats[lang]
        report_languages[lang] = {
            "examples": s["n"],
            "answered": round(s["answered"] / s["in_scope"], 3),
            "right_when_answered": round(s["answered_right"] / max(1, s["answered"]), 3),
            "wrong_answers": round((s["answered"] - s["answered_right"]) / s["in_scope"], 3),
            "ranked_first": round(s["top1"] / s["in_scope"], 3),
            "in_top3": round(s["top3"] / s["in_scope"], 3),
            "out_of_scope_refused": round(s["oos_refused"] / max(1, s["oos"]), 3),
            "language_cold": round(s["language_cold"] / s["n"], 3),
            "language_switch": round(s["language_switch"] / s["n"], 3),
        }
    return {
        "folds": k,
        "train_seconds_mean": round(statistics.mean(train_seconds), 1),
        "languages": report_languages,
    }


def latency(content: TenantContent) -> dict[str, float]:
    examples = [
        Example(mask(t, detect(t, content.entity_patterns)), s.intent)
        for s in content.intents.values()
        for ts in s.examples.values()
        for t in ts
    ]
    started = time.perf_counter()
    model = IntentModel.train(examples)
    seconds = time.perf_counter() - started
    understanding = Understanding.of_content(content, model)
    responder = ContentResponder(content, understanding)
    dialogues = run_dialogues(responder)
    samples = [
        "missä mun paketti on 40012345",
        "vad kostar frakten till norge",
        "hvor lang tid tar leveringen",
        "can I pay with klarna",
        "hei",
        "tack så mycket",
    ]
    # Shoppers' messages are embedded afresh every time (only training examples are cached),
    # so these timings include the embedding.
    for text in samples * 5:  # warm-up
        understanding.understand(text, "fi")
    timings = []
    for _ in range(100):
        for text in samples:
            t = time.perf_counter()
            understanding.understand(text, "fi")
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    return {
        "train_seconds_full": round(seconds, 1),
        "dialogues_passed": sum(d.passed for d in dialogues),
        "dialogues": len(dialogues),
        "understand_ms_p50": round(timings[len(timings) // 2], 2),
        "understand_ms_p99": round(timings[int(len(timings) * 0.99)], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content" / "demo")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reports")
    args = parser.parse_args()
    content = load_directory(args.content)
    report = {
        "machine": {"cores": __import__("os").cpu_count(), "python": platform.python_version()},
        "content": str(args.content.relative_to(ROOT))
        if args.content.is_relative_to(ROOT)
        else str(args.content),
        "answer_threshold": content.bot.answer_threshold,
        "cross_validation": evaluate(content, args.folds, args.seed),
        "full_model": latency(content),
    }
    rows = report["cross_validation"]["languages"]  # type: ignore[index]
    lines = [
        "# Demo bot: understanding per language",
        "",
        f"{args.folds}-fold cross-validation over the demo content's examples "
        f"(answer threshold {content.bot.answer_threshold}). Generated by `benchmarks/bot.py`.",
        "",
        "| language | examples | answered | right when answered | wrong answers | ranked first "
        "| in top 3 | out-of-scope refused | language (cold) | language (switch) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for lang, r in rows.items():
        lines.append(
            f"| {lang} | {r['examples']} | {r['answered']:.3f} | "
            f"{r['right_when_answered']:.3f} | {r['wrong_answers']:.3f} | "
            f"{r['ranked_first']:.3f} | {r['in_top3']:.3f} | "
            f"{r['out_of_scope_refused']:.3f} | "
            f"{r['language_cold']:.3f} | {r['language_switch']:.3f} |"
        )
    full = report["full_model"]
    lines += [
        "",
        f"Full model: trained in {full['train_seconds_full']} s "  # type: ignore[index]
        f"({report['machine']['cores']} cores); "  # type: ignore[index]
        f"conversation tests {full['dialogues_passed']}/{full['dialogues']} passed; "  # type: ignore[index]
        f"one message understood in p50 {full['understand_ms_p50']} ms, "  # type: ignore[index]
        f"p99 {full['understand_ms_p99']} ms.",  # type: ignore[index]
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bot.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "bot.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

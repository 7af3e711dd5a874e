"""Language identification: cost, accuracy and memory (a report, not a test).

- cost: microseconds per message of `LanguageIdentifier.identify` and of the intent model
  (`IntentModel.predict_one` on the masked text), timed message by message on the demo
  content's example phrases, in random order, with a fresh identifier per pass (so its word
  cache starts empty). Run it on one core: `taskset -c 1`.
- accuracy, per language: demo phrases held out by 5-fold cross-validation (identifier trained
  on the other folds), and public data with an identifier trained on all demo phrases: xSID
  (Danish and the Norwegian dialect groups count as nb, as in production), MASSIVE nb and the
  English it was translated from. `cold`: no prior language; `switch`: the conversation was in
  another language; `stay`: it was already in this one (a wrong switch is the costly error).
- memory: resident set of fresh processes after building the demo bot, as the CLI does
  (`responder_from_content`, which trains) and as a server does (a stored model), and of
  `botdesk serve` after start with the demo tenant (`--serve`).

Usage: taskset -c 1 .venv/bin/python benchmarks/language.py [--serve] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

from botdesk.bot.language import LanguageIdentifier
from botdesk.bot.understanding import train_model
from botdesk.content.loader import TenantContent, load_directory
from botdesk.pii import detect, mask

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
Pairs = list[tuple[str, str]]


def by_language(pairs: Pairs) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for text, lang in pairs:
        grouped[lang].append(text)
    return grouped


def demo_pairs(content: TenantContent) -> tuple[Pairs, list[int]]:
    """The demo's phrases with their language, and 5 folds stratified by (intent, language)."""
    items = [
        (text, spec.intent, lang)
        for spec in content.intents.values()
        for lang, texts in spec.examples.items()
        for text in texts
    ]
    cells: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, (_text, intent, lang) in enumerate(items):
        cells[(intent, lang)].append(index)
    fold = [0] * len(items)
    rng = random.Random(0)  # the same folds as benchmarks/bot.py
    for indices in cells.values():
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            fold[index] = position % 5
    return [(text, lang) for text, _intent, lang in items], fold


def public_sets() -> dict[str, Pairs]:
    sets: dict[str, Pairs] = defaultdict(list)
    xsid = DATASETS / "xsid_nordic"
    for split in ("valid", "test"):
        for file_lang, expected in (("da", "nb"), ("no", "nb"), ("en", "en")):
            text, dialect = "", ""
            for line in (xsid / f"{file_lang}.{split}.conll").read_text().splitlines():
                if line.startswith("# text = "):
                    text = line.removeprefix("# text = ")
                elif line.startswith("# dialect = "):
                    dialect = line.removeprefix("# dialect = ")
                elif line.startswith("1\t"):
                    name = f"xSID {file_lang}" + (f" ({dialect})" if file_lang == "no" else "")
                    sets[name].append((text, expected))
                    dialect = ""
    massive = DATASETS / "massive_nb_subset" / "nb_mas_subset.jsonl"
    for line in massive.read_text().splitlines():
        row = json.loads(line)
        sets["MASSIVE nb"].append((row["text"], "nb"))
        sets["MASSIVE en (source)"].append((row["text_en"], "en"))
    return dict(sorted(sets.items(), key=lambda item: (item[0].startswith("MASSIVE"), item[0])))


def tally(identifier: LanguageIdentifier, pairs: Pairs, counts: dict[str, int]) -> None:
    languages = identifier.languages
    for text, lang in pairs:
        other = languages[(languages.index(lang) + 1) % len(languages)]
        counts["n"] += 1
        counts["cold"] += identifier.identify(text, None) == lang
        counts["switch"] += identifier.identify(text, other) == lang
        counts["stay"] += identifier.identify(text, lang) == lang


def rates(counts: dict[str, int]) -> dict[str, float | int]:
    n = counts["n"]
    return {"n": n, **{k: round(counts[k] / n, 3) for k in ("cold", "switch", "stay")}}


def accuracy(content: TenantContent) -> dict[str, dict[str, float | int]]:
    languages = tuple(content.bot.languages)
    pairs, fold = demo_pairs(content)
    demo: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for f in range(5):
        train = by_language([p for p, g in zip(pairs, fold, strict=True) if g != f])
        identifier = LanguageIdentifier(languages, train)
        held = [p for p, g in zip(pairs, fold, strict=True) if g == f]
        for lang in languages:
            tally(identifier, [p for p in held if p[1] == lang], demo[lang])
    report = {f"demo {lang} (held out)": rates(demo[lang]) for lang in languages}
    if DATASETS.is_dir():
        identifier = LanguageIdentifier(languages, by_language(pairs))
        for name, data in public_sets().items():
            counts: dict[str, int] = defaultdict(int)
            tally(identifier, data, counts)
            report[name] = rates(counts)
    return report


def percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "p50": round(values[len(values) // 2], 1),
        "p99": round(values[int(len(values) * 0.99)], 1),
        "mean": round(sum(values) / len(values), 1),
    }


def cost(content: TenantContent, passes: int) -> dict[str, dict[str, float]]:
    languages = tuple(content.bot.languages)
    pairs, _fold = demo_pairs(content)
    examples = by_language(pairs)
    model = train_model(content)
    patterns = content.entity_patterns
    language_us: list[float] = []
    intent_us: list[float] = []
    rng = random.Random(1)
    for _ in range(passes):
        identifier = LanguageIdentifier(languages, examples)
        order = pairs[:]
        rng.shuffle(order)
        for text, lang in order[:50]:  # warm the interpreter, not the word cache
            identifier.identify(text + " x", lang)
            model.predict_one(text)
        identifier = LanguageIdentifier(languages, examples)
        for text, lang in order:
            current = languages[(languages.index(lang) + 1) % len(languages)]
            started = time.perf_counter_ns()
            identifier.identify(text, current)
            middle = time.perf_counter_ns()
            model.predict_one(mask(text, detect(text, patterns)))
            ended = time.perf_counter_ns()
            language_us.append((middle - started) / 1000)
            intent_us.append((ended - middle) / 1000)
    return {"language_id": percentiles(language_us), "intent_model": percentiles(intent_us)}


_CHILD = """
import json, sys
from pathlib import Path
def mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return round(int(line.split()[1]) / 1024, 1)
out = {"python": mb("VmRSS")}
from botdesk.bot.registry import responder_from_content
from botdesk.bot.dialogue import ContentResponder
from botdesk.bot.understanding import Understanding
from botdesk.content.loader import load_directory
from botdesk.nlu import IntentModel
out["imports"] = mb("VmRSS")
content = load_directory(Path(sys.argv[1]))
if sys.argv[2] == "train":
    responder = responder_from_content(content)
else:
    model = IntentModel.load(Path(sys.argv[2]))
    out["intent model"] = mb("VmRSS")
    responder = ContentResponder(
        content, Understanding.of_content(content, model)
    )
responder.understanding.understand("hvor lang tid tar leveringen", "fi")
out["bot built"] = mb("VmRSS")
out["peak"] = mb("VmHWM")
out["heavy modules"] = [m for m in ("sklearn", "scipy", "lingua") if m in sys.modules]
print(json.dumps(out))
"""


def memory(content_dir: Path, content: TenantContent) -> dict[str, Any]:
    def child(how: str) -> Any:
        run = subprocess.run(
            [sys.executable, "-c", _CHILD, str(content_dir), how],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(run.stdout)

    with tempfile.TemporaryDirectory() as directory:
        train_model(content).save(Path(directory))
        return {"stored model (server)": child(directory), "trained (CLI)": child("train")}


def serve_rss() -> dict[str, float]:
    """`botdesk serve` with the demo tenant, in a scratch data directory: RSS after start."""
    botdesk = str(Path(sys.executable).with_name("botdesk"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            "BOTDESK_ENVIRONMENT": "development",
            "BOTDESK_DATA_DIR": data,
            "BOTDESK_DATABASE_URL": f"sqlite:///{data}/botdesk.db",
            "BOTDESK_LOG_LEVEL": "WARNING",
        }
        for command in ("migrate", "demo"):
            subprocess.run([botdesk, command], env=env, check=True, capture_output=True, text=True)
        server = subprocess.Popen(
            [botdesk, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
        )
        try:
            # uvicorn listens only after start-up (every tenant's bot built) is over.
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.2)
            time.sleep(2)
            status = Path(f"/proc/{server.pid}/status").read_text()
        finally:
            server.terminate()
            server.wait(30)
    fields = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.MULTILINE))
    return {
        "rss": round(int(fields["VmRSS"]) / 1024, 1),
        "peak": round(int(fields["VmHWM"]) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content" / "demo")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help="also measure `botdesk serve`")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reports")
    args = parser.parse_args()
    content = load_directory(args.content)
    report: dict[str, Any] = {
        "machine": {
            "cpus_allowed": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
        },
        "cost_us": cost(content, args.passes),
        "accuracy": accuracy(content),
        "memory_mb": memory(args.content, content),
    }
    if args.serve:
        try:
            report["memory_mb"]["botdesk serve"] = serve_rss()
        except (OSError, subprocess.CalledProcessError) as error:
            detail = getattr(error, "stderr", None) or str(error)
            report["memory_mb"]["botdesk serve"] = {"failed": detail.strip().splitlines()[-1]}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "language.json").write_text(json.dumps(report, indent=2) + "\n")
    text = render(report)
    (args.out / "language.md").write_text(text)
    print(text, end="")


def render(report: dict[str, Any]) -> str:
    cost_us = report["cost_us"]
    lines = [
        "# Language identification: cost, accuracy, memory",
        "",
        "Generated by `benchmarks/language.py` "
        f"({report['machine']['cpus_allowed']} CPU allowed). See its docstring for the method.",
        "",
        "## Cost per message (µs)",
        "",
        "| step | p50 | p99 | mean |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, label in (("language_id", "language ID (identify)"), ("intent_model", "intent")):
        row = cost_us[name]
        lines.append(f"| {label} | {row['p50']} | {row['p99']} | {row['mean']} |")
    lines += [
        "",
        "## Accuracy",
        "",
        "| data | n | cold | switch | stay |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, row in report["accuracy"].items():
        lines.append(
            f"| {name} | {row['n']} | {row['cold']:.3f} | {row['switch']:.3f} | {row['stay']:.3f} |"
        )
    lines += ["", "## Memory (MB resident)", ""]
    for name, row in report["memory_mb"].items():
        parts = ", ".join(f"{k} {v}" for k, v in row.items())
        lines.append(f"- {name}: {parts}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

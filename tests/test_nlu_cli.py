"""The `botdesk nlu` contract that benchmarks and operators rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import cli_environment, run


def lines(*texts: str) -> str:
    return "".join(json.dumps({"text": t}) + "\n" for t in texts)


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    rows = [
        (t, "greeting")
        for t in (
            "hi",
            "hello",
            "hey there",
            "good morning",
            "moi",
            "hei",
            "hej",
            "hallo",
            "terve",
            "god morgon",
        )
    ]
    rows += [
        (t, "delivery_cost")
        for t in (
            "how much is shipping",
            "delivery price",
            "what does postage cost",
            "shipping fee",
            "paljonko toimitus maksaa",
            "toimituksen hinta",
            "vad kostar frakten",
            "fraktpris",
            "hva koster frakt",
            "frakt pris",
        )
    ]
    rows += [
        (t, "out_of_scope")
        for t in (
            "what is the weather",
            "tell me a joke",
            "who is the president",
            "write a poem",
            "millainen sää on",
            "kerro vitsi",
            "hur är vädret",
            "berätta ett skämt",
            "hvordan er været",
            "fortell en vits",
        )
    ]
    path = tmp_path / "examples.jsonl"
    path.write_text("".join(json.dumps({"text": t, "intent": i}) + "\n" for t, i in rows))
    return path


def test_train_then_predict_in_order(examples: Path, tmp_path: Path) -> None:
    trained = run(None, "nlu", "train", "--examples", str(examples), "--out", str(tmp_path / "m"))
    assert trained.returncode == 0, trained.stderr
    predicted = run(
        None,
        "nlu",
        "predict",
        "--model",
        str(tmp_path / "m"),
        stdin=lines("how much does delivery cost", "moikka", "tell me a joke please"),
    )
    assert predicted.returncode == 0, predicted.stderr
    out = [json.loads(line) for line in predicted.stdout.splitlines()]
    assert [o["intent"] for o in out] == ["delivery_cost", "greeting", "out_of_scope"]
    assert all(set(o) == {"intent", "confidence", "language"} for o in out)
    assert all(0.0 <= o["confidence"] <= 1.0 for o in out)
    assert out[0]["language"] == "en"


def test_bad_input_gets_a_clear_error(examples: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi", "intent": "greeting"}\nnot json\n')
    refused = run(None, "nlu", "train", "--examples", str(bad), "--out", str(tmp_path / "m"))
    assert refused.returncode == 1 and f"{bad}:2: expected a JSON object" in refused.stderr
    missing = run(None, "nlu", "predict", "--model", str(tmp_path / "nowhere"), stdin=lines("hi"))
    assert missing.returncode == 1 and "cannot load the model" in missing.stderr
    run(None, "nlu", "train", "--examples", str(examples), "--out", str(tmp_path / "m"))
    garbage = run(None, "nlu", "predict", "--model", str(tmp_path / "m"), stdin='{"txt": 1}\n')
    assert garbage.returncode == 1 and "stdin:1: expected a JSON object with a text" in (
        garbage.stderr
    )
    both = run(None, "nlu", "predict", stdin=lines("hi"))
    assert both.returncode == 1 and "--model DIR or --tenant SLUG" in both.stderr


def test_predict_for_the_demo_tenant_after_setup(tmp_path: Path) -> None:
    env = cli_environment(f"sqlite:///{tmp_path / 'botdesk.db'}", tmp_path / "var")
    assert run(env, "migrate").returncode == 0
    seeded = run(env, "demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "demo bot content version 1 loaded" in seeded.stdout
    predicted = run(
        env,
        "nlu",
        "predict",
        "--tenant",
        "demo",
        stdin=lines(
            "missä mun paketti on",
            "vad kostar frakten till norge",
            "hvor lang tid tar leveringen",
            "can I pay with klarna",
            "what's the capital of peru",
        ),
    )
    assert predicted.returncode == 0, predicted.stderr
    out = [json.loads(line) for line in predicted.stdout.splitlines()]
    assert [(o["intent"], o["language"]) for o in out] == [
        ("track_order", "fi"),
        ("delivery_cost", "sv"),
        ("delivery_time", "nb"),
        ("payment_methods", "en"),
        ("out_of_scope", "en"),
    ]

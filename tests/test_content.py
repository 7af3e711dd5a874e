"""Bot content: validation with file:line problems, loading into a tenant, conversation tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from botdesk.content.loader import ContentInvalid, load_directory
from tests.cli import run

MINI = Path(__file__).resolve().parent / "content" / "mini"
DEMO = Path(__file__).resolve().parent.parent / "content" / "demo"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the mini content to break in a test."""
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_directory(directory)
    return [str(p) for p in caught.value.problems]


def test_the_mini_content_is_valid_and_norway_stays_a_country() -> None:
    content = load_directory(MINI)
    assert sorted(content.intents) == [
        "delivery_cost",
        "greeting",
        "human_agent",
        "out_of_scope",
        "track_order",
    ]
    context = content.intents["delivery_cost"].context
    assert context is not None and set(context.answers) == {"NO", "SE"}  # `NO:` is not False


def test_a_missing_translation_is_reported_with_file_and_line(broken: Path) -> None:
    path = broken / "intents" / "greeting.yaml"
    path.write_text(path.read_text().replace(", fi: 'Hei! Miten voin auttaa?'", ""))
    assert problems_of(broken) == ["mini/intents/greeting.yaml:7: answer.text: no 'fi' text"]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "intents/greeting.yaml",
            "intent: delivery_cost",
            "intent: delivery_costs",
            "mini/intents/greeting.yaml:10: button goes to unknown intent 'delivery_costs'",
        ),
        (
            "intents/track_order.yaml",
            "    cancelled:",
            "    canceled:",
            "mini/intents/track_order.yaml:45: outcomes must be exactly received, paid, packed, "
            "shipped, out_for_delivery, delivery_failed, delivered, returned, cancelled, "
            "tracking_link, tracking_unknown, not_found, too_many_attempts, unavailable",
        ),
        (
            "intents/track_order.yaml",
            "action: track_order",
            "action: track_parcel",
            "mini/intents/track_order.yaml:44: unknown action 'track_parcel'; known: track_order",
        ),
        (
            "intents/greeting.yaml",
            "examples:",
            "examples: [",
            "mini/intents/greeting.yaml:5: not valid YAML: expected ',' or ']', but got '<scalar>'",
        ),
        (
            "intents/greeting.yaml",
            "en: [hi, hello,",
            "en: [how much is shipping, hello,",
            "mini/intents/greeting.yaml:4: 'how much is shipping' is also an example of "
            "delivery_cost",
        ),
        (
            "intents/human_agent.yaml",
            "handover: true",
            "handover: false",
            "mini/intents/human_agent.yaml:3: human_agent needs handover: true",
        ),
        (
            "bot.yaml",
            "order_number: '4\\d{7}'",
            "order_number: '4\\d{7}('",
            "mini/bot.yaml:3: entities: order_number: invalid regular expression",
        ),
        (
            "intents/greeting.yaml",
            "      intent: delivery_cost",
            "      url: javascript:alert(1)",
            "mini/intents/greeting.yaml:10: answer.buttons.0.url: String should match pattern",
        ),
        (
            "dialogues/en.yaml",
            "intent: human_agent",
            "intent: talk_to_human",
            "mini/dialogues/en.yaml:25: unknown intent 'talk_to_human'",
        ),
    ],
)
def test_problems_name_the_file_and_line(
    broken: Path, file: str, old: str, new: str, expected: str
) -> None:
    path = broken / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    found = problems_of(broken)
    assert any(problem.startswith(expected) for problem in found), found


def test_markdown_links_must_be_safe(broken: Path) -> None:
    path = broken / "intents" / "human_agent.yaml"
    path.write_text(
        path.read_text().replace(
            "I'll connect you to our customer service.", "'[Click](javascript:alert(1))'"
        )
    )
    assert any("link target 'javascript:alert(1' must be" in p for p in problems_of(broken))


def test_validate_cli(broken: Path) -> None:
    ok = run(None, "content", "validate", str(MINI))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "ok: 5 intents, 110 examples, 3 dialogues"
    (broken / "intents" / "greeting.yaml").write_text("intent: greeting\n")
    bad = run(None, "content", "validate", str(broken))
    assert bad.returncode == 1
    assert "mini/intents/greeting.yaml:1: examples: Field required" in bad.stderr
    assert bad.stderr.strip().endswith(f"problem(s) in {broken}")
    missing = run(None, "content", "validate", str(broken / "nowhere"))
    assert missing.returncode == 1 and "no bot.yaml" in missing.stderr


def test_conversation_tests_pass_and_fail_visibly(broken: Path) -> None:
    passed = run(None, "content", "test", str(MINI))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.strip().endswith("3 passed, 0 failed")
    path = broken / "dialogues" / "en.yaml"
    path.write_text(path.read_text().replace("bot: '9.90'", "bot: '8.90'"))
    failed = run(None, "content", "test", str(broken), "--json")
    assert failed.returncode == 1
    results = {r["dialogue"]: r for r in json.loads(failed.stdout)}
    assert results["Delivery cost follow-up by country"]["passed"] is False
    assert (
        "expected the bot to say '8.90'"
        in results["Delivery cost follow-up by country"]["problems"][0]
    )


@pytest.mark.skipif(not (DEMO / "bot.yaml").exists(), reason="demo content not present")
def test_the_demo_shops_conversation_tests_pass() -> None:
    result = run(None, "content", "test", str(DEMO))
    assert result.returncode == 0, result.stdout + result.stderr


def test_load_stores_versions_and_trains_the_model(cli_env: dict[str, str], broken: Path) -> None:
    assert run(cli_env, "migrate").returncode == 0
    run(cli_env, "tenant", "create", "shop", "--name", "Shop", "--languages", "en,fi")
    first = run(cli_env, "content", "load", str(MINI), "--tenant", "shop", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) | {"model_seconds": 0} == {
        "tenant": "shop",
        "version": 1,
        "new": True,
        "intents": 5,
        "model_seconds": 0,
    }
    again = json.loads(
        run(cli_env, "content", "load", str(MINI), "--tenant", "shop", "--json").stdout
    )
    assert (again["version"], again["new"]) == (1, False)
    path = broken / "intents" / "greeting.yaml"
    path.write_text(path.read_text().replace("Hi! How can I help?", "Hello! How can I help?"))
    changed = json.loads(
        run(cli_env, "content", "load", str(broken), "--tenant", "shop", "--json").stdout
    )
    assert (changed["version"], changed["new"]) == (2, True)
    tested = run(cli_env, "content", "test", "--tenant", "shop")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_load_refuses_languages_the_tenant_does_not_have(cli_env: dict[str, str]) -> None:
    assert run(cli_env, "migrate").returncode == 0
    run(cli_env, "tenant", "create", "svshop", "--name", "Sv", "--languages", "sv,en")
    refused = run(cli_env, "content", "load", str(MINI), "--tenant", "svshop")
    assert refused.returncode == 1
    assert "the content speaks fi, which tenant svshop does not have" in refused.stderr
    unknown = run(cli_env, "content", "load", str(MINI), "--tenant", "nope")
    assert unknown.returncode == 1 and "no tenant 'nope'" in unknown.stderr

"""Improvement samples: redacted at ingest, unlinkable, never from restricted conversations."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy import inspect, select, update

from botdesk.models import Conversation, QuestionSample, Tenant
from botdesk.runtime import Runtime
from tests.cli import cli_environment, run
from tests.conftest import VisitorChat, start_chat

CANARY = "my email is canary.person@example.com, order 40012345, I'm Matti Virtanen"


def samples(runtime: Runtime) -> list[QuestionSample]:
    with runtime.db.session() as session:
        return list(session.scalars(select(QuestionSample)))


def test_questions_are_redacted_before_they_are_kept(
    api: httpx.Client, runtime: Runtime, sample_everything: None
) -> None:
    chat = start_chat(api, "acme", "en")
    chat.send(CANARY)
    chat.send("how much does delivery cost?")
    kept = samples(runtime)
    assert len(kept) == 2
    text = " ".join(s.text for s in kept)
    for secret in ("canary.person", "example.com", "40012345", "Virtanen"):
        assert secret not in text
    assert "<EMAIL>" in text and "<ORDER_NUMBER>" in text
    assert {s.language for s in kept} == {"en"}
    assert any(s.intent for s in kept)


def test_samples_cannot_be_joined_back_to_a_conversation(runtime: Runtime) -> None:
    columns = {c["name"] for c in inspect(runtime.db.engine).get_columns("question_samples")}
    assert columns == {
        "id",
        "tenant_id",
        "collected_on",
        "language",
        "text",
        "intent",
        "confidence",
    }
    keys = inspect(runtime.db.engine).get_foreign_keys("question_samples")
    assert {k["referred_table"] for k in keys} == {"tenants"}


def test_restricted_conversations_and_button_clicks_are_never_sampled(
    api: httpx.Client, runtime: Runtime, sample_everything: None
) -> None:
    chat: VisitorChat = start_chat(api, "acme", "en")
    with runtime.db.session() as session:
        session.execute(update(Conversation).values(restricted=True))
    chat.send("where is my parcel?")
    other = start_chat(api, "acme", "en")
    other.send("Talk to a person", payload="intent:human_agent")
    assert samples(runtime) == []


def test_a_rate_of_zero_keeps_nothing(api: httpx.Client, runtime: Runtime, bot: None) -> None:
    with runtime.db.session() as session:
        session.execute(update(Tenant).where(Tenant.slug == "acme").values(sample_rate=0.0))
    try:
        start_chat(api, "acme", "en").send("how much does delivery cost?")
        assert samples(runtime) == []
    finally:
        with runtime.db.session() as session:
            session.execute(update(Tenant).where(Tenant.slug == "acme").values(sample_rate=0.0))


def test_export_and_rate_from_the_cli(
    api: httpx.Client, runtime: Runtime, sample_everything: None, backend: str, tmp_path: Path
) -> None:
    start_chat(api, "acme", "en").send(CANARY)
    env = cli_environment(runtime.settings.database_url, tmp_path)
    exported = run(env, "samples", "export", "acme")
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(lines) == 1 and "canary" not in lines[0]["text"]
    assert run(env, "samples", "export", "acme", "--since", "yesterday").returncode == 2
    assert run(env, "samples", "rate", "acme", "1.5").returncode == 1
    done = run(env, "samples", "rate", "acme", "1")
    assert done.returncode == 0, done.stderr

"""Retention: the purge's rules and boundary, batches and interruptions, receipts, canaries, the
lease that lets one node run each job, `botdesk retention run`, `botdesk worker`, in-app jobs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select, update

from botdesk.actions.audit import Actor
from botdesk.actions.conversations import transition
from botdesk.actions.erasure import shred_conversation_key
from botdesk.actions.lifecycle import sweep
from botdesk.actions.retention import purge_conversations, purge_expired_sessions
from botdesk.actions.tenants import create_tenant
from botdesk.actions.users import sign_in
from botdesk.app import create_app
from botdesk.jobs import (
    CONVERSATIONS_JOB,
    Job,
    JobRunner,
    LeaseLost,
    acquire_lease,
    holding,
    new_holder,
)
from botdesk.models import (
    AuditEntry,
    Base,
    Conversation,
    ConversationStatus,
    JobLease,
    Message,
    Retention,
    RetentionClass,
    StaffSession,
    utcnow,
)
from botdesk.runtime import Runtime, build_runtime
from tests.cli import BOTDESK, cli_environment, run
from tests.conftest import PASSWORD, Personas, VisitorChat, make_settings, start_chat
from tests.waits import wait_until

DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
EMAIL = "canary.shopper@example.com"
ORDER = "40047115"  # an order number in the shape acme's bot content declares (4 + 7 digits)


def _chat(api: httpx.Client, slug: str, text: str = "hello") -> VisitorChat:
    chat = start_chat(api, slug, "en")
    assert chat.send(text).status_code == 201
    return chat


def _set(
    runtime: Runtime,
    chat: VisitorChat,
    last_activity_at: dt.datetime,
    retention_class: RetentionClass = RetentionClass.BOT_ONLY,
) -> None:
    """Test arrangement: age a conversation (and put it in a retention class)."""
    with runtime.db.session() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == uuid.UUID(chat.id))
            .values(last_activity_at=last_activity_at, retention_class=retention_class)
        )


def _alive(runtime: Runtime, *chats: VisitorChat) -> set[str]:
    ids = [uuid.UUID(c.id) for c in chats]
    with runtime.db.session() as session:
        found = session.scalars(select(Conversation.id).where(Conversation.id.in_(ids))).all()
    return {str(i) for i in found}


def _receipts(runtime: Runtime, action: str = "retention.purged") -> list[dict[str, Any]]:
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry.details)
                .where(AuditEntry.action == action)
                .order_by(AuditEntry.id)
            ).all()
        )


def _cli_env(runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    """The CLI pointed at the test session's database, with its master key."""
    env = cli_environment(runtime.settings.database_url, tmp_path / "var")
    assert runtime.settings.master_key is not None
    env["BOTDESK_MASTER_KEY"] = runtime.settings.master_key.get_secret_value()
    return env


def test_bot_only_conversations_go_at_exactly_the_tenants_days(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    now = utcnow()
    acme_due, acme_kept = _chat(api, "acme"), _chat(api, "acme")
    acme_60 = _chat(api, "acme")  # 60 days is young for acme (90 days)...
    bobs_due, bobs_kept = _chat(api, "bobs"), _chat(api, "bobs")  # ...and due for bobs
    fresh = _chat(api, "acme")
    _set(runtime, acme_due, now - 90 * DAY)
    _set(runtime, acme_kept, now - 90 * DAY + SECOND)
    _set(runtime, acme_60, now - 60 * DAY)
    _set(runtime, bobs_due, now - 60 * DAY)
    _set(runtime, bobs_kept, now - 60 * DAY + SECOND)

    result = purge_conversations(runtime, now=now, batch_size=100)

    assert _alive(runtime, acme_due, acme_kept, acme_60, bobs_due, bobs_kept, fresh) == {
        acme_kept.id,
        acme_60.id,
        bobs_kept.id,
        fresh.id,
    }
    counts = {t["tenant"]: t for t in result.as_dict()["tenants"]}
    assert counts["acme"]["bot_only"] == 1 and counts["bobs"]["bot_only"] == 1
    assert counts["acme"]["bot_only_cutoff"] == (now - 90 * DAY).isoformat()
    assert (result.conversations, result.messages) == (2, 4)  # each: the shopper's and a reply
    # What is kept is still readable by its shopper.
    assert acme_kept.messages().json()["messages"][0]["text"] == "hello"
    assert acme_due.messages().status_code == 404
    receipts = _receipts(runtime)
    assert sorted(r["conversation_ids"][0] for r in receipts) == sorted([acme_due.id, bobs_due.id])
    assert all(r["rule"] == "retention.bot_only" and r["messages_deleted"] == 2 for r in receipts)


def test_agent_conversations_stay_until_requested_unless_the_tenant_sets_a_maximum(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    now = utcnow()
    with runtime.db.session() as session:
        create_tenant(
            session,
            runtime.keyring,
            Actor.operator(),
            slug="maxco",
            name="Max Co",
            retention_agent_days=30,
        )
    agent = RetentionClass.WITH_AGENT
    ancient = _chat(api, "acme")  # acme keeps agent chats until a deletion request
    due, kept, bot_young = _chat(api, "maxco"), _chat(api, "maxco"), _chat(api, "maxco")
    _set(runtime, ancient, now - 3000 * DAY, agent)
    _set(runtime, due, now - 30 * DAY, agent)
    _set(runtime, kept, now - 30 * DAY + SECOND, agent)
    _set(runtime, bot_young, now - 89 * DAY)  # bot-only chats follow maxco's 90 days

    result = purge_conversations(runtime, now=now, batch_size=100)

    assert _alive(runtime, ancient, due, kept, bot_young) == {ancient.id, kept.id, bot_young.id}
    counts = {t["tenant"]: t for t in result.as_dict()["tenants"]}
    assert counts["maxco"]["with_agent"] == 1 and counts["maxco"]["bot_only"] == 0
    assert counts["acme"]["with_agent_cutoff"] is None
    [receipt] = _receipts(runtime)
    assert receipt["rule"] == "retention.with_agent"
    assert receipt["cutoff"] == (now - 30 * DAY).isoformat()


def test_a_conversation_back_with_the_bot_keeps_the_agent_rule(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    """Issue #14: reopened after an agent, or with an offline message left, it stays `with_agent`
    through the idle close, so acme (agent chats kept until a request) never purges it by age."""
    reopened, offline, plain = _chat(api, "acme"), start_chat(api, "acme", "en"), _chat(api, "acme")
    with runtime.db.session() as session:
        row = session.get(Conversation, uuid.UUID(reopened.id))
        assert row is not None
        for status in ("pre_chat_form", "queued", "with_agent", "closed"):
            transition(session, Actor.system(), row, ConversationStatus(status))
    assert reopened.send("one more thing").json()["status"] == "bot"
    handover = f"/api/v1/conversations/{offline.id}/handover"
    assert api.post(handover, headers=offline.auth).json()["form"]["kind"] == "offline"
    sent = api.post(
        f"{handover}/form", json={"email": EMAIL, "message": "call me"}, headers=offline.auth
    )
    assert sent.json()["status"] == "bot"
    assert sweep(runtime, now=utcnow() + 31 * 60 * SECOND).idle == 3  # all three went quiet
    later = utcnow() + 100 * DAY
    result = purge_conversations(runtime, now=later, batch_size=10)
    assert result.conversations == 1
    assert _alive(runtime, reopened, offline, plain) == {reopened.id, offline.id}
    with runtime.db.session() as session:
        kept = session.scalars(
            select(Conversation.retention_class).where(
                Conversation.id.in_([uuid.UUID(reopened.id), uuid.UUID(offline.id)])
            )
        ).all()
    assert kept == [RetentionClass.WITH_AGENT] * 2


def test_batches_get_a_receipt_each_and_a_rerun_finds_nothing(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    now = utcnow()
    chats = [_chat(api, "acme") for _ in range(5)]
    for i, chat in enumerate(chats):
        _set(runtime, chat, now - (100 + i) * DAY)

    first = purge_conversations(runtime, now=now, batch_size=2)
    second = purge_conversations(runtime, now=now, batch_size=2)

    assert (first.conversations, second.conversations, second.messages) == (5, 0, 0)
    receipts = _receipts(runtime)
    assert [r["conversations"] for r in receipts] == [2, 2, 1]  # oldest first
    assert set(receipts[0]["conversation_ids"]) == {chats[4].id, chats[3].id}
    assert [r["conversations"] for r in _receipts(runtime, "retention.keys_destroyed")] == [2, 2, 1]


def test_an_interrupted_purge_leaves_nothing_readable_and_a_rerun_completes_it(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    now = utcnow()
    chats = [_chat(api, "acme") for _ in range(5)]
    for i, chat in enumerate(chats):
        _set(runtime, chat, now - (105 - i) * DAY)  # chats[0] is the oldest
    calls = 0

    def crash_before_the_second_batch_deletes() -> None:
        # Called before every transaction: batch 1 shred, delete; batch 2 shred, (crash).
        nonlocal calls
        calls += 1
        if calls == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        purge_conversations(
            runtime, now=now, batch_size=2, keep_alive=crash_before_the_second_batch_deletes
        )
    assert _alive(runtime, *chats) == {c.id for c in chats[2:]}
    with runtime.db.session() as session:
        keys = dict(
            session.execute(
                select(Conversation.id, Conversation.wrapped_key).where(
                    Conversation.id.in_([uuid.UUID(c.id) for c in chats[2:]])
                )
            ).all()
        )
    assert keys[uuid.UUID(chats[2].id)] is None and keys[uuid.UUID(chats[3].id)] is None
    assert keys[uuid.UUID(chats[4].id)] is not None
    assert chats[2].messages().status_code == 404  # shredded: unreadable though rows remain

    rerun = purge_conversations(runtime, now=now, batch_size=2)

    assert _alive(runtime, *chats) == set()
    assert rerun.as_dict()["tenants"][0]["bot_only"] == 3  # receipted under their own rule
    purged = [i for r in _receipts(runtime) for i in r["conversation_ids"]]
    assert sorted(purged) == sorted(c.id for c in chats)


def test_a_half_erased_conversation_is_finished_whatever_its_age(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    chat, other = _chat(api, "acme"), _chat(api, "acme")
    tenant_id = personas.alice.tenant.id
    shred_conversation_key(
        runtime, Actor.visitor(), tenant_id, uuid.UUID(chat.id), reason="visitor_request"
    )

    result = purge_conversations(runtime, now=utcnow(), batch_size=10)

    assert _alive(runtime, chat, other) == {other.id}
    assert result.as_dict()["tenants"][0]["unfinished"] == 1
    [receipt] = _receipts(runtime)
    assert receipt["rule"] == "erasure.unfinished" and receipt["cutoff"] is None


def _table_dumps(runtime: Runtime) -> dict[str, str]:
    with runtime.db.session() as session:
        return {
            table.name: repr(session.execute(table.select()).all())
            for table in Base.metadata.sorted_tables
        }


def _sqlite_bytes(runtime: Runtime) -> bytes:
    path = runtime.db.engine.url.database
    assert path is not None
    runtime.db.dispose()  # pooled connections would keep part of the WAL alive
    runtime.db.checkpoint()
    # And none may be open while we read: closing any descriptor of the file drops this
    # process's POSIX locks, and another process would then delete the WAL under our feet.
    runtime.db.dispose()
    files = [Path(path), Path(path + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_canaries_are_gone_from_tables_files_receipts_and_logs_after_a_purge(
    api: httpx.Client,
    personas: Personas,
    runtime: Runtime,
    caplog: pytest.LogCaptureFixture,
    sample_everything: None,
) -> None:
    caplog.set_level(logging.DEBUG, logger="botdesk")
    chat = _chat(api, "acme", f"my email is {EMAIL} and my order is {ORDER}")
    assert EMAIL in chat.messages().json()["messages"][0]["text"]  # it was stored
    with runtime.db.session() as session:
        conversation = session.get(Conversation, uuid.UUID(chat.id))
        assert conversation is not None and conversation.wrapped_key is not None
        bodies = session.scalars(
            select(Message.body).where(Message.conversation_id == conversation.id)
        ).all()
        secrets = [conversation.wrapped_key, *bodies]
    before = _table_dumps(runtime)
    assert chat.id in before["conversations"] and chat.id in before["messages"]
    if runtime.db.is_sqlite:
        raw = _sqlite_bytes(runtime)
        assert all(secret in raw for secret in secrets)
    _set(runtime, chat, utcnow() - 91 * DAY)

    assert purge_conversations(runtime, now=utcnow(), batch_size=10).conversations == 1

    for name, dump in _table_dumps(runtime).items():
        assert EMAIL not in dump and ORDER not in dump, name
        assert "canary" not in dump.lower(), name
        if Base.metadata.tables[name].info["retention"] == Retention.CONVERSATION:
            assert chat.id not in dump, name
    assert chat.id in str(_receipts(runtime))  # the receipt names what it deleted...
    assert "retention purged acme" in caplog.text  # ...and the log says so, without content
    assert EMAIL not in caplog.text and ORDER not in caplog.text
    if runtime.db.is_sqlite:
        raw = _sqlite_bytes(runtime)
        assert EMAIL.encode() not in raw and ORDER.encode() not in raw
        assert not any(secret in raw for secret in secrets)


def test_expired_console_sessions_are_purged_at_their_expiry(
    personas: Personas, runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        for hours in (1, 2):
            signed = sign_in(
                session,
                email=personas.alice.agent.email,
                password=PASSWORD,
                lifetime=dt.timedelta(hours=hours),
            )
            assert signed is not None
    with runtime.db.session() as session:
        expiries = sorted(session.scalars(select(StaffSession.expires_at)).all())

    assert purge_expired_sessions(runtime, now=expiries[0], batch_size=10) == 1

    with runtime.db.session() as session:
        assert session.scalars(select(StaffSession.expires_at)).all() == [expiries[1]]
    [receipt] = _receipts(runtime)
    assert receipt == {
        "rule": "retention.expired_sessions",
        "cutoff": expiries[0].isoformat(),
        "sessions": 1,
    }


def test_retention_run_prints_json_counts_on_a_frozen_clock(
    api: httpx.Client, personas: Personas, runtime: Runtime, tmp_path: Path
) -> None:
    env = _cli_env(runtime, tmp_path)
    now = utcnow() + 200 * DAY  # the frozen clock may be any instant, e.g. an audit's
    due, kept = _chat(api, "acme"), _chat(api, "acme")
    _set(runtime, due, now - 90 * DAY)
    _set(runtime, kept, now - 90 * DAY + SECOND)

    done = run(env, "retention", "run", "--now", now.isoformat(), "--batch-size", "1", "--json")
    again = run(env, "retention", "run", "--now", now.isoformat(), "--json")

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["now"], report["conversations"], report["messages"]) == (now.isoformat(), 1, 2)
    acme = next(t for t in report["tenants"] if t["tenant"] == "acme")
    assert (acme["bot_only"], acme["with_agent"], acme["unfinished"]) == (1, 0, 0)
    assert json.loads(again.stdout)["conversations"] == 0
    assert _alive(runtime, due, kept) == {kept.id}
    assert "hello" not in done.stdout + done.stderr


def test_retention_run_refuses_a_bad_or_naive_clock(tmp_path: Path) -> None:
    env = cli_environment(f"sqlite:///{tmp_path}/unused.db", tmp_path / "var")
    for value, message in [
        ("yesterday", "must be an ISO 8601 date and time"),
        ("2026-03-01T00:00:00", "needs a UTC offset"),  # naive: refused, not guessed
    ]:
        result = run(env, "retention", "run", "--now", value)
        assert result.returncode == 2
        assert message in result.stderr and "Traceback" not in result.stderr


def test_concurrent_takers_of_a_lease_get_it_once(runtime: Runtime) -> None:
    barrier = threading.Barrier(6)
    won: list[bool] = []

    def take() -> None:
        barrier.wait()
        won.append(acquire_lease(runtime.db, "test.race", new_holder()))

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(won) == [False] * 5 + [True]


def test_two_runners_at_once_run_a_job_once(runtime: Runtime) -> None:
    entered: list[str] = []
    returned: list[str] = []

    def slow(_runtime: Runtime, _now: dt.datetime, keep_alive: Any) -> dict[str, int]:
        entered.append(threading.current_thread().name)
        # Hold the job until every other runner has either given up or got in too.
        wait_until(lambda: len(entered) + len(returned) >= len(runners), 30, "the other runners")
        keep_alive()
        return {}

    def run_due(runner: JobRunner) -> None:
        runner.run_due()
        returned.append(threading.current_thread().name)

    runners = [JobRunner(runtime, jobs=(Job("test.slow", slow),)) for _ in range(4)]
    threads = [threading.Thread(target=run_due, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(entered) == 1
    runners[0].run_due()  # finished just now: not due again for an interval
    assert len(entered) == 1


def test_a_lease_taken_over_stops_the_old_holder_at_its_next_safe_point(runtime: Runtime) -> None:
    with pytest.raises(LeaseLost), holding(runtime.db, "test.stolen") as keep_alive:
        keep_alive()
        with runtime.db.session() as session:  # the lease expired and another node took it
            session.execute(update(JobLease).values(holder="thief"))
        keep_alive()


def test_retention_run_waits_for_another_nodes_lease_and_takes_over_a_dead_ones(
    api: httpx.Client, personas: Personas, runtime: Runtime, tmp_path: Path
) -> None:
    env = _cli_env(runtime, tmp_path)
    chat = _chat(api, "acme")
    _set(runtime, chat, utcnow() - 100 * DAY)
    assert acquire_lease(runtime.db, CONVERSATIONS_JOB.name, "node-a:42")

    refused = run(env, "retention", "run", "--json")
    assert refused.returncode == 1
    assert "running on node-a:42" in refused.stderr
    assert _alive(runtime, chat) == {chat.id}

    with runtime.db.session() as session:  # node-a died: its lease runs out
        session.execute(update(JobLease).values(expires_at=utcnow() - SECOND))
    done = run(env, "retention", "run", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["conversations"] == 1


def _wait_until_gone(runtime: Runtime, chat: VisitorChat, seconds: float = 30) -> None:
    wait_until(lambda: not _alive(runtime, chat), seconds, "the purge", every=0.1)


def _purge_finished(runtime: Runtime) -> bool:
    """Whether a purge has run to its end (the chat can be gone a moment before it has)."""
    with runtime.db.session() as session:
        lease = session.get(JobLease, CONVERSATIONS_JOB.name)
        return lease is not None and lease.finished_at is not None


def test_botdesk_worker_runs_the_purge_and_stops_cleanly(
    api: httpx.Client, personas: Personas, runtime: Runtime, tmp_path: Path
) -> None:
    chat, young = _chat(api, "acme"), _chat(api, "acme")
    _set(runtime, chat, utcnow() - 100 * DAY)
    env = _cli_env(runtime, tmp_path) | {"BOTDESK_RETENTION_INTERVAL_SECONDS": "1"}
    worker = subprocess.Popen(
        [*BOTDESK, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_until_gone(runtime, chat)
        wait_until(lambda: _purge_finished(runtime), 30, "the purge to finish", every=0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        _out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "botdesk worker stopped" in err and "Traceback" not in err
    assert _alive(runtime, young) == {young.id}
    assert _purge_finished(runtime)


def test_the_app_runs_the_jobs_in_process_by_default(
    api: httpx.Client, personas: Personas, runtime: Runtime, tmp_path: Path
) -> None:
    chat = _chat(api, "acme")
    _set(runtime, chat, utcnow() - 100 * DAY)
    assert runtime.settings.master_key is not None
    settings = make_settings(
        runtime.settings.database_url,
        tmp_path,
        master_key=runtime.settings.master_key.get_secret_value(),
        retention_interval_seconds=1,
    )
    assert settings.run_jobs_in_app
    server = uvicorn.Server(
        uvicorn.Config(create_app(build_runtime(settings)), port=0, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()  # the lifespan starts the jobs...
    try:
        _wait_until_gone(runtime, chat)
    finally:
        server.should_exit = True
        thread.join(30)
    assert not thread.is_alive()  # ...and stops them on shutdown

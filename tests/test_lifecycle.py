"""The conversation lifecycle of issue #14 over HTTP and WebSocket: an offline message answered
in the chat, a waiting shopper's presence (socket, polling, several tabs), ghosts leaving the
queue after the tenant's grace, and idle conversations with the bot closed by the sweep.

The sweep is the job's own function called with a clock reading (`now`), so a test moves time
instead of waiting for it. On the PostgreSQL run the broker is Redis (the many-node path).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from websockets.sync.client import ClientConnection

from botdesk.actions.lifecycle import sweep
from botdesk.errors import Invalid
from botdesk.events import Event, EventType
from botdesk.handover import HandoverPolicy
from botdesk.jobs import LIFECYCLE_JOB, JobRunner
from botdesk.models import ActorKind, AuditEntry, Conversation, Tenant, utcnow
from botdesk.notices import notice
from botdesk.runtime import Runtime
from botdesk.settings import Settings
from tests.conftest import LiveServer, Personas, VisitorChat, start_chat
from tests.test_handover import Agent, ask_for_person, console, queued_chat, send_form
from tests.test_realtime import frames_until, open_stream
from tests.waits import wait_until

__all__ = ["console"]  # the fixture, used by name
SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)


def row(runtime: Runtime, chat: VisitorChat) -> Conversation:
    with runtime.db.session() as session:
        found = session.get(Conversation, uuid.UUID(chat.id))
        assert found is not None
        return found


@contextmanager
def connected(server: LiveServer, chat: VisitorChat) -> Iterator[ClientConnection]:
    """The shopper's widget socket, past its hello and backlog."""
    with open_stream(server, chat) as ws:
        ws.send(json.dumps({"type": "hello", "token": chat.token, "after": chat_last_seq(chat)}))
        frames_until(ws, "ready")
        yield ws


def chat_last_seq(chat: VisitorChat) -> int:
    return int(chat.messages().json()["last_seq"])


def status_frame(ws: ClientConnection, status: str) -> list[dict[str, Any]]:
    for _ in range(5):
        frames = frames_until(ws, "status")
        if frames[-1]["status"] == status:
            return frames
    raise AssertionError(f"no status {status} frame")


def handover(chat: VisitorChat) -> dict[str, Any]:
    response = chat.client.get(f"/api/v1/conversations/{chat.id}/handover", headers=chat.auth)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def grace_15(runtime: Runtime, personas: Personas) -> Iterator[None]:
    """acme lets a shopper be away 15 s (the least allowed) and closes chats idle 5 minutes."""
    config = {"queue_grace_seconds": 15, "idle_minutes": 5}
    with runtime.db.session() as session:
        session.execute(update(Tenant).where(Tenant.slug == "acme").values(handover=config))
    yield  # persona tenants outlive the test: put their setting back
    with runtime.db.session() as session:
        session.execute(update(Tenant).where(Tenant.slug == "acme").values(handover={}))


def test_a_ghost_leaves_the_queue_after_the_grace_and_the_next_shopper_is_number_one(
    api: httpx.Client, server: LiveServer, personas: Personas, console: Any, runtime: Runtime
) -> None:
    """Issue #14, finding 6: the next shopper after a closed browser was told "number 2"."""
    console(personas.alice.agent, "acme").online()
    first, second = start_chat(api, "acme", "en"), start_chat(api, "acme", "en")
    with connected(server, first) as first_ws, connected(server, second) as second_ws:
        for chat, ws in ((first, first_ws), (second, second_ws)):
            assert ask_for_person(chat).status_code == 200
            assert send_form(chat, email="shopper@example.com").json()["status"] == "queued"
            status_frame(ws, "queued")  # the socket has said the shopper is here by now
        assert row(runtime, first).visitor_away_since is None
        assert handover(second)["queue"]["position"] == 2
        first_ws.close()  # the first shopper closes the browser
        away = wait_until(lambda: row(runtime, first).visitor_away_since, 10, "the socket")
        assert sweep(runtime, now=away + 89 * SECOND).abandoned == 0  # within acme's 90 s
        assert row(runtime, first).status == "queued"
        swept = sweep(runtime, now=away + 91 * SECOND)
        assert (swept.abandoned, swept.idle) == (1, 0)
        assert handover(second)["queue"]["position"] == 1
        # Told live, too.
        wait_until(lambda: frames_until(second_ws, "queue")[-1]["position"] == 1, 10, "position 1")
    gone = row(runtime, first)
    assert (gone.status, gone.outcome, gone.retention_class) == ("closed", "abandoned", "bot_only")
    assert first.messages().json()["messages"][-1]["text"] == notice("away_from_queue", "en")
    with runtime.db.session() as session:
        audited = session.execute(
            select(AuditEntry.action, AuditEntry.actor_kind, AuditEntry.details).where(
                AuditEntry.target_id == first.id, AuditEntry.actor_kind == ActorKind.SYSTEM
            )
        ).all()
    assert {(a, k.value, json.dumps(d, sort_keys=True)) for a, k, d in audited} == {
        ("conversation.status_changed", "system", '{"from": "queued", "to": "closed"}'),
        ("conversation.closed", "system", '{"outcome": "abandoned"}'),
    }
    # Coming back later: the shopper writes and is with the bot, in the same thread.
    assert first.send("sorry, I was away").json()["status"] == "bot"


def test_a_present_shopper_stays_in_the_queue_also_when_one_of_two_tabs_closes(
    api: httpx.Client, server: LiveServer, personas: Personas, console: Any, runtime: Runtime
) -> None:
    console(personas.alice.agent, "acme").online()
    chat = start_chat(api, "acme", "en")
    with connected(server, chat) as tab, connected(server, chat) as other_tab:
        ask_for_person(chat)
        send_form(chat, email="shopper@example.com")
        status_frame(tab, "queued")
        status_frame(other_tab, "queued")
        assert row(runtime, chat).visitor_away_since is None
        # The shopper's own HTTP requests leave a present shopper present.
        assert chat.messages().status_code == 200 and handover(chat)["status"] == "queued"
        assert row(runtime, chat).visitor_away_since is None
        # Closing one tab marks the shopper away and says so (the mark may be undone before a
        # look at the row could see it), and the other tab answers that they are still here.
        heard: list[Event] = []
        runtime.db.local_listeners.append(heard.append)
        try:
            tab.close()
            wait_until(lambda: any(e.type is EventType.VISITOR_LEFT for e in heard), 10, "it")
        finally:
            runtime.db.local_listeners.remove(heard.append)
        wait_until(lambda: row(runtime, chat).visitor_away_since is None, 10, "the other tab")
        assert sweep(runtime, now=utcnow() + 60 * MINUTE).abandoned == 0
        assert row(runtime, chat).status == "queued"


def test_a_polling_shopper_stays_while_it_polls_and_leaves_when_it_stops(
    api: httpx.Client, personas: Personas, console: Any, runtime: Runtime, grace_15: None
) -> None:
    """A widget with no socket (blocked WebSockets) is present as long as it keeps polling."""
    console(personas.alice.agent, "acme").online()
    chat = queued_chat(api)  # no socket at all
    joined = row(runtime, chat).visitor_away_since
    assert joined is not None  # away from the start, until it polls
    # Its last poll was 14 s ago: one more second without a poll and it would go...
    with runtime.db.session() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == uuid.UUID(chat.id))
            .values(visitor_away_since=utcnow() - 14 * SECOND)
        )
    assert chat.messages(after=0).status_code == 200  # ...but it polls
    polled = row(runtime, chat).visitor_away_since
    assert polled is not None and polled > joined
    assert sweep(runtime, now=polled + 14 * SECOND).abandoned == 0
    assert handover(chat)["queue"]["position"] == 1  # polling its place counts as well
    polled_again = row(runtime, chat).visitor_away_since
    assert polled_again is not None and polled_again >= polled
    # It stops polling: 15 s (acme's grace here) after its last poll it has left the queue.
    assert sweep(runtime, now=polled_again + 16 * SECOND).abandoned == 1
    assert row(runtime, chat).outcome == "abandoned"


def test_idle_conversations_with_the_bot_are_closed_and_active_ones_are_not(
    api: httpx.Client, server: LiveServer, personas: Personas, runtime: Runtime
) -> None:
    idle, active = start_chat(api, "acme", "en"), start_chat(api, "bobs", "en")
    for chat in (idle, active):
        assert chat.send("hello").status_code == 201
    last_active = row(runtime, active).last_activity_at
    # acme's 30 minutes have passed for the idle chat; bobs's chat wrote 29 minutes before now.
    with runtime.db.session() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == uuid.UUID(idle.id))
            .values(last_activity_at=last_active - 31 * MINUTE)
        )
    with connected(server, idle) as ws:
        swept = sweep(runtime, now=last_active + 29 * MINUTE)
        assert (swept.abandoned, swept.idle) == (0, 1)
        assert status_frame(ws, "closed")[-1] == {"type": "status", "status": "closed"}
        closed = row(runtime, idle)
        assert (closed.status, closed.outcome) == ("closed", "idle")
        assert closed.closed_at is not None
        assert row(runtime, active).status == "bot"
        with runtime.db.session() as session:
            assert session.scalar(
                select(AuditEntry.details).where(
                    AuditEntry.target_id == idle.id, AuditEntry.action == "conversation.closed"
                )
            ) == {"outcome": "idle"}
        # The shopper comes back: the same conversation goes on with the bot.
        back = idle.send("hello again")
        assert back.status_code == 201 and back.json()["status"] == "bot"
        assert back.json()["replies"]
        assert status_frame(ws, "bot")[-1] == {"type": "status", "status": "bot"}
    assert sweep(runtime, now=last_active + 29 * MINUTE).idle == 0  # it is active again


def test_the_tenants_own_timeouts_and_the_job_runs_every_15_seconds_by_default(
    api: httpx.Client, personas: Personas, runtime: Runtime, grace_15: None
) -> None:
    chat = start_chat(api, "acme", "en")
    chat.send("hello")
    written = row(runtime, chat).last_activity_at
    assert sweep(runtime, now=written + 4 * MINUTE).idle == 0
    with runtime.db.session() as session:  # acme closes after 5 minutes here
        session.execute(
            update(Conversation)
            .where(Conversation.id == uuid.UUID(chat.id))
            .values(last_activity_at=utcnow() - 5 * MINUTE - SECOND)
        )
    runner = JobRunner(runtime, jobs=(LIFECYCLE_JOB,))
    runner.run_due()
    assert row(runtime, chat).status == "closed"
    # Every 15 s in production (the test servers' own runs are kept to the hourly interval).
    assert Settings.model_fields["lifecycle_interval_seconds"].default == 15
    assert LIFECYCLE_JOB.every is not None
    assert (
        LIFECYCLE_JOB.every(runtime.settings)
        == SECOND * runtime.settings.lifecycle_interval_seconds
    )


def test_the_handover_policy_checks_the_new_keys() -> None:
    policy = HandoverPolicy.from_config({})
    assert (policy.queue_grace_seconds, policy.idle_minutes) == (90, 30)
    assert HandoverPolicy.from_config({"queue_grace_seconds": 15, "idle_minutes": 1440})
    for bad in (
        {"queue_grace_seconds": 14},
        {"queue_grace_seconds": 3601},
        {"queue_grace_seconds": "90"},
        {"idle_minutes": 4},
        {"idle_minutes": 1441},
        {"idle_minutes": True},
    ):
        with pytest.raises(Invalid, match=next(iter(bad))):
            HandoverPolicy.from_config(bad)


def test_an_offline_message_is_answered_in_the_chat(
    api: httpx.Client, server: LiveServer, personas: Personas, console: Any, runtime: Runtime
) -> None:
    """Issue #14, findings 5 and 10: an agent who is online can take it up in the chat."""
    chat = start_chat(api, "acme", "en")
    assert ask_for_person(chat).json()["form"]["kind"] == "offline"  # nobody online
    assert send_form(chat, email="late@example.com", message="Is it in stock?").status_code == 200
    plain = start_chat(api, "acme", "en")  # a chat with the bot and no message left
    agent: Agent = console(personas.alice.agent, "acme")
    with connected(server, chat) as ws:
        agent.online()
        [waiting] = agent.get("/state").json()["offline"]
        assert (waiting["id"], waiting["status"]) == (chat.id, "bot")
        assert agent.post(f"/conversations/{plain.id}/accept").status_code == 409
        taken = agent.post(f"/conversations/{chat.id}/accept")
        assert taken.status_code == 200 and taken.json() == {"status": "with_agent"}
        assert status_frame(ws, "with_agent")[-1]["status"] == "with_agent"
        admin: Agent = console(personas.alice.admin, "acme")
        assert admin.post(f"/conversations/{chat.id}/accept").status_code == 409  # once only
        state = agent.get("/state").json()
        assert state["offline"] == [] and [c["id"] for c in state["mine"]] == [chat.id]
        sent = agent.post(f"/conversations/{chat.id}/messages", {"text": "Yes, size M is"})
        assert sent.status_code == 201
        seen = [f["message"] for f in frames_until(ws, "message")]
        while seen[-1]["sender"] != "agent":
            seen += [f["message"] for f in frames_until(ws, "message")]
        assert (seen[-1]["text"], seen[-1]["author"]) == ("Yes, size M is", "alice agent")
    # The bot stays silent while the agent has it; the whole thread is there on coming back.
    assert chat.send("great, thanks").json()["replies"] == []
    texts = [m["text"] for m in chat.messages().json()["messages"]]
    assert texts[-4:] == [
        notice("offline_acknowledged", "en"),
        notice("joined", "en", name="alice agent"),
        "Yes, size M is",
        "great, thanks",
    ]
    taken_row = row(runtime, chat)
    assert taken_row.assigned_agent_id == personas.alice.agent.id
    assert taken_row.offline_pending_since is None
    assert taken_row.retention_class == "with_agent"
    with runtime.db.session() as session:
        assert session.scalar(
            select(AuditEntry.details).where(
                AuditEntry.target_id == chat.id, AuditEntry.action == "conversation.accepted"
            )
        ) == {"from": "bot"}
    # Answered: no email answer any more.
    assert agent.post(f"/conversations/{chat.id}/email-reply", {"text": "x"}).status_code == 409
    bob: Agent = console(personas.bob.agent, "bobs")
    assert bob.post(f"/conversations/{chat.id}/accept").status_code == 404


def test_an_offline_message_left_idle_is_answered_by_email_only(
    api: httpx.Client, personas: Personas, console: Any, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    ask_for_person(chat)
    send_form(chat, email="late@example.com", message="Is it in stock?")
    sweep(runtime, now=utcnow() + 31 * MINUTE)  # the shopper went away: closed as idle
    agent: Agent = console(personas.alice.agent, "acme")
    agent.online()
    [waiting] = agent.get("/state").json()["offline"]  # still waiting for its answer
    assert (waiting["id"], waiting["status"]) == (chat.id, "closed")
    refused = agent.post(f"/conversations/{chat.id}/accept")
    assert refused.status_code == 409
    assert "by email" in refused.json()["error"]["message"]

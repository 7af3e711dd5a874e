"""What one shopper message costs the database: the hot path's statements, counted.

The numbers are the contract of the serving core (docs/development.md, "Transactions"): a
message to the bot is read in one reading transaction (the conversation, the bot's recent
history) and written in two short ones (the visitor's message; the bot's replies). Tenant
settings, its key, its bot's version and whether a person is online come from the node's cache.
A test that starts failing here means a change added a round trip to every message.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, update

from botdesk.models import Conversation, ConversationStatus, Tenant
from botdesk.runtime import Runtime
from tests.conftest import Personas, start_chat

# The agent desk's fixture and helpers (a signed-in console over its JSON API).
from tests.test_handover import console, queued_chat  # noqa: F401

_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """Every SELECT/INSERT/UPDATE/DELETE sent to the database (both engines) meanwhile."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The audit sealer chains rows in its own thread after the commit, off the request's
        # path (actions/audit_chain.py): not part of what a message costs its request.
        if threading.current_thread().name == "botdesk-audit-sealer":
            return
        if _STATEMENT.match(statement):
            seen.append(statement.split(None, 1)[0].upper() + " " + _table(statement))

    engines = {runtime.db.engine, runtime.db.read_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


def _table(statement: str) -> str:
    found = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement, re.IGNORECASE)
    return found.group(1) if found else "?"


def test_a_message_to_the_bot_is_one_read_and_two_short_writes(
    api: httpx.Client, runtime: Runtime, personas: Personas, bot: None
) -> None:
    chat = start_chat(api, "acme", "en")
    assert chat.send("hello").status_code == 201  # warms the node's caches
    runtime.bots.finish_saving()  # the model trained for it is stored from a thread
    with statements(runtime) as seen:
        answered = chat.send("how much does delivery cost?")
    assert answered.status_code == 201 and answered.json()["replies"]
    assert seen == [
        "SELECT conversations",  # the token opens it: status, language, key, bot state
        "UPDATE conversations",  # step one: the next seq
        "INSERT messages",  # the visitor's message
        "UPDATE conversations",  # step two: still with the bot? seqs, state, language
        "INSERT messages",  # the bot's replies, in one statement
    ]


def test_a_message_while_an_agent_has_the_chat_skips_the_bot(
    api: httpx.Client, runtime: Runtime, personas: Personas, bot: None
) -> None:
    chat = start_chat(api, "acme", "en")
    assert chat.send("hello").status_code == 201
    runtime.bots.finish_saving()
    with runtime.db.session() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == uuid.UUID(chat.id))
            .values(status=ConversationStatus.WITH_AGENT)
        )
    with statements(runtime) as seen:
        sent = chat.send("are you there?")
    assert sent.status_code == 201 and sent.json()["replies"] == []
    assert seen == ["SELECT conversations", "UPDATE conversations", "INSERT messages"]


def test_opening_the_chat_is_one_short_write(
    api: httpx.Client, runtime: Runtime, personas: Personas
) -> None:
    start_chat(api, "acme", "en")  # the tenant is in the node's cache from now on
    with statements(runtime) as seen:
        start_chat(api, "acme", "en")
    assert seen == ["INSERT conversations", "INSERT audit_log"]


def test_a_tenant_change_reaches_the_cache_at_once(
    api: httpx.Client, runtime: Runtime, personas: Personas
) -> None:
    """The cache is invalidated by the commit that changes the tenant, not by its expiry."""
    from botdesk.actions.audit import Actor
    from botdesk.actions.tenants import configure_tenant

    def opened_in(hint: str) -> str:
        started = api.post("/api/v1/tenants/acme/conversations", json={"language": hint})
        return str(started.json()["conversation"]["language"])

    default = opened_in("sv")
    assert default != "sv"  # acme does not speak Swedish yet
    assert runtime.tenants.cached(personas.alice.tenant.id) is not None
    with runtime.db.session() as session:
        # Loaded afresh: merging the persona's object would write its stale columns back.
        tenant = session.get_one(Tenant, personas.alice.tenant.id)
        before = list(tenant.languages)
        configure_tenant(session, Actor.operator(), tenant, languages=[*before, "sv"])
    try:
        assert runtime.tenants.cached(personas.alice.tenant.id) is None
        assert opened_in("sv") == "sv"
    finally:
        with runtime.db.session() as session:
            tenant = session.get_one(Tenant, personas.alice.tenant.id)
            configure_tenant(session, Actor.operator(), tenant, languages=before)


def test_an_agents_reply_signs_in_and_writes_in_one_short_unit(
    api: httpx.Client,
    runtime: Runtime,
    personas: Personas,
    bot: None,
    console: object,  # noqa: F811 (the fixture imported above)
) -> None:
    agent = console(personas.alice.agent, "acme")  # type: ignore[operator]
    agent.online()
    chat = queued_chat(api)
    assert agent.post(f"/conversations/{chat.id}/accept").status_code == 200
    runtime.bots.finish_saving()
    first = {"text": "Hi! Let me check.", "client_message_id": "r-1"}
    assert agent.post(f"/conversations/{chat.id}/messages", first).status_code == 201
    with statements(runtime) as seen:
        sent = agent.post(f"/conversations/{chat.id}/messages", {"text": "Found it."})
    assert sent.status_code == 201
    assert seen == [
        "SELECT staff_sessions",  # the cookie's session
        "SELECT users",  # who it is (not disabled)
        "SELECT tenants",  # their role in the tenant (and its two-factor rule)
        "UPDATE conversations",  # still theirs and with an agent? the next seq
        "INSERT messages",
        "INSERT audit_log",
    ]
    # A retried send is stored once and answered with the first one's seq.
    again = agent.post(f"/conversations/{chat.id}/messages", first)
    assert again.status_code == 201
    texts = [m["text"] for m in chat.messages().json()["messages"] if m["sender"] == "agent"]
    assert texts == ["Hi! Let me check.", "Found it."]
    assert again.json()["seq"] < sent.json()["seq"]


def test_visitors_and_agents_have_their_own_message_ids(
    api: httpx.Client,
    personas: Personas,
    bot: None,
    console: object,  # noqa: F811 (the fixture imported above)
) -> None:
    """A visitor's id that equals an agent's stores the visitor's words (issue #13, finding 6)."""
    agent = console(personas.alice.agent, "acme")  # type: ignore[operator]
    agent.online()
    chat = queued_chat(api)
    assert agent.post(f"/conversations/{chat.id}/accept").status_code == 200
    mine = {"text": "Hi, how can I help?", "client_message_id": "m-1"}
    assert agent.post(f"/conversations/{chat.id}/messages", mine).status_code == 201
    posted = chat.send("My parcel is late", client_message_id="m-1")
    assert posted.status_code == 201
    assert posted.json()["message"]["text"] == "My parcel is late"
    assert posted.json()["message"]["sender"] == "visitor"
    # Each side's retry still returns its own first message.
    assert (
        chat.send("My parcel is late", client_message_id="m-1").json()["message"]["seq"]
        == (posted.json()["message"]["seq"])
    )
    # A colleague reusing the agent's id is told so, not handed the first agent's message.
    admin = console(personas.alice.admin, "acme")  # type: ignore[operator]
    reused = admin.post(
        f"/conversations/{chat.id}/messages", {"text": "Hello", **{"client_message_id": "m-1"}}
    )
    assert reused.status_code == 409
    texts = [(m["sender"], m["text"]) for m in chat.messages().json()["messages"]]
    assert ("agent", "Hi, how can I help?") in texts and ("visitor", "My parcel is late") in texts
    assert ("agent", "Hello") not in texts

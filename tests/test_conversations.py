"""Conversation status changes: the state machine as actions see it, and what follows from it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from botdesk.actions.audit import Actor
from botdesk.actions.conversations import transition
from botdesk.models import AuditEntry, Conversation, ConversationStatus, IllegalTransition
from botdesk.runtime import Runtime
from tests.conftest import Personas, VisitorChat, start_chat

S = ConversationStatus


def move(runtime: Runtime, chat: VisitorChat, *targets: ConversationStatus) -> Conversation:
    for target in targets:
        with runtime.db.session() as session:
            conversation = session.get(Conversation, uuid.UUID(chat.id))
            assert conversation is not None
            transition(session, Actor.system(), conversation, target)
    with runtime.db.session() as session:
        conversation = session.get(Conversation, uuid.UUID(chat.id))
        assert conversation is not None
        return conversation


def test_reaching_an_agent_changes_the_retention_class_and_is_audited(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    assert move(runtime, chat, S.PRE_CHAT_FORM, S.QUEUED).retention_class == "bot_only"
    conversation = move(runtime, chat, S.WITH_AGENT)
    assert conversation.retention_class == "with_agent"
    assert conversation.closed_at is None
    with runtime.db.session() as session:
        changes = session.scalars(
            select(AuditEntry.details)
            .where(AuditEntry.action == "conversation.status_changed")
            .order_by(AuditEntry.id)
        ).all()
    assert changes == [
        {"from": "bot", "to": "pre_chat_form"},
        {"from": "pre_chat_form", "to": "queued"},
        {"from": "queued", "to": "with_agent"},
    ]
    assert api.get(f"/api/v1/conversations/{chat.id}", headers=chat.auth).json()["status"] == (
        "with_agent"
    )


def test_an_offline_message_is_kept_under_the_agent_rule(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    assert move(runtime, chat, S.OFFLINE_MESSAGE).retention_class == "with_agent"


def test_the_bot_is_silent_once_the_conversation_has_left_it(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    move(runtime, chat, S.PRE_CHAT_FORM, S.QUEUED, S.WITH_AGENT)
    response = chat.send("hello, is anyone there?")
    assert response.status_code == 201
    assert response.json()["replies"] == []
    assert response.json()["status"] == "with_agent"
    assert [m["sender"] for m in chat.messages().json()["messages"]] == ["visitor"]


def test_a_closed_conversation_goes_on_with_the_bot_in_the_same_thread(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    """Issue #14, finding 3: the shopper's next message reopens it (it was refused with 409)."""
    chat = start_chat(api, "acme", "en")
    chat.send("hi")
    move(runtime, chat, S.PRE_CHAT_FORM, S.QUEUED, S.WITH_AGENT)
    closed = move(runtime, chat, S.CLOSED)
    assert closed.closed_at is not None and closed.retention_class == "with_agent"
    response = chat.send("one more thing")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "bot"
    assert [m["sender"] for m in body["replies"]] == ["bot"]  # the bot answers as usual
    thread = chat.messages().json()
    assert thread["status"] == "bot"
    assert [(m["seq"], m["sender"]) for m in thread["messages"]] == [
        (1, "visitor"),
        (2, "bot"),
        (3, "visitor"),
        (4, "bot"),
    ]
    assert api.get(f"/api/v1/conversations/{chat.id}", headers=chat.auth).json()["id"] == chat.id
    with runtime.db.session() as session:
        row = session.get(Conversation, uuid.UUID(chat.id))
        assert row is not None
        # Reached a person once: kept under the agent rule though it is with the bot again.
        assert row.retention_class == "with_agent"
        # The agent's part ended at the close; a later close must not stretch it.
        assert row.closed_at == closed.closed_at
        reopened = session.execute(
            select(AuditEntry.actor_kind, AuditEntry.details)
            .where(AuditEntry.action == "conversation.status_changed")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).one()
    assert (reopened.actor_kind.value, reopened.details) == (
        "visitor",
        {"from": "closed", "to": "bot"},
    )


def test_illegal_moves_are_refused(api: httpx.Client, personas: Personas, runtime: Runtime) -> None:
    chat = start_chat(api, "acme", "en")
    move(runtime, chat, S.CLOSED)
    with pytest.raises(IllegalTransition):
        move(runtime, chat, S.WITH_AGENT)  # a person only through the queue (or offline inbox)
    with pytest.raises(IllegalTransition):
        move(runtime, chat, S.QUEUED)
    assert move(runtime, chat).status == "closed"
    assert move(runtime, chat, S.BOT).status == "bot"

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


def test_a_closed_conversation_takes_no_messages_and_no_illegal_moves(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    chat.send("hi")
    closed = move(runtime, chat, S.CLOSED)
    assert closed.closed_at is not None
    response = chat.send("one more thing")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "this conversation is closed; start a new one"
    assert [m["seq"] for m in chat.messages().json()["messages"]] == [1, 2]
    with pytest.raises(IllegalTransition):
        move(runtime, chat, S.WITH_AGENT)
    assert move(runtime, chat).status == "closed"

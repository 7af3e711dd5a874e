"""Conversations, their explicit state machine, and their messages.

    bot ──▶ pre_chat_form ──▶ queued ──▶ with_agent ──▶ closed
     │ ▲          └───────────────┴──▶ offline_message ─┐  │
     │ ├── acknowledged: the bot answers again ◀────────┘  │
     │ └── the shopper writes again (the thread stays) ◀───┘
     ├──▶ with_agent   an agent takes up a pending offline message in the chat
     └──▶ closed       idle timeout (outcome "idle")
    pre_chat_form, queued ──▶ bot      the shopper backs out or leaves the queue
    queued ──▶ closed                  the shopper was away past the grace ("abandoned")

A conversation that never reached a human is retained as `bot_only`; reaching an agent (or
leaving an offline message for one) makes it `with_agent`, which is kept under the tenant's
separate rule, and stays so when the conversation returns to the bot. Only `transition()` (or
a guarded UPDATE followed by `status_was_changed`) changes a status.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import cast

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, BigId, Retention, TenantOwned, id_column, lifecycle, utcnow


def _enum_column(enum: type[StrEnum]) -> Enum:
    return Enum(enum, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ConversationStatus(StrEnum):
    BOT = "bot"
    PRE_CHAT_FORM = "pre_chat_form"
    QUEUED = "queued"
    WITH_AGENT = "with_agent"
    OFFLINE_MESSAGE = "offline_message"
    CLOSED = "closed"


class RetentionClass(StrEnum):
    BOT_ONLY = "bot_only"
    WITH_AGENT = "with_agent"


class IllegalTransition(Exception):
    """A status change the state machine does not allow."""

    def __init__(self, current: ConversationStatus, target: ConversationStatus) -> None:
        super().__init__(f"a conversation cannot go from {current} to {target}")
        self.current = current
        self.target = target


_S = ConversationStatus
TRANSITIONS: dict[ConversationStatus, frozenset[ConversationStatus]] = {
    # bot → with_agent only when an agent takes up an offline message in the chat: the message
    # was acknowledged and the shopper went on with the bot meanwhile (offline_pending_since),
    # so there is no queue stretch to pass through; a shopper asking for a person still goes
    # bot → pre_chat_form → queued. bot → closed is the idle timeout.
    _S.BOT: frozenset({_S.PRE_CHAT_FORM, _S.OFFLINE_MESSAGE, _S.WITH_AGENT, _S.CLOSED}),
    # The shopper may back out of the form and keep talking to the bot.
    _S.PRE_CHAT_FORM: frozenset({_S.BOT, _S.QUEUED, _S.OFFLINE_MESSAGE, _S.CLOSED}),
    # Leaving the queue returns to the bot; agents all going offline offers an offline message.
    _S.QUEUED: frozenset({_S.BOT, _S.WITH_AGENT, _S.OFFLINE_MESSAGE, _S.CLOSED}),
    _S.WITH_AGENT: frozenset({_S.CLOSED}),
    # Acknowledged at once: the bot answers again while the message waits for the agents.
    # (→ closed: a message from before the acknowledgement existed, answered by email.)
    _S.OFFLINE_MESSAGE: frozenset({_S.BOT, _S.CLOSED}),
    # The shopper writes again in the same conversation: the bot answers, the thread stays.
    _S.CLOSED: frozenset({_S.BOT}),
}
REACHES_A_HUMAN = frozenset({_S.WITH_AGENT, _S.OFFLINE_MESSAGE})


def check_transition(current: ConversationStatus, target: ConversationStatus) -> None:
    """Raise IllegalTransition unless `current → target` is allowed."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)


class SenderKind(StrEnum):
    VISITOR = "visitor"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class Conversation(TenantOwned, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_tenant_id_status", "tenant_id", "status"),
        # The agents' inbox of offline messages waiting for an answer, oldest first.
        Index(
            "ix_conversations_tenant_id_offline_pending_since",
            "tenant_id",
            "offline_pending_since",
        ),
        # The retention purge scans by class and age within a tenant.
        Index(
            "ix_conversations_tenant_id_retention_class_last_activity_at",
            "tenant_id",
            "retention_class",
            "last_activity_at",
        ),
        {"info": lifecycle(Retention.CONVERSATION, subject_export=True)},
    )

    id: Mapped[uuid.UUID] = id_column()
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    status: Mapped[ConversationStatus] = mapped_column(
        _enum_column(ConversationStatus), default=ConversationStatus.BOT
    )
    retention_class: Mapped[RetentionClass] = mapped_column(
        _enum_column(RetentionClass), default=RetentionClass.BOT_ONLY
    )
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # SHA-256 of the visitor's bearer token; the token itself is only ever in the browser.
    visitor_token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The conversation data key wrapped by the tenant key. Set to NULL to crypto-shred.
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The bot's dialogue state (flow, slots such as an order number), sealed with the
    # conversation key like the messages, so erasure shreds it too.
    bot_state: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Highest sequence number handed out; messages take last_seq + 1 atomically.
    last_seq: Mapped[int] = mapped_column(default=0)
    assigned_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # Handover timeline: queue position is ordered by queued_at; handling time, which the wait
    # estimate is built from, is closed_at - accepted_at.
    queued_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # The pre-chat form or offline message (email, order number, topic, message), sealed with
    # the conversation key like the messages: it is personal data and is shredded with them.
    form_data: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # "queue" or "offline": which form the shopper was shown when they asked for a person.
    form_kind: Mapped[str | None] = mapped_column(String(10), default=None)
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    # When the shopper left an offline message that no agent has answered yet (by email or in
    # the chat). It is what puts the conversation in the agents' inbox, whatever its status:
    # the conversation itself goes straight back to the bot once the message is acknowledged.
    offline_pending_since: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Presence of a waiting shopper (actions/lifecycle.py): NULL while a widget socket is open
    # (or nothing is known); otherwise since when they have been away, refreshed by every
    # request of a widget that polls. A queued shopper away past the grace leaves the queue.
    visitor_away_since: Mapped[dt.datetime | None] = mapped_column(default=None)
    csat: Mapped[int | None] = mapped_column(default=None)
    # A data subject asked to restrict processing: kept out of samples and statistics.
    restricted: Mapped[bool] = mapped_column(default=False)


class Note(TenantOwned, Base):
    """An agent's internal note on a conversation. The shopper never sees these."""

    __tablename__ = "notes"
    __table_args__ = (
        Index("ix_notes_tenant_id_conversation_id", "tenant_id", "conversation_id"),
        {"info": lifecycle(Retention.CONVERSATION, subject_export=True)},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # Sealed with the conversation key (keys.note_aad), so erasure shreds notes too.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Message(TenantOwned, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "conversation_id", "seq"),
        # A retried send carries the same client id and gets the stored message back. Each
        # kind of sender has its own ids: a visitor's id that happens to equal an agent's must
        # store the visitor's message, not return the agent's.
        UniqueConstraint(
            "tenant_id",
            "conversation_id",
            "sender_kind",
            "client_message_id",
            name="uq_messages_sender_client_message_id",  # the convention's is over 63 chars
        ),
        Index("ix_messages_conversation_id", "conversation_id"),
        {"info": lifecycle(Retention.CONVERSATION, subject_export=True)},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int]
    sender_kind: Mapped[SenderKind] = mapped_column(_enum_column(SenderKind))
    sender_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    client_message_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # For bot/agent replies: the visitor message they answer (lets a retried send
    # return the same replies).
    reply_to_seq: Mapped[int | None] = mapped_column(default=None)
    # AES-GCM ciphertext of the JSON content {"text": ..., "buttons": [...]} (see keys.py).
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# The table itself, for the hot path's Core INSERTs (no ORM unit of work per message).
MESSAGES = cast(Table, Message.__table__)

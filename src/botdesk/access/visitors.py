"""The visitor's hot path: plain rows, no ORM objects, one query each (actions/messages.py).

The same checks as `conversation_for_visitor`, without the ORM's unit of work: a shopper's
message reads the conversation once and its recent messages once, and nothing else.
"""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from botdesk.access.conversations import _NO_CONVERSATION, token_hash
from botdesk.errors import NotFound
from botdesk.models import Conversation, ConversationStatus, Message, SenderKind

if TYPE_CHECKING:
    from sqlalchemy import Row

    # seq, sender_kind, body (sealed), created_at, reply_to_seq
    SealedRow = Row[int, SenderKind, bytes, dt.datetime, int | None]


@dataclass(frozen=True)
class VisitorConversation:
    """What a visitor's message needs of the conversation their token opens."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    status: ConversationStatus
    language: str
    last_seq: int
    wrapped_key: bytes | None
    bot_state: bytes | None
    restricted: bool


def visitor_conversation(
    session: Session, conversation_id: uuid.UUID, token: str
) -> VisitorConversation:
    """`conversation_for_visitor` as a plain row: NotFound for an unknown id or a wrong token."""
    row = session.execute(
        select(
            Conversation.tenant_id,
            Conversation.visitor_token_hash,
            Conversation.status,
            Conversation.language,
            Conversation.last_seq,
            Conversation.wrapped_key,
            Conversation.bot_state,
            Conversation.restricted,
        ).where(Conversation.id == conversation_id)
    ).first()
    if row is None or not hmac.compare_digest(row.visitor_token_hash, token_hash(token)):
        raise NotFound(_NO_CONVERSATION)
    return VisitorConversation(
        conversation_id,
        row.tenant_id,
        row.status,
        row.language,
        row.last_seq,
        row.wrapped_key,
        row.bot_state,
        row.restricted,
    )


def sealed_messages(
    session: Session,
    tenant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    *,
    after_seq: int = 0,
    limit: int = 100,
    reply_to_seq: int | None = None,
) -> Sequence[SealedRow]:
    """A conversation's stored messages as rows (seq order), still sealed."""
    query = select(
        Message.seq,
        Message.sender_kind,
        Message.body,
        Message.created_at,
        Message.reply_to_seq,
    ).where(
        Message.tenant_id == tenant_id,
        Message.conversation_id == conversation_id,
        Message.seq > after_seq,
    )
    if reply_to_seq is not None:
        query = query.where(Message.reply_to_seq == reply_to_seq)
    return session.execute(query.order_by(Message.seq).limit(limit)).all()


def sealed_message_by_client_id(
    session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID, client_message_id: str
) -> SealedRow | None:
    return session.execute(
        select(
            Message.seq,
            Message.sender_kind,
            Message.body,
            Message.created_at,
            Message.reply_to_seq,
        ).where(
            Message.tenant_id == tenant_id,
            Message.conversation_id == conversation_id,
            Message.client_message_id == client_message_id,
        )
    ).first()

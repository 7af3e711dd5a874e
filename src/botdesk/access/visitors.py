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

from sqlalchemy import Connection, bindparam, select
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
    # Whether a waiting shopper counts as away (actions/lifecycle.py); a poll moves it on.
    visitor_away_since: dt.datetime | None = None


# Built once: constructing a statement costs more than running it on SQLite, and these run for
# every message. Each is tenant-scoped the moment the conversation's tenant is known.
_CONVERSATION = select(
    Conversation.tenant_id,
    Conversation.visitor_token_hash,
    Conversation.status,
    Conversation.language,
    Conversation.last_seq,
    Conversation.wrapped_key,
    Conversation.bot_state,
    Conversation.restricted,
    Conversation.visitor_away_since,
).where(Conversation.id == bindparam("conversation_id"))
_SEALED = select(
    Message.seq, Message.sender_kind, Message.body, Message.created_at, Message.reply_to_seq
)
_OF_CONVERSATION = (
    Message.tenant_id == bindparam("tenant_id"),
    Message.conversation_id == bindparam("conversation_id"),
)
_AFTER = (
    _SEALED.where(*_OF_CONVERSATION, Message.seq > bindparam("after_seq"))
    .order_by(Message.seq)
    .limit(bindparam("limit"))
)
_REPLIES = (
    _SEALED.where(*_OF_CONVERSATION, Message.reply_to_seq == bindparam("reply_to_seq"))
    .order_by(Message.seq)
    .limit(bindparam("limit"))
)
_BY_CLIENT_ID = _SEALED.where(
    *_OF_CONVERSATION,
    Message.sender_kind == bindparam("sender_kind"),
    Message.client_message_id == bindparam("client_message_id"),
)


def visitor_conversation(
    db: Connection | Session, conversation_id: uuid.UUID, token: str
) -> VisitorConversation:
    """`conversation_for_visitor` as a plain row: NotFound for an unknown id or a wrong token."""
    row = db.execute(_CONVERSATION, {"conversation_id": conversation_id}).first()
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
        row.visitor_away_since,
    )


def sealed_messages(
    db: Connection | Session,
    tenant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    *,
    after_seq: int = 0,
    limit: int = 100,
    reply_to_seq: int | None = None,
) -> Sequence[SealedRow]:
    """A conversation's stored messages as rows (seq order), still sealed.

    With `reply_to_seq`: only the replies to that message (`after_seq` is then not used).
    """
    params: dict[str, object] = {
        "tenant_id": tenant_id,
        "conversation_id": conversation_id,
        "limit": limit,
    }
    if reply_to_seq is None:
        return db.execute(_AFTER, {**params, "after_seq": after_seq}).all()
    return db.execute(_REPLIES, {**params, "reply_to_seq": reply_to_seq}).all()


def sealed_message_by_client_id(
    db: Connection | Session,
    tenant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    client_message_id: str,
    sender: SenderKind,
    sender_user_id: uuid.UUID | None = None,
) -> SealedRow | None:
    """The message `sender` (and, for staff, that user) stored under a client id, if any."""
    query = _BY_CLIENT_ID
    if sender_user_id is not None:
        query = query.where(Message.sender_user_id == sender_user_id)
    return db.execute(
        query,
        {
            "tenant_id": tenant_id,
            "conversation_id": conversation_id,
            "sender_kind": sender,
            "client_message_id": client_message_id,
        },
    ).first()

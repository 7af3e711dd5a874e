"""Conversations, their messages and notes: for the visitor's token or a staff member."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from botdesk.access.staff import StaffContext, _require_transcript_role
from botdesk.errors import NotFound
from botdesk.models import Conversation, ConversationStatus, Message, Note, Tenant

# Same answer for "no such conversation" and "wrong token": a visitor cannot probe ids.
_NO_CONVERSATION = "conversation not found"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def conversation_for_visitor(
    session: Session, conversation_id: uuid.UUID, token: str
) -> Conversation:
    """The conversation the visitor's token opens, or NotFound (never saying which was wrong)."""
    conversation = session.scalar(select(Conversation).where(Conversation.id == conversation_id))
    if conversation is None or not hmac.compare_digest(
        conversation.visitor_token_hash, token_hash(token)
    ):
        raise NotFound(_NO_CONVERSATION)
    return conversation


def messages_after(
    session: Session, conversation: Conversation, after_seq: int, limit: int
) -> Sequence[Message]:
    return session.scalars(
        select(Message)
        .where(
            Message.tenant_id == conversation.tenant_id,
            Message.conversation_id == conversation.id,
            Message.seq > after_seq,
        )
        .order_by(Message.seq)
        .limit(limit)
    ).all()


def message_by_client_id(
    session: Session, conversation: Conversation, client_message_id: str
) -> Message | None:
    return session.scalar(
        select(Message).where(
            Message.tenant_id == conversation.tenant_id,
            Message.conversation_id == conversation.id,
            Message.client_message_id == client_message_id,
        )
    )


def replies_to(session: Session, conversation: Conversation, seq: int) -> Sequence[Message]:
    return session.scalars(
        select(Message)
        .where(
            Message.tenant_id == conversation.tenant_id,
            Message.conversation_id == conversation.id,
            Message.reply_to_seq == seq,
        )
        .order_by(Message.seq)
    ).all()


def conversations_for_staff(
    session: Session, staff: StaffContext, limit: int = 100
) -> Sequence[Conversation]:
    _require_transcript_role(staff)
    return session.scalars(
        select(Conversation)
        .where(Conversation.tenant_id == staff.tenant.id)
        .order_by(Conversation.last_activity_at.desc())
        .limit(limit)
    ).all()


def conversation_for_staff(
    session: Session, staff: StaffContext, conversation_id: uuid.UUID
) -> Conversation:
    _require_transcript_role(staff)
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.tenant_id == staff.tenant.id, Conversation.id == conversation_id
        )
    )
    if conversation is None:
        raise NotFound(_NO_CONVERSATION)
    return conversation


def status_counts(session: Session, staff: StaffContext) -> dict[ConversationStatus, int]:
    """How many of the tenant's conversations are in each status (no content; every role).

    These are the figures analysts see, so restricted conversations are left out of them.
    """
    rows = session.execute(
        select(Conversation.status, func.count())
        .where(Conversation.tenant_id == staff.tenant.id, Conversation.restricted.is_(False))
        .group_by(Conversation.status)
    ).all()
    return {status: count for status, count in rows}


def notes_for(session: Session, staff: StaffContext, conversation: Conversation) -> Sequence[Note]:
    """A conversation's internal notes, oldest first (staff only; never the visitor)."""
    _require_transcript_role(staff)
    return session.scalars(
        select(Note)
        .where(Note.tenant_id == staff.tenant.id, Note.conversation_id == conversation.id)
        .order_by(Note.id)
    ).all()


def conversation_notes(session: Session, conversation: Conversation) -> Sequence[Note]:
    """A conversation's notes for its data subject's export (callers check the requester)."""
    return session.scalars(
        select(Note)
        .where(Note.tenant_id == conversation.tenant_id, Note.conversation_id == conversation.id)
        .order_by(Note.id)
    ).all()


def conversation_of_tenant(
    session: Session, tenant: Tenant, conversation_id: uuid.UUID
) -> Conversation:
    """One of the tenant's conversations, for a request already scoped to that tenant."""
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.tenant_id == tenant.id, Conversation.id == conversation_id
        )
    )
    if conversation is None:
        raise NotFound(_NO_CONVERSATION)
    return conversation

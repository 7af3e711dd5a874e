"""Erasing a conversation: crypto-shredding first, then row deletion, then a receipt.

Two commits on purpose. The first destroys the conversation's data key, so from then on its
message bodies are unreadable wherever a copy lies (the WAL, a replica, an export) even if the
second never runs. The second deletes the rows and writes an audit receipt that names the
conversation, the reason and the counts, and nothing of what was said. A conversation found with
no key is half-erased: `delete_shredded_conversation` finishes it, so re-running is always safe.

`delete_conversation_rows` is the one function that deletes a conversation's rows; the shopper's
own deletion and the retention purge (actions/retention.py) both go through it, so a table that
hangs off conversations is handled in one place.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.db import publish_after_commit
from botdesk.errors import Conflict, NotFound
from botdesk.events import conversation_erased
from botdesk.models import Conversation, Message
from botdesk.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureReceipt:
    conversation_id: uuid.UUID
    messages_deleted: int


def erase_conversation(
    runtime: Runtime, actor: Actor, tenant_id: uuid.UUID, conversation_id: uuid.UUID, *, reason: str
) -> ErasureReceipt:
    """Crypto-shred a conversation, then delete its rows (two commits; safe to re-run)."""
    shred_conversation_key(runtime, actor, tenant_id, conversation_id, reason=reason)
    try:
        return delete_shredded_conversation(
            runtime, actor, tenant_id, conversation_id, reason=reason
        )
    except NotFound:
        # Between our two commits the retention purge (or a second request) found the key gone
        # and finished the deletion, receipt included. The conversation is erased either way.
        return ErasureReceipt(conversation_id, 0)


def _locked(session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> Conversation:
    conversation = session.scalar(
        select(Conversation)
        .where(Conversation.tenant_id == tenant_id, Conversation.id == conversation_id)
        .with_for_update()
    )
    if conversation is None:
        raise NotFound("conversation not found")
    return conversation


def shred_conversation_key(
    runtime: Runtime, actor: Actor, tenant_id: uuid.UUID, conversation_id: uuid.UUID, *, reason: str
) -> None:
    """Step 1 of erasure: destroy the conversation's data key, in a commit of its own.

    From this commit on, the message bodies are unreadable wherever a copy of them lies
    (the WAL, a replica, an export), even if step 2 never runs.
    """
    with runtime.db.session() as session:
        conversation = _locked(session, tenant_id, conversation_id)
        if conversation.wrapped_key is not None:
            conversation.wrapped_key = None
            record(
                session,
                actor,
                AuditAction.CONVERSATION_KEY_DESTROYED,
                tenant_id=tenant_id,
                target_kind="conversation",
                target_id=conversation_id,
                reason=reason,
            )


def delete_shredded_conversation(
    runtime: Runtime, actor: Actor, tenant_id: uuid.UUID, conversation_id: uuid.UUID, *, reason: str
) -> ErasureReceipt:
    """Step 2 of erasure: delete a shredded conversation's rows and write the receipt."""
    with runtime.db.session() as session:
        conversation = _locked(session, tenant_id, conversation_id)
        if conversation.wrapped_key is not None:
            raise Conflict("the conversation's key must be destroyed before its rows")
        deleted = delete_conversation_rows(session, tenant_id, [conversation_id]).messages
        # The receipt: which conversation, why, how much. Its content is gone, so is its text.
        record(
            session,
            actor,
            AuditAction.CONVERSATION_ERASED,
            tenant_id=tenant_id,
            target_kind="conversation",
            target_id=conversation_id,
            reason=reason,
            messages_deleted=deleted,
        )
    runtime.db.checkpoint()
    log.info("erased conversation %s (%s, %d messages)", conversation_id, reason, deleted)
    return ErasureReceipt(conversation_id, deleted)


@dataclass(frozen=True)
class RowsDeleted:
    conversation_ids: list[uuid.UUID]
    messages: int


def delete_conversation_rows(
    session: Session, tenant_id: uuid.UUID, conversation_ids: Collection[uuid.UUID]
) -> RowsDeleted:
    """Delete shredded conversations and every row hanging off them, in the caller's transaction.

    Only conversations whose key is already destroyed are deleted; the others are skipped and
    not reported, so no caller can delete rows whose ciphertext copies elsewhere would still be
    readable. Tables that reference conversations do so with ON DELETE CASCADE; messages are
    deleted here explicitly to count them for the receipt. A child table without a cascade must
    be deleted here, before the conversations.
    """
    if not conversation_ids:
        return RowsDeleted([], 0)
    shredded = list(
        session.scalars(
            select(Conversation.id)
            .where(
                Conversation.tenant_id == tenant_id,
                Conversation.id.in_(conversation_ids),
                Conversation.wrapped_key.is_(None),
            )
            .with_for_update()
        ).all()
    )
    if not shredded:
        return RowsDeleted([], 0)
    in_them = (Message.tenant_id == tenant_id, Message.conversation_id.in_(shredded))
    messages = session.scalar(select(func.count()).select_from(Message).where(*in_them)) or 0
    session.execute(delete(Message).where(*in_them))
    session.execute(
        delete(Conversation).where(
            Conversation.tenant_id == tenant_id, Conversation.id.in_(shredded)
        )
    )
    for conversation_id in shredded:
        publish_after_commit(session, conversation_erased(tenant_id, conversation_id))
    return RowsDeleted(shredded, messages)

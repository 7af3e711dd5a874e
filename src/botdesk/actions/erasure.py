"""Erasing a conversation: crypto-shredding first, then row deletion, then a receipt.

Two commits on purpose. The first destroys the conversation's data key, so from then on its
message bodies are unreadable wherever a copy lies (the WAL, a replica, an export) even if the
second never runs. The second deletes the rows and writes an audit receipt that names the
conversation, the reason and the counts, and nothing of what was said. A conversation found with
no key is half-erased: `delete_shredded_conversation` finishes it, so re-running is always safe.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, record
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
    return delete_shredded_conversation(runtime, actor, tenant_id, conversation_id, reason=reason)


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
                "conversation.key_destroyed",
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
        in_conversation = (
            Message.tenant_id == tenant_id,
            Message.conversation_id == conversation_id,
        )
        deleted = session.scalar(select(func.count()).select_from(Message).where(*in_conversation))
        session.execute(delete(Message).where(*in_conversation))
        session.delete(conversation)
        # The receipt: which conversation, why, how much. Its content is gone, so is its text.
        record(
            session,
            actor,
            "conversation.erased",
            tenant_id=tenant_id,
            target_kind="conversation",
            target_id=conversation_id,
            reason=reason,
            messages_deleted=deleted or 0,
        )
        publish_after_commit(session, conversation_erased(tenant_id, conversation_id))
    runtime.db.checkpoint()
    log.info("erased conversation %s (%s, %d messages)", conversation_id, reason, deleted or 0)
    return ErasureReceipt(conversation_id, deleted or 0)

"""Conversation actions: start, append a message, change status, read a transcript. Each audits
where accountability needs it and publishes after commit. A shopper's message and the bot's
turn are `actions/messages.py` and `actions/bot_turns.py`; erasure is `actions/erasure.py`."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from botdesk import access
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.db import publish_after_commit
from botdesk.events import message_created, status_changed
from botdesk.keys import KeyRing
from botdesk.models import (
    Conversation,
    ConversationStatus,
    Message,
    RetentionClass,
    SenderKind,
    Tenant,
    check_transition,
    utcnow,
)
from botdesk.models.conversations import MESSAGES, REACHES_A_HUMAN
from botdesk.rate_limits import Check, Limit
from botdesk.runtime import Runtime
from botdesk.transcripts import ConversationCipher, MessageContent, StoredMessage, decrypt_all

log = logging.getLogger(__name__)
_LANGUAGE_ALIASES = {
    "no": "nb",
    "nn": "nb",
    "nob": "nb",
    "nno": "nb",
    "fin": "fi",
    "swe": "sv",
    "eng": "en",
}


def pick_language(hint: str | None, tenant: Tenant) -> str:
    """The tenant language matching a BCP 47 hint like 'sv-FI', else the tenant's default."""
    if hint:
        primary = hint.strip().lower().replace("_", "-").split("-", 1)[0]
        primary = _LANGUAGE_ALIASES.get(primary, primary)
        if primary in tenant.languages:
            return primary
    return tenant.default_language


@dataclass(frozen=True)
class StartedConversation:
    conversation: Conversation
    tenant: Tenant
    visitor_token: str


def open_conversation(
    runtime: Runtime, slug: str, language_hint: str | None, client_address: str = "unknown"
) -> StartedConversation:
    """A shopper opens the chat: one short write, the tenant from the node's cache."""
    limits = runtime.limits
    limits.take(Check(Limit.CONVERSATIONS_PER_ADDRESS, limits.address(client_address)))
    entry = runtime.tenants.by_slug(slug)
    limits.take(Check(Limit.CONVERSATIONS_PER_TENANT, str(entry.tenant.id)))
    with runtime.db.session() as session:
        started = _start(session, entry.key, entry.tenant, language_hint)
    runtime.tenants.remember_conversation(started.conversation.id, entry.tenant.id)
    return started


def start_conversation(
    session: Session, keyring: KeyRing, tenant: Tenant, language_hint: str | None
) -> StartedConversation:
    """Open a conversation with its own data key; the token is returned once, never stored."""
    tenant_key = keyring.tenant_key(tenant.id, tenant.wrapped_key, tenant.master_key_id)
    return _start(session, tenant_key, tenant, language_hint)


def _start(
    session: Session, tenant_key: bytes, tenant: Tenant, language_hint: str | None
) -> StartedConversation:
    token = secrets.token_urlsafe(32)
    conversation_id = uuid.uuid4()
    conversation = Conversation(
        id=conversation_id,
        tenant_id=tenant.id,
        language=pick_language(language_hint, tenant),
        visitor_token_hash=access.token_hash(token),
        wrapped_key=KeyRing.new_conversation_key(tenant_key, conversation_id),
    )
    session.add(conversation)
    session.flush()  # the row's defaults (status, created_at) are what the response shows
    record(
        session,
        Actor.visitor(),
        AuditAction.CONVERSATION_STARTED,
        tenant_id=tenant.id,
        target_kind="conversation",
        target_id=conversation_id,
    )
    return StartedConversation(conversation, tenant, token)


# The hot paths' INSERT (actions/messages.py, bot_turns.py, agents.py): Core, built once.
INSERT_MESSAGE = insert(MESSAGES)


def message_row(
    tenant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    seq: int,
    sender: SenderKind,
    body: bytes,
    created_at: dt.datetime,
    *,
    sender_user_id: uuid.UUID | None = None,
    client_message_id: str | None = None,
    reply_to_seq: int | None = None,
) -> dict[str, object]:
    """One `messages` row for `INSERT_MESSAGE`, its body already sealed under its seq."""
    return {
        "tenant_id": tenant_id,
        "conversation_id": conversation_id,
        "seq": seq,
        "sender_kind": sender,
        "sender_user_id": sender_user_id,
        "client_message_id": client_message_id,
        "reply_to_seq": reply_to_seq,
        "body": body,
        "created_at": created_at,
    }


def append_message(
    session: Session,
    cipher: ConversationCipher,
    conversation: Conversation,
    sender: SenderKind,
    content: MessageContent,
    *,
    client_message_id: str | None = None,
    reply_to_seq: int | None = None,
) -> Message:
    # One atomic UPDATE ... RETURNING hands out the number and locks the conversation row until
    # commit, so concurrent senders (visitor, bot, agent) can never get the same seq.
    now = utcnow()
    seq = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.tenant_id == conversation.tenant_id)
        .values(last_seq=Conversation.last_seq + 1, last_activity_at=now)
        .returning(Conversation.last_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    conversation.last_seq, conversation.last_activity_at = seq, now
    message = Message(
        tenant_id=conversation.tenant_id,
        conversation_id=conversation.id,
        seq=seq,
        sender_kind=sender,
        client_message_id=client_message_id,
        reply_to_seq=reply_to_seq,
        body=cipher.seal(seq, content),
        created_at=now,
    )
    session.add(message)
    session.flush()
    publish_after_commit(
        session, message_created(conversation.tenant_id, conversation.id, seq, sender.value)
    )
    return message


def transition(
    session: Session, actor: Actor, conversation: Conversation, target: ConversationStatus
) -> None:
    """Move a conversation along the state machine; IllegalTransition if not allowed."""
    old = conversation.status
    check_transition(old, target)
    conversation.status = target
    if target in REACHES_A_HUMAN:
        conversation.retention_class = RetentionClass.WITH_AGENT
    if target is ConversationStatus.CLOSED:
        conversation.closed_at = closing_time(conversation, utcnow())
    status_was_changed(session, actor, conversation, old)


def closing_time(conversation: Conversation, now: dt.datetime) -> dt.datetime:
    """The `closed_at` a close records: now, unless the person's part has already ended.

    A closed conversation can be reopened (the shopper writes again) and closed again later
    (idle). The wait estimate reads handling time as closed_at - accepted_at, so a close that
    follows an agent's close without a new accept keeps the agent's close time.
    """
    closed, accepted = conversation.closed_at, conversation.accepted_at
    if closed is not None and accepted is not None and closed >= accepted:
        return closed
    return now


def status_was_changed(
    session: Session, actor: Actor, conversation: Conversation, old: ConversationStatus
) -> None:
    """Audit and announce a status change already made (by transition() or a guarded UPDATE)."""
    record(
        session,
        actor,
        AuditAction.CONVERSATION_STATUS_CHANGED,
        tenant_id=conversation.tenant_id,
        target_kind="conversation",
        target_id=conversation.id,
        to=conversation.status.value,
        **{"from": old.value},
    )
    publish_after_commit(
        session,
        status_changed(
            conversation.tenant_id, conversation.id, old.value, conversation.status.value
        ),
    )


def read_transcript(
    runtime: Runtime, session: Session, staff: access.StaffContext, conversation_id: uuid.UUID
) -> tuple[Conversation, list[StoredMessage]]:
    """A staff member opens a transcript; every such read is written to the audit log."""
    conversation = access.conversation_for_staff(session, staff, conversation_id)
    cipher = ConversationCipher(runtime.keyring, staff.tenant, conversation)
    rows = access.messages_after(session, conversation, 0, conversation.last_seq)
    record(
        session,
        Actor.staff(staff.user.id),
        AuditAction.TRANSCRIPT_READ,
        tenant_id=staff.tenant.id,
        target_kind="conversation",
        target_id=conversation.id,
        messages=len(rows),
    )
    return conversation, decrypt_all(cipher, rows)

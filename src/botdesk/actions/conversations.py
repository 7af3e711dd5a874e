"""Conversation actions: start, post a visitor message (and the bot's replies), change status,
read a transcript. Each audits where accountability needs it and publishes after commit.
Erasure lives in `actions/erasure.py`."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from botdesk import access, queue
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.samples import maybe_sample
from botdesk.actions.subjects import index_values
from botdesk.bot.responder import Turn
from botdesk.db import publish_after_commit
from botdesk.errors import Conflict
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
from botdesk.models.conversations import REACHES_A_HUMAN
from botdesk.pii import detect
from botdesk.runtime import Runtime
from botdesk.subjects import ENTITY_KINDS
from botdesk.transcripts import ConversationCipher, MessageContent, StoredMessage, decrypt_all

log = logging.getLogger(__name__)
HISTORY_FOR_BOT = 20
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


def start_conversation(
    session: Session, keyring: KeyRing, tenant: Tenant, language_hint: str | None
) -> StartedConversation:
    """Open a conversation with its own data key; the token is returned once, never stored."""
    token = secrets.token_urlsafe(32)
    conversation_id = uuid.uuid4()
    tenant_key = keyring.tenant_key(tenant.id, tenant.wrapped_key, tenant.master_key_id)
    conversation = Conversation(
        id=conversation_id,
        tenant_id=tenant.id,
        language=pick_language(language_hint, tenant),
        visitor_token_hash=access.token_hash(token),
        wrapped_key=KeyRing.new_conversation_key(tenant_key, conversation_id),
    )
    session.add(conversation)
    record(
        session,
        Actor.visitor(),
        AuditAction.CONVERSATION_STARTED,
        tenant_id=tenant.id,
        target_kind="conversation",
        target_id=conversation_id,
    )
    return StartedConversation(conversation, tenant, token)


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


@dataclass(frozen=True)
class PostedMessage:
    message: StoredMessage
    replies: list[StoredMessage]
    status: ConversationStatus
    language: str
    # The hook for the handover: the bot answered a request for a person.
    handover_requested: bool = False


def post_visitor_message(
    runtime: Runtime,
    conversation_id: uuid.UUID,
    token: str,
    text: str,
    client_message_id: str | None = None,
    *,
    payload: str | None = None,
    _retry: bool = True,
) -> PostedMessage:
    """Store the visitor's message, then the bot's replies, in two transactions.

    The visitor's words are committed (and shown) before the bot runs, so a failing or slow bot
    can never lose them. A retry with the same `client_message_id` returns what was stored.
    """
    db = runtime.db
    try:
        with db.session() as session:
            conversation = access.conversation_for_visitor(session, conversation_id, token)
            tenant = access.tenant_by_id(session, conversation.tenant_id)
            cipher = ConversationCipher(runtime.keyring, tenant, conversation)
            if client_message_id is not None:
                earlier = access.message_by_client_id(session, conversation, client_message_id)
                if earlier is not None:
                    replies = access.replies_to(session, conversation, earlier.seq)
                    return PostedMessage(
                        decrypt_all(cipher, [earlier])[0],
                        decrypt_all(cipher, replies),
                        conversation.status,
                        conversation.language,
                    )
            if conversation.status is ConversationStatus.CLOSED:
                raise Conflict("this conversation is closed; start a new one")
            if payload is None:
                # Indexed in the message's transaction, so what the shopper typed that identifies
                # them is findable (and erasable) from the moment it is stored. Before the
                # message's write: loading the tenant's patterns may build its bot, and SQLite's
                # write lock should not be held meanwhile.
                _index_identifiers(session, runtime, tenant, conversation, text)
            visitor_message = append_message(
                session,
                cipher,
                conversation,
                SenderKind.VISITOR,
                MessageContent(text),
                client_message_id=client_message_id,
            )
            stored = decrypt_all(cipher, [visitor_message])[0]
    except IntegrityError:
        # Two copies of the same retried send raced; the other one won. Return its result.
        if client_message_id is None or not _retry:
            raise
        return post_visitor_message(
            runtime, conversation_id, token, text, client_message_id, payload=payload, _retry=False
        )

    with db.session() as session:
        conversation = access.conversation_for_visitor(session, conversation_id, token)
        # The bot stays silent once the conversation has left it (queue, agent, closed).
        if conversation.status is not ConversationStatus.BOT:
            return PostedMessage(stored, [], conversation.status, conversation.language)
        history = access.messages_after(
            session, conversation, max(0, stored.seq - HISTORY_FOR_BOT), HISTORY_FOR_BOT
        )
        turn = Turn(
            tenant_id=tenant.id,
            tenant_slug=tenant.slug,
            conversation_id=conversation.id,
            language=conversation.language,
            text=text,
            history=[m.content for m in decrypt_all(cipher, history[:-1])],
            payload=payload,
            state=cipher.open_state(conversation.bot_state),
            agents_available=queue.available(session, tenant, utcnow()),
        )
        answer = runtime.responder_for(session, tenant).respond(turn)
        if payload is None:
            maybe_sample(
                session,
                tenant,
                conversation,
                runtime.entity_patterns_for(session, tenant),
                text,
                answer.intent,
                answer.confidence,
            )
        conversation.bot_state = cipher.seal_state(answer.state)
        if answer.language in tenant.languages:
            conversation.language = answer.language
        replies = [
            append_message(
                session,
                cipher,
                conversation,
                SenderKind.BOT,
                reply.content,
                reply_to_seq=stored.seq,
            )
            for reply in answer.replies
        ]
        handover = any(reply.wants_human for reply in answer.replies)
        if handover:
            # The bot answered a request for a person: the pre-chat form comes next.
            from botdesk.actions.handover import open_handover

            open_handover(session, tenant, conversation, Actor.visitor())
        return PostedMessage(
            stored,
            decrypt_all(cipher, replies),
            conversation.status,
            conversation.language,
            handover_requested=handover,
        )


def _index_identifiers(
    session: Session, runtime: Runtime, tenant: Tenant, conversation: Conversation, text: str
) -> None:
    """Add what the shopper typed that identifies them to the blind index."""
    entities = detect(text, runtime.entity_patterns_for(session, tenant))
    index_values(
        session,
        runtime,
        tenant,
        conversation,
        [(ENTITY_KINDS[e.type], e.value) for e in entities if e.type in ENTITY_KINDS],
    )


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
        conversation.closed_at = utcnow()
    status_was_changed(session, actor, conversation, old)


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

"""The shopper's side of a handover: ask for a person, fill the pre-chat form, wait, leave, rate.

    bot ─(asks for a person)─▶ pre_chat_form ─(form sent, agents available)─▶ queued
     ▲                                └──────(nobody available: offline form)─▶ offline_message
     └────────────(acknowledged at once: the bot answers again)──────────────────────┘

An offline message is acknowledged by the bot in the same write and the conversation goes on
with the bot; `offline_pending_since` keeps the message in the agents' inbox until one of them
answers it, by email or in the chat (actions/agents.py). A shopper who joins the queue counts as
away until a widget socket says otherwise (actions/lifecycle.py), so a widget that only polls
leaves the queue once it stops polling.

Which form the shopper gets is decided when they ask and re-checked when they send it: if the
last agent went offline meanwhile, the send is refused with 409 and the form becomes the offline
one, so nobody waits in a queue that no one is watching. Form data is sealed with the
conversation key (it holds an email address) and is shredded with the conversation.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from botdesk import access, queue
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.conversations import append_message, transition
from botdesk.actions.lifecycle import visitor_seen
from botdesk.actions.subjects import FORM_KINDS, index_values
from botdesk.actions.users import EMAIL_PATTERN
from botdesk.db import publish_after_commit
from botdesk.errors import Conflict, Invalid
from botdesk.events import queue_changed
from botdesk.handover import ConsentMode, FieldRule, FormKind, WaitEstimate
from botdesk.models import Conversation, ConversationStatus, SenderKind, Tenant, utcnow
from botdesk.notices import field_error, notice
from botdesk.pii import EntityType, detect
from botdesk.runtime import Runtime
from botdesk.transcripts import ConversationCipher, MessageContent, decrypt_all

_S = ConversationStatus
_ORDER_FALLBACK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$")
PREFILL_SCAN = 100  # how many recent messages are searched for an email or order number


@dataclass(frozen=True)
class FormField:
    name: str
    required: bool
    value: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (value, label) for the topic


@dataclass(frozen=True)
class HandoverForm:
    kind: FormKind
    fields: tuple[FormField, ...]
    consent: ConsentMode
    privacy_policy_url: str | None
    status: ConversationStatus
    errors: dict[str, str] = field(default_factory=dict)


def open_handover(
    session: Session, tenant: Tenant, conversation: Conversation, actor: Actor
) -> FormKind:
    """Move a conversation with the bot to the pre-chat form (queue or offline kind)."""
    kind = FormKind.QUEUE if queue.available(session, tenant, utcnow()) else FormKind.OFFLINE
    if conversation.status is _S.BOT:
        transition(session, actor, conversation, _S.PRE_CHAT_FORM)
    elif conversation.status is not _S.PRE_CHAT_FORM:
        raise Conflict(
            f"this conversation is already {conversation.status.value.replace('_', ' ')}"
        )
    conversation.form_kind = kind.value
    return kind


def _form(
    runtime: Runtime, session: Session, tenant: Tenant, conversation: Conversation
) -> HandoverForm:
    policy = access.handover_policy(tenant)
    kind = FormKind(conversation.form_kind or FormKind.QUEUE)
    cipher = ConversationCipher(runtime.keyring, tenant, conversation)
    known = cipher.open_form(conversation.form_data) or _prefill(
        runtime, session, tenant, conversation
    )
    language = conversation.language
    fields = []
    for name in ("email", "order_number", "topic", "message"):
        rule = policy.rule(name, kind)
        if rule is FieldRule.HIDDEN:
            continue
        options = (
            tuple((key, policy.topic_label(key, language)) for key in policy.topics)
            if name == "topic"
            else ()
        )
        fields.append(FormField(name, rule is FieldRule.REQUIRED, known.get(name, ""), options))
    return HandoverForm(
        kind, tuple(fields), policy.consent, tenant.privacy_policy_url, conversation.status
    )


def _prefill(
    runtime: Runtime, session: Session, tenant: Tenant, conversation: Conversation
) -> dict[str, str]:
    """The latest email and order number the shopper typed, so they need not type them again."""
    cipher = ConversationCipher(runtime.keyring, tenant, conversation)
    start = max(0, conversation.last_seq - PREFILL_SCAN)
    rows = access.messages_after(session, conversation, start, PREFILL_SCAN)
    patterns = runtime.entity_patterns_for(tenant)
    found: dict[str, str] = {}
    for message in decrypt_all(cipher, rows):
        if message.sender is not SenderKind.VISITOR:
            continue
        for entity in detect(message.content.text, patterns):
            if entity.type is EntityType.EMAIL:
                found["email"] = entity.value
            elif entity.type is EntityType.ORDER_NUMBER:
                found["order_number"] = entity.value
    return found


def request_handover(runtime: Runtime, conversation_id: uuid.UUID, token: str) -> HandoverForm:
    """The shopper asks for a person (button or menu): the form to fill, prefilled."""
    with runtime.db.session() as session:
        conversation = access.conversation_for_visitor(session, conversation_id, token)
        tenant = access.tenant_by_id(session, conversation.tenant_id)
        open_handover(session, tenant, conversation, Actor.visitor())
        return _form(runtime, session, tenant, conversation)


def _validate(
    data: Mapping[str, object],
    form: HandoverForm,
    language: str,
    max_chars: int,
    order: re.Pattern[str] | None,
) -> tuple[dict[str, str], dict[str, str]]:
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in form.fields:
        raw = data.get(spec.name)
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            if spec.required:
                errors[spec.name] = field_error("required", language)
            continue
        limit = max_chars if spec.name == "message" else 254
        if len(value) > limit:
            errors[spec.name] = field_error("too_long", language)
        elif spec.name == "email" and not EMAIL_PATTERN.fullmatch(value):
            errors[spec.name] = field_error("email", language)
        elif spec.name == "order_number" and not (order or _ORDER_FALLBACK).fullmatch(value):
            errors[spec.name] = field_error("order_number", language)
        elif spec.name == "topic" and value not in {key for key, _label in spec.options}:
            errors[spec.name] = field_error("topic", language)
        else:
            cleaned[spec.name] = value
    if form.consent is ConsentMode.CHECKBOX and data.get("consent") is not True:
        errors["consent"] = field_error("consent", language)
    return cleaned, errors


def submit_form(
    runtime: Runtime, conversation_id: uuid.UUID, token: str, data: Mapping[str, object]
) -> ConversationStatus:
    """Validate and seal the form, then join the queue or leave the offline message.

    Returns the new status (`queued`, or `bot` once an offline message is acknowledged);
    `pre_chat_form` means nobody is available any more and the form
    has become the offline one (committed, so the next look at the form shows it).
    """
    with runtime.db.session() as session:
        conversation = access.conversation_for_visitor(session, conversation_id, token)
        tenant = access.tenant_by_id(session, conversation.tenant_id)
        if conversation.status is not _S.PRE_CHAT_FORM:
            raise Conflict("there is no form to send; ask for a person first")
        form = _form(runtime, session, tenant, conversation)
        patterns = runtime.entity_patterns_for(tenant)
        cleaned, errors = _validate(
            data,
            form,
            conversation.language,
            runtime.settings.max_message_chars,
            patterns.order_regex,
        )
        if errors:
            raise Invalid(
                "some fields need attention",
                [{"field": name, "message": message} for name, message in errors.items()],
            )
        now = utcnow()
        if form.kind is FormKind.QUEUE and not queue.available(session, tenant, now):
            conversation.form_kind = FormKind.OFFLINE.value
            return conversation.status
        cipher = ConversationCipher(runtime.keyring, tenant, conversation)
        conversation.form_data = cipher.seal_form(cleaned)
        index_values(
            session,
            runtime,
            tenant,
            conversation.id,
            [(kind, cleaned[name]) for name, kind in FORM_KINDS.items() if name in cleaned],
        )
        if form.kind is FormKind.QUEUE:
            conversation.queued_at = now
            # Away until a socket says otherwise (see the module doc); one open now says so
            # as it hears of this status change.
            conversation.visitor_away_since = now
            transition(session, Actor.visitor(), conversation, _S.QUEUED)
            text = notice("queued", conversation.language)
            append_message(session, cipher, conversation, SenderKind.SYSTEM, MessageContent(text))
        else:
            transition(session, Actor.visitor(), conversation, _S.OFFLINE_MESSAGE)
            if conversation.offline_pending_since is None:  # an earlier one keeps its place
                conversation.offline_pending_since = now
            text = notice("offline_acknowledged", conversation.language)
            append_message(session, cipher, conversation, SenderKind.BOT, MessageContent(text))
            transition(session, Actor.visitor(), conversation, _S.BOT)
        publish_after_commit(session, queue_changed(tenant.id, conversation.id))
        return conversation.status


def cancel_handover(runtime: Runtime, conversation_id: uuid.UUID, token: str) -> None:
    """The shopper backs out of the form or leaves the queue, and is back with the bot."""
    with runtime.db.session() as session:
        conversation = access.conversation_for_visitor(session, conversation_id, token)
        if conversation.status not in (_S.PRE_CHAT_FORM, _S.QUEUED):
            raise Conflict("you are not waiting for a person")
        was_queued = conversation.status is _S.QUEUED
        transition(session, Actor.visitor(), conversation, _S.BOT)
        conversation.queued_at = None
        if was_queued:
            tenant = access.tenant_by_id(session, conversation.tenant_id)
            cipher = ConversationCipher(runtime.keyring, tenant, conversation)
            text = notice("left_queue", conversation.language)
            append_message(session, cipher, conversation, SenderKind.SYSTEM, MessageContent(text))
            publish_after_commit(session, queue_changed(tenant.id, conversation.id))


def handover_state(
    runtime: Runtime, conversation_id: uuid.UUID, token: str
) -> tuple[ConversationStatus, HandoverForm | None, WaitEstimate | None]:
    """The status, plus the form (while filling it) or the place in the queue (while waiting)."""
    with runtime.db.read() as session:
        conversation = access.conversation_for_visitor(session, conversation_id, token)
        tenant = access.tenant_by_id(session, conversation.tenant_id)
        if conversation.status is _S.PRE_CHAT_FORM:
            return conversation.status, _form(runtime, session, tenant, conversation), None
        if conversation.status is _S.QUEUED:
            estimate = queue.wait(session, tenant, conversation, utcnow())
            away = conversation.visitor_away_since is not None
        else:
            return conversation.status, None, None
    if away:  # a widget that polls for its place is still here
        visitor_seen(runtime, conversation.tenant_id, conversation.id)
    return _S.QUEUED, None, estimate


def rate_conversation(runtime: Runtime, conversation_id: uuid.UUID, token: str, score: int) -> None:
    """CSAT 1-5, once, after an agent closed the conversation."""
    if not 1 <= score <= 5:
        raise Invalid("a rating is a whole number from 1 to 5")
    with runtime.db.session() as session:
        conversation = access.conversation_for_visitor(session, conversation_id, token)
        if conversation.status is not _S.CLOSED or conversation.accepted_at is None:
            raise Conflict("only a finished chat with an agent can be rated")
        if conversation.csat is not None:
            raise Conflict("this chat has already been rated")
        conversation.csat = score
        record(
            session,
            Actor.visitor(),
            AuditAction.CONVERSATION_RATED,
            tenant_id=conversation.tenant_id,
            target_kind="conversation",
            target_id=conversation.id,
            score=score,
        )

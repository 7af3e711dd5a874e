"""A shopper's message: stored in one short transaction, then the bot's turn in another.

Design (issue #10): nothing holds a lock while the bot thinks.
1. Read (no lock): the conversation the token opens (status, language, key, dialogue state).
   The tenant's settings, key and bot come from the node's tenant cache.
2. `store_visitor_message`, one short write: the next seq, the sealed message, the blind index
   for identifiers the shopper typed. The shopper's words are durable (and shown) before the
   bot runs, so a failing or slow bot can never lose them. A closed conversation (or an offline
   message from before its acknowledgement) goes back to the bot in the same write: the shopper
   carries on in the same thread, the agent's answers included (issue #14).
3. The bot thinks with no transaction open; `bot_turns.take_bot_turn` stores its replies in
   another short write, but only if the conversation is still with the bot then.
4. Only when the bot's turn ends in an action (an order look-up): `send_visitor_message` runs it
   on the event loop, where waiting on a merchant holds no thread, then a second hop renders and
   stores the replies (`bot_turns.finish_bot_turn`).
The text is scanned for identifiers once, and that scan serves the index, the bot's slot filling
and the improvement sample. A retry with the same `client_message_id` returns what was stored.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.exc import IntegrityError

from botdesk import access
from botdesk.actions.audit import Actor
from botdesk.actions.bot_turns import (
    BotTurnInput,
    PendingAction,
    finish_bot_turn,
    take_bot_turn,
)
from botdesk.actions.conversations import INSERT_MESSAGE, message_row, transition
from botdesk.actions.subjects import index_values
from botdesk.bot.actions import ActionResult
from botdesk.errors import NotFound
from botdesk.events import message_created
from botdesk.models import Conversation, ConversationStatus, SenderKind, utcnow
from botdesk.orders.tracking import TrackContext
from botdesk.pii import Entity, detect, subject_identifiers
from botdesk.rate_limits import Check, Limit
from botdesk.runtime import Runtime
from botdesk.subjects import ENTITY_KINDS
from botdesk.tenant_cache import TenantEntry
from botdesk.transcripts import ConversationCipher, MessageContent, StoredMessage, decrypt_all

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PostedMessage:
    message: StoredMessage
    replies: list[StoredMessage]
    status: ConversationStatus
    language: str
    # The hook for the handover: the bot answered a request for a person.
    handover_requested: bool = False
    # The bot's turn waits for an action (step 4 of the module doc).
    pending: PendingAction | None = None


# Built once (see db.py). One UPDATE … RETURNING hands out the number and locks the
# conversation row until commit, so concurrent senders (visitor, bot, agent) never share a seq.
_NEXT_SEQ = (
    update(Conversation)
    .where(Conversation.id == bindparam("b_id"), Conversation.tenant_id == bindparam("b_tenant"))
    .values(
        last_seq=Conversation.last_seq + 1,
        last_activity_at=bindparam("b_now"),
        # A shopper who writes is here: a widget without a socket restarts its away clock
        # (actions/lifecycle.py); one with a socket open (NULL) is left alone.
        visitor_away_since=case(
            (Conversation.visitor_away_since.is_(None), None), else_=bindparam("b_now")
        ),
    )
    .returning(Conversation.last_seq, Conversation.status)
)
# Where the shopper's message takes the conversation back to the bot (see the module doc).
_REOPENED_BY_WRITING = frozenset({ConversationStatus.CLOSED, ConversationStatus.OFFLINE_MESSAGE})


def post_visitor_message(
    runtime: Runtime,
    conversation_id: uuid.UUID,
    token: str,
    text: str,
    client_message_id: str | None = None,
    *,
    payload: str | None = None,
    client_address: str = "unknown",
) -> PostedMessage:
    """Store the visitor's message, then the bot's replies (see the module doc)."""
    limits = runtime.limits
    limits.take(Check(Limit.MESSAGES_PER_ADDRESS, limits.address(client_address)))
    with runtime.db.connect() as connection:
        conversation = access.visitor_conversation(connection, conversation_id, token)
    # Counted only once the token is checked: a stranger cannot spend someone's conversation.
    limits.take(Check(Limit.MESSAGES_PER_CONVERSATION, str(conversation.id)))
    runtime.tenants.remember_conversation(conversation.id, conversation.tenant_id)
    entry = runtime.tenants.get(conversation.tenant_id)
    cipher = ConversationCipher.of(entry.key, conversation.id, conversation.wrapped_key)
    patterns = runtime.patterns_of(entry)
    # Button clicks carry our own label, not the shopper's words: nothing to find in them.
    entities = detect(text, patterns) if payload is None else []
    # The index also files disguised emails and, where the shop declared no order-number
    # shape, 5+ digit runs: a data request must find what samples and logs had to mask.
    indexed = subject_identifiers(text, patterns, entities) if payload is None else []
    stored = store_visitor_message(
        runtime, entry, conversation, cipher, text, client_message_id, indexed
    )
    if isinstance(stored, PostedMessage):
        return stored
    message, status = stored
    if status is not ConversationStatus.BOT:
        # The bot stays silent while the conversation is with the form, the queue or an agent.
        return PostedMessage(message, [], status, conversation.language)
    turn = BotTurnInput(
        entry=entry,
        conversation=conversation,
        cipher=cipher,
        message=message,
        payload=payload,
        patterns=patterns,
        entities=entities,
    )
    taken = take_bot_turn(runtime, turn)
    if isinstance(taken, PendingAction):
        return PostedMessage(message, [], status, conversation.language, pending=taken)
    replies, status, language, handover = taken
    return PostedMessage(message, replies, status, language, handover_requested=handover)


async def send_visitor_message(
    runtime: Runtime,
    conversation_id: uuid.UUID,
    token: str,
    text: str,
    client_message_id: str | None = None,
    *,
    payload: str | None = None,
    client_address: str = "unknown",
) -> PostedMessage:
    """The whole of a shopper's message, from an async route (see the module doc)."""
    # One message of a conversation at a time on this node: a second message sent while the
    # bot waits on a merchant is answered after the first, from the state the first left.
    async with runtime.conversation_turn(conversation_id):
        posted = await runtime.run(
            post_visitor_message,
            runtime,
            conversation_id,
            token,
            text,
            client_message_id,
            payload=payload,
            client_address=client_address,
        )
        pending = posted.pending
        if pending is None:
            return posted
        results = await run_action(runtime, pending, client_address)
        replies, status, language, handover = await runtime.run(
            finish_bot_turn, runtime, pending, results
        )
    return PostedMessage(posted.message, replies, status, language, handover_requested=handover)


async def run_action(
    runtime: Runtime, pending: PendingAction, client_address: str
) -> list[ActionResult]:
    """Run the bot's action; an action botdesk does not know reports `unavailable`."""
    request = pending.answer.action
    assert request is not None
    entry = pending.given.entry
    if request.action == "track_order":
        context = TrackContext(
            tenant_id=entry.tenant.id,
            conversation_id=pending.given.conversation.id,
            client_address=client_address,
            connector=entry.connector,
            zone=entry.handover.hours.zone,
        )
        try:
            return await runtime.orders.track(request, context)
        except Exception:
            # Whatever went wrong, the shopper hears that the status cannot be checked now
            # (their message is stored already); the operator gets the traceback, which holds
            # no merchant data or shopper text (LookupFailed carries a kind only).
            log.exception("order look-up crashed for tenant %s", entry.tenant.id)
    references = request.slots.get("reference", "").split() or [""]
    return [ActionResult("unavailable", {"reference": r}) for r in references]


def store_visitor_message(
    runtime: Runtime,
    entry: TenantEntry,
    conversation: access.VisitorConversation,
    cipher: ConversationCipher,
    text: str,
    client_message_id: str | None,
    entities: list[Entity],
) -> tuple[StoredMessage, ConversationStatus] | PostedMessage:
    """Step one: the visitor's message in one short transaction; (message, status now).

    `entities` are what the blind index files (pii.subject_identifiers). A retried send (same
    `client_message_id`) returns what the first one stored instead.
    """
    now = utcnow()
    try:
        with runtime.db.write() as unit:
            row = unit.connection.execute(
                _NEXT_SEQ,
                {"b_id": conversation.id, "b_tenant": conversation.tenant_id, "b_now": now},
            ).first()
            if row is None:  # erased since it was read
                raise NotFound("conversation not found")
            seq, status = row
            if status in _REOPENED_BY_WRITING:
                session = unit.orm()
                reopened = session.get(Conversation, conversation.id)
                assert reopened is not None  # the UPDATE above just found it, and locked it
                transition(session, Actor.visitor(), reopened, ConversationStatus.BOT)
                unit.flush()  # the status change is announced before the message
                status = ConversationStatus.BOT
            body = cipher.seal(seq, MessageContent(text))
            unit.connection.execute(
                INSERT_MESSAGE,
                message_row(
                    conversation.tenant_id,
                    conversation.id,
                    seq,
                    SenderKind.VISITOR,
                    body,
                    now,
                    client_message_id=client_message_id,
                ),
            )
            indexable = [
                (ENTITY_KINDS[e.type], e.value) for e in entities if e.type in ENTITY_KINDS
            ]
            if indexable:
                # In the message's own transaction: what identifies the shopper is findable
                # (and erasable) from the moment it is stored.
                index_values(unit.orm(), runtime, entry.tenant, conversation.id, indexable)
            unit.publish_after_commit(
                message_created(
                    conversation.tenant_id, conversation.id, seq, SenderKind.VISITOR.value
                )
            )
    except IntegrityError:
        # Two copies of the same retried send raced, or a retry came after the first was
        # stored: the first one's result is the answer.
        earlier = _earlier_send(runtime, conversation, cipher, client_message_id)
        if earlier is not None:
            return earlier
        raise
    stored = StoredMessage(seq, SenderKind.VISITOR, MessageContent(text), now, None)
    return stored, status


def _earlier_send(
    runtime: Runtime,
    conversation: access.VisitorConversation,
    cipher: ConversationCipher,
    client_message_id: str | None,
) -> PostedMessage | None:
    if client_message_id is None:
        return None
    with runtime.db.connect() as connection:
        earlier = access.sealed_message_by_client_id(
            connection,
            conversation.tenant_id,
            conversation.id,
            client_message_id,
            SenderKind.VISITOR,
        )
        if earlier is None:
            return None
        replies = access.sealed_messages(
            connection,
            conversation.tenant_id,
            conversation.id,
            after_seq=earlier.seq,
            limit=100,
            reply_to_seq=earlier.seq,
        )
        status, language = connection.execute(
            select(Conversation.status, Conversation.language).where(
                Conversation.id == conversation.id
            )
        ).one()
    return PostedMessage(
        decrypt_all(cipher, [earlier])[0], decrypt_all(cipher, replies), status, language
    )

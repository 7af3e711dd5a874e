"""The bot's turn: it thinks with no transaction open, then its replies go in one short write.

Step two of a shopper's message (see actions/messages.py). The replies are stored only if the
conversation is still with the bot when the bot has finished: an agent who accepted it, or a
shopper who left for the form, meanwhile, must not see the bot answer after them. The check and
the numbering are one conditional UPDATE … RETURNING, so nothing can slip in between.

A turn that ends in an action (the order look-up) comes back as a `PendingAction` instead: the
caller runs the action on the event loop, holding no thread, and `finish_bot_turn` renders and
stores its replies like any others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, select, update

from botdesk import access
from botdesk.actions.audit import Actor
from botdesk.actions.conversations import INSERT_MESSAGE, message_row
from botdesk.actions.handover import open_handover
from botdesk.actions.samples import Question, maybe_sample
from botdesk.bot.actions import ActionResult
from botdesk.bot.keywords import KeywordResponder
from botdesk.bot.responder import BotTurn, Responder, Turn
from botdesk.events import message_created
from botdesk.models import Conversation, ConversationStatus, SenderKind, utcnow
from botdesk.pii import Entity, EntityPatterns
from botdesk.runtime import Runtime
from botdesk.tenant_cache import TenantEntry
from botdesk.transcripts import ConversationCipher, StoredMessage

# Built once (see db.py): the numbers for the replies, only while the bot has the conversation.
_BOT_SEQS = (
    update(Conversation)
    .where(
        Conversation.id == bindparam("b_id"),
        Conversation.tenant_id == bindparam("b_tenant"),
        Conversation.status == ConversationStatus.BOT,
    )
    .values(
        last_seq=Conversation.last_seq + bindparam("b_count"),
        last_activity_at=bindparam("b_now"),
        bot_state=bindparam("b_state"),
        language=bindparam("b_language"),
    )
    .returning(Conversation.last_seq)
)


@dataclass(frozen=True)
class BotTurnInput:
    """What the message path hands the bot's turn (read before, or stored in step one)."""

    entry: TenantEntry
    conversation: access.VisitorConversation
    cipher: ConversationCipher
    message: StoredMessage
    payload: str | None
    patterns: EntityPatterns
    entities: Sequence[Entity]


@dataclass(frozen=True)
class PendingAction:
    """A bot turn waiting for its action's results (see the module doc)."""

    given: BotTurnInput
    responder: Responder
    turn: Turn
    answer: BotTurn


BotOutcome = tuple[list[StoredMessage], ConversationStatus, str, bool]


def take_bot_turn(runtime: Runtime, given: BotTurnInput) -> BotOutcome | PendingAction:
    """The bot answers `given.message`: (replies stored, status, language, handover asked)."""
    entry, conversation, cipher = given.entry, given.conversation, given.cipher
    tenant = entry.tenant
    # The bot first: building it (a node's first message after new content) can take seconds,
    # and availability, read next, should be as fresh as the answer it goes into.
    responder = runtime.responder_of(entry) or KeywordResponder()
    turn = Turn(
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        conversation_id=conversation.id,
        language=conversation.language,
        text=given.message.content.text,
        payload=given.payload,
        state=cipher.open_state(conversation.bot_state),
        agents_available=runtime.agents_available(entry),
        opening_hours=entry.handover.hours,
        entities=given.entities,
    )
    answer = responder.respond(turn)
    if answer.action is not None:
        return PendingAction(given, responder, turn, answer)
    return store_bot_turn(runtime, given, answer)


def finish_bot_turn(
    runtime: Runtime, pending: PendingAction, results: Sequence[ActionResult]
) -> BotOutcome:
    """Render the action's results as the bot's replies and store them."""
    answer = pending.answer
    resumed = pending.responder.resume(
        replace(pending.turn, state=answer.state, language=answer.language), results
    )
    return store_bot_turn(
        runtime,
        pending.given,
        replace(answer, replies=resumed.replies, state=resumed.state, action=None),
    )


def store_bot_turn(runtime: Runtime, given: BotTurnInput, answer: BotTurn) -> BotOutcome:
    """Store the bot's replies and dialogue state, if the bot still has the conversation."""
    entry, conversation, cipher = given.entry, given.conversation, given.cipher
    tenant = entry.tenant
    text = given.message.content.text
    language = answer.language if answer.language in tenant.languages else conversation.language
    state = cipher.seal_state(answer.state)
    count = len(answer.replies)
    now = utcnow()
    with runtime.db.write() as unit:
        last = unit.connection.scalar(
            _BOT_SEQS,
            {
                "b_id": conversation.id,
                "b_tenant": tenant.id,
                "b_count": count,
                "b_now": now,
                "b_state": state,
                "b_language": language,
            },
        )
        if last is None:  # the conversation left the bot while it thought: stay silent
            status, language = unit.connection.execute(
                select(Conversation.status, Conversation.language).where(
                    Conversation.id == conversation.id
                )
            ).one()
            return [], status, language, False
        replies = [
            StoredMessage(seq, SenderKind.BOT, reply.content, now, given.message.seq)
            for seq, reply in enumerate(answer.replies, start=last - count + 1)
        ]
        if replies:
            unit.connection.execute(
                INSERT_MESSAGE,
                [
                    message_row(
                        tenant.id,
                        conversation.id,
                        reply.seq,
                        SenderKind.BOT,
                        cipher.seal(reply.seq, reply.content),
                        now,
                        reply_to_seq=reply.reply_to_seq,
                    )
                    for reply in replies
                ],
            )
        for reply in replies:
            unit.publish_after_commit(
                message_created(tenant.id, conversation.id, reply.seq, SenderKind.BOT.value)
            )
        if given.payload is None:
            question = Question(
                text, language, conversation.restricted, given.patterns, given.entities
            )
            maybe_sample(unit.orm, tenant, question, answer.intent, answer.confidence)
        status = ConversationStatus.BOT
        handover = any(reply.wants_human for reply in answer.replies)
        if handover:
            # The bot answered a request for a person: the pre-chat form comes next.
            session = unit.orm()
            row = session.get(Conversation, conversation.id)
            assert row is not None
            open_handover(session, tenant, row, Actor.visitor())
            status = row.status
    return replies, status, language, handover

"""What happens to a conversation when nobody acts: a waiting shopper's presence, leaving the
queue once they are gone, and the idle timeout (issue #14, finding 6).

Presence. `visitor_away_since` is NULL while a widget socket is open on the conversation, or the
time since which the shopper has not been seen:
- a socket's hello clears it, and so does an open socket that hears its conversation now waits
  (pre-chat form, queue). A socket that closes while the conversation waits sets it and tells
  the others (`visitor.left`); any still open, on any node and in any tab, clear it again;
- joining the queue sets it to now, so a widget that only polls (no socket) is away from the
  start; each of its requests (messages, the queue place) moves it on to now (`visitor_seen`),
  so a widget that keeps polling stays, and one that stops is away from its last request.
  A request never sets it while it is NULL: a socket is open then;
- the sweep (a job every ~15 s, jobs.py) closes each queued conversation whose shopper has been
  away longer than the tenant's `queue_grace_seconds`, with outcome `abandoned`; the queue moves
  up for everyone behind them.
Hazard: a node that dies with sockets open never marks them away. A shopper still there
reconnects to another node (which clears it); one who is gone stays queued until an agent
takes the conversation.

Idle. A conversation with the bot (or left on its pre-chat form) that has had no message for
the tenant's `idle_minutes` is closed with outcome `idle` (an outcome a person already gave is
kept). The shopper writing again reopens it (actions/messages.py).

The sweep reads candidates per tenant through the (tenant_id, status) index, then changes each
batch in one short transaction that locks the rows and checks the rule again (FOR UPDATE SKIP
LOCKED on PostgreSQL; SQLite has one writer): a shopper who writes, or an agent who accepts,
at that moment wins, and the sweep leaves that conversation alone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.conversations import append_message, transition
from botdesk.db import publish_after_commit
from botdesk.errors import Invalid
from botdesk.events import queue_changed, visitor_left
from botdesk.handover import HandoverPolicy
from botdesk.models import Conversation, ConversationStatus, SenderKind, Tenant, utcnow
from botdesk.notices import notice
from botdesk.runtime import Runtime
from botdesk.transcripts import ConversationCipher, MessageContent

_S = ConversationStatus
# Where a shopper's absence is tracked, and where the idle timeout applies.
WAITING = frozenset({_S.PRE_CHAT_FORM, _S.QUEUED})
_IDLE_FROM = (_S.BOT, _S.PRE_CHAT_FORM)
ABANDONED = "abandoned"
IDLE = "idle"


def _one(tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> tuple[ColumnElement[bool], ...]:
    return (Conversation.tenant_id == tenant_id, Conversation.id == conversation_id)


def visitor_seen(runtime: Runtime, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
    """A widget without a socket made a request: its away clock starts again from now."""
    with runtime.db.write() as unit:
        unit.connection.execute(
            update(Conversation)
            .where(*_one(tenant_id, conversation_id), Conversation.visitor_away_since.is_not(None))
            .values(visitor_away_since=utcnow())
        )


def visitor_arrived(runtime: Runtime, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
    """A widget socket said hello: the shopper is here (a read first; most were never away)."""
    with runtime.db.read() as session:
        away = session.scalar(
            select(Conversation.visitor_away_since).where(*_one(tenant_id, conversation_id))
        )
    if away is not None:
        visitor_present(runtime, tenant_id, conversation_id)


def visitor_present(runtime: Runtime, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
    """A widget socket is open on the conversation: the shopper is here."""
    with runtime.db.write() as unit:
        unit.connection.execute(
            update(Conversation)
            .where(*_one(tenant_id, conversation_id), Conversation.visitor_away_since.is_not(None))
            .values(visitor_away_since=None)
        )


def visitor_gone(runtime: Runtime, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> bool:
    """A widget socket closed: if the conversation waits for a person, the shopper may be away.

    Announces `visitor.left`, so that the conversation's other sockets (other tabs, other
    nodes) say they are still here. True if the conversation was waiting.
    """
    with runtime.db.write() as unit:
        marked = unit.connection.execute(
            update(Conversation)
            .where(*_one(tenant_id, conversation_id), Conversation.status.in_(WAITING))
            .values(visitor_away_since=utcnow())
            .returning(Conversation.id)
        ).first()
        if marked is not None:
            unit.publish_after_commit(visitor_left(tenant_id, conversation_id))
    return marked is not None


@dataclass
class Swept:
    """What one sweep did: conversations that left the queue, and idle ones closed."""

    abandoned: int = 0
    idle: int = 0


def _noop() -> None:
    return None


def _policy(config: object) -> HandoverPolicy:
    try:
        return HandoverPolicy.from_config(config if isinstance(config, dict) else None)
    except Invalid:  # stored before a rule existed: the defaults, rather than no sweep at all
        return HandoverPolicy()


def sweep(
    runtime: Runtime,
    *,
    now: dt.datetime,
    batch_size: int = 200,
    keep_alive: Callable[[], None] = _noop,
) -> Swept:
    """Close what every tenant's rules make due at `now`: absent queued shoppers, idle chats.

    `keep_alive` is called before every commit (the job runner renews its lease there).
    """
    if now.tzinfo is None:
        raise ValueError("the sweep's clock must be timezone-aware")
    with runtime.db.read() as session:
        tenants = session.execute(select(Tenant.id, Tenant.handover).order_by(Tenant.id)).all()
    swept = Swept()
    for tenant_id, config in tenants:
        policy = _policy(config)
        rules = [
            (_S.QUEUED, Conversation.visitor_away_since <= now - policy.queue_grace, ABANDONED),
            (_S.BOT, Conversation.last_activity_at <= now - policy.idle_timeout, IDLE),
            (_S.PRE_CHAT_FORM, Conversation.last_activity_at <= now - policy.idle_timeout, IDLE),
        ]
        for status, due, outcome in rules:
            closed = _close_due(runtime, tenant_id, status, due, outcome, batch_size, keep_alive)
            if outcome == ABANDONED:
                swept.abandoned += closed
            else:
                swept.idle += closed
    return swept


def _close_due(
    runtime: Runtime,
    tenant_id: uuid.UUID,
    status: ConversationStatus,
    due: ColumnElement[bool],
    outcome: str,
    batch_size: int,
    keep_alive: Callable[[], None],
) -> int:
    rule = (
        Conversation.tenant_id == tenant_id,
        Conversation.status == status,
        due,
        Conversation.wrapped_key.is_not(None),  # erased, or being purged: nothing to close
    )
    closed = 0
    while True:
        # A read first, on the index: most runs find nothing and take no write lock at all.
        with runtime.db.read() as session:
            ids = session.scalars(
                select(Conversation.id).where(*rule).order_by(Conversation.id).limit(batch_size)
            ).all()
        if not ids:
            return closed
        keep_alive()
        with runtime.db.session() as session:
            rows = session.scalars(
                select(Conversation)
                .where(*rule, Conversation.id.in_(ids))
                .with_for_update(skip_locked=True)
            ).all()
            tenant = session.get(Tenant, tenant_id) if rows else None
            for conversation in rows:
                assert tenant is not None
                _close(runtime, session, tenant, conversation, outcome)
        closed += len(rows)
        if len(ids) < batch_size or not rows:
            return closed


def _close(
    runtime: Runtime, session: Session, tenant: Tenant, conversation: Conversation, outcome: str
) -> None:
    was = conversation.status
    if outcome == ABANDONED:
        # Said in the chat, so a shopper who comes back knows why they are not in the queue.
        cipher = ConversationCipher(runtime.keyring, tenant, conversation)
        text = notice("away_from_queue", conversation.language)
        append_message(session, cipher, conversation, SenderKind.SYSTEM, MessageContent(text))
        conversation.outcome = outcome
    elif conversation.outcome is None:
        conversation.outcome = outcome
    transition(session, Actor.system(), conversation, _S.CLOSED)
    record(
        session,
        Actor.system(),
        AuditAction.CONVERSATION_CLOSED,
        tenant_id=tenant.id,
        target_kind="conversation",
        target_id=conversation.id,
        outcome=outcome,
    )
    if was is _S.QUEUED:
        publish_after_commit(session, queue_changed(tenant.id, conversation.id))

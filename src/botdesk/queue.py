"""Access functions for the handover queue: who is waiting, who is online, how long it takes.

Like access.py, every function here is scoped by tenant; routes and actions read the queue only
through them. Presence counts only agents whose console checked in recently (PRESENCE_TIMEOUT),
so a closed laptop stops promising shoppers a person within a minute and a half.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from botdesk.access import TRANSCRIPT_ROLES, StaffContext, handover_policy
from botdesk.access import require_agent as _require_agent
from botdesk.handover import PRESENCE_TIMEOUT, WaitEstimate, estimate_wait
from botdesk.models import (
    AgentPresence,
    Conversation,
    ConversationStatus,
    Membership,
    Presence,
    Tenant,
    User,
)

# The wait estimate learns from this window of recent conversations (and at most this many).
HISTORY = dt.timedelta(days=7)
HISTORY_LIMIT = 50


def agents_online(session: Session, tenant_id: uuid.UUID, now: dt.datetime) -> int:
    """Agents (and admins) online in this tenant whose console has checked in recently."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AgentPresence)
            .join(
                Membership,
                (Membership.tenant_id == AgentPresence.tenant_id)
                & (Membership.user_id == AgentPresence.user_id),
            )
            .join(User, User.id == AgentPresence.user_id)
            .where(
                AgentPresence.tenant_id == tenant_id,
                AgentPresence.status == Presence.ONLINE,
                AgentPresence.seen_at >= now - PRESENCE_TIMEOUT,
                Membership.role.in_(TRANSCRIPT_ROLES),
                User.disabled_at.is_(None),
            )
        )
        or 0
    )


def available(session: Session, tenant: Tenant, now: dt.datetime) -> bool:
    """Whether a person can be offered now: within opening hours and someone online."""
    return handover_policy(tenant).hours.is_open(now) and agents_online(session, tenant.id, now) > 0


def position(session: Session, conversation: Conversation) -> int:
    """1-based place in the tenant's queue (first come, first served)."""
    if conversation.status is not ConversationStatus.QUEUED or conversation.queued_at is None:
        return 0
    ahead = session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.tenant_id == conversation.tenant_id,
            Conversation.status == ConversationStatus.QUEUED,
            Conversation.queued_at < conversation.queued_at,
        )
    )
    return (ahead or 0) + 1


def wait(
    session: Session, tenant: Tenant, conversation: Conversation, now: dt.datetime
) -> WaitEstimate:
    """The honest wait estimate for a queued conversation (see handover.estimate_wait)."""
    return _estimate(session, tenant, position(session, conversation), now)


def reply_minutes(session: Session, tenant: Tenant, now: dt.datetime) -> int | None:
    """Minutes a shopper asking for a person now would probably wait; None when nobody can say.

    The widget's welcome line ("a person usually answers within N minutes"): the same estimate a
    new arrival at the back of the queue would get, so it never promises what the queue won't do.
    """
    if not handover_policy(tenant).hours.is_open(now):
        return None
    queued = session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.tenant_id == tenant.id,
            Conversation.status == ConversationStatus.QUEUED,
        )
    )
    seconds = _estimate(session, tenant, (queued or 0) + 1, now).seconds
    return None if seconds is None else max(1, math.ceil(seconds / 60))


def _estimate(session: Session, tenant: Tenant, place: int, now: dt.datetime) -> WaitEstimate:
    since = now - HISTORY
    handled = session.execute(
        select(Conversation.accepted_at, Conversation.closed_at, Conversation.queued_at)
        .where(
            Conversation.tenant_id == tenant.id,
            Conversation.accepted_at.is_not(None),
            Conversation.accepted_at >= since,
        )
        .order_by(Conversation.accepted_at.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    handling = [
        (closed - accepted).total_seconds()
        for accepted, closed, _q in handled
        if closed and accepted
    ]
    accepting = [
        (accepted - queued).total_seconds()
        for accepted, _c, queued in handled
        if queued and accepted
    ]
    active = session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.tenant_id == tenant.id,
            Conversation.status == ConversationStatus.WITH_AGENT,
        )
    )
    return estimate_wait(
        place,
        agents_online(session, tenant.id, now),
        active or 0,
        handover_policy(tenant).max_chats_per_agent,
        handling,
        accepting,
    )


def in_status(
    session: Session, staff: StaffContext, status: ConversationStatus, limit: int = 200
) -> Sequence[Conversation]:
    """The tenant's conversations in one status, oldest first (the queue's order)."""
    _require_agent(staff)
    order = (
        Conversation.queued_at
        if status is ConversationStatus.QUEUED
        else Conversation.last_activity_at
    )
    return session.scalars(
        select(Conversation)
        .where(Conversation.tenant_id == staff.tenant.id, Conversation.status == status)
        .order_by(order, Conversation.created_at)
        .limit(limit)
    ).all()


def offline_inbox(
    session: Session, staff: StaffContext, limit: int = 200
) -> Sequence[Conversation]:
    """Offline messages no agent has answered yet, oldest first, whatever the status now.

    The conversation goes back to the bot once the message is acknowledged, so the inbox is
    `offline_pending_since`, not a status (served by its own index).
    """
    _require_agent(staff)
    return session.scalars(
        select(Conversation)
        .where(
            Conversation.tenant_id == staff.tenant.id,
            Conversation.offline_pending_since.is_not(None),
        )
        .order_by(Conversation.offline_pending_since, Conversation.created_at)
        .limit(limit)
    ).all()


@dataclass(frozen=True)
class AgentRow:
    user_id: uuid.UUID
    name: str
    status: Presence
    active_chats: int


def agents(session: Session, staff: StaffContext, now: dt.datetime) -> list[AgentRow]:
    """The tenant's agents and admins with their effective presence and current load."""
    _require_agent(staff)
    rows = session.execute(
        select(User.id, User.display_name, AgentPresence.status, AgentPresence.seen_at)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(
            AgentPresence,
            (AgentPresence.user_id == User.id) & (AgentPresence.tenant_id == staff.tenant.id),
        )
        .where(
            Membership.tenant_id == staff.tenant.id,
            Membership.role.in_(TRANSCRIPT_ROLES),
            User.disabled_at.is_(None),
        )
        .order_by(User.display_name)
    ).all()
    loads = dict(
        session.execute(
            select(Conversation.assigned_agent_id, func.count())
            .where(
                Conversation.tenant_id == staff.tenant.id,
                Conversation.status == ConversationStatus.WITH_AGENT,
            )
            .group_by(Conversation.assigned_agent_id)
        ).all()
    )
    result = []
    for user_id, name, status, seen_at in rows:
        effective = status or Presence.OFFLINE
        if effective is not Presence.OFFLINE and (
            seen_at is None or seen_at < now - PRESENCE_TIMEOUT
        ):
            effective = Presence.OFFLINE  # the console stopped checking in
        result.append(AgentRow(user_id, name, effective, loads.get(user_id, 0)))
    return result


def colleague(session: Session, staff: StaffContext, user_id: uuid.UUID) -> User | None:
    """A staff member who can take conversations in the same tenant, or None."""
    return session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.id == user_id,
            Membership.tenant_id == staff.tenant.id,
            Membership.role.in_(TRANSCRIPT_ROLES),
            User.disabled_at.is_(None),
        )
    )


def presence_of(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> AgentPresence | None:
    return session.get(AgentPresence, (tenant_id, user_id))

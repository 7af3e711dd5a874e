"""The retention purge: conversations (and expired console sessions) deleted when policy says.

Design (read docs/retention.md before changing):
- Rules, per tenant. `retention.bot_only`: a conversation that never reached a human is due
  once `last_activity_at <= now - retention_bot_days`. `retention.with_agent`: the same with
  `retention_agent_days`, only when the tenant set one (otherwise until a deletion request).
  `erasure.unfinished`: a conversation whose key is already destroyed (an erasure or a purge
  interrupted between its two commits) is finished whatever its age.
- Boundary: days are exact 24-hour periods in UTC. A conversation whose last activity is
  exactly N days before `now` is due; one a microsecond younger is kept.
- Batches, oldest first. Commit 1 destroys the batch's keys (crypto-shredding), re-checking the
  rule in the same UPDATE so a conversation that got a message meanwhile is spared. Commit 2
  deletes the rows through erasure.delete_conversation_rows and writes the receipt. Interrupted
  before commit 1, nothing happened; between the two, the data is already unreadable everywhere
  and the next run deletes the rows under the same rule (rule queries ignore the key); after,
  the batch is done. So the purge is idempotent and safe to kill at any moment.
- No transaction spans more than one batch step: visitors keep writing during a long purge.
- Receipts hold the rule, cutoff, counts and conversation ids; never content or personal data.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, select, update

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.erasure import delete_conversation_rows
from botdesk.models import Conversation, RetentionClass, StaffSession, Tenant
from botdesk.runtime import Runtime

log = logging.getLogger(__name__)


class Rule(StrEnum):
    BOT_ONLY = "retention.bot_only"
    WITH_AGENT = "retention.with_agent"
    UNFINISHED = "erasure.unfinished"


EXPIRED_SESSIONS = "retention.expired_sessions"


def _noop() -> None:
    return None


@dataclass
class TenantPurge:
    """What one purge did for one tenant."""

    tenant_id: uuid.UUID
    slug: str
    bot_only_cutoff: dt.datetime
    with_agent_cutoff: dt.datetime | None
    conversations: dict[Rule, int] = field(default_factory=lambda: dict.fromkeys(Rule, 0))
    messages: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.slug,
            "tenant_id": str(self.tenant_id),
            "bot_only_cutoff": self.bot_only_cutoff.isoformat(),
            "with_agent_cutoff": (
                self.with_agent_cutoff.isoformat() if self.with_agent_cutoff else None
            ),
            "bot_only": self.conversations[Rule.BOT_ONLY],
            "with_agent": self.conversations[Rule.WITH_AGENT],
            "unfinished": self.conversations[Rule.UNFINISHED],
            "messages": self.messages,
        }


@dataclass
class PurgeResult:
    """What one purge did, per tenant and in total."""

    now: dt.datetime
    tenants: list[TenantPurge]

    @property
    def conversations(self) -> int:
        return sum(sum(t.conversations.values()) for t in self.tenants)

    @property
    def messages(self) -> int:
        return sum(t.messages for t in self.tenants)

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "conversations": self.conversations,
            "messages": self.messages,
            "tenants": [t.as_dict() for t in self.tenants],
        }


def cutoff(now: dt.datetime, days: int) -> dt.datetime:
    """The last `last_activity_at` that is due: exactly `days` 24-hour days before `now`."""
    if now.tzinfo is None:
        raise ValueError("the purge clock must be timezone-aware")
    return now.astimezone(dt.UTC) - dt.timedelta(days=days)


def _due(rule: Rule, tenant_id: uuid.UUID, cut: dt.datetime | None) -> list[ColumnElement[bool]]:
    """The WHERE clause of a rule; always scoped by tenant (and served by the retention index)."""
    scope = [Conversation.tenant_id == tenant_id]
    if rule is Rule.UNFINISHED:
        # No index on the key: this scans the tenant's conversations, once per run.
        return [*scope, Conversation.wrapped_key.is_(None)]
    retention_class = (
        RetentionClass.BOT_ONLY if rule is Rule.BOT_ONLY else RetentionClass.WITH_AGENT
    )
    assert cut is not None
    return [
        *scope,
        Conversation.retention_class == retention_class,
        Conversation.last_activity_at <= cut,
    ]


def _purge_rule(
    runtime: Runtime,
    tenant: TenantPurge,
    rule: Rule,
    cut: dt.datetime | None,
    batch_size: int,
    keep_alive: Callable[[], None],
) -> None:
    details: dict[str, Any] = {"rule": rule.value, "cutoff": cut.isoformat() if cut else None}
    while True:
        keep_alive()
        with runtime.db.session() as session:
            ids = list(
                session.scalars(
                    select(Conversation.id)
                    .where(*_due(rule, tenant.tenant_id, cut))
                    .order_by(Conversation.last_activity_at, Conversation.id)
                    .limit(batch_size)
                ).all()
            )
            if not ids:
                return
            # Commit 1: crypto-shred. From here on every copy of these messages is unreadable.
            # An UPDATE's result is a CursorResult; the typing of execute() cannot tell.
            shredded = cast(
                CursorResult[Any],
                session.execute(
                    update(Conversation)
                    .where(
                        *_due(rule, tenant.tenant_id, cut),
                        Conversation.id.in_(ids),
                        Conversation.wrapped_key.is_not(None),
                    )
                    .values(wrapped_key=None)
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            if shredded:
                record(
                    session,
                    Actor.system(),
                    AuditAction.RETENTION_KEYS_DESTROYED,
                    tenant_id=tenant.tenant_id,
                    target_kind="tenant",
                    target_id=tenant.tenant_id,
                    conversations=shredded,
                    **details,
                )
        keep_alive()
        # Commit 2: the rows, and the receipt.
        with runtime.db.session() as session:
            deleted = delete_conversation_rows(session, tenant.tenant_id, ids)
            if deleted.conversation_ids:
                record(
                    session,
                    Actor.system(),
                    AuditAction.RETENTION_PURGED,
                    tenant_id=tenant.tenant_id,
                    target_kind="tenant",
                    target_id=tenant.tenant_id,
                    conversations=len(deleted.conversation_ids),
                    messages_deleted=deleted.messages,
                    conversation_ids=[str(i) for i in deleted.conversation_ids],
                    **details,
                )
        tenant.conversations[rule] += len(deleted.conversation_ids)
        tenant.messages += deleted.messages
        if not deleted.conversation_ids:
            # Everything selected got new activity meanwhile; stop rather than spin on it.
            return


def purge_conversations(
    runtime: Runtime,
    *,
    now: dt.datetime,
    batch_size: int,
    keep_alive: Callable[[], None] = _noop,
) -> PurgeResult:
    """Delete every conversation the tenants' retention rules make due at `now`.

    `keep_alive` is called before every transaction; raising there stops the purge at a safe
    point (the job runner renews its lease there). Returns the counts.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    with runtime.db.session() as session:
        policies = session.execute(
            select(
                Tenant.id, Tenant.slug, Tenant.retention_bot_days, Tenant.retention_agent_days
            ).order_by(Tenant.slug)
        ).all()
    result = PurgeResult(now, [])
    for tenant_id, slug, bot_days, agent_days in policies:
        tenant = TenantPurge(
            tenant_id,
            slug,
            cutoff(now, bot_days),
            cutoff(now, agent_days) if agent_days is not None else None,
        )
        result.tenants.append(tenant)
        # Rules first, so an interrupted purge's shredded rows are receipted under their rule.
        _purge_rule(runtime, tenant, Rule.BOT_ONLY, tenant.bot_only_cutoff, batch_size, keep_alive)
        if tenant.with_agent_cutoff is not None:
            _purge_rule(
                runtime, tenant, Rule.WITH_AGENT, tenant.with_agent_cutoff, batch_size, keep_alive
            )
        _purge_rule(runtime, tenant, Rule.UNFINISHED, None, batch_size, keep_alive)
        if sum(tenant.conversations.values()):
            log.info("retention purged %s: %s", slug, tenant.as_dict())
    if result.conversations:
        # Fold the WAL into the file so the deleted rows' old pages do not linger there.
        runtime.db.checkpoint()
    return result


def purge_expired_sessions(
    runtime: Runtime,
    *,
    now: dt.datetime,
    batch_size: int,
    keep_alive: Callable[[], None] = _noop,
) -> int:
    """Delete console sessions that expired at or before `now`; returns how many."""
    total = 0
    while True:
        keep_alive()
        with runtime.db.session() as session:
            ids = list(
                session.scalars(
                    select(StaffSession.id).where(StaffSession.expires_at <= now).limit(batch_size)
                ).all()
            )
            if not ids:
                return total
            session.execute(delete(StaffSession).where(StaffSession.id.in_(ids)))
            record(
                session,
                Actor.system(),
                AuditAction.RETENTION_PURGED,
                tenant_id=None,
                target_kind="staff_sessions",
                rule=EXPIRED_SESSIONS,
                cutoff=now.isoformat(),
                sessions=len(ids),
            )
        total += len(ids)

"""The desk's "Recent" list: a tenant's conversations by last activity, for agents and admins.

Agents may read every conversation of their tenant (conversation_for_staff), so the list shows
all of them, not only the agent's own; analysts never get here. A search is a blind-index
lookup: the caller passes digests (botdesk.subjects), never a value to compare with plaintext,
and nothing is decrypted to find a match.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import Session

from botdesk.access.staff import StaffContext, _require_transcript_role
from botdesk.models import Conversation, ConversationStatus, RetentionClass, SubjectKey


@dataclass(frozen=True)
class RecentFilter:
    """What to list: active since `since`, in `statuses`, older than the cursor `before`."""

    since: dt.datetime
    statuses: Collection[ConversationStatus]
    handled_only: bool = False  # only conversations a person took part in
    outcome: str | None = None
    digests: Collection[tuple[str, bytes]] | None = None  # a search: (kind, digest) pairs
    before: tuple[dt.datetime, uuid.UUID] | None = None


def recent_conversations(
    session: Session, staff: StaffContext, wanted: RecentFilter, limit: int
) -> Sequence[Conversation]:
    """The tenant's conversations matching `wanted`, newest activity first, at most `limit`."""
    _require_transcript_role(staff)
    query = select(Conversation).where(
        Conversation.tenant_id == staff.tenant.id,
        Conversation.last_activity_at >= wanted.since,
        Conversation.status.in_(list(wanted.statuses)),
        # Shredded (erased, awaiting deletion): nothing of it can be opened any more.
        Conversation.wrapped_key.is_not(None),
    )
    if wanted.handled_only:
        query = query.where(Conversation.retention_class == RetentionClass.WITH_AGENT)
    if wanted.outcome is not None:
        query = query.where(Conversation.outcome == wanted.outcome)
    if wanted.digests is not None:
        if not wanted.digests:
            return []
        matches = select(SubjectKey.conversation_id).where(
            SubjectKey.tenant_id == staff.tenant.id,
            or_(*(and_(SubjectKey.kind == k, SubjectKey.digest == d) for k, d in wanted.digests)),
        )
        query = query.where(Conversation.id.in_(matches))
    if wanted.before is not None:
        moment, last_id = wanted.before
        query = query.where(
            tuple_(Conversation.last_activity_at, Conversation.id) < tuple_(moment, last_id)
        )
    # The default list (handled only) walks the retention index (tenant_id, retention_class,
    # last_activity_at) backwards; a search narrows to the few conversations the blind index
    # matched first, so neither sorts the tenant's whole month.
    return session.scalars(
        query.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(limit)
    ).all()

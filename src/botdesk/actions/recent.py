"""The desk's "Recent" list and its search by email, phone or order number (blind index).

A search turns the typed value into the digests the blind index holds (botdesk.subjects) for
each kind it can be read as, so finding "40012345" or "maija@example.fi" decrypts nothing. The
audit row says which kinds were searched and how many conversations were found, never the
value: the audit log must not become the plaintext index the blind index avoids.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from botdesk import access
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.models import Conversation, ConversationStatus, utcnow
from botdesk.runtime import Runtime
from botdesk.subjects import (
    NotASubjectValue,
    SubjectKind,
    digest,
    index_key,
    normalise,
    phone_regions,
)

_S = ConversationStatus
# In the queue, with an agent or waiting as an offline message: the desk's live lists.
LIVE = frozenset({_S.QUEUED, _S.WITH_AGENT, _S.OFFLINE_MESSAGE})
HANDLED = "handled"  # a person took part, and it is in none of the live lists now
ALL = "all"


def _digests(runtime: Runtime, staff: access.StaffContext, query: str) -> list[tuple[str, bytes]]:
    """The (kind, digest) pairs `query` can be read as: an email, or an order or phone number."""
    tenant = staff.tenant
    kinds = [SubjectKind.EMAIL] if "@" in query else [SubjectKind.ORDER_NUMBER, SubjectKind.PHONE]
    regions = phone_regions(tenant, runtime.entity_patterns_for(tenant).phone_regions)
    key = index_key(runtime.keyring, tenant)
    found = []
    for kind in kinds:
        try:
            found.append((kind.value, digest(key, kind, normalise(kind, query, regions))))
        except NotASubjectValue:
            continue
    return found


def recent(
    runtime: Runtime,
    session: Session,
    staff: access.StaffContext,
    *,
    query: str | None,
    show: str | None,
    outcome: str | None,
    before: tuple[dt.datetime, uuid.UUID] | None,
    days: int,
    limit: int,
) -> Sequence[Conversation]:
    """One page of the Recent list; without `show`, handled ones, or every status for a search."""
    query = (query or "").strip() or None
    show = show or (ALL if query else HANDLED)
    if show == HANDLED:
        statuses: frozenset[ConversationStatus] = frozenset(_S) - LIVE
    elif show == ALL:
        statuses = frozenset(_S)
    else:
        statuses = frozenset({_S(show)})
    digests = _digests(runtime, staff, query) if query else None
    wanted = access.RecentFilter(
        since=utcnow() - dt.timedelta(days=days),
        statuses=statuses,
        handled_only=show == HANDLED,
        outcome=outcome,
        digests=digests,
        before=before,
    )
    found = access.recent_conversations(session, staff, wanted, limit)
    if digests is not None and before is None:  # a search, once: not again for each page
        record(
            session,
            Actor.staff(staff.user.id),
            AuditAction.CONVERSATIONS_SEARCHED,
            tenant_id=staff.tenant.id,
            kinds=sorted({kind for kind, _ in digests}),
            conversations=len(found),
        )
    return found

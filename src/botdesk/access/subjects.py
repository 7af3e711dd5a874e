"""Data-subject requests: the blind index (see botdesk.subjects) and what it points at."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from botdesk.models import Conversation, SubjectKey, Tenant


def conversations_by_subject(
    session: Session, tenant: Tenant, kind: str, digest: bytes
) -> Sequence[Conversation]:
    """The tenant's live conversations indexed under one digest, oldest first.

    Shredded conversations (key gone, rows about to be deleted) are left out: nothing of
    theirs can be read or exported any more.
    """
    return session.scalars(
        select(Conversation)
        .join(SubjectKey, SubjectKey.conversation_id == Conversation.id)
        .where(
            SubjectKey.tenant_id == tenant.id,
            SubjectKey.kind == kind,
            SubjectKey.digest == digest,
            Conversation.tenant_id == tenant.id,
            Conversation.wrapped_key.is_not(None),
        )
        .order_by(Conversation.created_at, Conversation.id)
        .distinct()
    ).all()


def subject_digests(
    session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID
) -> set[tuple[str, bytes]]:
    """The (kind, digest) pairs already indexed for a conversation."""
    rows = session.execute(
        select(SubjectKey.kind, SubjectKey.digest).where(
            SubjectKey.tenant_id == tenant_id,
            SubjectKey.conversation_id == conversation_id,
        )
    ).all()
    return {(kind, digest) for kind, digest in rows}

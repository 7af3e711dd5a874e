"""Writing the audit log. Every named action calls `record` in its own transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from botdesk.models import ActorKind, AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff member, a visitor (via their conversation), the operator, a job."""

    kind: ActorKind
    id: uuid.UUID | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM)

    @classmethod
    def operator(cls, user_id: uuid.UUID | None = None) -> Actor:
        return cls(ActorKind.OPERATOR, user_id)

    @classmethod
    def visitor(cls) -> Actor:
        # Visitors are anonymous; the conversation they act on is the audit target.
        return cls(ActorKind.VISITOR)

    @classmethod
    def staff(cls, user_id: uuid.UUID) -> Actor:
        return cls(ActorKind.STAFF, user_id)


# Detail values must be identifiers, counts, enums or booleans (or lists of them): never free
# text a person wrote.
_ALLOWED_DETAIL_TYPES = (int, float, bool, type(None))


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    tenant_id: uuid.UUID | None,
    target_kind: str | None = None,
    target_id: uuid.UUID | str | None = None,
    **details: Any,
) -> None:
    """Add an audit row to the current transaction."""
    for key, value in details.items():
        values = value if isinstance(value, list) else [value]
        ok = all(
            isinstance(v, _ALLOWED_DETAIL_TYPES)
            or (isinstance(v, str) and len(v) <= 64 and "@" not in v)
            for v in values
        )
        if not ok:
            # A programming error, caught by tests: audit details must stay free of personal data.
            raise ValueError(f"audit detail {key!r} must be a short identifier, not {type(value)}")
    session.add(
        AuditEntry(
            tenant_id=tenant_id,
            actor_kind=actor.kind,
            actor_id=actor.id,
            action=action,
            target_kind=target_kind,
            target_id=str(target_id) if target_id is not None else None,
            details=details,
        )
    )

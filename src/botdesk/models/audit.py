"""The audit log: who did what to which object, when. Identifiers only, never personal data."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, BigId, Retention, lifecycle, utcnow


class ActorKind(StrEnum):
    VISITOR = "visitor"  # a shopper, identified only by the conversation they hold a token for
    STAFF = "staff"
    OPERATOR = "operator"  # CLI / operator actions
    SYSTEM = "system"  # background jobs (retention purge)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        # Auditors read one tenant's log newest first.
        Index("ix_audit_log_tenant_id_occurred_at", "tenant_id", "occurred_at"),
        {"info": lifecycle(Retention.AUDIT, subject_export=False)},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # No foreign keys: the record of an erasure must outlive what was erased.
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[ActorKind] = mapped_column(
        Enum(
            ActorKind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        )
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(64))
    target_kind: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

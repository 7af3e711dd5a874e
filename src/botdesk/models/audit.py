"""The audit log: who did what to which object, when. Identifiers only, never personal data.

Each row is linked into a hash chain per tenant (and one for operator-level rows, tenant_id
NULL) by actions/audit_chain.py after it commits; `seq`, `prev_hash` and `row_hash` stay NULL
until then. `AuditChain` holds each chain's signed head and its signed retention checkpoint.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, BigId, Retention, lifecycle, utcnow

# The chain of operator-level rows (tenant_id NULL): a key for its AuditChain row.
OPERATOR_CHAIN = uuid.UUID(int=0)


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
        # Verification walks a chain in order; unique, so a bug in sealing fails instead of
        # forking a tenant's chain (PostgreSQL does not apply it to the NULL operator chain,
        # which relies on the head lock alone).
        Index("ix_audit_log_tenant_id_seq", "tenant_id", "seq", unique=True),
        # The sealer's and the seal job's look-up: rows not yet chained (few, at any time).
        Index(
            "ix_audit_log_tenant_id_id_unsealed",
            "tenant_id",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
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
    # The chain (actions/audit_chain.py): position, the previous row's hash, this row's hash.
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChain(Base):
    """One chain's signed head (its last sealed row) and signed retention checkpoint."""

    __tablename__ = "audit_chains"
    __table_args__ = ({"info": lifecycle(Retention.AUDIT, subject_export=False)},)

    # The tenant's id, or OPERATOR_CHAIN. No foreign key, as for the rows themselves.
    chain_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str | None] = mapped_column(String(64))
    # HMAC of (chain, last_seq, last_hash) under a key derived from the master key.
    head_signature: Mapped[str | None] = mapped_column(String(64))
    # Rows with seq <= checkpoint_seq were deleted by retention; the last one's hash remains.
    checkpoint_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    checkpoint_hash: Mapped[str | None] = mapped_column(String(64))
    checkpoint_rows: Mapped[int] = mapped_column(BigInteger, default=0)
    checkpoint_at: Mapped[dt.datetime | None] = mapped_column()
    checkpoint_signature: Mapped[str | None] = mapped_column(String(64))
    # The master key's public id the signatures were made under (a node on an old key shows).
    key_id: Mapped[str | None] = mapped_column(String(16))

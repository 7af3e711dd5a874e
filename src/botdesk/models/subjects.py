"""The blind index of data subjects: keyed hashes of an email, phone or order number per
conversation, so a tenant admin can find a person's conversations without plaintext at rest.

The digests are computed in `botdesk.subjects`; this table only ever holds 32-byte HMACs.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, BigId, Retention, TenantOwned, lifecycle


class SubjectKey(TenantOwned, Base):
    __tablename__ = "subject_keys"
    __table_args__ = (
        # Leads with tenant_id like every tenant index; also serves the per-conversation reads.
        UniqueConstraint("tenant_id", "conversation_id", "kind", "digest"),
        # Lookups are "this tenant, this kind, this digest".
        Index("ix_subject_keys_tenant_id_kind_digest", "tenant_id", "kind", "digest"),
        # Not exported: a digest tells the subject nothing their conversations do not.
        {"info": lifecycle(Retention.CONVERSATION, subject_export=False)},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))

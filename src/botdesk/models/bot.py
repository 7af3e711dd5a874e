"""A tenant's bot content, versioned, and the intent model trained from each version."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, BigId, Retention, TenantOwned, lifecycle, utcnow


class BotContent(TenantOwned, Base):
    """One loaded version of a tenant's content (authored text; no shopper data)."""

    __tablename__ = "bot_content"
    __table_args__ = (
        UniqueConstraint("tenant_id", "version"),
        {"info": lifecycle(Retention.TENANT, subject_export=False)},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    version: Mapped[int]
    # SHA-256 of the canonical document: loading identical content again adds no version.
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BotModel(TenantOwned, Base):
    """The intent model trained from one content version: a zip of the model directory."""

    __tablename__ = "bot_models"
    __table_args__ = {"info": lifecycle(Retention.TENANT, subject_export=False)}

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    content_version: Mapped[int] = mapped_column(primary_key=True)
    archive: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

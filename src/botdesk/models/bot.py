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


class ExampleEmbedding(TenantOwned, Base):
    """A training example's sentence embedding, by the digest of its (masked) text.

    Authored content only, never shoppers' messages. Kept so that retraining after a content
    edit, or on another node, embeds only the examples it has not seen; rows of examples the
    newest content no longer has are removed when a model is stored.
    """

    __tablename__ = "example_embeddings"
    __table_args__ = {"info": lifecycle(Retention.TENANT, subject_export=False)}

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    embedder: Mapped[str] = mapped_column(String(40), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the text, hex
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float16, little-endian
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

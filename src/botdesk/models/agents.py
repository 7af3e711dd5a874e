"""What agents work with: their presence per tenant and the tenant's canned replies."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, Retention, TenantOwned, id_column, lifecycle, utcnow


class Presence(StrEnum):
    ONLINE = "online"  # takes new conversations; counts towards the wait estimate
    AWAY = "away"  # keeps their conversations, takes no new ones
    OFFLINE = "offline"


class AgentPresence(TenantOwned, Base):
    """An agent's chosen presence in one tenant and when their console was last heard from.

    `online` only counts while the console keeps checking in (`seen_at`), so an agent whose
    laptop went to sleep does not keep promising shoppers a person.
    """

    __tablename__ = "agent_presence"
    __table_args__ = {"info": lifecycle(Retention.STAFF_ACCOUNT, subject_export=False)}

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[Presence] = mapped_column(
        Enum(
            Presence, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]
        ),
        default=Presence.OFFLINE,
    )
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CannedReply(TenantOwned, Base):
    """A tenant's prepared answer an agent inserts with its shortcut (no personal data)."""

    __tablename__ = "canned_replies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "shortcut", "language"),
        Index("ix_canned_replies_tenant_id_language", "tenant_id", "language"),
        {"info": lifecycle(Retention.TENANT, subject_export=False)},
    )

    id: Mapped[uuid.UUID] = id_column()
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

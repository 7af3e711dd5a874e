"""Tenants (merchants) and their per-tenant settings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Float, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, Retention, id_column, lifecycle, utcnow

SUPPORTED_LANGUAGES = ("fi", "sv", "nb", "en")
DEFAULT_RETENTION_DAYS = 90


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = {"info": lifecycle(Retention.TENANT, subject_export=False)}

    id: Mapped[uuid.UUID] = id_column()
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Ordered; the first is the default for a visitor whose language we cannot tell.
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"])
    # Exact origins ("https://shop.example") allowed to embed the widget.
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    retention_bot_days: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_DAYS)
    # None: conversations with an agent are kept until a deletion request.
    retention_agent_days: Mapped[int | None] = mapped_column(default=None)
    privacy_policy_url: Mapped[str | None] = mapped_column(String(500), default=None)
    widget: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Opening hours, pre-chat form and queue settings; validated by botdesk.handover.
    handover: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Share of shoppers' questions (0-1) kept, redacted and unlinked, to improve the bot.
    sample_rate: Mapped[float] = mapped_column(Float, default=0.1)
    # The shop's own public emails, phone numbers and addresses ({"emails": [...], "phones":
    # [...], "addresses": [...]}), let through when question samples are redacted; validated
    # by botdesk.pii.BusinessContacts.
    business_contacts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Staff must have TOTP two-factor set up to work in this tenant.
    require_totp: Mapped[bool] = mapped_column(default=False)
    # The tenant key, wrapped by the master key identified by master_key_id (see keys.py).
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(16))

    @property
    def default_language(self) -> str:
        return self.languages[0]

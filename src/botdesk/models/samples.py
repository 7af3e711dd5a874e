"""Shoppers' questions kept to improve the bot: redacted at ingest, with no link back.

A sample row has no conversation id, no visitor, no timestamp finer than the day and no seq, so
it cannot be joined back to a chat; its text has every detected identifier, name and address
replaced by a <TYPE> placeholder before it is stored. It holds no personal data by construction,
which is why it outlives the conversation it came from.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, BigId, Retention, TenantOwned, lifecycle


class QuestionSample(TenantOwned, Base):
    __tablename__ = "question_samples"
    __table_args__ = (
        Index("ix_question_samples_tenant_id_collected_on", "tenant_id", "collected_on"),
        {"info": lifecycle(Retention.SAMPLE, subject_export=False)},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    collected_on: Mapped[dt.date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    # What the bot made of it (None: out of scope / fallback), for finding its weak spots.
    intent: Mapped[str | None] = mapped_column(String(100), default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)

"""Leases that let exactly one node run each background job at a time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, Retention, lifecycle


class JobLease(Base):
    """Who runs a named job until when, and when it last finished.

    A node that dies mid-job leaves a lease that simply expires, and another node takes over.
    `finished_at` lets every node's scheduler agree that the job is not due again yet, so N app
    nodes run an hourly job once an hour between them, not N times.
    """

    __tablename__ = "job_leases"
    # EXPIRING: one row per job name, holding a node's identifier and times, nothing personal;
    # an expired lease is taken over in place, so the table never outgrows the job catalog.
    __table_args__ = {"info": lifecycle(Retention.EXPIRING, subject_export=False)}

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)

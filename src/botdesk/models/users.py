"""Staff accounts, their roles per tenant, and console sessions."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, Retention, id_column, lifecycle, utcnow


class Role(StrEnum):
    ADMIN = "admin"  # bot content, retention, users, widget, statistics, and agent work
    AGENT = "agent"  # queue, conversations, canned replies
    ANALYST = "analyst"  # statistics only; never transcripts


class User(Base):
    """A person on the staff. One account per person; the email is the login."""

    __tablename__ = "users"
    __table_args__ = {"info": lifecycle(Retention.STAFF_ACCOUNT, subject_export=False)}

    id: Mapped[uuid.UUID] = id_column()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_operator: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # TOTP (RFC 6238) secret sealed with a key derived from the master key; NULL: no 2FA.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # The last TOTP time step accepted, so a code cannot be replayed within its window.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Sign-in throttling: consecutive failures and the lock they earned.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)


class Membership(Base):
    """A user's role in one tenant. Rights are per tenant, never global."""

    __tablename__ = "memberships"
    __table_args__ = (
        Index("ix_memberships_user_id", "user_id"),
        {"info": lifecycle(Retention.STAFF_ACCOUNT, subject_export=False)},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StaffSession(Base):
    """A signed-in console session. Only a hash of the cookie's token is stored."""

    __tablename__ = "staff_sessions"
    __table_args__ = (
        Index("ix_staff_sessions_user_id", "user_id"),
        {"info": lifecycle(Retention.EXPIRING, subject_export=False)},
    )

    id: Mapped[uuid.UUID] = id_column()
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]

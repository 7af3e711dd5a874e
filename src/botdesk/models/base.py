"""Declarative base, column types, and the data-lifecycle registry every table must join.

Each table declares, in `__table__.info`, how long its rows live (`retention`) and whether they
belong in a data subject's export (`subject_export`). tests/test_models.py fails when a new table
forgets, so nothing personal can be added without a deletion story.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Retention(StrEnum):
    """How a table's rows end."""

    CONVERSATION = "conversation"  # erased with their conversation (bot_only / with_agent rules)
    TENANT = "tenant"  # configuration; lives as long as the tenant
    STAFF_ACCOUNT = "staff_account"  # lives as long as the staff member's account
    EXPIRING = "expiring"  # short-lived by construction (sessions), purged on expiry
    AUDIT = "audit"  # accountability record; holds identifiers only, never personal data
    SAMPLE = "sample"  # redacted, unlinkable improvement samples; kept with the tenant


def lifecycle(retention: Retention, *, subject_export: bool) -> dict[str, Any]:
    """The `info` a table carries for the registry."""
    return {"retention": retention.value, "subject_export": subject_export}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in Python on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; botdesk stores aware UTC datetimes only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


class TenantOwned:
    """Mixin for rows that belong to one tenant; access functions filter on `tenant_id`."""

    tenant_id: Mapped[uuid.UUID]


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def id_column() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=new_id)

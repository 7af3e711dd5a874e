"""A tenant's order connector, and the demo merchant's orders.

The connector's secrets (API tokens, HMAC keys) are sealed under the tenant key like messages
(keys.py, `connector_secrets_aad`), so a database dump alone does not hand out merchants'
credentials. Its health columns hold a time and a failure kind only, never a URL or a message.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import Base, Retention, TenantOwned, lifecycle, utcnow


class OrderConnector(TenantOwned, Base):
    __tablename__ = "order_connectors"
    __table_args__ = {"info": lifecycle(Retention.TENANT, subject_export=False)}

    # One connector per tenant.
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    base_url: Mapped[str] = mapped_column(String(500))
    # Non-secret settings (field mapping, auth mode), validated by orders/connectors.py.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sealed_secrets: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error_kind: Mapped[str | None] = mapped_column(String(32), default=None)


class DemoOrder(TenantOwned, Base):
    """An order in the demo merchant's own system (demo_merchant.py), as that system's JSON.

    Only `botdesk demo` writes here; the people in it are made up.
    """

    __tablename__ = "demo_orders"
    __table_args__ = {"info": lifecycle(Retention.TENANT, subject_export=False)}

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)

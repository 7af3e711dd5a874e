"""A tenant's order connector (secrets opened with the tenant key) and the demo's orders."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from botdesk.keys import connector_secrets_aad, open_sealed
from botdesk.models import DemoOrder, OrderConnector
from botdesk.orders.connectors import ConnectorConfig


def connector_row(session: Session, tenant_id: uuid.UUID) -> OrderConnector | None:
    return session.get(OrderConnector, tenant_id)


def connector_config(
    session: Session, tenant_id: uuid.UUID, tenant_key: bytes
) -> ConnectorConfig | None:
    """The tenant's connector, ready to call; None when it has none."""
    row = connector_row(session, tenant_id)
    return None if row is None else config_of(row, tenant_key)


def config_of(row: OrderConnector, tenant_key: bytes) -> ConnectorConfig:
    secrets = json.loads(
        open_sealed(tenant_key, row.sealed_secrets, connector_secrets_aad(row.tenant_id))
    )
    return ConnectorConfig.model_validate(
        {"kind": row.kind, "base_url": row.base_url, "options": row.options, "secrets": secrets}
    )


def demo_order(session: Session, tenant_id: uuid.UUID, number: str) -> dict[str, Any] | None:
    """The demo merchant's JSON for one order of the tenant it serves."""
    return session.scalar(
        select(DemoOrder.document).where(
            DemoOrder.tenant_id == tenant_id, DemoOrder.number == number
        )
    )


def demo_orders(session: Session, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(DemoOrder.document)
        .where(DemoOrder.tenant_id == tenant_id)
        .order_by(DemoOrder.number)
    )
    return list(rows)

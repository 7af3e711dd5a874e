"""Setting, removing and testing a tenant's order connector, and recording its health.

Saving seals the secrets under the tenant key, audits the kind and which settings changed
(never a value), and tells every node after the commit (`tenant.changed`), so the next look-up
uses the new connector with a fresh circuit breaker. Health is a system write (not audited):
last success, last error kind and time, at most once a minute per tenant unless the kind changes.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import update
from sqlalchemy.orm import Session

from botdesk import access
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.db import Database, publish_after_commit
from botdesk.events import tenant_changed
from botdesk.keys import connector_secrets_aad, seal
from botdesk.models import OrderConnector, Tenant, utcnow
from botdesk.orders.connectors import ConnectorConfig
from botdesk.orders.tracking import Health

HEALTH_WRITE_SECONDS = 60.0


def save_connector(
    session: Session, actor: Actor, tenant: Tenant, tenant_key: bytes, config: ConnectorConfig
) -> OrderConnector:
    """Create or replace the tenant's connector (config already validated)."""
    sealed = seal(
        tenant_key, json.dumps(dict(config.secrets)).encode(), connector_secrets_aad(tenant.id)
    )
    row = access.connector_row(session, tenant.id)
    changed: list[str] = []
    if row is None:
        row = OrderConnector(tenant_id=tenant.id, created_at=utcnow())
        session.add(row)
        changed = ["kind", "base_url", "options", "secrets"]
    else:
        old = access.config_of(row, tenant_key)
        changed = [
            name
            for name, before, after in (
                ("kind", old.kind, config.kind),
                ("base_url", old.base_url, config.base_url),
                ("options", old.options, config.options),
                ("secrets", old.secrets, config.secrets),
            )
            if before != after
        ]
    row.kind = config.kind.value
    row.base_url = config.base_url
    row.options = dict(config.options)
    row.sealed_secrets = sealed
    row.updated_at = utcnow()
    if changed:
        # A new endpoint's health starts afresh.
        row.last_success_at = row.last_error_at = row.last_error_kind = None
    record(
        session,
        actor,
        AuditAction.CONNECTOR_SAVED,
        tenant_id=tenant.id,
        target_kind="connector",
        target_id=tenant.id,
        kind=config.kind.value,
        settings=changed,
    )
    publish_after_commit(session, tenant_changed(tenant.id))
    return row


def remove_connector(session: Session, actor: Actor, tenant: Tenant) -> bool:
    row = access.connector_row(session, tenant.id)
    if row is None:
        return False
    session.delete(row)
    record(
        session,
        actor,
        AuditAction.CONNECTOR_REMOVED,
        tenant_id=tenant.id,
        target_kind="connector",
        target_id=tenant.id,
    )
    publish_after_commit(session, tenant_changed(tenant.id))
    return True


def record_connector_test(session: Session, actor: Actor, tenant: Tenant, outcome: str) -> None:
    record(
        session,
        actor,
        AuditAction.CONNECTOR_TESTED,
        tenant_id=tenant.id,
        target_kind="connector",
        target_id=tenant.id,
        outcome=outcome,
    )


class HealthRecorder:
    """Writes connector health to the database, at most once a minute per tenant and kind."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._written: dict[uuid.UUID, tuple[float, str | None]] = {}

    def due(self, tenant_id: uuid.UUID, health: Health, now: float) -> bool:
        last = self._written.get(tenant_id)
        kind = (
            health.last_error_kind
            if health.last_error_at
            and (health.last_success_at is None or health.last_error_at > health.last_success_at)
            else None
        )
        if last is not None and last[1] == kind and now - last[0] < HEALTH_WRITE_SECONDS:
            return False
        self._written[tenant_id] = (now, kind)
        return True

    def forget(self, tenant_id: uuid.UUID) -> None:
        """The connector changed: its next health is written whatever was written before."""
        self._written.pop(tenant_id, None)

    def write(self, tenant_id: uuid.UUID, health: Health) -> None:
        with self._db.write() as unit:
            unit.connection.execute(
                update(OrderConnector)
                .where(OrderConnector.tenant_id == tenant_id)
                .values(
                    last_success_at=health.last_success_at,
                    last_error_at=health.last_error_at,
                    last_error_kind=health.last_error_kind,
                )
            )

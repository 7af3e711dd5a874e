"""Storing a tenant's bot content: a new version, audited (the CLI, the demo, tests)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.content.loader import TenantContent
from botdesk.content.store import content_digest
from botdesk.models import BotContent, Tenant


def save_content(
    session: Session, actor: Actor, tenant: Tenant, content: TenantContent
) -> tuple[int, bool]:
    """Store content as the tenant's newest version; (version, whether it was new)."""
    document = content.to_document()
    digest = content_digest(document)
    latest = session.scalar(
        select(BotContent)
        .where(BotContent.tenant_id == tenant.id)
        .order_by(BotContent.version.desc())
        .limit(1)
    )
    if latest is not None and latest.digest == digest:
        return latest.version, False
    version = (latest.version if latest else 0) + 1
    session.add(BotContent(tenant_id=tenant.id, version=version, digest=digest, document=document))
    record(
        session,
        actor,
        AuditAction.BOT_CONTENT_LOADED,
        tenant_id=tenant.id,
        target_kind="bot_content",
        target_id=str(version),
        intents=len(content.intents),
    )
    return version, True

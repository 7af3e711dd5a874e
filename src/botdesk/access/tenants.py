"""Tenants: by slug or id, their allowed origins, handover policy and admin-only settings."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from botdesk.access.staff import StaffContext
from botdesk.errors import Forbidden, NotFound
from botdesk.handover import HandoverPolicy
from botdesk.models import Conversation, Role, Tenant

# Wider than the slugs botdesk creates: only keeps input PostgreSQL refuses (a NUL byte) and
# absurd lengths away from the query, which would answer "not found" anyway.
_LOOKUP_SLUG = re.compile(r"[\w-]{1,100}")


def tenant_by_slug(session: Session, slug: str) -> Tenant:
    if not _LOOKUP_SLUG.fullmatch(slug):
        raise NotFound("no such tenant")
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}" if len(slug) <= 63 else "no such tenant")
    return tenant


def tenant_by_id(session: Session, tenant_id: uuid.UUID) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("no such tenant")
    return tenant


def tenants_not_wrapped_by(session: Session, master_key_id: str) -> int:
    """How many tenants' keys were wrapped by some other master key (0 when all is well)."""
    return (
        session.scalar(
            select(func.count()).select_from(Tenant).where(Tenant.master_key_id != master_key_id)
        )
        or 0
    )


def allowed_origins_by_slug(session: Session, slug: str) -> tuple[str, list[str]] | None:
    """A tenant's slug and the sites allowed to embed its widget, or None if unknown."""
    row = session.execute(
        select(Tenant.slug, Tenant.allowed_origins).where(Tenant.slug == slug)
    ).first()
    return (row[0], list(row[1])) if row is not None else None


def allowed_origins_by_conversation(
    session: Session, conversation_id: uuid.UUID
) -> tuple[str, list[str]] | None:
    """The same, for the tenant a conversation belongs to (no token needed: no content)."""
    row = session.execute(
        select(Tenant.slug, Tenant.allowed_origins)
        .join(Conversation, Conversation.tenant_id == Tenant.id)
        .where(Conversation.id == conversation_id)
    ).first()
    return (row[0], list(row[1])) if row is not None else None


def handover_policy(tenant: Tenant) -> HandoverPolicy:
    """The tenant's parsed handover policy (an unconfigured tenant gets the defaults)."""
    return HandoverPolicy.from_config(tenant.handover)


def tenant_for_admin(staff: StaffContext) -> Tenant:
    """The tenant whose settings `staff` may change: only its admins may."""
    if staff.role is not Role.ADMIN:
        raise Forbidden("only the tenant's admins can change its settings")
    return staff.tenant

"""Canned replies: agents and admins read them, only admins change them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from botdesk.access.staff import StaffContext
from botdesk.access.tenants import tenant_for_admin
from botdesk.errors import Forbidden, NotFound
from botdesk.models import CannedReply, Role, Tenant

CANNED_REPLY_ROLES = frozenset({Role.ADMIN, Role.AGENT})


def canned_replies_for(
    session: Session, staff: StaffContext, language: str | None = None
) -> Sequence[CannedReply]:
    """The tenant's canned replies (optionally in one language), by language then shortcut."""
    if staff.role not in CANNED_REPLY_ROLES:
        raise Forbidden("your role cannot use canned replies")
    return tenant_canned_replies(session, staff.tenant, language)


def tenant_canned_replies(
    session: Session, tenant: Tenant, language: str | None = None
) -> Sequence[CannedReply]:
    """A tenant's canned replies for the operator's CLI (staff go through canned_replies_for)."""
    query = select(CannedReply).where(CannedReply.tenant_id == tenant.id)
    if language is not None:
        query = query.where(CannedReply.language == language)
    return session.scalars(query.order_by(CannedReply.language, CannedReply.shortcut)).all()


def canned_reply_by_shortcut(
    session: Session, tenant: Tenant, shortcut: str, language: str
) -> CannedReply:
    reply = session.scalar(
        select(CannedReply).where(
            CannedReply.tenant_id == tenant.id,
            CannedReply.shortcut == shortcut.strip().lower(),
            CannedReply.language == language.strip().lower(),
        )
    )
    if reply is None:
        raise NotFound(f"no canned reply {shortcut[:40]!r} in {language[:8]!r}")
    return reply


def canned_reply_for_admin(
    session: Session, staff: StaffContext, reply_id: uuid.UUID
) -> CannedReply:
    """One of the tenant's canned replies, for its admins to change or delete."""
    tenant = tenant_for_admin(staff)
    reply = session.scalar(
        select(CannedReply).where(CannedReply.tenant_id == tenant.id, CannedReply.id == reply_id)
    )
    if reply is None:
        raise NotFound("no such canned reply")
    return reply

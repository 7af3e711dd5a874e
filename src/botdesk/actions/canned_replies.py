"""A tenant's canned replies: prepared answers agents insert by shortcut.

Audit rows name the reply and its language, never its text: a reply is free text an admin
wrote, and the audit log must stay free of anything a person typed.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from botdesk.access import tenant_by_id
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.errors import Conflict, Invalid
from botdesk.models import CannedReply, Tenant

# `\w` is Unicode-aware, so "hälsning" and "kiitos" are both fine shortcuts.
SHORTCUT_PATTERN = re.compile(r"[\w-]{1,40}")
MAX_TEXT = 2000


def _clean(tenant: Tenant, shortcut: str, language: str, text: str) -> tuple[str, str, str]:
    # Lower case: an agent typing "/Returns" means the same reply as "/returns".
    shortcut = shortcut.strip().lower()
    if not SHORTCUT_PATTERN.fullmatch(shortcut):
        raise Invalid("a shortcut is 1-40 letters, digits, '-' or '_' (e.g. 'returns')")
    language = language.strip().lower()
    if language not in tenant.languages:
        raise Invalid(
            f"the language must be one of the tenant's languages: {', '.join(tenant.languages)}"
        )
    # Trailing whitespace only: leading indentation or blank lines may be deliberate.
    text = text.rstrip()
    if not text.strip() or len(text) > MAX_TEXT:
        raise Invalid(f"the reply text needs 1-{MAX_TEXT} characters")
    return shortcut, language, text


def _refuse_duplicate(
    session: Session, tenant_id: uuid.UUID, shortcut: str, language: str, but: uuid.UUID | None
) -> None:
    clash = session.scalar(
        select(CannedReply.id).where(
            CannedReply.tenant_id == tenant_id,
            CannedReply.shortcut == shortcut,
            CannedReply.language == language,
        )
    )
    if clash is not None and clash != but:
        raise Conflict(f"there is already a canned reply '{shortcut}' in {language}")


def _flush(session: Session, shortcut: str, language: str) -> None:
    # A concurrent admin may have taken the shortcut since we checked; the unique constraint
    # decides, and the caller's unit of work rolls back with this Conflict.
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"there is already a canned reply '{shortcut}' in {language}") from None


def create_canned_reply(
    session: Session, actor: Actor, tenant: Tenant, *, shortcut: str, language: str, text: str
) -> CannedReply:
    """Add a canned reply; a shortcut is unique per language within the tenant."""
    shortcut, language, text = _clean(tenant, shortcut, language, text)
    _refuse_duplicate(session, tenant.id, shortcut, language, None)
    reply = CannedReply(tenant_id=tenant.id, shortcut=shortcut, language=language, text=text)
    session.add(reply)
    _flush(session, shortcut, language)
    record(
        session,
        actor,
        AuditAction.CANNED_REPLY_CREATED,
        tenant_id=tenant.id,
        target_kind="canned_reply",
        target_id=reply.id,
        language=language,
    )
    return reply


def update_canned_reply(
    session: Session, actor: Actor, reply: CannedReply, *, shortcut: str, language: str, text: str
) -> list[str]:
    """Change a canned reply; returns the names of the fields that changed (audited)."""
    tenant = tenant_by_id(session, reply.tenant_id)
    shortcut, language, text = _clean(tenant, shortcut, language, text)
    _refuse_duplicate(session, tenant.id, shortcut, language, reply.id)
    changed = [
        name
        for name, old, new in (
            ("shortcut", reply.shortcut, shortcut),
            ("language", reply.language, language),
            ("text", reply.text, text),
        )
        if old != new
    ]
    if changed:
        reply.shortcut, reply.language, reply.text = shortcut, language, text
        _flush(session, shortcut, language)
        record(
            session,
            actor,
            AuditAction.CANNED_REPLY_UPDATED,
            tenant_id=tenant.id,
            target_kind="canned_reply",
            target_id=reply.id,
            language=language,
            fields=changed,
        )
    return changed


def delete_canned_reply(session: Session, actor: Actor, reply: CannedReply) -> None:
    """Remove a canned reply for good (it holds no conversation data, so nothing else goes)."""
    session.delete(reply)
    record(
        session,
        actor,
        AuditAction.CANNED_REPLY_DELETED,
        tenant_id=reply.tenant_id,
        target_kind="canned_reply",
        target_id=reply.id,
        language=reply.language,
    )

"""Data-subject requests: index, find, export, rectify, restrict and erase a person's data.

Every request is made through a `SubjectScope` (a tenant and who acts for it): the console
builds one for a tenant admin only, the CLI for the operator. Audit rows name the kind of
identifier, conversation ids and counts, never the identifier itself, so the audit log does not
become the plaintext index the blind index exists to avoid.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from botdesk import access
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.erasure import erase_conversation
from botdesk.errors import Invalid
from botdesk.models import Conversation, SubjectKey, Tenant, utcnow
from botdesk.runtime import Runtime
from botdesk.subjects import (
    NotASubjectValue,
    SubjectKind,
    digest,
    index_key,
    normalise,
    phone_regions,
)
from botdesk.transcripts import ConversationCipher, decrypt_all

EXPORT_SCHEMA = "botdesk.subject-export/v1"
RECTIFIABLE = frozenset({"email", "order_number", "topic", "message"})
# Form fields that are also identifiers a subject can be found by.
FORM_KINDS = {"email": SubjectKind.EMAIL, "order_number": SubjectKind.ORDER_NUMBER}


@dataclass(frozen=True)
class SubjectScope:
    """The tenant a request is about and who makes it."""

    tenant: Tenant
    actor: Actor


def scope_for_staff(staff: access.StaffContext) -> SubjectScope:
    """A tenant admin's scope; Forbidden for agents and analysts."""
    return SubjectScope(access.tenant_for_admin(staff), Actor.staff(staff.user.id))


def scope_for_operator(tenant: Tenant) -> SubjectScope:
    return SubjectScope(tenant, Actor.operator())


def index_values(
    session: Session,
    runtime: Runtime,
    tenant: Tenant,
    conversation_id: uuid.UUID,
    pairs: Iterable[tuple[SubjectKind, str]],
) -> int:
    """Add blind-index keys for (kind, value) pairs not yet indexed; returns how many were added.

    Values that do not normalise (a phone number no region reads) are skipped: the index is a
    finding aid, and a value we cannot read the same way twice could never be found anyway.
    """
    regions = phone_regions(tenant, runtime.entity_patterns_for(tenant).phone_regions)
    key = index_key(runtime.keyring, tenant)
    known = access.subject_digests(session, tenant.id, conversation_id)
    added = 0
    for kind, value in pairs:
        try:
            item = (kind.value, digest(key, kind, normalise(kind, value, regions)))
        except NotASubjectValue:
            continue
        if item in known:
            continue
        known.add(item)
        session.add(
            SubjectKey(
                tenant_id=tenant.id, conversation_id=conversation_id, kind=item[0], digest=item[1]
            )
        )
        added += 1
    return added


def _lookup(
    session: Session, runtime: Runtime, scope: SubjectScope, kind: SubjectKind, value: str
) -> list[Conversation]:
    tenant = scope.tenant
    regions = phone_regions(tenant, runtime.entity_patterns_for(tenant).phone_regions)
    try:
        normalised = normalise(kind, value, regions)
    except NotASubjectValue as exc:
        raise Invalid(str(exc)) from None
    wanted = digest(index_key(runtime.keyring, tenant), kind, normalised)
    return list(access.conversations_by_subject(session, tenant, kind.value, wanted))


def _ids(conversations: Iterable[Conversation]) -> list[str]:
    return [str(c.id) for c in conversations]


def find_subject(
    runtime: Runtime, scope: SubjectScope, kind: SubjectKind, value: str
) -> list[Conversation]:
    """The tenant's conversations indexed under this email, phone or order number (metadata)."""
    with runtime.db.session() as session:
        found = _lookup(session, runtime, scope, kind, value)
        record(
            session,
            scope.actor,
            AuditAction.SUBJECT_FOUND,
            tenant_id=scope.tenant.id,
            kind=kind.value,
            conversations=len(found),
        )
        return found


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _conversation_bundle(
    session: Session, runtime: Runtime, tenant: Tenant, conversation: Conversation
) -> dict[str, Any]:
    cipher = ConversationCipher(runtime.keyring, tenant, conversation)
    rows = access.messages_after(session, conversation, 0, conversation.last_seq)
    return {
        "id": str(conversation.id),
        "status": conversation.status.value,
        "language": conversation.language,
        "created_at": _iso(conversation.created_at),
        "last_activity_at": _iso(conversation.last_activity_at),
        "closed_at": _iso(conversation.closed_at),
        "retention_class": conversation.retention_class.value,
        "restricted": conversation.restricted,
        "form": cipher.open_form(conversation.form_data),
        "messages": [
            {
                "seq": m.seq,
                "sender": m.sender.value,
                "author": m.content.author,
                "text": m.content.text,
                "created_at": _iso(m.created_at),
            }
            for m in decrypt_all(cipher, rows)
        ],
        "notes": [
            {"text": cipher.open_note(note.body), "created_at": _iso(note.created_at)}
            for note in access.conversation_notes(session, conversation)
        ],
        "csat": conversation.csat,
        "outcome": conversation.outcome,
    }


def export_subject(
    runtime: Runtime, scope: SubjectScope, kind: SubjectKind, value: str
) -> dict[str, Any]:
    """The subject's data as a JSON-ready bundle (schema in docs/privacy.md); audited."""
    with runtime.db.session() as session:
        found = _lookup(session, runtime, scope, kind, value)
        bundle = {
            "schema": EXPORT_SCHEMA,
            "generated_at": utcnow().isoformat(),
            "tenant": scope.tenant.slug,
            # The kind only: the value is what the requester already knows, and a bundle
            # forwarded onwards should not carry the search term twice.
            "query": {"kind": kind.value},
            "conversations": [
                _conversation_bundle(session, runtime, scope.tenant, c) for c in found
            ],
        }
        record(
            session,
            scope.actor,
            AuditAction.SUBJECT_EXPORTED,
            tenant_id=scope.tenant.id,
            kind=kind.value,
            conversations=len(found),
            conversation_ids=_ids(found),
        )
        return bundle


def _set_restricted(
    runtime: Runtime, scope: SubjectScope, kind: SubjectKind, value: str, restricted: bool
) -> list[uuid.UUID]:
    with runtime.db.session() as session:
        found = _lookup(session, runtime, scope, kind, value)
        for conversation in found:
            conversation.restricted = restricted
        record(
            session,
            scope.actor,
            AuditAction.SUBJECT_RESTRICTED if restricted else AuditAction.SUBJECT_UNRESTRICTED,
            tenant_id=scope.tenant.id,
            kind=kind.value,
            conversations=len(found),
            conversation_ids=_ids(found),
        )
        return [c.id for c in found]


def restrict_subject(
    runtime: Runtime, scope: SubjectScope, kind: SubjectKind, value: str
) -> list[uuid.UUID]:
    """Restrict processing: the subject's conversations leave samples and statistics."""
    return _set_restricted(runtime, scope, kind, value, True)


def unrestrict_subject(
    runtime: Runtime, scope: SubjectScope, kind: SubjectKind, value: str
) -> list[uuid.UUID]:
    """Lift a restriction (the subject withdrew their objection)."""
    return _set_restricted(runtime, scope, kind, value, False)


def rectify_form(
    runtime: Runtime, scope: SubjectScope, conversation_id: uuid.UUID, name: str, value: str
) -> None:
    """Correct one field of a conversation's form data and re-seal it.

    The corrected email or order number is indexed too. The old one's key stays: the form
    may not be the only place it came from (the shopper may have typed it in a message, which
    is not rewritten), and a stale key only makes a search find too much, never too little.
    """
    if name not in RECTIFIABLE:
        raise Invalid(f"only {', '.join(sorted(RECTIFIABLE))} can be corrected")
    value = value.strip()
    with runtime.db.session() as session:
        conversation = access.conversation_of_tenant(session, scope.tenant, conversation_id)
        cipher = ConversationCipher(runtime.keyring, scope.tenant, conversation)
        form = cipher.open_form(conversation.form_data)
        if value:
            form[name] = value
        else:
            form.pop(name, None)
        conversation.form_data = cipher.seal_form(form)
        if name in FORM_KINDS and value:
            index_values(
                session, runtime, scope.tenant, conversation.id, [(FORM_KINDS[name], value)]
            )
        record(
            session,
            scope.actor,
            AuditAction.SUBJECT_RECTIFIED,
            tenant_id=scope.tenant.id,
            target_kind="conversation",
            target_id=conversation.id,
            field=name,
        )


def erase_subject(
    runtime: Runtime, scope: SubjectScope, kind: SubjectKind, value: str
) -> list[uuid.UUID]:
    """Erase every conversation found, each through the shopper's own erasure path."""
    with runtime.db.session() as session:
        found = [c.id for c in _lookup(session, runtime, scope, kind, value)]
        record(
            session,
            scope.actor,
            AuditAction.SUBJECT_ERASE_REQUESTED,
            tenant_id=scope.tenant.id,
            kind=kind.value,
            conversations=len(found),
            conversation_ids=[str(i) for i in found],
        )
    # Erasure commits twice per conversation (shred, then delete); our session is closed first
    # so SQLite's single writer is free for it.
    for conversation_id in found:
        erase_conversation(
            runtime, scope.actor, scope.tenant.id, conversation_id, reason="subject_request"
        )
    return found

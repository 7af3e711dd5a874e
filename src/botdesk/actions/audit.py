"""Writing the audit log. Every named action calls `record` in its own transaction.

`record` only adds the row: it takes no lock and reads no chain head, so audited writes never
wait for one another. The row is linked into its tenant's hash chain after the commit, by the
node's sealer (actions/audit_chain.py, whose header explains the design).

`AuditAction` is the catalogue of action names (documented in docs/audit.md); the stored
strings are its values and never change, since existing rows and queries rely on them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from botdesk.db import note_audited
from botdesk.models import OPERATOR_CHAIN, ActorKind, AuditEntry


class AuditAction(StrEnum):
    """Every action name the audit log holds, one per kind of event."""

    # Tenants (operator CLI and the admin's settings page)
    TENANT_CREATED = "tenant.created"
    """A tenant was created, with its own wrapped key."""
    TENANT_CONFIGURED = "tenant.configured"
    """Tenant settings changed (which ones, never their values)."""
    TENANT_HANDOVER_CONFIGURED = "tenant.handover_configured"
    """The handover policy changed (which keys)."""
    TENANT_SAMPLE_RATE_SET = "tenant.sample_rate_set"
    """The share of questions kept as samples changed."""
    TENANT_KEY_REWRAPPED = "tenant.key_rewrapped"
    """Master-key rotation re-wrapped a tenant key."""
    CONNECTOR_SAVED = "connector.saved"
    """The order connector was set or changed (its kind and which settings; no secrets)."""
    CONNECTOR_REMOVED = "connector.removed"
    """The order connector was removed."""
    CONNECTOR_TESTED = "connector.tested"
    """A connection test was run (its outcome kind)."""

    # Staff accounts, sign-in and two-factor
    USER_CREATED = "user.created"
    """A staff account was created."""
    USER_ROLE_GRANTED = "user.role_granted"
    """A staff member was given a role in a tenant."""
    USER_ROLE_REVOKED = "user.role_revoked"
    """A staff member's role in a tenant was removed (their live sockets there closed)."""
    USER_DISABLED = "user.disabled"
    """A staff account was disabled (every session ended)."""
    USER_ENABLED = "user.enabled"
    """A disabled staff account may sign in again."""
    STAFF_SIGNED_IN = "staff.signed_in"
    """A console session was opened."""
    STAFF_SIGNED_OUT = "staff.signed_out"
    """A console session was ended by its user."""
    STAFF_SIGN_IN_FAILED = "staff.sign_in_failed"
    """A wrong password or code at sign-in."""
    STAFF_REAUTHENTICATION_FAILED = "staff.reauthentication_failed"
    """A signed-in user gave a wrong password or code."""
    STAFF_LOCKED = "staff.locked"
    """An account was locked after repeated failures."""
    STAFF_PASSWORD_CHANGED = "staff.password_changed"  # noqa: S105 (a name, not a secret)
    """A user changed their password (other sessions ended)."""
    STAFF_TOTP_SETUP_STARTED = "staff.totp_setup_started"
    """A user started setting up two-factor sign-in."""
    STAFF_TOTP_ENABLED = "staff.totp_enabled"
    """A user switched two-factor sign-in on."""
    STAFF_TOTP_DISABLED = "staff.totp_disabled"
    """A user switched two-factor sign-in off."""
    STAFF_TOTP_RESET = "staff.totp_reset"
    """The operator reset a user's two-factor (lost phone)."""
    STAFF_TOTP_RESEALED = "staff.totp_resealed"
    """Master-key rotation re-sealed the TOTP secrets."""

    # Conversations (the shopper's side and the console's)
    CONVERSATION_STARTED = "conversation.started"
    """A shopper opened a conversation."""
    CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
    """A conversation moved to another status."""
    CONVERSATION_ACCEPTED = "conversation.accepted"
    """An agent took a queued conversation, or an offline message into a live chat."""
    CONVERSATION_AGENT_REPLIED = "conversation.agent_replied"
    """An agent wrote to the shopper."""
    CONVERSATION_NOTE_ADDED = "conversation.note_added"
    """An agent added an internal note."""
    CONVERSATION_TRANSFERRED = "conversation.transferred"
    """A live conversation was handed to a colleague."""
    CONVERSATION_CLOSED = "conversation.closed"
    """A conversation was closed with an outcome: by an agent, or by the system (abandoned/idle)."""
    CONVERSATION_ANSWERED_BY_EMAIL = "conversation.answered_by_email"
    """An agent answered an offline message by email."""
    CONVERSATION_RATED = "conversation.rated"
    """The shopper rated the conversation (CSAT)."""
    TRANSCRIPT_READ = "transcript.read"
    """A staff member opened a transcript."""
    TRANSCRIPT_EMAILED = "transcript.emailed"
    """A transcript was mailed to the shopper."""
    CONVERSATIONS_SEARCHED = "conversations.searched"
    """Staff searched the desk's recent conversations by an email, phone or order number."""
    AGENT_PRESENCE_CHANGED = "agent.presence_changed"
    """An agent went online, away or offline."""

    # Canned replies and bot content
    CANNED_REPLY_CREATED = "canned_reply.created"
    """An admin added a canned reply."""
    CANNED_REPLY_UPDATED = "canned_reply.updated"
    """An admin changed a canned reply (which fields)."""
    CANNED_REPLY_DELETED = "canned_reply.deleted"
    """An admin deleted a canned reply."""
    BOT_CONTENT_LOADED = "bot_content.loaded"
    """A new version of the tenant's bot content was stored."""

    # Erasure and retention
    CONVERSATION_KEY_DESTROYED = "conversation.key_destroyed"
    """Erasure step 1: the conversation's data key is gone."""
    CONVERSATION_ERASED = "conversation.erased"
    """Erasure step 2: its rows were deleted (the receipt)."""
    RETENTION_KEYS_DESTROYED = "retention.keys_destroyed"
    """A retention batch destroyed expired conversations' keys."""
    RETENTION_PURGED = "retention.purged"
    """A retention batch deleted expired rows."""

    # Data-subject requests
    SUBJECT_FOUND = "subject.found"
    """An admin or the operator searched for a data subject."""
    SUBJECT_EXPORTED = "subject.exported"
    """A data subject's conversations were exported."""
    SUBJECT_RESTRICTED = "subject.restricted"
    """Processing of a subject's conversations was restricted."""
    SUBJECT_UNRESTRICTED = "subject.unrestricted"
    """A restriction was lifted."""
    SUBJECT_RECTIFIED = "subject.rectified"
    """One field of a conversation's form data was corrected."""
    SUBJECT_ERASE_REQUESTED = "subject.erase_requested"
    """Erasure of everything found for a subject was requested."""

    # Improvement samples
    SAMPLES_EXPORTED = "samples.exported"
    """The operator exported a tenant's redacted question samples (how many, from when)."""

    # The audit log itself
    AUDIT_PURGED = "audit.purged"
    """Retention deleted the oldest audit rows behind a signed checkpoint (count, last seq)."""
    AUDIT_CHAINS_RESIGNED = "audit.chains_resigned"
    """Master-key rotation re-signed the chains' heads and checkpoints."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff member, a visitor (via their conversation), the operator, a job."""

    kind: ActorKind
    id: uuid.UUID | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM)

    @classmethod
    def operator(cls, user_id: uuid.UUID | None = None) -> Actor:
        return cls(ActorKind.OPERATOR, user_id)

    @classmethod
    def visitor(cls) -> Actor:
        # Visitors are anonymous; the conversation they act on is the audit target.
        return cls(ActorKind.VISITOR)

    @classmethod
    def staff(cls, user_id: uuid.UUID) -> Actor:
        return cls(ActorKind.STAFF, user_id)


# Detail values must be identifiers, counts, enums or booleans (or lists of them): never free
# text a person wrote.
_ALLOWED_DETAIL_TYPES = (int, float, bool, type(None))


def record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    *,
    tenant_id: uuid.UUID | None,
    target_kind: str | None = None,
    target_id: uuid.UUID | str | None = None,
    **details: Any,
) -> None:
    """Add an audit row to the current transaction."""
    for key, value in details.items():
        values = value if isinstance(value, list) else [value]
        ok = all(
            isinstance(v, _ALLOWED_DETAIL_TYPES)
            or (isinstance(v, str) and len(v) <= 64 and "@" not in v)
            for v in values
        )
        if not ok:
            # A programming error, caught by tests: audit details must stay free of personal data.
            raise ValueError(f"audit detail {key!r} must be a short identifier, not {type(value)}")
    note_audited(session, tenant_id or OPERATOR_CHAIN)
    session.add(
        AuditEntry(
            tenant_id=tenant_id,
            actor_kind=actor.kind,
            actor_id=actor.id,
            # The plain string, whatever the database driver makes of enums.
            action=action.value,
            target_kind=target_kind,
            target_id=str(target_id) if target_id is not None else None,
            details=details,
        )
    )

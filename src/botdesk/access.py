"""The only way routes load tenant-owned rows. Every function here scopes by tenant.

Routes never query models directly: a forgotten `tenant_id` filter is how one merchant ends up
reading another's chats, so the filter lives here, once, and tests try every path cross-tenant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from botdesk.errors import Forbidden, NotFound
from botdesk.handover import HandoverPolicy
from botdesk.models import (
    CannedReply,
    Conversation,
    ConversationStatus,
    Membership,
    Message,
    Note,
    QuestionSample,
    Role,
    SenderKind,
    SubjectKey,
    Tenant,
    User,
)

if TYPE_CHECKING:
    from sqlalchemy import Row

    # seq, sender_kind, body (sealed), created_at, reply_to_seq
    SealedRow = Row[int, SenderKind, bytes, dt.datetime, int | None]

# Same answer for "no such conversation" and "wrong token": a visitor cannot probe ids.
_NO_CONVERSATION = "conversation not found"
TRANSCRIPT_ROLES = frozenset({Role.ADMIN, Role.AGENT})


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def tenant_by_slug(session: Session, slug: str) -> Tenant:
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


def conversation_for_visitor(
    session: Session, conversation_id: uuid.UUID, token: str
) -> Conversation:
    """The conversation the visitor's token opens, or NotFound (never saying which was wrong)."""
    conversation = session.scalar(select(Conversation).where(Conversation.id == conversation_id))
    if conversation is None or not hmac.compare_digest(
        conversation.visitor_token_hash, token_hash(token)
    ):
        raise NotFound(_NO_CONVERSATION)
    return conversation


def messages_after(
    session: Session, conversation: Conversation, after_seq: int, limit: int
) -> Sequence[Message]:
    return session.scalars(
        select(Message)
        .where(
            Message.tenant_id == conversation.tenant_id,
            Message.conversation_id == conversation.id,
            Message.seq > after_seq,
        )
        .order_by(Message.seq)
        .limit(limit)
    ).all()


def message_by_client_id(
    session: Session, conversation: Conversation, client_message_id: str
) -> Message | None:
    return session.scalar(
        select(Message).where(
            Message.tenant_id == conversation.tenant_id,
            Message.conversation_id == conversation.id,
            Message.client_message_id == client_message_id,
        )
    )


def replies_to(session: Session, conversation: Conversation, seq: int) -> Sequence[Message]:
    return session.scalars(
        select(Message)
        .where(
            Message.tenant_id == conversation.tenant_id,
            Message.conversation_id == conversation.id,
            Message.reply_to_seq == seq,
        )
        .order_by(Message.seq)
    ).all()


@dataclass(frozen=True)
class StaffContext:
    """A signed-in staff member acting within one tenant, with their role there."""

    user: User
    tenant: Tenant
    role: Role


def staff_tenants(session: Session, user: User) -> Sequence[tuple[Tenant, Role]]:
    rows = session.execute(
        select(Tenant, Membership.role)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user.id)
        .order_by(Tenant.name)
    ).all()
    return [(tenant, role) for tenant, role in rows]


TOTP_REQUIRED = "This shop requires two-factor sign-in. Set it up under Account."


def staff_context(session: Session, user: User, tenant_slug: str | None) -> StaffContext:
    """The user's context in `tenant_slug` (or their first tenant); Forbidden if not a member.

    Also Forbidden while the tenant requires TOTP and the user has not switched it on: every
    console page and the agent API come through here, so the rule is enforced in one place.
    """
    memberships = staff_tenants(session, user)
    for tenant, role in memberships:
        if tenant_slug is None or tenant.slug == tenant_slug:
            if tenant.require_totp and user.totp_enabled_at is None:
                raise Forbidden(TOTP_REQUIRED)
            return StaffContext(user, tenant, role)
    raise Forbidden("you have no role in this tenant")


def conversations_for_staff(
    session: Session, staff: StaffContext, limit: int = 100
) -> Sequence[Conversation]:
    _require_transcript_role(staff)
    return session.scalars(
        select(Conversation)
        .where(Conversation.tenant_id == staff.tenant.id)
        .order_by(Conversation.last_activity_at.desc())
        .limit(limit)
    ).all()


def conversation_for_staff(
    session: Session, staff: StaffContext, conversation_id: uuid.UUID
) -> Conversation:
    _require_transcript_role(staff)
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.tenant_id == staff.tenant.id, Conversation.id == conversation_id
        )
    )
    if conversation is None:
        raise NotFound(_NO_CONVERSATION)
    return conversation


def status_counts(session: Session, staff: StaffContext) -> dict[ConversationStatus, int]:
    """How many of the tenant's conversations are in each status (no content; every role).

    These are the figures analysts see, so restricted conversations are left out of them.
    """
    rows = session.execute(
        select(Conversation.status, func.count())
        .where(Conversation.tenant_id == staff.tenant.id, Conversation.restricted.is_(False))
        .group_by(Conversation.status)
    ).all()
    return {status: count for status, count in rows}


def _require_transcript_role(staff: StaffContext) -> None:
    if staff.role not in TRANSCRIPT_ROLES:
        raise Forbidden("your role cannot read conversations")


def require_agent(staff: StaffContext) -> None:
    """Agents and admins work conversations; analysts never do."""
    _require_transcript_role(staff)


def notes_for(session: Session, staff: StaffContext, conversation: Conversation) -> Sequence[Note]:
    """A conversation's internal notes, oldest first (staff only; never the visitor)."""
    _require_transcript_role(staff)
    return session.scalars(
        select(Note)
        .where(Note.tenant_id == staff.tenant.id, Note.conversation_id == conversation.id)
        .order_by(Note.id)
    ).all()


def tenant_staff(session: Session, staff: StaffContext) -> Sequence[tuple[User, Role]]:
    """Everyone with a role in the staff member's tenant (names for notes and transfers)."""
    rows = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == staff.tenant.id)
        .order_by(User.display_name)
    ).all()
    return [(user, role) for user, role in rows]


# Canned replies and tenant settings (the console's settings and canned-reply pages).
CANNED_REPLY_ROLES = frozenset({Role.ADMIN, Role.AGENT})


def handover_policy(tenant: Tenant) -> HandoverPolicy:
    """The tenant's parsed handover policy (an unconfigured tenant gets the defaults)."""
    return HandoverPolicy.from_config(tenant.handover)


def tenant_for_admin(staff: StaffContext) -> Tenant:
    """The tenant whose settings `staff` may change: only its admins may."""
    if staff.role is not Role.ADMIN:
        raise Forbidden("only the tenant's admins can change its settings")
    return staff.tenant


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


def question_samples(
    session: Session, tenant_id: uuid.UUID, since: dt.date | None = None
) -> Sequence[QuestionSample]:
    """A tenant's improvement samples, oldest first (redacted; no personal data)."""
    query = select(QuestionSample).where(QuestionSample.tenant_id == tenant_id)
    if since is not None:
        query = query.where(QuestionSample.collected_on >= since)
    return session.scalars(query.order_by(QuestionSample.collected_on, QuestionSample.id)).all()


# Data-subject requests: the blind index (see botdesk.subjects) and what it points at.


def conversations_by_subject(
    session: Session, tenant: Tenant, kind: str, digest: bytes
) -> Sequence[Conversation]:
    """The tenant's live conversations indexed under one digest, oldest first.

    Shredded conversations (key gone, rows about to be deleted) are left out: nothing of
    theirs can be read or exported any more.
    """
    return session.scalars(
        select(Conversation)
        .join(SubjectKey, SubjectKey.conversation_id == Conversation.id)
        .where(
            SubjectKey.tenant_id == tenant.id,
            SubjectKey.kind == kind,
            SubjectKey.digest == digest,
            Conversation.tenant_id == tenant.id,
            Conversation.wrapped_key.is_not(None),
        )
        .order_by(Conversation.created_at, Conversation.id)
        .distinct()
    ).all()


def subject_digests(
    session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID
) -> set[tuple[str, bytes]]:
    """The (kind, digest) pairs already indexed for a conversation."""
    rows = session.execute(
        select(SubjectKey.kind, SubjectKey.digest).where(
            SubjectKey.tenant_id == tenant_id,
            SubjectKey.conversation_id == conversation_id,
        )
    ).all()
    return {(kind, digest) for kind, digest in rows}


def conversation_notes(session: Session, conversation: Conversation) -> Sequence[Note]:
    """A conversation's notes for its data subject's export (callers check the requester)."""
    return session.scalars(
        select(Note)
        .where(Note.tenant_id == conversation.tenant_id, Note.conversation_id == conversation.id)
        .order_by(Note.id)
    ).all()


def conversation_of_tenant(
    session: Session, tenant: Tenant, conversation_id: uuid.UUID
) -> Conversation:
    """One of the tenant's conversations, for a request already scoped to that tenant."""
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.tenant_id == tenant.id, Conversation.id == conversation_id
        )
    )
    if conversation is None:
        raise NotFound(_NO_CONVERSATION)
    return conversation


# The visitor's hot path: plain rows, no ORM objects, one query each (see actions/messages.py).


@dataclass(frozen=True)
class VisitorConversation:
    """What a visitor's message needs of the conversation their token opens."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    status: ConversationStatus
    language: str
    last_seq: int
    wrapped_key: bytes | None
    bot_state: bytes | None
    restricted: bool


def visitor_conversation(
    session: Session, conversation_id: uuid.UUID, token: str
) -> VisitorConversation:
    """`conversation_for_visitor` as a plain row: NotFound for an unknown id or a wrong token."""
    row = session.execute(
        select(
            Conversation.tenant_id,
            Conversation.visitor_token_hash,
            Conversation.status,
            Conversation.language,
            Conversation.last_seq,
            Conversation.wrapped_key,
            Conversation.bot_state,
            Conversation.restricted,
        ).where(Conversation.id == conversation_id)
    ).first()
    if row is None or not hmac.compare_digest(row.visitor_token_hash, token_hash(token)):
        raise NotFound(_NO_CONVERSATION)
    return VisitorConversation(
        conversation_id,
        row.tenant_id,
        row.status,
        row.language,
        row.last_seq,
        row.wrapped_key,
        row.bot_state,
        row.restricted,
    )


def sealed_messages(
    session: Session,
    tenant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    *,
    after_seq: int = 0,
    limit: int = 100,
    reply_to_seq: int | None = None,
) -> Sequence[SealedRow]:
    """A conversation's stored messages as rows (seq order), still sealed."""
    query = select(
        Message.seq,
        Message.sender_kind,
        Message.body,
        Message.created_at,
        Message.reply_to_seq,
    ).where(
        Message.tenant_id == tenant_id,
        Message.conversation_id == conversation_id,
        Message.seq > after_seq,
    )
    if reply_to_seq is not None:
        query = query.where(Message.reply_to_seq == reply_to_seq)
    return session.execute(query.order_by(Message.seq).limit(limit)).all()


def sealed_message_by_client_id(
    session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID, client_message_id: str
) -> SealedRow | None:
    return session.execute(
        select(
            Message.seq,
            Message.sender_kind,
            Message.body,
            Message.created_at,
            Message.reply_to_seq,
        ).where(
            Message.tenant_id == tenant_id,
            Message.conversation_id == conversation_id,
            Message.client_message_id == client_message_id,
        )
    ).first()

"""Taking access away from staff: a role revoked in one tenant, an account disabled or enabled.

Each change commits with its audit row and then tells that person's console sockets, on every
node (through the event broker), to check their session again: a revoked agent stops seeing the
tenant's live events at once, not at the next ping. A disabled account's sessions are deleted
too, so nothing it held keeps working, and `session_user` refuses it while `disabled_at` is set.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.db import publish_after_commit
from botdesk.errors import NotFound
from botdesk.events import staff_access_changed
from botdesk.models import Membership, Role, StaffSession, Tenant, User, utcnow


def revoke_role(session: Session, actor: Actor, *, tenant: Tenant, user: User) -> Role:
    """Remove `user`'s role in `tenant` and return it; NotFound if they had none there."""
    membership = session.get(Membership, (tenant.id, user.id))
    if membership is None:
        raise NotFound("that person has no role in this tenant")
    role = membership.role
    session.delete(membership)
    record(
        session,
        actor,
        AuditAction.USER_ROLE_REVOKED,
        tenant_id=tenant.id,
        target_kind="user",
        target_id=user.id,
        role=role.value,
    )
    publish_after_commit(session, staff_access_changed(user.id, tenant.id))
    return role


def disable_user(session: Session, actor: Actor, user: User) -> int:
    """Disable the account and end every session it has; returns how many ended."""
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    result = session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    ended = int(getattr(result, "rowcount", 0) or 0)
    record(
        session,
        actor,
        AuditAction.USER_DISABLED,
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
        sessions_ended=ended,
    )
    publish_after_commit(session, staff_access_changed(user.id))
    return ended


def enable_user(session: Session, actor: Actor, user: User) -> None:
    """Let a disabled account sign in again (its roles were kept)."""
    user.disabled_at = None
    record(
        session,
        actor,
        AuditAction.USER_ENABLED,
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
    )

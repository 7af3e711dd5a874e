"""Staff accounts: creation, roles, console sign-in and sign-out."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, record
from botdesk.errors import Conflict, Invalid
from botdesk.models import Membership, Role, StaffSession, Tenant, User, utcnow
from botdesk.passwords import WeakPassword, hash_password, needs_rehash, verify_password

# Deliberately loose: the real check is that mail arrives; this only catches typos.
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,63}$")


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_PATTERN.fullmatch(email):
        raise Invalid("that does not look like an email address")
    return email


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    display_name: str,
    password: str,
    tenant: Tenant | None = None,
    role: Role | None = None,
) -> User:
    """Create a staff account, optionally with a role in one tenant."""
    email = normalise_email(email)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 100:
        raise Invalid("a display name needs 1-100 characters")
    try:
        password_hash = hash_password(password)
    except WeakPassword as exc:
        raise Invalid(str(exc)) from None
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("a user with that email already exists")
    user = User(email=email, display_name=display_name, password_hash=password_hash)
    session.add(user)
    session.flush()
    record(
        session,
        actor,
        "user.created",
        tenant_id=tenant.id if tenant else None,
        target_kind="user",
        target_id=user.id,
    )
    if tenant is not None and role is not None:
        grant_role(session, actor, tenant=tenant, user=user, role=role)
    return user


def grant_role(session: Session, actor: Actor, *, tenant: Tenant, user: User, role: Role) -> None:
    """Give `user` `role` in `tenant`, replacing any role they had there."""
    membership = session.get(Membership, (tenant.id, user.id))
    if membership is None:
        session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=role))
    else:
        membership.role = role
    record(
        session,
        actor,
        "user.role_granted",
        tenant_id=tenant.id,
        target_kind="user",
        target_id=user.id,
        role=role.value,
    )


def sign_in(
    session: Session, *, email: str, password: str, lifetime: dt.timedelta
) -> tuple[User, str] | None:
    """Check credentials and open a console session: (user, cookie token), or None if refused.

    A refusal returns instead of raising so that its audit row commits with the transaction.
    """
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled_at is not None:
        # The email is not recorded: a failed sign-in may carry someone's typo of their address.
        record(
            session,
            Actor.visitor() if user is None else Actor.staff(user.id),
            "staff.sign_in_failed",
            tenant_id=None,
            target_kind="user",
            target_id=user.id if user else None,
        )
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        StaffSession(
            token_hash=_hash(token), user_id=user.id, created_at=now, expires_at=now + lifetime
        )
    )
    record(
        session,
        Actor.staff(user.id),
        "staff.signed_in",
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
    )
    return user, token


def session_user(session: Session, token: str) -> User | None:
    """The user a console session token belongs to, if the session is live."""
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.disabled_at is None else None


def sign_out(session: Session, token: str) -> None:
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    if row is not None:
        record(
            session,
            Actor.staff(row.user_id),
            "staff.signed_out",
            tenant_id=None,
            target_kind="user",
            target_id=row.user_id,
        )
        session.execute(delete(StaffSession).where(StaffSession.id == row.id))


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()

"""Staff accounts: creation, roles, console sign-in (password, then TOTP code) and sign-out.

Sign-in design:
- Wrong password, unknown email and locked account get the same answer, and each costs one
  argon2 verification, so neither the answer nor its timing says whether an account exists.
  Failures count towards the account's lock (actions/lockout.py). A correct password alone does
  not reset the count, only a full sign-in does: else anyone holding the password could guess
  codes forever, five at a time.
- With TOTP on, a correct password opens no session: it creates a pending second-factor row in
  staff_sessions (5 minutes, single use) whose token is hashed under a different label than
  session tokens, so `session_user` can never match it. A server-side row, rather than a signed
  cookie, lets a used or abandoned step be revoked at once on every node, and the expired-session
  purge already removes stale ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.lockout import Refused, failed_check, lock_remaining, locked, note_failure
from botdesk.actions.two_factor import spend_step
from botdesk.db import publish_after_commit
from botdesk.errors import Conflict, Invalid
from botdesk.events import staff_access_changed
from botdesk.keys import KeyRing
from botdesk.models import Membership, Role, StaffSession, Tenant, User, utcnow
from botdesk.passwords import (
    WeakPassword,
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from botdesk.two_factor import accepted_step

# Deliberately loose: the real check is that mail arrives; this only catches typos. Spaces are
# spelled out, not `\s`: the API document carries this pattern (api/schemas.py), and regex
# dialects disagree on what `\s` is (Python's has \x1c-\x1f, JavaScript's has U+FEFF).
SPACES = r" \t\n\r\f\v"  # inside a regex character class
_PART = rf"[^@{SPACES}]"
# No domain literals ("a@[192.0.2.1]"): no shopper writes one, and mail headers choke on them.
_DOMAIN = rf"[^@\[\]{SPACES}]"
EMAIL_PATTERN = re.compile(rf"^{_PART}{{1,64}}@{_DOMAIN}{{1,189}}\.{_DOMAIN}{{2,63}}$")


def normalise_email(email: str) -> str:
    email = email.strip(" \t\n\r\f\v")
    if not EMAIL_PATTERN.fullmatch(email):  # before lower(), which can lengthen ("İ")
        raise Invalid("that does not look like an email address")
    return email.lower()


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
        AuditAction.USER_CREATED,
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
        AuditAction.USER_ROLE_GRANTED,
        tenant_id=tenant.id,
        target_kind="user",
        target_id=user.id,
        role=role.value,
    )
    # A new role can end what the old one allowed (an agent made an analyst loses the stream).
    publish_after_commit(session, staff_access_changed(user.id, tenant.id))


SECOND_FACTOR_TIME = dt.timedelta(minutes=5)
# Deliberately vague about which part was wrong, and about locks (see the module docstring).
WRONG_CREDENTIALS = "Wrong email or password. Repeated failures lock an account for a while."
WRONG_CODE = "That code is wrong or was already used. Enter the current code from your app."


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str  # the console session cookie


@dataclass(frozen=True)
class CodeNeeded:
    token: str  # the pending second-factor cookie; opens nothing but the code step


def sign_in(
    session: Session, *, email: str, password: str, lifetime: dt.timedelta
) -> SignedIn | CodeNeeded | Refused:
    """Check the password: a console session, a pending code step, or a refusal."""
    now = utcnow()
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    is_locked = user is not None and lock_remaining(user, now) is not None
    # A locked account is not checked, but costs the same argon2 time as one that is.
    ok = verify_password(None if is_locked or user is None else user.password_hash, password)
    if user is None or not ok or user.disabled_at is not None:
        # The email is not recorded: a failed sign-in may carry someone's typo of their address.
        reason = (
            "unknown"
            if user is None
            else "locked"
            if is_locked
            else "disabled"
            if user.disabled_at is not None
            else "password"
        )
        record(
            session,
            Actor.visitor() if user is None else Actor.staff(user.id),
            AuditAction.STAFF_SIGN_IN_FAILED,
            tenant_id=None,
            target_kind="user",
            target_id=user.id if user else None,
            reason=reason,
        )
        if user is not None and reason == "password":
            note_failure(session, user, now)
        return Refused(WRONG_CREDENTIALS, HTTPStatus.UNAUTHORIZED)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.totp_enabled_at is not None:
        token = secrets.token_urlsafe(32)
        session.add(
            StaffSession(
                token_hash=_pending_hash(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + SECOND_FACTOR_TIME,
            )
        )
        return CodeNeeded(token)
    return _open_session(session, user, now, lifetime, second_factor=False)


def complete_sign_in(
    session: Session, keyring: KeyRing, *, pending: str, code: str, lifetime: dt.timedelta
) -> SignedIn | Refused:
    """The second step: a TOTP code against a pending token from `sign_in`."""
    now = utcnow()
    row = session.scalar(
        select(StaffSession).where(StaffSession.token_hash == _pending_hash(pending))
    )
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or row.expires_at <= now:
        return Refused(
            "The sign-in took too long. Enter your email and password again.",
            HTTPStatus.UNAUTHORIZED,
            start_over=True,
        )
    remaining = lock_remaining(user, now)
    if remaining is not None or user.disabled_at is not None or user.totp_secret is None:
        session.delete(row)
        if remaining is not None:
            return locked(remaining)
        return Refused(WRONG_CREDENTIALS, HTTPStatus.UNAUTHORIZED, start_over=True)
    secret = keyring.open_totp_secret(user.id, user.totp_secret).decode()
    step = accepted_step(secret, code, at=now, last_step=user.totp_last_step)
    if step is None or not spend_step(session, user, step):
        record(
            session,
            Actor.staff(user.id),
            AuditAction.STAFF_SIGN_IN_FAILED,
            tenant_id=None,
            target_kind="user",
            target_id=user.id,
            reason="code",
        )
        lock = note_failure(session, user, now)
        if lock is not None:
            session.delete(row)
            return locked(lock)
        return Refused(WRONG_CODE, HTTPStatus.UNAUTHORIZED)
    # Single use: of two requests racing with the same pending token, one deletes it.
    if _rowcount(session.execute(delete(StaffSession).where(StaffSession.id == row.id))) != 1:
        return Refused(WRONG_CODE, HTTPStatus.UNAUTHORIZED)
    return _open_session(session, user, now, lifetime, second_factor=True)


def change_password(
    session: Session, user: User, *, current_token: str, current: str, new: str
) -> Refused | None:
    """Replace the password after checking the current one; ends the user's other sessions."""
    now = utcnow()
    remaining = lock_remaining(user, now)
    if remaining is not None:
        return locked(remaining)
    try:
        check_password_rules(new)
    except WeakPassword as exc:
        raise Invalid(str(exc)) from None
    if not verify_password(user.password_hash, current):
        return failed_check(session, user, now, "password_change", "Wrong current password.")
    user.password_hash = hash_password(new)
    ended = _rowcount(
        session.execute(
            delete(StaffSession).where(
                StaffSession.user_id == user.id, StaffSession.token_hash != _hash(current_token)
            )
        )
    )
    record(
        session,
        Actor.staff(user.id),
        AuditAction.STAFF_PASSWORD_CHANGED,
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
        other_sessions_ended=ended,
    )
    publish_after_commit(session, staff_access_changed(user.id))
    return None


def _open_session(
    session: Session, user: User, now: dt.datetime, lifetime: dt.timedelta, *, second_factor: bool
) -> SignedIn:
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=_hash(token), user_id=user.id, created_at=now, expires_at=now + lifetime
        )
    )
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        Actor.staff(user.id),
        AuditAction.STAFF_SIGNED_IN,
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
        second_factor=second_factor,
    )
    return SignedIn(user, token)


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
            AuditAction.STAFF_SIGNED_OUT,
            tenant_id=None,
            target_kind="user",
            target_id=row.user_id,
        )
        session.execute(delete(StaffSession).where(StaffSession.id == row.id))
        # This session's console sockets, on every node, close now, not at their next ping.
        publish_after_commit(session, staff_access_changed(row.user_id))


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _pending_hash(token: str) -> bytes:
    # A different label than _hash: a pending token sent as a session cookie matches no row.
    return hashlib.sha256(b"botdesk/second-factor/v1|" + token.encode()).digest()


def _rowcount(result: Result[Any]) -> int:
    # An UPDATE's or DELETE's result is a CursorResult; the typing of execute() cannot tell.
    return cast(CursorResult[Any], result).rowcount

"""TOTP two-factor for staff: enrolment, turning it off, operator reset, key rotation.

Enrolment is two steps so that nobody is locked out by a mistyped secret: `start_totp_setup`
stores a new sealed secret with `totp_enabled_at` still NULL (sign-in ignores it), and only a
correct code from the user's app (`confirm_totp`) switches it on. Secrets never appear in audit
details or logs; see two_factor.py (the primitives) for the acceptance rules.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, cast

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.lockout import Refused, failed_check, lock_remaining, locked
from botdesk.db import publish_after_commit
from botdesk.errors import Conflict
from botdesk.events import staff_access_changed
from botdesk.keys import DecryptionFailed, KeyRing
from botdesk.models import Membership, StaffSession, Tenant, User, utcnow
from botdesk.passwords import verify_password
from botdesk.two_factor import accepted_step, new_secret


def spend_step(session: Session, user: User, step: int) -> bool:
    """Record `step` as this account's last accepted TOTP step; False if it was already spent."""
    # Conditional, so that of two requests racing with one code only one succeeds.
    spent = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(spent) == 1


def pending_secret(keyring: KeyRing, user: User) -> str | None:
    """The secret of a set-up that awaits its confirming code, to show the user; else None."""
    if user.totp_secret is None or user.totp_enabled_at is not None:
        return None
    return keyring.open_totp_secret(user.id, user.totp_secret).decode()


def start_totp_setup(session: Session, keyring: KeyRing, user: User) -> None:
    """Give the user a new, not yet active secret (replacing an unconfirmed one)."""
    if user.totp_enabled_at is not None:
        raise Conflict("two-factor sign-in is already on; turn it off first to change apps")
    user.totp_secret = keyring.seal_totp_secret(user.id, new_secret().encode())
    user.totp_last_step = None
    record(
        session,
        Actor.staff(user.id),
        AuditAction.STAFF_TOTP_SETUP_STARTED,
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
    )


def confirm_totp(session: Session, keyring: KeyRing, user: User, code: str) -> Refused | None:
    """Switch two-factor on once the user proves their app has the secret."""
    secret = pending_secret(keyring, user)
    if secret is None:
        raise Conflict("there is no two-factor set-up waiting for a code")
    now = utcnow()
    step = accepted_step(secret, code, at=now, last_step=user.totp_last_step)
    if step is None or not spend_step(session, user, step):
        # Not counted towards the lock: this proves nothing about anyone's password.
        return Refused(
            "That code does not match. Check the time on your phone and try the next code.",
            HTTPStatus.UNPROCESSABLE_ENTITY,
        )
    user.totp_enabled_at = now
    record(
        session,
        Actor.staff(user.id),
        AuditAction.STAFF_TOTP_ENABLED,
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
    )
    return None


def tenants_requiring_totp(session: Session, user: User) -> list[Tenant]:
    return list(
        session.scalars(
            select(Tenant)
            .join(Membership, Membership.tenant_id == Tenant.id)
            .where(Membership.user_id == user.id, Tenant.require_totp.is_(True))
            .order_by(Tenant.name)
        )
    )


def disable_totp(
    session: Session, keyring: KeyRing, user: User, *, code: str, password: str
) -> Refused | None:
    """Turn two-factor off; needs a current code and the password."""
    if user.totp_enabled_at is None or user.totp_secret is None:
        raise Conflict("two-factor sign-in is not on")
    required = tenants_requiring_totp(session, user)
    if required:
        raise Conflict(
            f"{required[0].name} requires two-factor sign-in, so it cannot be turned off; "
            "an operator can reset it if you lost your phone"
        )
    now = utcnow()
    remaining = lock_remaining(user, now)
    if remaining is not None:
        return locked(remaining)
    secret = keyring.open_totp_secret(user.id, user.totp_secret).decode()
    # Both checks run whatever the first says, so the answer's timing tells nothing.
    password_ok = verify_password(user.password_hash, password)
    step = accepted_step(secret, code, at=now, last_step=user.totp_last_step)
    if not password_ok or step is None or not spend_step(session, user, step):
        return failed_check(session, user, now, "totp_disable", "Wrong password or code.")
    _clear(user)
    record(
        session,
        Actor.staff(user.id),
        AuditAction.STAFF_TOTP_DISABLED,
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
    )
    return None


def reset_two_factor(session: Session, actor: Actor, user: User) -> int:
    """Operator recovery for a lost phone: TOTP off, lock lifted, every session ended.

    Returns how many sessions ended. The operator must have checked who is asking.
    """
    had_totp = user.totp_enabled_at is not None
    _clear(user)
    user.failed_logins = 0
    user.locked_until = None
    ended = _rowcount(session.execute(delete(StaffSession).where(StaffSession.user_id == user.id)))
    record(
        session,
        actor,
        AuditAction.STAFF_TOTP_RESET,
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
        had_totp=had_totp,
        sessions_ended=ended,
    )
    publish_after_commit(session, staff_access_changed(user.id))
    return ended


def reseal_totp_secrets(session: Session, new: KeyRing, old: KeyRing, actor: Actor) -> int:
    """Master-key rotation: re-seal every TOTP secret from `old` to `new`; returns how many.

    Idempotent: secrets that `new` already opens are skipped. A secret that neither key opens
    stops the rotation (the caller's transaction rolls back), as that account would be locked out.
    """
    users = session.scalars(
        select(User).where(User.totp_secret.is_not(None)).order_by(User.id).with_for_update()
    ).all()
    moved = 0
    for user in users:
        assert user.totp_secret is not None  # selected for it
        try:
            new.open_totp_secret(user.id, user.totp_secret)
            continue
        except DecryptionFailed:
            pass
        try:
            plain = old.open_totp_secret(user.id, user.totp_secret)
        except DecryptionFailed:
            raise Conflict(
                f"the two-factor secret of user {user.id} is sealed by neither key"
            ) from None
        user.totp_secret = new.seal_totp_secret(user.id, plain)
        record(
            session,
            actor,
            AuditAction.STAFF_TOTP_RESEALED,
            tenant_id=None,
            target_kind="user",
            target_id=user.id,
            master_key_id=new.master_key_id,
        )
        moved += 1
    return moved


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None


def _rowcount(result: Result[Any]) -> int:
    # An UPDATE's or DELETE's result is a CursorResult; the typing of execute() cannot tell.
    return cast(CursorResult[Any], result).rowcount

"""Per-account throttling of password and code checks: counting failures and locking.

Design: five consecutive failures (a wrong password or TOTP code at sign-in, or a wrong current
password or code on the account page) lock the account for 15 minutes; each further five double
the lock, up to an hour. The count and the lock live on the user row, so they hold on every node.
Attempts while locked are refused without being checked or counted, and a full sign-in resets
the count. The per-address limiter in web/throttle.py is a separate, in-memory brake.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from http import HTTPStatus

from sqlalchemy import update
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.models import User

LOCK_AFTER_FAILURES = 5
FIRST_LOCK = dt.timedelta(minutes=15)
# Capped so that someone who knows an agent's email cannot keep them out for days; at five
# guesses an hour a 6-digit code or a 12-character password is still out of reach.
LONGEST_LOCK = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Refused:
    """A refused step. Returned, not raised, so that its audit row and counters commit."""

    message: str
    status: int
    retry_after: dt.timedelta | None = None
    # The pending sign-in step is gone (expired, or the account locked): ask for the password.
    start_over: bool = False


def lock_remaining(user: User, now: dt.datetime) -> dt.timedelta | None:
    """How long the account stays locked, or None if it is not locked."""
    if user.locked_until is None or user.locked_until <= now:
        return None
    return user.locked_until - now


def locked(remaining: dt.timedelta) -> Refused:
    minutes = max(1, math.ceil(remaining.total_seconds() / 60))
    return Refused(
        f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        HTTPStatus.TOO_MANY_REQUESTS,
        remaining,
        start_over=True,
    )


def note_failure(session: Session, user: User, now: dt.datetime) -> dt.timedelta | None:
    """Count a failed password or code check; returns the lock it earned, if any."""
    # An increment in SQL, not in Python, so that concurrent failures are all counted.
    failures: int = session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if failures % LOCK_AFTER_FAILURES:
        return None
    doublings = min(failures // LOCK_AFTER_FAILURES - 1, 8)  # 2**8 is past the cap already
    length = min(FIRST_LOCK * (1 << doublings), LONGEST_LOCK)
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(locked_until=now + length)
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        Actor.staff(user.id),
        AuditAction.STAFF_LOCKED,
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
        failures=failures,
        minutes=int(length.total_seconds() // 60),
    )
    return length


def failed_check(
    session: Session, user: User, now: dt.datetime, purpose: str, wrong: str
) -> Refused:
    """A signed-in user gave a wrong password or code (re-authentication): audit and count it."""
    record(
        session,
        Actor.staff(user.id),
        AuditAction.STAFF_REAUTHENTICATION_FAILED,
        tenant_id=None,
        target_kind="user",
        target_id=user.id,
        purpose=purpose,
    )
    lock = note_failure(session, user, now)
    return locked(lock) if lock is not None else Refused(wrong, HTTPStatus.FORBIDDEN)

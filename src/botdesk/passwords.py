"""Staff password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # argon2 accepts more, but a megabyte password is a denial of service

_hasher = PasswordHasher()  # argon2id with the library's current RFC 9106 defaults


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a miss costs what a wrong password does.

    Made on first use: an argon2id hash takes 64 MiB for a moment, which every process (the
    CLI included) would otherwise pay at import.
    """
    return _hasher.hash("botdesk-timing-equaliser")


class WeakPassword(ValueError):
    """The password does not meet the minimum rules; the message says which."""


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"a password can have at most {MAX_PASSWORD_CHARS} characters")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches; takes argon2 time even when there is no stored hash."""
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)

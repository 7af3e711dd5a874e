"""TOTP two-factor codes for staff sign-in (RFC 6238: SHA-1, 30-second steps, 6 digits).

Design:
- The shared secret is 160 random bits (RFC 4226's recommended length), shown once to the user
  in base32, as an otpauth:// URI and as a QR code drawn here as inline SVG (no image service
  ever sees it). At rest it is sealed by `KeyRing.seal_totp_secret`, bound to the user's id.
- A code is accepted for the current step and one step either side (clock drift, slow typing),
  and only for a step later than the last one this account accepted: a code seen over someone's
  shoulder, or replayed from a proxy log, is worthless once used. The caller stores the step with
  a conditional UPDATE so that two concurrent requests cannot both spend it.
- Comparison is constant-time; pyotp generates the codes, this module decides what to accept.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re

import pyotp
import segno

ISSUER = "botdesk"
DIGITS = 6
STEP_SECONDS = 30
# Steps either side of "now" that still count: ±30 s covers phone clocks and typing time.
TOLERANCE_STEPS = 1
_CODE = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    """A fresh base32 secret (32 characters, 160 bits)."""
    return pyotp.random_base32(length=32)


def time_step(at: dt.datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def normalise_code(code: str) -> str:
    """The code as typed, minus the spaces and dashes that apps show for readability."""
    return re.sub(r"[\s-]", "", code)


def accepted_step(secret: str, code: str, *, at: dt.datetime, last_step: int | None) -> int | None:
    """The time step `code` is valid for near `at`, or None (wrong, expired or already used)."""
    code = normalise_code(code)
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = time_step(at)
    # Every candidate is checked, not stopping at a match, so timing says nothing about which
    # step matched; the latest unused one wins.
    matches = [
        step
        for step in range(now - TOLERANCE_STEPS, now + TOLERANCE_STEPS + 1)
        if hmac.compare_digest(totp.generate_otp(step), code)
    ]
    unused = [step for step in matches if last_step is None or step > last_step]
    return max(unused) if unused else None


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI authenticator apps read from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=ISSUER
    )


def qr_svg(uri: str) -> str:
    """The URI as a QR code in inline SVG markup (drawn locally; safe to embed as-is)."""
    return str(
        segno.make(uri, error="m").svg_inline(
            scale=4, dark="#1c2430", light="#ffffff", title="QR code for your authenticator app"
        )
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, as people type it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))

"""Proof of ownership: an order's status is told only for its number plus its email or postcode.

A wrong pair and an unknown order must be indistinguishable to whoever is guessing, in the
answer and in the time it takes: both run the same comparisons (against stand-in values when
there is no order), each in constant time over fixed-length digests.
"""

from __future__ import annotations

import hashlib
import hmac

from botdesk.orders.model import Order
from botdesk.pii import normalise_postcode

# Every check compares against this many candidates: the email and up to two postcodes.
_CANDIDATES = 3
# An order's missing value and a shopper's empty answer must never be equal to each other.
_NO_CANDIDATE = hashlib.sha256(b"botdesk/no-candidate").digest()
_NO_ANSWER = hashlib.sha256(b"botdesk/no-answer").digest()


def _digest(value: str, empty: bytes) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest() if value else empty


def _forms(value: str) -> tuple[str, str]:
    """The two comparable forms of a proof: as an email and as a postcode."""
    return value.strip().casefold(), normalise_postcode(value)


def proves(order: Order | None, proof: str) -> bool:
    """True when `proof` is the email or a postcode on `order` (False for no order)."""
    as_email, as_postcode = _forms(proof)
    if order is not None:
        candidates = [_forms(order.email)[0]] + [normalise_postcode(p) for p in order.postcodes]
    else:
        candidates = []
    candidates = (candidates + [""] * _CANDIDATES)[:_CANDIDATES]
    email_given = _digest(as_email, _NO_ANSWER)
    postcode_given = _digest(as_postcode, _NO_ANSWER)
    matched = False
    for index, candidate in enumerate(candidates):
        given = email_given if index == 0 else postcode_given
        # `|` not `or`: every comparison runs, whatever the earlier ones found.
        matched = matched | hmac.compare_digest(given, _digest(candidate, _NO_CANDIDATE))
    return matched and order is not None

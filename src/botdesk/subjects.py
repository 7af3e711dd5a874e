"""Finding a data subject's conversations by email, phone or order number: a blind index.

Design. When a shopper types an email address, phone number or order number (or gives one in the
handover form) we store HMAC-SHA256(key, kind + ":" + normalised value) beside the conversation,
never the value. An admin's search computes the same digest and looks it up, so finding a person
needs neither plaintext at rest nor decrypting every conversation.

What it protects against: someone with a copy of the database (a backup, a replica, an operator
reading tables) learns no email address, phone number or order number from the index, and cannot
test guesses ("is jane@example.com a customer?") without the key. The HMAC key is derived with
HKDF from the *tenant's* key, which is wrapped by the master key; each tenant's digests therefore
differ, and one tenant's index cannot be joined with another's.

What it does not protect against: equality leaks. Within a tenant, two conversations with the
same digest belong to the same value, so the index shows which conversations share a person
(that is its purpose). Anyone holding the master key can compute digests and test guesses, as
they could decrypt the conversations themselves. Phone numbers and order numbers have small
value spaces; the key, not the hash, is what keeps them from being enumerated.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from enum import StrEnum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from botdesk.keys import KEY_BYTES, KeyRing
from botdesk.models import Tenant
from botdesk.pii import EntityType
from botdesk.pii.business import e164

BLIND_INDEX_LABEL = b"botdesk/blind-index/v1"
# Where a phone number written without a country code is read; the tenant's languages first.
_LANGUAGE_REGIONS = {"fi": "FI", "sv": "SE", "nb": "NO", "en": "GB"}
FALLBACK_REGION = "GB"


class SubjectKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    ORDER_NUMBER = "order_number"


ENTITY_KINDS = {
    EntityType.EMAIL: SubjectKind.EMAIL,
    EntityType.PHONE: SubjectKind.PHONE,
    EntityType.ORDER_NUMBER: SubjectKind.ORDER_NUMBER,
    # A 5+ digit run in a shop with no declared order-number shape may be one (pii/numbers.py).
    EntityType.NUMBER: SubjectKind.ORDER_NUMBER,
}


class NotASubjectValue(ValueError):
    """The value cannot be read as that kind (e.g. a phone number no region accepts)."""


def phone_regions(tenant: Tenant, configured: Sequence[str] = ()) -> list[str]:
    """Regions to read a local phone number in: configured ones, the languages', then GB."""
    regions = [*configured]
    regions += [_LANGUAGE_REGIONS[lang] for lang in tenant.languages if lang in _LANGUAGE_REGIONS]
    regions.append(FALLBACK_REGION)
    return list(dict.fromkeys(regions))


def normalise(kind: SubjectKind, value: str, regions: Sequence[str] = (FALLBACK_REGION,)) -> str:
    """The canonical form digests are made of: lower-case email, E.164 phone, stripped order no."""
    value = value.strip()
    if not value:
        raise NotASubjectValue(f"an empty {kind.value.replace('_', ' ')}")
    if kind is SubjectKind.EMAIL:
        return value.lower()
    if kind is SubjectKind.PHONE:
        if (number := e164(value, regions)) is not None:
            return number
        raise NotASubjectValue("not a valid phone number")
    # Order numbers are matched as written (the tenant's regex decides their shape), less
    # surrounding space; case is kept because some shops' numbers are case-sensitive.
    return value


def index_key(keyring: KeyRing, tenant: Tenant) -> bytes:
    """The tenant's blind-index HMAC key, derived from its tenant key (never stored)."""
    tenant_key = keyring.tenant_key(tenant.id, tenant.wrapped_key, tenant.master_key_id)
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=BLIND_INDEX_LABEL)
    return hkdf.derive(tenant_key)


def digest(key: bytes, kind: SubjectKind, normalised: str) -> bytes:
    """HMAC-SHA256 of `kind:value` under the tenant's index key; `normalised` from normalise()."""
    message = f"{kind.value}:{normalised}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()

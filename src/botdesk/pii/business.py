"""The shop's own contact details, which redaction of question samples may let through.

"Can I email info@shop.example?" or "is your store at Mannerheimintie 12 open on Sunday?" name
the shop, not the shopper; masking them makes a sample less useful for nothing. A tenant
declares its public email addresses, phone numbers and street addresses; a detected EMAIL,
PHONE or ADDRESS whose value is exactly one of them is let through in samples (and nowhere
else: the blind index, data-subject search and erasure treat every value alike).

Exactly means: an email compared lower-case, a phone number in E.164 (so "09 123 4567" matches
a declared "+358 9 1234567"), an address compared case-, space- and punctuation-insensitively,
either whole or as its first line ("Mannerheimintie 12" of "Mannerheimintie 12, 00100
Helsinki"). "Mannerheimintie 12 B 34", a flat in the same building, is someone's home and
stays masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from botdesk.pii.contacts import find_emails
from botdesk.pii.entities import Entity, EntityType

MAX_EACH = 20
MAX_LENGTH = 200
_PUNCTUATION_RE = re.compile(r"[^\w]+")


def address_key(address: str) -> str:
    """The comparable form of an address: lower case, words only."""
    return " ".join(_PUNCTUATION_RE.sub(" ", address.casefold()).split())


@dataclass(frozen=True)
class BusinessContacts:
    """A tenant's declared public contact details, normalised; empty lets nothing through."""

    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()  # E.164
    addresses: tuple[str, ...] = ()  # as the tenant wrote them

    @classmethod
    def parse(
        cls,
        emails: Iterable[str],
        phones: Iterable[str],
        addresses: Iterable[str],
        regions: Sequence[str],
    ) -> BusinessContacts:
        """Validate and normalise what a tenant declared; ValueError says what is wrong.

        Phone numbers without a country code are read in `regions`, in order.
        """
        clean = [_cleaned(values) for values in (emails, phones, addresses)]
        for kind, values in zip(
            ("email addresses", "phone numbers", "addresses"), clean, strict=True
        ):
            if len(values) > MAX_EACH:
                raise ValueError(f"at most {MAX_EACH} {kind}")
            if any(len(value) > MAX_LENGTH for value in values):
                raise ValueError(f"{kind} are at most {MAX_LENGTH} characters each")
        return cls(
            emails=_unique(_email(value) for value in clean[0]),
            phones=_unique(_phone(value, regions) for value in clean[1]),
            addresses=_unique(_address(value) for value in clean[2]),
        )

    @classmethod
    def from_stored(cls, stored: Mapping[str, object] | None) -> BusinessContacts:
        """From the tenant's stored JSON, which `parse` validated on the way in."""
        stored = stored or {}

        def strings(key: str) -> tuple[str, ...]:
            value = stored.get(key)
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

        return cls(strings("emails"), strings("phones"), strings("addresses"))

    def to_stored(self) -> dict[str, list[str]]:
        return {
            "emails": list(self.emails),
            "phones": list(self.phones),
            "addresses": list(self.addresses),
        }

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones or self.addresses)

    def lets_through(self, entity: Entity) -> bool:
        """Whether a detected entity is one of the shop's own contact details."""
        if entity.type is EntityType.EMAIL:
            return entity.value.lower() in self.emails
        if entity.type is EntityType.PHONE:
            return entity.value in self.phones
        if entity.type is EntityType.ADDRESS:
            return address_key(entity.value) in _address_keys(self.addresses)
        return False


@lru_cache(maxsize=256)
def _address_keys(addresses: tuple[str, ...]) -> frozenset[str]:
    """Each declared address whole, and its first line (the street part before a comma)."""
    return frozenset(address_key(a) for a in addresses) | frozenset(
        address_key(a.split(",", 1)[0]) for a in addresses
    )


def _cleaned(values: Iterable[str]) -> list[str]:
    return [value.strip() for value in values if value.strip()]


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _email(value: str) -> str:
    # Lower-cased and trimmed, as the blind index normalises an email (botdesk.subjects).
    normalised = value.lower()
    found = list(find_emails(normalised))
    if len(found) != 1 or (found[0].start, found[0].end) != (0, len(normalised)):
        raise ValueError("an email address looks like info@shop.example")
    return normalised


def e164(value: str, regions: Sequence[str | None]) -> str | None:
    """The phone number in E.164, read as dialled in the first of `regions` where it is valid."""
    for region in regions:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _phone(value: str, regions: Sequence[str]) -> str:
    if (number := e164(value, (*regions, None))) is not None:
        return number
    raise ValueError(
        "not a valid phone number; write it with the country code, e.g. +358 9 1234 5678"
    )


def _address(value: str) -> str:
    if not re.search(r"[0-9]", value) or not re.search(r"[^\W\d_]", value):
        raise ValueError(
            "an address has a street and a number, e.g. Mannerheimintie 12, 00100 Helsinki"
        )
    return " ".join(value.split())

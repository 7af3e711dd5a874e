"""Redaction of everything personal: detect()'s identifiers plus names, addresses and the rest.

detect() stays what the bot uses for slot filling and for masking before intent
classification: exact, checksum- and pattern-backed identifiers. What is added here is for
redaction only, where a false positive costs a word in a stored question sample, not a wrong
answer to a shopper, and a miss would keep someone's data: person names and street addresses
(heuristic), disguised emails ("maija (at) example (dot) com"), IP addresses, URLs with
parameters, secrets after "password"/"salasana"/"lösenord", and, for a tenant that declared no
order-number shape, every other run of 5+ digits (pii/numbers.py).

redact_sample() goes one step further for question samples: the shop's own declared contact
details are let through, and a text the redactor is unsure of (pii/doubts.py) is not kept at
all. subject_identifiers() is what the blind index files: detect()'s identifiers plus
disguised emails and the 5+ digit default. Every entry point is a pure function of the text,
the tenant's EntityPatterns (and BusinessContacts); nothing is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from botdesk.pii.addresses import find_addresses
from botdesk.pii.business import BusinessContacts
from botdesk.pii.contacts import find_obfuscated_emails, find_phones
from botdesk.pii.credentials import find_secrets
from botdesk.pii.detector import detect
from botdesk.pii.doubts import doubts
from botdesk.pii.entities import Entity, redact, resolve_overlaps
from botdesk.pii.names import find_person_names
from botdesk.pii.network import find_ip_addresses, find_parameter_urls
from botdesk.pii.numbers import with_unclaimed_numbers
from botdesk.pii.patterns import EntityPatterns

# A shopper abroad types a phone number in their own national format. The bot only needs the
# tenant's regions, but redaction should not keep a British mobile number because the shop is
# Finnish, so these are tried after the tenant's own (which still win ties).
REDACTION_PHONE_REGIONS = ("FI", "SE", "NO", "DK", "GB")


@lru_cache(maxsize=256)
def _for_redaction(patterns: EntityPatterns) -> EntityPatterns:
    extra = tuple(r for r in REDACTION_PHONE_REGIONS if r not in patterns.phone_regions)
    return replace(patterns, phone_regions=patterns.phone_regions + extra)


def find_personal_data(
    text: str, patterns: EntityPatterns, identifiers: Sequence[Entity] | None = None
) -> list[Entity]:
    """All personal data in `text`: non-overlapping entities sorted by start offset.

    The types of detect() (EMAIL, PHONE, NATIONAL_ID, IBAN, CARD, ORDER_NUMBER,
    TRACKING_NUMBER) plus PERSON_NAME, ADDRESS, IP_ADDRESS, URL (with parameters), SECRET,
    disguised emails as EMAIL, and NUMBER (5+ digits nothing else took) when the tenant
    declared no order-number shape. Phone numbers are read in the tenant's
    regions, then in REDACTION_PHONE_REGIONS. Where spans overlap the longest wins, so a
    street named after a person ("Karl Johans gate 1") is one ADDRESS, and a phone-like digit
    run inside an address is not reported separately.

    `identifiers` is what detect(text, patterns) already found (a chat message is scanned once
    on its way in); then only phone numbers in the extra regions are looked for again.
    """
    if identifiers is None:
        candidates = detect(text, _for_redaction(patterns))
    else:
        extra = _for_redaction(patterns).phone_regions[len(patterns.phone_regions) :]
        candidates = list(identifiers)
        if extra:
            candidates += find_phones(text, extra, [(e.start, e.end) for e in identifiers])
    candidates += find_addresses(text)
    candidates += find_person_names(text)
    candidates += find_obfuscated_emails(text)
    candidates += find_ip_addresses(text)
    candidates += find_parameter_urls(text)
    candidates += find_secrets(text)
    # The digit-run default only fills gaps: a phone number stays a <PHONE>.
    return with_unclaimed_numbers(text, patterns, resolve_overlaps(candidates))


def redact_personal(
    text: str, patterns: EntityPatterns, identifiers: Sequence[Entity] | None = None
) -> tuple[str, list[Entity]]:
    """`text` with every personal-data span replaced by its <TYPE> placeholder, and the spans.

    Offsets in the returned entities refer to the input text (Python str indices).
    """
    entities = find_personal_data(text, patterns, identifiers)
    return redact(text, entities), entities


def redact_sample(
    text: str,
    patterns: EntityPatterns,
    contacts: BusinessContacts | None = None,
    identifiers: Sequence[Entity] | None = None,
) -> str | None:
    """`text` redacted for keeping as a question sample, or None when it must not be kept.

    Like redact_personal(), except that the shop's own declared contact details (`contacts`)
    stay as typed, and that a text which trips any rule of pii/doubts.py is dropped.
    """
    entities = find_personal_data(text, patterns, identifiers)
    if doubts(redact(text, entities)):
        return None
    if not contacts:
        return redact(text, entities)
    return redact(text, [e for e in entities if not contacts.lets_through(e)])


def subject_identifiers(
    text: str, patterns: EntityPatterns, identifiers: Sequence[Entity]
) -> list[Entity]:
    """What a data-subject search should find this text by (for the blind index).

    detect()'s `identifiers` (found with the tenant's patterns), disguised emails, and for a
    tenant with no declared order-number shape every other run of 5+ digits, as NUMBER.
    """
    emails = [
        e
        for e in find_obfuscated_emails(text)
        if all(e.end <= other.start or other.end <= e.start for other in identifiers)
    ]
    return with_unclaimed_numbers(text, patterns, resolve_overlaps([*identifiers, *emails]))

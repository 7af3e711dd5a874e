"""Redaction of everything personal: detect()'s identifiers plus person names and addresses.

detect() stays what the bot uses for slot filling and for masking before intent
classification: exact, checksum- and pattern-backed identifiers. Names and street addresses are
heuristic (cue words, capitalisation, a small lexicon, address shapes), so they are added here,
for redaction only: a false positive costs a word in a stored question sample, not a wrong
answer to a shopper, and a miss would keep someone's name. Both entry points are pure functions
of the text and the tenant's EntityPatterns; nothing is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from botdesk.pii.addresses import find_addresses
from botdesk.pii.contacts import find_phones
from botdesk.pii.detector import detect
from botdesk.pii.entities import Entity, redact, resolve_overlaps
from botdesk.pii.names import find_person_names
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
    TRACKING_NUMBER) plus PERSON_NAME and ADDRESS. Phone numbers are read in the tenant's
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
    return resolve_overlaps(candidates)


def redact_personal(
    text: str, patterns: EntityPatterns, identifiers: Sequence[Entity] | None = None
) -> tuple[str, list[Entity]]:
    """`text` with every personal-data span replaced by its <TYPE> placeholder, and the spans.

    Offsets in the returned entities refer to the input text (Python str indices).
    """
    entities = find_personal_data(text, patterns, identifiers)
    return redact(text, entities), entities

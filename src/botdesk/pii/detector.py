"""The detect() entry point: run every detector, then keep one entity per span of text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from botdesk.pii.contacts import find_emails, find_phones
from botdesk.pii.entities import Entity, EntityType, resolve_overlaps
from botdesk.pii.identifiers import find_cards, find_ibans, find_national_ids
from botdesk.pii.patterns import EntityPatterns
from botdesk.pii.shipments import (
    find_grouped_order_numbers,
    find_order_numbers,
    find_tracking_numbers,
)

# Every detector needs a digit, except e-mail which needs "@": most chat messages ("hei",
# "kiitos!", "where is my parcel") have neither and return without running a single regex more.
_SIGNAL_RE = re.compile(r"[0-9@]")
_DIGIT_RE = re.compile(r"[0-9]")

# Fewest digits each kind can have (HETU 6+3, UPU S10 9, cards 13). Counting once and skipping
# detectors that cannot match keeps a message holding only an order number cheap.
_MIN_NATIONAL_ID_DIGITS = 9
_MIN_TRACKING_DIGITS = 9
_MIN_CARD_DIGITS = 13


def detect(text: str, patterns: EntityPatterns) -> list[Entity]:
    """Find personal data and tenant identifiers: non-overlapping, sorted by start offset."""
    if not _SIGNAL_RE.search(text):
        return []
    digits = len(_DIGIT_RE.findall(text))
    candidates = [*find_order_numbers(text, patterns.order_regex), *find_emails(text)]
    candidates += find_ibans(text)
    if digits >= _MIN_TRACKING_DIGITS:
        candidates += find_tracking_numbers(text, patterns.tracking_numbers)
    if digits >= _MIN_NATIONAL_ID_DIGITS:
        candidates += find_national_ids(text)
    if digits >= _MIN_CARD_DIGITS:
        candidates += find_cards(text)
    # Phones last: what the others found is not parsed again, which is most of the saving.
    protected = [(c.start, c.end) for c in candidates]
    candidates += find_phones(text, patterns.phone_regions, protected)
    taken = [(c.start, c.end) for c in candidates]
    candidates += find_grouped_order_numbers(text, patterns.order_regex, taken)
    return resolve_overlaps(candidates)


def entity_values(entities: Sequence[Entity], kind: EntityType) -> list[str]:
    """The normalised values of one kind, in text order: what slot filling reads."""
    return [entity.value for entity in entities if entity.type is kind]

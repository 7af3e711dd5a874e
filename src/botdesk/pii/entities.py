"""Entity value types, and the placeholder substitution that masks or redacts them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class EntityType(StrEnum):
    """Kinds of personal data; the value doubles as the placeholder name, e.g. <ORDER_NUMBER>."""

    EMAIL = "EMAIL"
    PHONE = "PHONE"
    NATIONAL_ID = "NATIONAL_ID"
    IBAN = "IBAN"
    CARD = "CARD"
    ORDER_NUMBER = "ORDER_NUMBER"
    TRACKING_NUMBER = "TRACKING_NUMBER"
    # Heuristic (cues, capitalisation, lexicon, address shapes): only find_personal_data()
    # emits these, never detect(), so the bot's slot filling sees exact identifiers only.
    PERSON_NAME = "PERSON_NAME"
    ADDRESS = "ADDRESS"
    # Only found where a postcode was asked for (find_postcodes), never by detect().
    POSTCODE = "POSTCODE"
    # Redaction only (find_personal_data), like names: what a shopper should never have typed
    # into a chat, and what a tenant without a declared order-number shape cannot tell apart.
    IP_ADDRESS = "IP_ADDRESS"
    URL = "URL"  # only a URL that carries parameters, credentials or a fragment
    SECRET = "SECRET"  # noqa: S105 (a placeholder) the word(s) after "password", "PIN" …
    NUMBER = "NUMBER"  # a run of 5+ digits, for a tenant that declared no order-number shape


# Tie-break when two candidates cover exactly the same span: checksum-validated kinds first,
# since a passing checksum is stronger evidence than a tenant regex or a phone-number range.
PRIORITY: dict[EntityType, int] = {
    EntityType.NATIONAL_ID: 0,
    EntityType.IBAN: 1,
    EntityType.CARD: 2,
    EntityType.TRACKING_NUMBER: 3,
    EntityType.EMAIL: 4,
    EntityType.ORDER_NUMBER: 5,
    EntityType.PHONE: 6,
    EntityType.PERSON_NAME: 7,
    EntityType.ADDRESS: 8,
    EntityType.POSTCODE: 9,
    EntityType.IP_ADDRESS: 10,
    EntityType.URL: 11,
    EntityType.SECRET: 12,
    EntityType.NUMBER: 13,
}


@dataclass(frozen=True, slots=True)
class Entity:
    """One detected value: its kind, its [start, end) span in the input, and a normalised value."""

    type: EntityType
    start: int
    end: int
    value: str

    @property
    def placeholder(self) -> str:
        """The token that replaces this entity in masked or redacted text."""
        return f"<{self.type.value}>"


def resolve_overlaps(candidates: Sequence[Entity]) -> list[Entity]:
    """Keep a non-overlapping subset, longest span first, then by PRIORITY; sorted by start."""
    ranked = sorted(candidates, key=lambda e: (e.start - e.end, PRIORITY[e.type], e.start))
    kept: list[Entity] = []
    for entity in ranked:
        # Few candidates per chat message, so a linear scan beats maintaining an interval tree.
        if all(entity.end <= other.start or other.end <= entity.start for other in kept):
            kept.append(entity)
    kept.sort(key=lambda e: e.start)
    return kept


def mask(text: str, entities: Sequence[Entity]) -> str:
    """Replace each entity's span with its <TYPE> placeholder, for intent classification."""
    pieces: list[str] = []
    position = 0
    for entity in sorted(entities, key=lambda e: e.start):
        if entity.start < position or entity.end > len(text) or entity.start >= entity.end:
            raise ValueError(
                f"entity {entity.type.value} at {entity.start}:{entity.end} overlaps another "
                f"or lies outside the text ({len(text)} characters)"
            )
        pieces.append(text[position : entity.start])
        pieces.append(entity.placeholder)
        position = entity.end
    pieces.append(text[position:])
    return "".join(pieces)


def redact(text: str, entities: Sequence[Entity]) -> str:
    """Replace each entity's span with its <TYPE> placeholder, for logs and question samples."""
    # Same output as mask() today. It is a separate name because redaction policy (which types,
    # placeholder style, keyed pseudonyms for linking a conversation) is the privacy issue's to
    # change without moving what the intent classifier was trained on.
    return mask(text, entities)

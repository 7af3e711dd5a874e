"""Nordic postcodes, looked for only in the answer to "what is the postcode on the order?".

A bare 4- or 5-digit number is far more often a quantity, a year or part of an address, so
detect() never reports one; the dialogue asks this module only when it has just asked for a
postcode. Finland and Sweden use five digits (Sweden writes "123 45"), Norway and Denmark four;
a country prefix ("FI-00100", "S-123 45", "N-0150") is allowed and dropped.
"""

from __future__ import annotations

import re

from botdesk.pii.entities import Entity, EntityType

_POSTCODE_RE = re.compile(
    r"(?<![\w-])(?:(?:FI|SE|S|NO|N|DK)[- ]?)?(?P<code>[0-9]{3} ?[0-9]{2}|[0-9]{4})(?![\w-])",
    re.IGNORECASE,
)


def find_postcodes(text: str) -> list[Entity]:
    """Postcodes in `text`, values reduced to their digits ("123 45" → "12345")."""
    return [
        Entity(EntityType.POSTCODE, m.start(), m.end(), m["code"].replace(" ", ""))
        for m in _POSTCODE_RE.finditer(text)
    ]


def normalise_postcode(value: str) -> str:
    """The comparable form of a postcode on an order: digits only when it has a country prefix."""
    compact = re.sub(r"[\s-]+", "", value).upper()
    match = re.fullmatch(r"(?:FI|SE|S|NO|N|DK)?([0-9]{4,5})", compact)
    return match[1] if match else compact

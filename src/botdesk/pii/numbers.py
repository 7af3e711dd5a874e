"""The conservative default for a tenant that declared no order-number shape: 5+ digit runs.

A shop's order numbers have whatever shape its order system gives them, and botdesk only knows
it if the tenant declares it (`entities.order_number` in its bot content). Without one, a run of
five or more digits in a shopper's message may well be an order, customer or invoice number
that identifies them, so redaction (question samples, logs, `botdesk pii redact`) masks every
such run as <NUMBER>, and the blind index files it as a possible order number so that a data
request by order number finds the conversation. The bot's own slot filling is not changed:
detect() still finds order numbers only in the declared shape, so the bot never asks a
merchant's system about a number the shop never said was an order number.

Only runs nothing else claimed are taken: a phone number, card or tracking number keeps its
own, more precise, type. Four digits and fewer (sizes, years, prices, postcodes of NO/DK) are
left alone; so are runs inside a UUID, which log lines use to name conversations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from botdesk.pii.entities import Entity, EntityType
from botdesk.pii.patterns import EntityPatterns

MIN_DIGITS = 5
_RUN_RE = re.compile(rf"(?<![0-9])[0-9]{{{MIN_DIGITS},}}(?![0-9])")
_UUID_RE = re.compile(
    r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
    r"(?![0-9A-Fa-f-])"
)


def applies(patterns: EntityPatterns) -> bool:
    """Whether the tenant declared no order-number shape, so the default stands in for one."""
    return patterns.order_number is None


def find_unclaimed_numbers(text: str, claimed: Sequence[Entity]) -> list[Entity]:
    """Runs of 5+ digits overlapping none of `claimed` and in no UUID; value the digits."""
    taken = [(e.start, e.end) for e in claimed]
    taken += [m.span() for m in _UUID_RE.finditer(text)]
    return [
        Entity(EntityType.NUMBER, m.start(), m.end(), m[0])
        for m in _RUN_RE.finditer(text)
        if all(m.end() <= start or end <= m.start() for start, end in taken)
    ]


def with_unclaimed_numbers(
    text: str, patterns: EntityPatterns, entities: Sequence[Entity]
) -> list[Entity]:
    """`entities` plus the default's digit runs where it applies; sorted by start offset."""
    if not applies(patterns):
        return list(entities)
    return sorted([*entities, *find_unclaimed_numbers(text, entities)], key=lambda e: e.start)

"""Order numbers (a tenant regex) and parcel tracking numbers (named carrier formats)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from botdesk.pii.entities import Entity, EntityType

# A match must not continue a longer word or number: "4001234567" holds no 8-digit order number.
_BEFORE = r"(?<!\w)"
_AFTER = r"(?!\w)"

# UPU S10: service letters, 8-digit serial, check digit, ISO country. Single spaces are allowed
# between the parts and inside the digits because labels print it as "UA 123 456 785 SE".
_S10_RE = re.compile(
    _BEFORE + r"[A-Z]{2} ?(?P<digits>(?:[0-9] ?){8}[0-9]) ?[A-Z]{2}" + _AFTER,
    re.IGNORECASE,
)
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)

# Posti's domestic parcel IDs; printed with no inner spaces, so none are accepted there.
_JJFI_RE = re.compile(_BEFORE + r"JJFI ?[0-9]{16,20}" + _AFTER, re.IGNORECASE)

_SEPARATORS_RE = re.compile(r"[\s-]+")


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit for an 8-digit serial number."""
    check = 11 - sum(w * int(d) for w, d in zip(_S10_WEIGHTS, serial, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def _compact(raw: str) -> str:
    """Upper-case and drop spaces/hyphens: the form carriers' and shops' APIs look up."""
    return _SEPARATORS_RE.sub("", raw).upper()


def _find_s10(text: str) -> Iterator[Entity]:
    """UPU S10 numbers whose check digit is right."""
    for match in _S10_RE.finditer(text):
        digits = match["digits"].replace(" ", "")
        if s10_check_digit(digits[:8]) == int(digits[8]):
            yield Entity(EntityType.TRACKING_NUMBER, match.start(), match.end(), _compact(match[0]))


def _find_jjfi(text: str) -> Iterator[Entity]:
    """Posti JJFI numbers (no public check digit to verify)."""
    for match in _JJFI_RE.finditer(text):
        yield Entity(EntityType.TRACKING_NUMBER, match.start(), match.end(), _compact(match[0]))


TRACKING_FORMATS: dict[str, Callable[[str], Iterator[Entity]]] = {
    "upu_s10": _find_s10,
    "posti_jjfi": _find_jjfi,
}


def find_tracking_numbers(text: str, formats: tuple[str, ...]) -> Iterator[Entity]:
    """Tracking numbers in any of the named formats (names validated by EntityPatterns)."""
    for name in formats:
        yield from TRACKING_FORMATS[name](text)


def compile_order_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a tenant's order-number regex so that it only matches whole tokens."""
    # Case-insensitive because shoppers type "ab-1234" for "AB-1234"; values are upper-cased.
    return re.compile(f"{_BEFORE}(?:{pattern}){_AFTER}", re.IGNORECASE)


def find_order_numbers(text: str, pattern: re.Pattern[str] | None) -> Iterator[Entity]:
    """Order numbers matching the tenant's compiled pattern, value reduced to letters/digits."""
    if pattern is None:
        return
    for match in pattern.finditer(text):
        if match.end() > match.start():
            value = "".join(ch for ch in match[0] if ch.isalnum()).upper()
            yield Entity(EntityType.ORDER_NUMBER, match.start(), match.end(), value)

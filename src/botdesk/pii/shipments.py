"""Order numbers (a tenant regex) and parcel tracking numbers (named carrier formats)."""

# Tracking formats: a regex proposes whole tokens, in the shapes labels and e-mails print them,
# then the format's check digit confirms the compact value (spaces, hyphens and the brackets of
# "(00)" removed, upper case). Each format says below what it is and how sure we are of it. A
# format without a check digit is kept to a shape that prose, prices, phone and order numbers
# cannot take. tracking_format() applies the same rules to a code from a merchant's system.

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from botdesk.pii.entities import Entity, EntityType

# A match must not continue a longer word or number: "4001234567" holds no 8-digit order number.
_BEFORE = r"(?<!\w)"
_AFTER = r"(?!\w)"
_SEPARATORS_RE = re.compile(r"[\s()-]+")

# upu_s10 (sure: UPU standard S10): service letters, 8-digit serial, check digit, ISO country.
# Single spaces are allowed between the parts and inside the digits because labels print it as
# "UA 123 456 785 SE". The country says which post issued it (carriers.identify()).
_S10_RE = re.compile(_BEFORE + r"[A-Z]{2} ?(?:[0-9] ?){8}[0-9] ?[A-Z]{2}" + _AFTER, re.IGNORECASE)
_S10_CODE_RE = re.compile(r"[A-Z]{2}([0-9]{9})[A-Z]{2}")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)

# posti_jjfi (fairly sure of the shape, no public check digit): Posti's domestic parcel IDs,
# "JJFI" + 16-20 digits, printed with no inner spaces, so none are accepted there.
_JJFI_RE = re.compile(_BEFORE + r"JJFI ?[0-9]{16,20}" + _AFTER, re.IGNORECASE)
_JJFI_CODE_RE = re.compile(r"JJFI[0-9]{16,20}")

# postnord and bring (sure of the rule, fairly sure of which prefix is whose): GS1 numbers. An
# SSCC (Serial Shipping Container Code) is an extension digit, the GS1 company prefix of whoever
# printed the label, a serial and the GS1 mod-10 check digit: 18 digits, or 20 when written
# with the "00" application identifier as PostNord prints and links it. The company prefix
# starts with the GS1 country prefix of the labeller, so Swedish (730-739) and Danish (570-579)
# are taken as PostNord's and Norwegian (700-709) as Bring's ("370..." on Posten/Bring labels).
# Hazard: a Swedish shop printing its own SSCCs for Bring or DHL Freight looks like PostNord,
# and PostNord Norway's labels like Bring; tenants enable only the carriers they use. Bring's
# 17-digit shipment numbers are GSINs (GS1 Global Shipment Identification Number) with the same
# check digit and a Norwegian prefix: confirmed on real shipment numbers that public
# integrations publish, not on a Bring specification. PostNord's 17-digit shipment IDs are
# left out: no check rule we could confirm. Taken compact, after "00"/"(00)", or in equal
# groups of 3-6 digits (the last may be shorter), not in any grouping: an order number and a
# phone number side by side ("47030535 040 123 4567") are 18 digits too and pass a check digit
# one time in ten. GS1's human-readable split ("3 7072215 213568787 4") is not taken for that
# reason; its groups follow the company prefix's length, which varies.
_GS1_RE = re.compile(_BEFORE + r"(?:\(00\) ?)?[0-9](?:[ -]?[0-9]){16,19}" + _AFTER)
_GS1_AI_RE = re.compile(r"\A(?:\(00\) ?|00[ -])")
_GS1_GROUP_RE = re.compile(r"[ -]")
_SSCC_CODE_RE = re.compile(r"(?:00)?([0-9]{18})")
_GSIN_CODE_RE = re.compile(r"[0-9]{17}")
_POSTNORD_PREFIXES = ("73", "57")
_BRING_PREFIX = "70"

# matkahuolto (unsure: no public specification found): Matkahuolto's parcel codes as printed
# with an "MH" prefix. Only that narrow shape is taken, "MH" + 10-14 digits and no inner
# spaces; there is no check digit to confirm it. Widen it once a real label has been seen.
_MATKAHUOLTO_RE = re.compile(_BEFORE + r"MH ?[0-9]{10,14}" + _AFTER, re.IGNORECASE)
_MATKAHUOLTO_CODE_RE = re.compile(r"MH[0-9]{10,14}")

# dhl: DHL Express waybills (sure): 10 digits, the last one the first nine modulo 7. One number
# in seven passes, and Finnish and Swedish phone numbers have 10 digits too, so a bare number
# counts only when the message says "DHL", never with a leading 0 (the national trunk prefix of
# every Finnish and Swedish phone number) or after "+", and only compact or grouped as DHL
# prints it ("12 3456 7890"). DHL's licence-plate piece IDs (fairly sure of the shapes, seen on
# DHL Parcel and eCommerce labels; no check digit): "JJD" + 15-20 digits and "JVGL" + 16-20
# digits, the letters being specific enough without the word "DHL".
_DHL_WAYBILL_RE = re.compile(r"(?<![\w+])[0-9]{2}(?: ?[0-9]{4}){2}" + _AFTER)
_DHL_PLATE_RE = re.compile(
    _BEFORE + r"(?:JJD(?: ?[0-9]){15,20}|JVGL(?: ?[0-9]){16,20})" + _AFTER, re.IGNORECASE
)
_DHL_WORD_RE = re.compile(r"\bDHL\b", re.IGNORECASE)
_DHL_CODE_RE = re.compile(r"[1-9][0-9]{9}|JJD[0-9]{15,20}|JVGL[0-9]{16,20}")

# ups (sure): "1Z", a 6-character shipper number, 2-digit service, package number and a check
# digit over the 15 characters after "1Z": letters count as (code point - 3) mod 10 (A=2, I=0),
# odd positions once, even positions twice, the check being what rounds the sum up to a ten.
# Printed as "1Z 999 AA1 01 2345 678 4", so single spaces are allowed anywhere in it.
_UPS_RE = re.compile(_BEFORE + r"1Z(?: ?[A-Z0-9]){16}" + _AFTER, re.IGNORECASE)
_UPS_CODE_RE = re.compile(r"1Z[A-Z0-9]{16}")


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit for an 8-digit serial number."""
    check = 11 - sum(w * int(d) for w, d in zip(_S10_WEIGHTS, serial, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits before it (SSCC, GSIN, GTIN alike)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return -total % 10


def ups_check_digit(body: str) -> int:
    """The UPS check digit for the 15 characters between "1Z" and the check digit."""
    values = [int(ch) if ch.isdigit() else (ord(ch) - 3) % 10 for ch in body]
    return -(sum(values[0::2]) + 2 * sum(values[1::2])) % 10


def compact_tracking_number(raw: str) -> str:
    """Upper-case and drop spaces, hyphens and brackets: the form carriers' and shops' APIs use."""
    return _SEPARATORS_RE.sub("", raw).upper()


def _is_s10(code: str) -> bool:
    match = _S10_CODE_RE.fullmatch(code)
    return match is not None and s10_check_digit(match[1][:8]) == int(match[1][8])


def _is_jjfi(code: str) -> bool:
    return _JJFI_CODE_RE.fullmatch(code) is not None


def _gs1_valid(digits: str) -> bool:
    return gs1_check_digit(digits[:-1]) == int(digits[-1])


def _sscc_prefix(code: str) -> str | None:
    """The first two digits of the GS1 prefix of a valid SSCC (with or without "00"), or None."""
    match = _SSCC_CODE_RE.fullmatch(code)
    if match is None or not _gs1_valid(match[1]):
        return None
    return match[1][1:3]


def _printed_gs1(raw: str) -> bool:
    """Whether a GS1 candidate is compact or evenly grouped (see the comment at _GS1_RE)."""
    groups = _GS1_GROUP_RE.split(_GS1_AI_RE.sub("", raw))
    size = len(groups[0])
    if len(groups) == 1:
        return True
    return 3 <= size <= 6 and all(len(g) == size for g in groups[:-1]) and len(groups[-1]) <= size


def _is_postnord(code: str) -> bool:
    return _sscc_prefix(code) in _POSTNORD_PREFIXES


def _is_bring(code: str) -> bool:
    if _GSIN_CODE_RE.fullmatch(code):
        return code.startswith(_BRING_PREFIX) and _gs1_valid(code)
    return _sscc_prefix(code) == _BRING_PREFIX


def _is_matkahuolto(code: str) -> bool:
    return _MATKAHUOLTO_CODE_RE.fullmatch(code) is not None


def _is_dhl(code: str) -> bool:
    if _DHL_CODE_RE.fullmatch(code) is None:
        return False
    return not code.isdigit() or int(code[:9]) % 7 == int(code[9])


def _is_ups(code: str) -> bool:
    return _UPS_CODE_RE.fullmatch(code) is not None and (
        code[17].isdigit() and ups_check_digit(code[2:17]) == int(code[17])
    )


def _finder(
    pattern: re.Pattern[str],
    valid: Callable[[str], bool],
    printed: Callable[[str], bool] = lambda raw: True,
) -> Callable[[str], Iterator[Entity]]:
    """A detector: tokens from `pattern`, written as `printed` allows, whose value is `valid`."""

    def find(text: str) -> Iterator[Entity]:
        for match in pattern.finditer(text):
            value = compact_tracking_number(match[0])
            if printed(match[0]) and valid(value):
                yield Entity(EntityType.TRACKING_NUMBER, match.start(), match.end(), value)

    return find


_find_dhl_plates = _finder(_DHL_PLATE_RE, _is_dhl)
_find_dhl_waybills = _finder(_DHL_WAYBILL_RE, _is_dhl)


def _find_dhl(text: str) -> Iterator[Entity]:
    """DHL piece IDs anywhere; bare 10-digit waybills only in a message that names DHL."""
    yield from _find_dhl_plates(text)
    if _DHL_WORD_RE.search(text):
        yield from _find_dhl_waybills(text)


# Per format: its detector, and the same rule for one compact code (tracking_format()).
_FORMATS: dict[str, tuple[Callable[[str], Iterator[Entity]], Callable[[str], bool]]] = {
    "upu_s10": (_finder(_S10_RE, _is_s10), _is_s10),
    "posti_jjfi": (_finder(_JJFI_RE, _is_jjfi), _is_jjfi),
    "postnord": (_finder(_GS1_RE, _is_postnord, _printed_gs1), _is_postnord),
    "bring": (_finder(_GS1_RE, _is_bring, _printed_gs1), _is_bring),
    "matkahuolto": (_finder(_MATKAHUOLTO_RE, _is_matkahuolto), _is_matkahuolto),
    "dhl": (_find_dhl, _is_dhl),
    "ups": (_finder(_UPS_RE, _is_ups), _is_ups),
}

TRACKING_FORMATS: dict[str, Callable[[str], Iterator[Entity]]] = {
    name: find for name, (find, _valid) in _FORMATS.items()
}


def find_tracking_numbers(text: str, formats: tuple[str, ...]) -> Iterator[Entity]:
    """Tracking numbers in any of the named formats (names validated by EntityPatterns)."""
    for name in formats:
        yield from TRACKING_FORMATS[name](text)


def tracking_format(code: str) -> str | None:
    """The name of the format a tracking number is in, or None; spaces and case don't matter."""
    # No context here: a code handed over as a tracking number needs no "DHL" next to it.
    compact = compact_tracking_number(code)
    return next((name for name, (_find, valid) in _FORMATS.items() if valid(compact)), None)


def compile_order_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a tenant's order-number regex so that it only matches whole tokens."""
    # Case-insensitive because shoppers type "ab-1234" for "AB-1234"; values are upper-cased.
    return re.compile(f"{_BEFORE}(?:{pattern}){_AFTER}", re.IGNORECASE)


# Digits typed in groups ("40-056-789", "4001 2345"): up to five groups, single separators.
_DIGIT_GROUPS = re.compile(r"(?<![\w-])[0-9]+(?:[ -][0-9]+){1,4}(?![\w-])")
_GROUP = re.compile(r"[0-9]+")


def find_order_numbers(text: str, pattern: re.Pattern[str] | None) -> Iterator[Entity]:
    """Order numbers matching the tenant's compiled pattern, value reduced to letters/digits."""
    if pattern is None:
        return
    for match in pattern.finditer(text):
        if match.end() > match.start():
            value = "".join(ch for ch in match[0] if ch.isalnum()).upper()
            yield Entity(EntityType.ORDER_NUMBER, match.start(), match.end(), value)


def find_grouped_order_numbers(
    text: str, pattern: re.Pattern[str] | None, taken: Sequence[tuple[int, int]]
) -> Iterator[Entity]:
    """Order numbers a shopper typed in groups ("40-056-789", "4001 2345").

    The whole run of groups must match the tenant's pattern (written for the number as the shop
    prints it), and nothing else may claim any of its digits: detect() asks after the phone
    numbers, since a number written in groups is more often a phone number.
    """
    if pattern is None:
        return
    for run in _DIGIT_GROUPS.finditer(text):
        if any(run.start() < end and start < run.end() for start, end in taken):
            continue
        digits = "".join(_GROUP.findall(run[0]))
        if pattern.fullmatch(digits):
            yield Entity(EntityType.ORDER_NUMBER, run.start(), run.end(), digits)

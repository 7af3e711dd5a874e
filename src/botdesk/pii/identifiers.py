"""Checksummed identifiers: Nordic national IDs, IBANs and payment card numbers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from stdnum import ean, iban, luhn
from stdnum.dk import cpr
from stdnum.exceptions import ValidationError
from stdnum.fi import hetu
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from botdesk.pii.entities import Entity, EntityType

_BEFORE = r"(?<![\w+-])"
_AFTER = r"(?![\w+-])"

# Finnish HETU: DDMMYY, century sign, 3-digit individual number, mod-31 control character.
_HETU_RE = re.compile(_BEFORE + r"[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-Y]" + _AFTER, re.IGNORECASE)
# DDMMYY-NNNN (Danish CPR) and YYMMDD-NNNN / YYYYMMDD-NNNN (Swedish personnummer).
_DASHED_RE = re.compile(_BEFORE + r"(?:[0-9]{2})?[0-9]{6}[-+][0-9]{4}" + _AFTER)
# Swedish 12-digit form: the century prefix makes an unseparated number specific enough.
_SE_LONG_RE = re.compile(_BEFORE + r"(?:19|20)[0-9]{10}" + _AFTER)
# Norwegian fødselsnummer: 11 digits with two mod-11 check digits, often "DDMMYY NNNNN".
_NO_RE = re.compile(_BEFORE + r"[0-9]{6} ?[0-9]{5}" + _AFTER)
# Unseparated 10-digit "YYMMDDNNNN"/"DDMMYYNNNN" is deliberately not matched: Swedish Luhn
# passes one random number in ten and Danish CPR has had no checksum since 2007, so Finnish
# mobile numbers ("0401234567") and order numbers would turn into national IDs.

# Country, check digits, then groups of four; spaced and compact forms share one pattern.
_IBAN_RE = re.compile(
    r"(?<!\w)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?!\w)", re.IGNORECASE
)

# Compact 13-19 digits, or the grouped forms printed on cards: 4-4-4-4(-3), 4-4-4-1 and 4-6-5.
_CARD_RE = re.compile(
    r"(?<![\w-])(?:[0-9]{13,19}"
    r"|[0-9]{4}(?P<sep>[ -])[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{1,4}(?:(?P=sep)[0-9]{3})?"
    r"|[0-9]{4}(?P<sep2>[ -])[0-9]{6}(?P=sep2)[0-9]{4,5})(?![\w-])"
)


def _validated(validate: Callable[[str], str], candidate: str) -> str | None:
    """The library's compact form of a valid number, or None."""
    try:
        return validate(candidate)
    except ValidationError:
        return None


def _se_or_dk(candidate: str) -> str | None:
    """A dashed Swedish personnummer (Luhn) or, failing that, a Danish CPR (date only)."""
    return _validated(personnummer.validate, candidate) or _validated(cpr.validate, candidate)


_NATIONAL_ID_RULES: tuple[tuple[re.Pattern[str], Callable[[str], str | None]], ...] = (
    (_HETU_RE, lambda c: _validated(hetu.validate, c)),
    (_DASHED_RE, _se_or_dk),
    (_SE_LONG_RE, lambda c: _validated(personnummer.validate, c)),
    (_NO_RE, lambda c: _validated(fodselsnummer.validate, c)),
)


def find_national_ids(text: str) -> Iterator[Entity]:
    """Finnish, Swedish, Norwegian and Danish personal identity numbers that validate."""
    for pattern, validate in _NATIONAL_ID_RULES:
        for match in pattern.finditer(text):
            value = validate(match[0])
            if value is not None:
                yield Entity(EntityType.NATIONAL_ID, match.start(), match.end(), value)


def find_ibans(text: str) -> Iterator[Entity]:
    """IBANs with a valid mod-97 check and country-specific account format."""
    for match in _IBAN_RE.finditer(text):
        # A spaced IBAN can run into a following word ("... 7466 tack"): retry without the
        # trailing groups one at a time until it validates or nothing is left to drop.
        candidate = match[0]
        while True:
            value = _validated(iban.validate, candidate)
            if value is not None:
                start = match.start()
                yield Entity(EntityType.IBAN, start, start + len(candidate), value)
                break
            cut = candidate.rfind(" ")
            if cut < 15:
                break
            candidate = candidate[:cut]


def find_cards(text: str) -> Iterator[Entity]:
    """Payment card numbers: plausible issuer prefix, 13-19 digits and a valid Luhn digit."""
    for match in _CARD_RE.finditer(text):
        digits = re.sub(r"[ -]", "", match[0])
        # A bare 13-digit number that is a valid EAN-13 is a product barcode: 13-digit cards
        # (old Visa) are out of circulation, barcodes are in every product question.
        if len(match[0]) == 13 and ean.is_valid(digits):
            continue
        if 13 <= len(digits) <= 19 and _plausible_issuer(digits) and luhn.is_valid(digits):
            yield Entity(EntityType.CARD, match.start(), match.end(), digits)


def _plausible_issuer(digits: str) -> bool:
    """Whether the number starts with a card network's IIN range (Luhn alone passes 1 in 10)."""
    # Lengths for the networks that fix them: an 18-digit "37..." is a Bring parcel's SSCC, not
    # an American Express card, and the SSCC's own check digit is no Luhn digit.
    two, four, length = int(digits[:2]), int(digits[:4]), len(digits)
    return (
        (digits[0] == "4" and length in (13, 16, 19))  # Visa
        or ((51 <= two <= 55 or 2221 <= four <= 2720) and length == 16)  # Mastercard
        or (two in (34, 37) and length == 15)  # American Express
        or two in (36, 38, 39)  # Diners Club
        or 300 <= int(digits[:3]) <= 305  # Diners Club Carte Blanche
        or 3528 <= four <= 3589  # JCB
        or two in (50, 56, 57, 58)  # Maestro
        or digits[0] == "6"  # Maestro, Discover, UnionPay
    )

"""Street addresses in Finnish, Swedish, Norwegian, Danish and English shapes (heuristic).

An address is a street name with a house number, optionally followed by a staircase/flat part
and a postcode with its town:

    FI  Mannerheimintie 12 B 34, 00100 Helsinki     street word ends in -tie, -katu, -kuja …
    SE  Storgatan 5, lgh 1102, 114 51 Stockholm     -gatan, -vägen, -gränd …
    NO  Karl Johans gate 1, 0154 Oslo               "gate"/"vei" as a word or an ending
    DK  Vesterbrogade 10, 3. tv, 1620 København V   -vej, -gade, -allé …
    EN  221B Baker Street                           the number first, then Street/Road/…

A house number is required: "Storgatan" alone is a street, which identifies nobody, and the
number is what keeps words that merely end like a street out. A postcode and a known town with
no street ("00100 Helsinki") is also taken, since together with a name it locates a person;
a town alone ("do you ship to Bergen?") is not personal data and is left alone. After an
address cue ("osoitteeni on", "min adress är", "my address is") any capitalised words followed
by a number count, which covers streets with unusual names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from botdesk.pii.entities import Entity, EntityType
from botdesk.pii.lexicon import CITIES, NOT_NAMES

_L = r"[^\W\d_]"  # any letter
_UP = r"[A-ZÄÖÅÆØÜ]"
_NOT_IN_WORD_BEFORE = r"(?<![\w-])"
_NOT_IN_WORD_AFTER = rf"(?!{_L})"

# Endings of one-word street names; the ending must follow at least two letters.
_STREET_ENDINGS = (
    # Finnish
    "tie", "katu", "kuja", "polku", "tori", "ranta", "raitti", "kaari", "rinne", "väylä",
    "aukio", "kierros", "puistikko", "portti", "mäki", "tanhua", "pelto", "niitty",
    # Swedish
    "gatan", "gata", "vägen", "väg", "gränd", "torget", "backe", "backen", "stigen", "allén",
    "leden", "plan",
    # Norwegian
    "veien", "vegen", "vei", "veg", "gaten", "gate", "stien", "bakken", "plass", "allé",
    "svingen", "tunet",
    # Danish
    "vej", "vejen", "gade", "gaden", "vænget", "stræde", "boulevard", "torv", "plads", "parken",
    "have",
)  # fmt: skip
# Street words written apart from the name: "Karl Johans gate", "Bygdøy allé".
_STREET_WORDS = ("gate", "gata", "gaten", "vei", "veien", "veg", "vej", "gade", "allé", "plass",
                 "torg", "väg", "vägen", "gatan", "tie", "katu", "plads", "stræde")  # fmt: skip
_EN_STREET_WORDS = (
    "Street", "St", "Road", "Rd", "Avenue", "Ave", "Lane", "Ln", "Drive", "Close", "Way",
    "Court", "Place", "Terrace", "Crescent", "Gardens", "Grove", "Square", "Row", "Hill",
    "Mews", "Walk", "Boulevard", "Parade",
)  # fmt: skip


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


# "12", "12 B", "12b", "12 B 34", "12 as 5", "5, lgh 1102", "10, 3. tv", "1 H0201".
_NUMBER = (
    rf"\d{{1,4}}(?:\s?[A-HJ-NP-Za-hj-np-z]{_NOT_IN_WORD_AFTER}(?:\s?\d{{1,3}}(?!\d))?)?"
    rf"(?:,?\s(?:as|asunto|lgh|lägenhet)\.?\s?\d{{1,4}}"
    rf"|,?\s(?:\d{{1,2}}\.\s?(?:tv|th|mf)\.?|st\.\s?(?:tv|th|mf)?\.?)|,?\s[Hh]\d{{4}})?"
)
# ", 00100 Helsinki", " 114 51 Stockholm", ", DK-1620 København V", ", NW1 6XE London".
_TOWN = rf"(?:{_UP}{_L}+(?:-{_UP}{_L}+)?|{_L}+)(?:\s(?:NV|SV|NØ|SØ|[VKØNSC])(?!{_L}))?"
_POSTCODE = r"(?:(?:FI|SE|S|NO|N|DK)-)?(?:\d{5}|\d{3}\s\d{2}|\d{4})"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_TAIL = rf"(?:,?\s{{1,2}}(?:{_POSTCODE}\s{_TOWN}|(?:{_UP}{_L}+,?\s)?{_UK_POSTCODE}))?"

# One word ending like a street: case-insensitive, shoppers type "mannerheimintie 12 b 34".
_COMPOUND_RE = re.compile(
    rf"{_NOT_IN_WORD_BEFORE}{_L}{{2,}}(?:{_alternation(_STREET_ENDINGS)})\s{_NUMBER}{_TAIL}(?![\w-])",
    re.IGNORECASE,
)
# Capitalised words, then a separate street word: "Karl Johans gate 1", "Bygdøy allé 5".
_MULTI_WORD_RE = re.compile(
    rf"{_NOT_IN_WORD_BEFORE}(?:{_UP}{_L}*\.?\s){{1,3}}(?i:{_alternation(_STREET_WORDS)})"
    rf"\s{_NUMBER}{_TAIL}(?![\w-])"
)
_ENGLISH_RE = re.compile(
    _NOT_IN_WORD_BEFORE
    + rf"\d{{1,4}}[A-Za-z]?,?\s(?:{_UP}{_L}+\s){{1,3}}(?:{_alternation(_EN_STREET_WORDS)})\b\.?"
    + rf"(?:,\s{_UP}{_L}+)?{_TAIL}"
)
_ENGLISH_LOWER_RE = re.compile(
    _NOT_IN_WORD_BEFORE + r"\d{1,4}[a-z]?\s[a-z]{3,}\s(?:street|road|avenue|lane)\b"
)
_CITY_RE = re.compile(
    _NOT_IN_WORD_BEFORE
    + rf"{_POSTCODE}\s(?:{_alternation(tuple(CITIES))})(?:\s(?:NV|SV|[VKØNSC])(?!{_L}))?"
    + _NOT_IN_WORD_AFTER,
    re.IGNORECASE,
)
# A British postcode is specific enough alone ("EH1 1YZ"); the town before it goes with it.
_UK_POSTCODE_RE = re.compile(
    rf"(?<![\w-])(?:{_UP}{_L}+,?\s)?[A-Z]{{1,2}}\d[A-Z\d]?\s\d[A-Z]{{2}}(?![\w-])"
)
_CUE_RE = re.compile(
    r"(?<!\w)(?:osoitteeni|osoite|osoitteeseen|osoitteella|toimitusosoite|kotiosoite"
    r"|min adress|adressen|adress|leveransadress|hemadress|bor på|adresse|adressa|adressen min"
    r"|leveringsadresse|leveringsadressen|my address|address|shipping address|i live at)"
    rf"(?:\s(?:on|är|er|is))?\s*:?\s+(?={_UP})",
    re.IGNORECASE,
)
_AFTER_CUE_RE = re.compile(
    rf"{_UP}{_L}+(?:\s{_L}+){{0,2}}\s{_NUMBER}{_TAIL}(?![\w-])",
)
_DIGIT_RE = re.compile(r"\d")


def _trim(text: str, start: int, end: int) -> Entity | None:
    """Drop greeting or cue words an over-eager multi-word street name took in."""
    while True:
        space = text.find(" ", start, end)
        if space < 0 or text[start:space].lower().strip(".:,") not in _LEADING_NOISE:
            break
        start = space + 1
    if not _DIGIT_RE.search(text, start, end):
        return None
    return _entity(text, start, end)


_LEADING_NOISE = NOT_NAMES | {
    "osoite", "toimitusosoite", "adress", "leveransadress", "adresse", "leveringsadresse",
    "address", "till", "til", "to",
}  # fmt: skip


def find_addresses(text: str) -> list[Entity]:
    """Candidate street-address spans (they may overlap; the caller resolves overlaps)."""
    if not _DIGIT_RE.search(text):
        return []  # every shape has a house number or a postcode
    found = [
        entity
        for pattern in (_COMPOUND_RE, _MULTI_WORD_RE)
        for match in pattern.finditer(text)
        if (entity := _trim(text, match.start(), match.end())) is not None
    ]
    for pattern in (_ENGLISH_RE, _ENGLISH_LOWER_RE, _CITY_RE, _UK_POSTCODE_RE):
        found += (_entity(text, m.start(), m.end()) for m in pattern.finditer(text))
    found.extend(_after_cues(text))
    return found


def _entity(text: str, start: int, end: int) -> Entity:
    return Entity(EntityType.ADDRESS, start, end, " ".join(text[start:end].split()))


def _after_cues(text: str) -> Iterator[Entity]:
    for cue in _CUE_RE.finditer(text):
        match = _AFTER_CUE_RE.match(text, cue.end())
        if match is not None:
            yield _entity(text, match.start(), match.end())


# Doubt: an address cue with a number after it in the same sentence that no shape above took
# ("my address is flat 3, the old mill", "osoite: kotikuja 7 c"): for dropping, not redacting.
_DOUBT_CUE_RE = re.compile(
    r"(?<!\w)(?:osoit\w*|kotiosoit\w*|toimitusosoit\w*|asun|adress\w*|leveransadress\w*"
    r"|hemadress\w*|bor på|bor i|adresse\w*|leveringsadress\w*|address\w*|i live)"
    r"(?!\w)[^.!?\n]{0,60}?[0-9]",
    re.IGNORECASE,
)


def uncertain_addresses(text: str) -> list[tuple[int, int]]:
    """Spans from an address cue to a digit after it, in already redacted text."""
    return [match.span() for match in _DOUBT_CUE_RE.finditer(text)]

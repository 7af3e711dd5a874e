"""Contact details: e-mail addresses and phone numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

from botdesk.pii.entities import Entity, EntityType

# Pragmatic rather than RFC 5322: dotted local part, dotted domain, alphabetic TLD. \w admits
# "ä" and friends, which internationalised addresses use and shoppers do type.
_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}(?![\w-])"
)

# Addresses written to dodge harvesters: "maija (at) example (dot) com", "maija[at]example.fi",
# "maija at example dot com", "maija ät example piste fi", "maija snabel-a example punkt se".
# The "@" must be disguised (in brackets, or as a word between spaces) and the domain end in a
# letters-only top-level domain; a plain "maija@example.com" is _EMAIL_RE's.
_AT_WORDS = r"(?:at|ät|@|miuku|miukumauku|kissanhäntä|snabel-a|snabela|krøllalfa)"
_DOT_WORDS = r"(?:dot|piste|punkt|pkt|prikk|punktum)"
_OPEN, _CLOSE = r"[(\[{<]", r"[)\]}>]"
_OBFUSCATED_AT = rf"(?:\s*{_OPEN}\s*(?:{_AT_WORDS}|a)\s*{_CLOSE}\s*|\s+(?P<bare>{_AT_WORDS})\s+)"
_OBFUSCATED_DOT = rf"(?:\s*{_OPEN}\s*(?:{_DOT_WORDS}|\.)\s*{_CLOSE}\s*|\s+{_DOT_WORDS}\s+|\.)"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_OBFUSCATED_RE = re.compile(
    rf"(?<![\w.%+-])(?P<local>[\w%+-]+(?:\.[\w%+-]+)*){_OBFUSCATED_AT}"
    rf"(?P<domain>{_LABEL}(?:{_OBFUSCATED_DOT}{_LABEL})*){_OBFUSCATED_DOT}"
    rf"(?P<tld>[^\W\d_]{{2,24}})(?![\w-])",
    re.IGNORECASE,
)
_DOT_SPLIT_RE = re.compile(_OBFUSCATED_DOT, re.IGNORECASE)
# "price at verkkokauppa.com" is a shop, not an address: with a bare "at" and plain dots the
# local part must look like a mailbox (a digit or . _ + -) or the domain be a webmail's.
# What is left ("maija at example.com") is no sure address; samples drop it (pii/doubts.py).
_MAILBOX_LIKE_RE = re.compile(r"[0-9._+-]")
_WEBMAIL_NAMES = """
    gmail googlemail hotmail outlook live msn yahoo icloud me mac aol gmx protonmail proton pm
    mail kolumbus luukku elisanet welho saunalahti suomi24 telia netti online
"""
_WEBMAIL = frozenset(_WEBMAIL_NAMES.split())

# No valid number anywhere has fewer digits; skipping phonenumbers then saves most of the cost.
MIN_PHONE_DIGITS = 6
_MAX_PHONE_DIGITS = 17  # E.164 allows 15, plus a "00" international prefix
_DIGIT_RE = re.compile(r"[0-9]")

# Digit runs that could be one phone number: single spaces, hyphens (optionally spaced) and
# parentheses between digits. Dots and slashes are left out because they make dates and sizes.
# A run never starts after a decimal point: "Jacket 2.0 2026-11-12" holds no "0 2026…" phone.
_RUN_RE = re.compile(r"(?<![\w+])(?<![0-9][.,])[+(]?[0-9](?:(?: ?- ?| |\) ?| ?\()?[0-9])*")
_DATE_RE = re.compile(r"[0-9]{1,2}-[0-9]{1,2}-(?:[0-9]{4}|[0-9]{2})|[0-9]{4}-[0-9]{2}-[0-9]{2}")
_GROUPED_RE = re.compile(r"[0-9]+(?: [0-9]+)+")
_LONG_GROUP_RE = re.compile(r"[0-9]{3}")

# Words that say "a phone number follows/precedes", in fi/sv/nb/da/en.
_PHONE_WORD_RE = re.compile(
    r"\b(?:puh|puhelin\w*|soit\w*|gsm|kännyk\w*|kanny\w*|mobiil\w*|tel|tlf|telefon\w*"
    r"|telephone|mobil\w*|ring\w*|phone\w*|call\w*|sms|whatsapp|tavoit\w*|reach|nås"
    r"|nå (?:meg|mig)|fange mig)\b",
    re.IGNORECASE,
)
_WORD_WINDOW_BEFORE = 40
_WORD_WINDOW_AFTER = 30


def find_emails(text: str) -> Iterator[Entity]:
    """E-mail addresses, value lower-cased (case is not significant in practice)."""
    if "@" not in text:
        return
    for match in _EMAIL_RE.finditer(text):
        yield Entity(EntityType.EMAIL, match.start(), match.end(), match[0].lower())


def find_obfuscated_emails(text: str) -> Iterator[Entity]:
    """E-mail addresses with a disguised "@", value the plain lower-case address."""
    for match in _OBFUSCATED_RE.finditer(text):
        labels = [*_DOT_SPLIT_RE.split(match["domain"]), match["tld"]]
        separators = _DOT_SPLIT_RE.findall(text, match.start("domain"), match.end())
        plain_dots = all(separator == "." for separator in separators)
        if (
            match["bare"] is not None
            and plain_dots
            and not _MAILBOX_LIKE_RE.search(match["local"])
            and labels[0].lower() not in _WEBMAIL
        ):
            continue
        value = f"{match['local']}@{'.'.join(labels)}".lower()
        yield Entity(EntityType.EMAIL, match.start(), match.end(), value)


def find_phones(
    text: str, regions: Sequence[str], protected: Sequence[tuple[int, int]] = ()
) -> list[Entity]:
    """Valid phone numbers in E.164; regions are tried in order for numbers without a +code."""
    # `protected` holds what the other detectors found: it is not parsed again, and a number in
    # national format never swallows it ("tilaus 40012345 2 kpl" is no Norwegian phone).
    if len(_DIGIT_RE.findall(text)) < MIN_PHONE_DIGITS:
        return []
    found: list[Entity] = []
    for start, end in _candidate_spans(text, protected):
        raw = text[start:end]
        if not _has_phone_evidence(text, raw, start, end):
            continue  # decided before parsing: phonenumbers is the expensive part
        international = raw.lstrip("(").startswith(("+", "00"))
        if international:
            tried: Sequence[str | None] = [regions[0] if regions else None]
        else:
            tried = regions
        best: list[Entity] = []
        for region in tried:
            read = _read_run(text, raw, start, region)
            # The region that reads most of the run wins, the tenant's order breaking ties:
            # "07246 841595" is a whole British number, not a Finnish "07246" and some digits.
            if sum(e.end - e.start for e in read) > sum(e.end - e.start for e in best):
                best = read
            if best and best[0].start == start and best[-1].end == end:
                break  # the whole run is read: no later region can do better
        found += best
    return found


def _read_run(text: str, raw: str, start: int, region: str | None) -> list[Entity]:
    """The valid phone numbers one region reads in a digit run."""
    read = []
    # PhoneNumberMatcher on the short run, not the message: same result, far cheaper.
    for match in PhoneNumberMatcher(raw, region, leniency=Leniency.VALID):
        m_start, m_end = start + match.start, start + match.end
        if _has_phone_evidence(text, match.raw_string, m_start, m_end):
            e164 = phonenumbers.format_number(match.number, PhoneNumberFormat.E164)
            read.append(Entity(EntityType.PHONE, m_start, m_end, e164))
    return read


def _candidate_spans(text: str, protected: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Digit runs with a phone number's digit count; national-format runs skip protected spans."""
    for run in _RUN_RE.finditer(text):
        start, end = run.span()
        if run[0].lstrip("(").startswith(("+", "00")):
            # "+47 40012345" is a phone around an order number; the longer span wins later.
            pieces = [(start, end)]
        else:
            pieces = _subtract(start, end, protected)
        for p_start, p_end in pieces:
            for sub in _RUN_RE.finditer(text, p_start, p_end):
                digits = len(_DIGIT_RE.findall(sub[0]))
                if MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS:
                    yield sub.span()


def _subtract(start: int, end: int, protected: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [start, end) not covered by any protected span."""
    pieces = [(start, end)]
    for p_start, p_end in protected:
        pieces = [
            part
            for a, b in pieces
            for part in ((a, min(b, p_start)), (max(a, p_end), b))
            if part[0] < part[1]
        ]
    return pieces


def _has_phone_evidence(text: str, raw: str, start: int, end: int) -> bool:
    """Whether a digit run is written the way people write phone numbers."""
    body = raw.lstrip("(")
    if body.startswith(("+", "00")):
        return True
    if _DATE_RE.fullmatch(raw):
        return False
    # A trunk "0" (Finland, Sweden) marks a national phone number; IDs and prices lack it.
    if body.startswith("0"):
        return True
    # Norway and Denmark use plain 8-digit numbers, and so do many shops' order and customer
    # numbers, so a bare digit string needs evidence. Space-grouping counts only with a group
    # of three or more digits: "36 38 40 42" is a list of sizes as often as a Danish number.
    if _GROUPED_RE.fullmatch(raw) and _LONG_GROUP_RE.search(raw):
        return True
    before = text[max(0, start - _WORD_WINDOW_BEFORE) : start]
    after = text[end : end + _WORD_WINDOW_AFTER]
    return bool(_PHONE_WORD_RE.search(before) or _PHONE_WORD_RE.search(after))

"""Whether a redacted text may still hold personal data: then a question sample is dropped.

Redaction replaces what the detectors are sure of. What they are not sure of is still personal
data often enough that a sample holding it is not worth keeping, since a sample is kept for
months and read by people improving the bot. Each rule names one kind of leftover; ordinary
questions ("where is my order?", "do you ship to Norway?", "size 42 shoes") trip none:

- `at_sign`: an "@" (an address the email pattern did not take);
- `digits`: a run of 5+ digits (an order, customer or account number in an undeclared shape),
  except a product barcode: a valid EAN-13 right after "EAN", "GTIN" or "barcode" (fi/sv/nb/da);
- `digit_groups`: 9+ digits in groups ("4111 1111 1111 1112", an IBAN or card with a typo);
- `code`: a token of 6+ characters mixing letters and digits with 3+ digits or 4+ alternations
  ("AB-12345", "X7kq9Lp2", "FI21 1234…"), unless it is a measure ("1000mAh", "100x200cm");
- `query`: a URL parameter ("?id=…", "&email=…") outside a redacted URL;
- `mailbox`: "name at domain.tld" (an address the obfuscated-email pattern was unsure of);
- `name`: a word after "my name is"/"nimeni on", a capitalised word after "I am"/"olen", or a
  capitalised given name or Nordic surname inside a sentence (pii/names.py);
- `address`: an address cue ("osoite", "adress", "my address") with a number after it in the
  same sentence (pii/addresses.py).

The rules read text in which every detected span is already a <TYPE> placeholder, so what the
redactor took is never counted twice, and the shop's own contact details (let through in the
stored sample) are placeholders here as well.
"""

from __future__ import annotations

import re

from stdnum import ean

from botdesk.pii.addresses import uncertain_addresses
from botdesk.pii.names import uncertain_names
from botdesk.pii.numbers import MIN_DIGITS

_DIGITS_RE = re.compile(rf"[0-9]{{{MIN_DIGITS},}}")
_BARCODE_RE = re.compile(
    r"(?<!\w)(?:EAN(?:-13)?|GTIN|barcode|viivakoodi\w*|streckkod\w*|strekkode\w*|stregkode\w*)"
    r"[\s:.#-]{1,3}([0-9]{13})(?![0-9])",
    re.IGNORECASE,
)
_GROUPS_RE = re.compile(r"(?<![0-9])[0-9]+(?:[ -][0-9]+)+(?![0-9])")
_MIN_GROUPED_DIGITS = 9
_TOKEN_RE = re.compile(r"[^\s/]+")
_EDGE_PUNCTUATION = ".,;:!?\"'()[]{}<>"
_MEASURE_RE = re.compile(
    r"[0-9]+(?:[.,][0-9]+)?(?:[x\u00d7*][0-9]+(?:[.,][0-9]+)?)*[^\W\d_]{1,4}", re.IGNORECASE
)
_RUNS_RE = re.compile(r"[0-9]+|[^\W\d_]+")
_MIN_CODE_LENGTH = 6
_QUERY_RE = re.compile(r"[?&][^\s=&#?]+=")
_MAILBOX_RE = re.compile(
    r"(?<![\w.+-])[\w.+-]+\s+(?:at|ät)\s+[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?!\w)", re.IGNORECASE
)


def doubts(redacted: str) -> list[str]:
    """The rules (above) that `redacted` trips, in the order listed; empty if none."""
    found = []
    if "@" in redacted:
        found.append("at_sign")
    if _DIGITS_RE.search(_BARCODE_RE.sub(_unless_valid, redacted)):
        found.append("digits")
    if any(_grouped(m[0]) for m in _GROUPS_RE.finditer(redacted)):
        found.append("digit_groups")
    if any(_code_like(m[0].strip(_EDGE_PUNCTUATION)) for m in _TOKEN_RE.finditer(redacted)):
        found.append("code")
    if _QUERY_RE.search(redacted):
        found.append("query")
    if _MAILBOX_RE.search(redacted):
        found.append("mailbox")
    if uncertain_names(redacted):
        found.append("name")
    if uncertain_addresses(redacted):
        found.append("address")
    return found


def _unless_valid(barcode: re.Match[str]) -> str:
    """A cued barcode that passes its check digit, blanked out; anything else left as it is."""
    return " " if ean.is_valid(barcode[1]) else barcode[0]


def _grouped(run: str) -> bool:
    groups = re.findall(r"[0-9]+", run)
    return sum(map(len, groups)) >= _MIN_GROUPED_DIGITS and max(map(len, groups)) >= 3


def _code_like(token: str) -> bool:
    if len(token) < _MIN_CODE_LENGTH or token.startswith("<"):
        return False
    digits = sum(ch.isdigit() for ch in token)
    if not digits or not any(ch.isalpha() for ch in token) or _MEASURE_RE.fullmatch(token):
        return False
    return digits >= 3 or len(_RUNS_RE.findall(token)) >= 4

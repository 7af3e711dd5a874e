"""Network identifiers: IP addresses, and URLs that carry parameters or credentials.

An IP address is personal data (it points at a household's connection), and so is a URL whose
query string or fragment holds a session, an order or an email ("…/orders?id=4123&email=…").
A plain shop link ("https://shop.example/products/jacket") is not, and is left alone so that
a question about a product page stays readable. Both are validated by the standard library:
`ipaddress` decides what is an address, so "12:30:45" and "2.0.1" never are.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from botdesk.pii.entities import Entity, EntityType

# Dotted quads, optionally with a port; validated below (each part 0-255, no leading zeros).
_IPV4_RE = re.compile(r"(?<![\w.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?::[0-9]{1,5})?(?![\w]|\.[0-9])")
# Hex groups with two or more colons ("fe80::1", "2001:db8:0:0:0:0:2:1"); validated below.
_IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_URL_RE = re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
# Sentence punctuation typed right after a link is not part of it.
_URL_TRAILER = ".,;:!?)]}'\""


def find_ip_addresses(text: str) -> Iterator[Entity]:
    """IPv4 (with an optional port) and IPv6 addresses; value is the address, port dropped."""
    for match in _IPV4_RE.finditer(text):
        address = match[0].split(":", 1)[0]
        try:
            value = str(ipaddress.IPv4Address(address))
        except ValueError:
            continue
        yield Entity(EntityType.IP_ADDRESS, match.start(), match.end(), value)
    for match in _IPV6_RE.finditer(text):
        if sum(ch in "0123456789abcdefABCDEF" for ch in match[0]) < 2:
            continue  # "::" alone, or clock-like colons
        try:
            value = str(ipaddress.IPv6Address(match[0]))
        except ValueError:
            continue
        yield Entity(EntityType.IP_ADDRESS, match.start(), match.end(), value)


def find_parameter_urls(text: str) -> Iterator[Entity]:
    """Links with a query string, a fragment or user:password@ in them: the whole link."""
    for match in _URL_RE.finditer(text):
        url = match[0].rstrip(_URL_TRAILER)
        after_scheme = url.split("://", 1)[-1]
        host = after_scheme.split("/", 1)[0]
        if "?" in after_scheme or "#" in after_scheme or "@" in host or "=" in after_scheme:
            yield Entity(EntityType.URL, match.start(), match.start() + len(url), url)

"""The client address behind trusted proxies (clients.py): what per-address limits key on."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from botdesk.clients import ClientAddresses


def request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # An untrusted peer's header is not believed: anyone can send one.
        ("203.0.113.9", ["198.51.100.7"], "203.0.113.9"),
        # A trusted proxy: the nearest address it did not add itself.
        ("10.0.0.2", ["198.51.100.7"], "198.51.100.7"),
        ("10.0.0.2", ["1.2.3.4, 198.51.100.7, 10.0.0.3"], "198.51.100.7"),
        ("10.0.0.2", ["1.2.3.4", "198.51.100.7"], "198.51.100.7"),
        # Ports some proxies append, IPv4 and IPv6.
        ("10.0.0.2", ["198.51.100.7:51234"], "198.51.100.7"),
        ("10.0.0.2", ["[2001:db8::1]:443"], "2001:db8::1"),
        # A malformed chain is not believed at all; an all-trusted chain is the proxy's.
        ("10.0.0.2", ["198.51.100.7, not-an-ip"], "10.0.0.2"),
        ("10.0.0.2", ["10.0.0.5"], "10.0.0.2"),
        ("10.0.0.2", [], "10.0.0.2"),
    ],
)
def test_forwarded_for_is_read_only_from_trusted_proxies(
    peer: str, forwarded: list[str], expected: str
) -> None:
    assert ClientAddresses(["10.0.0.0/8"]).of(request(peer, *forwarded)) == expected


def test_with_no_trusted_proxies_the_header_is_ignored() -> None:
    assert ClientAddresses([]).of(request("127.0.0.1", "198.51.100.7")) == "127.0.0.1"

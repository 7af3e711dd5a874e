"""Who is asking: a request's client address, honouring only the proxies the operator trusts.

Behind a reverse proxy or load balancer every request comes from the proxy; the shopper's own
address is in `X-Forwarded-For`, which anyone can also send. So the header is read only when the
direct peer is a trusted proxy (`BOTDESK_TRUSTED_PROXIES`), from the right: each trusted hop
appends the address it saw, and the first address that is not a trusted proxy is the client.
Everything that limits per address (order verification, sign-in throttling) uses this.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.requests import HTTPConnection

UNKNOWN = "unknown"


class ClientAddresses:
    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._trusted = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)

    def of(self, connection: HTTPConnection) -> str:
        """The client's address for an HTTP request or WebSocket."""
        peer = connection.client.host if connection.client else UNKNOWN
        if not self._trusted or not self._is_trusted(peer):
            return peer
        hops = [
            hop.strip()
            for header in connection.headers.getlist("x-forwarded-for")
            for hop in header.split(",")
        ]
        for raw in reversed(hops):
            if not raw:
                continue
            hop = _without_port(raw)
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return peer  # a malformed chain is not believed at all
            if not self._is_trusted(hop):
                return hop
        return peer


def counted_as(address: str) -> str:
    """The unit a client is counted by in limits: its address, or an IPv6 client's /64."""
    # An IPv6 client holds a whole /64 and can pick a new address in it for every request.
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else address


def _without_port(hop: str) -> str:
    """Some proxies append the client's port: "198.51.100.7:51234", "[2001:db8::1]:443"."""
    if hop.startswith("["):
        return hop[1:].split("]", 1)[0]
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop

"""Outbound HTTP to merchants' systems, with the guard rails that make it safe to offer.

A connector's URL is typed in by a tenant admin, so botdesk must not become a way to reach what
only botdesk can reach (the operator's own network, cloud metadata at 169.254.169.254) or to tie
botdesk up. Every request here therefore:

- goes only to the configured origin; a redirect elsewhere is an error, not followed;
- connects only to public addresses, checked *after* DNS resolution, on the very address that
  is connected to: the name is resolved once in `GuardedBackend.connect_tcp`, each address is
  checked, and the socket is opened to the checked address, so a name that resolves to a public
  address for the check and a private one for the connect (DNS rebinding) gets nowhere. TLS
  still verifies the certificate against the host name. The operator may allow named networks
  (`BOTDESK_OUTBOUND_ALLOWED_NETWORKS`; the demo allows loopback, where its merchant API lives);
- has a connect timeout and a total deadline over all attempts, and a capped response size;
- is retried with backoff (tenacity) only for idempotent reads and only on transient failures.

Failures are reported as a `LookupFailed` with a `FailureKind`, which names what went wrong and
never carries a URL, a body or anything else a merchant or shopper put there.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpcore
import httpx
from httpcore._backends.anyio import AnyIOBackend
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_REDIRECTS = 3
ATTEMPTS = 3
USER_AGENT = "botdesk-order-lookup/1"


class FailureKind(StrEnum):
    """Why a look-up failed: shown on the connector's health and logged, never with details."""

    NOT_CONFIGURED = "not_configured"
    CIRCUIT_OPEN = "circuit_open"
    BLOCKED_ADDRESS = "blocked_address"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    REDIRECT = "redirect"
    UNAUTHORISED = "unauthorised"
    RATE_LIMITED = "rate_limited"
    CLIENT_ERROR = "client_error"
    SERVER_ERROR = "server_error"
    TOO_LARGE = "too_large"
    INVALID_RESPONSE = "invalid_response"


# Worth another attempt within the deadline: the merchant may answer the next time.
TRANSIENT = frozenset({FailureKind.UNREACHABLE, FailureKind.SERVER_ERROR, FailureKind.RATE_LIMITED})


class LookupFailed(Exception):
    """The merchant's system could not be asked, or gave no usable answer."""

    def __init__(self, kind: FailureKind) -> None:
        super().__init__(kind.value)
        self.kind = kind


class BlockedAddress(Exception):
    """The host resolves to an address botdesk must not connect to."""


@dataclass(frozen=True)
class OutboundPolicy:
    allowed_networks: tuple[IPNetwork, ...] = ()
    connect_timeout: float = 2.0
    total_timeout: float = 8.0
    max_bytes: int = 512 * 1024

    @classmethod
    def of(cls, allowed: Iterable[str], **limits: Any) -> OutboundPolicy:
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in allowed), **limits)

    def allows(self, address: str) -> bool:
        """Public unicast addresses, and whatever networks the operator allowed."""
        ip = ipaddress.ip_address(address)
        if any(ip in network for network in self.allowed_networks):
            return True
        if isinstance(ip, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(ip)
            if embedded is not None:
                # ::ffff:127.0.0.1, NAT64's 64:ff9b::a00:1, 6to4's 2002:7f00:1:: all reach
                # the IPv4 address inside: that one must be allowed.
                return embedded is not False and self.allows(str(embedded))
        return ip.is_global and not ip.is_multicast


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Translation and tunnelling prefixes whose IPv4 part cannot be told or trusted: refused.
_REFUSED_V6 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b:1::/48", "::/96", "2001::/32"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | bool | None:
    """The IPv4 address an IPv6 one leads to; False: refuse it; None: a plain IPv6 address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in _REFUSED_V6) and ip != ipaddress.IPv6Address("::"):
        return False
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves once, checks every address, connects to a checked one (see the module doc)."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._inner = AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
            )
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve the host: {type(exc).__name__}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        # Every address must pass, not just one: a name mixing a public and a private address
        # would otherwise reach the private one whenever the public one is slow.
        if not addresses or not all(self._policy.allows(a) for a in addresses):
            raise BlockedAddress
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on `GuardedBackend`."""

    def __init__(self, policy: OutboundPolicy) -> None:
        super().__init__(retries=0, trust_env=False)
        # httpx (pinned) builds its pool without a way to pass a network backend; the pool it
        # built is replaced by the same one on ours. tests/test_connectors.py proves the guard.
        # No idle connections are kept: every request resolves and checks the address afresh,
        # and a node holds no sockets to hundreds of merchants between the rare look-ups.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=500,
            max_keepalive_connections=0,
            network_backend=GuardedBackend(policy),
        )


def new_client(policy: OutboundPolicy) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=GuardedTransport(policy),
        timeout=httpx.Timeout(policy.total_timeout, connect=policy.connect_timeout),
        follow_redirects=False,
        trust_env=False,
        # identity: the size cap counts the bytes that arrive, never an inflated body.
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Accept-Encoding": "identity",
        },
    )


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON; anything else is an invalid response."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # 100 KB of "[" nests deep
            raise LookupFailed(FailureKind.INVALID_RESPONSE) from None


class Outbound:
    """Reads from one merchant origin under an `OutboundPolicy`."""

    def __init__(self, client: httpx.AsyncClient, policy: OutboundPolicy) -> None:
        self.client = client
        self.policy = policy

    async def read(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        sign: Any = None,
        content: bytes | None = None,
        ok: Sequence[int] = (200, 404),
        check: Callable[[Answer], object] | None = None,
    ) -> Answer:
        """An idempotent read: retried on transient failures, all within the total deadline.

        `sign(request)` may add headers to each attempt (fresh timestamps for HMAC). Statuses
        outside `ok` become failures of the matching kind. `check(answer)` may raise a
        LookupFailed for an answer that says "try again" in its body (Shopify's throttling).
        """
        try:
            async with asyncio.timeout(self.policy.total_timeout):
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(ATTEMPTS),
                    # 0.2 then 0.4 s, plus a quarter second of jitter so that many shoppers'
                    # retries do not arrive at once (tenacity's default jitter is a second).
                    wait=wait_exponential_jitter(multiplier=0.2, max=1.5, jitter=0.25),
                    retry=retry_if_exception(_transient),
                    reraise=True,
                ):
                    with attempt:
                        answer = await self._once(method, url, headers, sign, content, ok)
                        if check is not None:
                            check(answer)
                        return answer
        except TimeoutError:
            raise LookupFailed(FailureKind.TIMEOUT) from None
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _once(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        sign: Any,
        content: bytes | None,
        ok: Sequence[int],
    ) -> Answer:
        origin = httpx.URL(url)
        for _ in range(MAX_REDIRECTS + 1):
            request = self.client.build_request(method, url, headers=headers, content=content)
            if sign is not None:
                sign(request)
            try:
                response = await self.client.send(request, stream=True)
            except BlockedAddress:
                raise LookupFailed(FailureKind.BLOCKED_ADDRESS) from None
            except httpx.TimeoutException:
                raise LookupFailed(FailureKind.TIMEOUT) from None
            except (httpx.TransportError, httpx.InvalidURL):
                raise LookupFailed(FailureKind.UNREACHABLE) from None
            try:
                if response.is_redirect:
                    target = response.next_request.url if response.next_request else None
                    if target is None or not _same_origin(origin, target):
                        raise LookupFailed(FailureKind.REDIRECT)
                    url = str(target)
                    continue
                body = await self._body(response)
            finally:
                await response.aclose()
            if response.status_code in ok:
                return Answer(response.status_code, body)
            raise LookupFailed(_kind_of(response.status_code))
        raise LookupFailed(FailureKind.REDIRECT)

    async def _body(self, response: httpx.Response) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise LookupFailed(FailureKind.TOO_LARGE)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > limit:
                    raise LookupFailed(FailureKind.TOO_LARGE)
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise LookupFailed(FailureKind.TIMEOUT) from None
        except httpx.TransportError:
            raise LookupFailed(FailureKind.UNREACHABLE) from None
        # Merchants' APIs do not compress these small answers; a compressed one is declined
        # rather than inflated past the cap.
        if response.headers.get("content-encoding", "identity") not in ("identity", ""):
            raise LookupFailed(FailureKind.INVALID_RESPONSE)
        return b"".join(chunks)


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _kind_of(status: int) -> FailureKind:
    if status in (401, 403):
        return FailureKind.UNAUTHORISED
    if status == 429:
        return FailureKind.RATE_LIMITED
    if status >= 500:
        return FailureKind.SERVER_ERROR
    if 300 <= status < 400:
        return FailureKind.REDIRECT
    return FailureKind.CLIENT_ERROR


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, LookupFailed) and exc.kind in TRANSIENT

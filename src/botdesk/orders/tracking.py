"""The track_order action: verify the shopper, ask the merchant's system, say what it said.

Runs on the event loop (no worker thread waits on a merchant), once per node:
- a tracking number alone gets its carrier's public page, nothing from any order;
- an order number is looked up through the tenant's connector (one circuit breaker per tenant;
  the answer cached per conversation for a few minutes, so several orders or a retry do not
  ask again) and told only if the email or postcode given matches it (verification.py);
- failed verifications are counted per conversation and per client address (`limits`, in Redis
  when configured, so every node sees the same count); past either limit the bot offers a
  person instead of looking anything up.
Failures are logged with the tenant id and the failure kind, never a number, email or URL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from cachetools import TTLCache
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from botdesk.bot.actions import ActionRequest, ActionResult
from botdesk.orders import carriers, presentation, verification
from botdesk.orders.breaker import CircuitBreaker, CircuitState
from botdesk.orders.connectors import ConnectorConfig, build_connector
from botdesk.orders.model import Order
from botdesk.orders.outbound import (
    FailureKind,
    LookupFailed,
    Outbound,
    OutboundPolicy,
    new_client,
)

log = logging.getLogger(__name__)

ANSWER_CACHE_SECONDS = 300
ANSWER_CACHE_SIZE = 10_000
ORDER_NUMBER = "ORDER_NUMBER"
TRACKING_NUMBER = "TRACKING_NUMBER"


@dataclass(frozen=True)
class TrackContext:
    """Who asks: the conversation, the client address and the tenant's connector."""

    tenant_id: uuid.UUID
    conversation_id: uuid.UUID
    client_address: str
    connector: ConnectorConfig | None
    zone: str = "UTC"


@dataclass(frozen=True)
class Health:
    """What the console shows of a connector: never a URL, a number or a message."""

    last_success_at: dt.datetime | None = None
    last_error_at: dt.datetime | None = None
    last_error_kind: str | None = None
    circuit: CircuitState = CircuitState.CLOSED


class OrderDesk:
    def __init__(
        self,
        policy: OutboundPolicy,
        address_key: bytes,
        *,
        redis_url: str | None = None,
        per_conversation: int = 5,
        per_address: int = 20,
        on_health: Callable[[uuid.UUID, Health], None] | None = None,
    ) -> None:
        self.policy = policy
        self._address_key = address_key
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()
        self._breakers: dict[uuid.UUID, CircuitBreaker] = {}
        self._health: dict[uuid.UUID, Health] = {}
        self._answers: TTLCache[tuple[uuid.UUID, str], Order | None] = TTLCache(
            ANSWER_CACHE_SIZE, ANSWER_CACHE_SECONDS
        )
        self._lock = threading.Lock()
        self._on_health = on_health
        self._limits: tuple[RateLimitItem, RateLimitItem] = (
            RateLimitItemPerMinute(per_conversation, 15),
            RateLimitItemPerHour(per_address),
        )
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url is not None:
            # The blocking client, called from a thread (below): an asyncio one would belong to
            # one event loop and need closing with it.
            storage: Storage = RedisStorage(
                redis_url,
                key_prefix="botdesk-tracking",
                socket_timeout=1.0,
                socket_connect_timeout=1.0,
            )
            self._shared = MovingWindowRateLimiter(storage)

    # ---- the action ----------------------------------------------------------------------

    async def track(self, request: ActionRequest, context: TrackContext) -> list[ActionResult]:
        references = request.slots.get("reference", "").split()
        if request.slot_types.get("reference") == TRACKING_NUMBER:
            return [parcel_result(code, request.language) for code in references]
        proof = request.slots.get("proof", "")
        remembered = "proof" in request.remembered
        return [
            await self._order(number, proof, remembered, request.language, context)
            for number in references
        ]

    async def _order(
        self, number: str, proof: str, remembered: bool, language: str, context: TrackContext
    ) -> ActionResult:
        base = {"reference": number}
        if context.connector is None:
            return ActionResult("unavailable", base)
        keys = self._keys(context)
        if not await self._may_try(keys):
            return ActionResult("too_many_attempts", base)
        try:
            order = await self._look_up(number, context)
        except LookupFailed as failure:
            log.warning(
                "order look-up failed for tenant %s: %s", context.tenant_id, failure.kind.value
            )
            return ActionResult("unavailable", base)
        if not verification.proves(order, proof):
            await self._failed(keys)
            # A proof remembered from another order may simply not be this order's: ask.
            return ActionResult("not_found", base, ask="proof" if remembered else None)
        assert order is not None
        return ActionResult(
            order.state.value, self._values(order, language, context.zone), {"proof": proof}
        )

    def _values(self, order: Order, language: str, zone: str) -> dict[str, str]:
        carrier = carriers.carrier_named(order.carrier) if order.carrier else None
        if carrier is None and order.tracking_number:
            carrier = carriers.identify(order.tracking_number.replace(" ", "").upper())
        url = order.tracking_url
        if not url and carrier is not None and order.tracking_number:
            url = carriers.tracking_url(carrier, order.tracking_number, language) or ""
        # Merchant texts go into the content's Markdown: escaped, like everything in details.
        return {
            "reference": order.number,
            "carrier": carrier.name if carrier else presentation.escape(order.carrier),
            "tracking_number": presentation.escape(order.tracking_number),
            "tracking_url": url,
            "details": presentation.details(order, language, url, zone),
        }

    # ---- the merchant's system -----------------------------------------------------------

    async def _look_up(self, number: str, context: TrackContext) -> Order | None:
        key = (context.conversation_id, number)
        with self._lock:
            if key in self._answers:
                return self._answers[key]
        assert context.connector is not None
        order = await self.call(context.tenant_id, context.connector, lambda c: c.find(number))
        with self._lock:
            self._answers[key] = order
        return order

    async def check(self, tenant_id: uuid.UUID, config: ConnectorConfig) -> None:
        """Test the connection (the console's button): raises LookupFailed."""
        await self.call(tenant_id, config, lambda c: c.check(), through_breaker=False)

    async def call(
        self,
        tenant_id: uuid.UUID,
        config: ConnectorConfig,
        work: Callable[..., object],
        *,
        through_breaker: bool = True,
    ) -> Order | None:
        breaker = self.breaker(tenant_id)
        if through_breaker and not breaker.allow():
            raise LookupFailed(FailureKind.CIRCUIT_OPEN)
        connector = build_connector(config, Outbound(self._client(), self.policy))
        try:
            result = await work(connector)  # type: ignore[misc]
        except LookupFailed as failure:
            breaker.failed()
            self._report(tenant_id, failure.kind)
            raise
        except BaseException:
            breaker.failed()  # cancelled mid-call: the half-open trial must not stay taken
            raise
        breaker.succeeded()
        self._report(tenant_id, None)
        return result if isinstance(result, Order) else None

    def _client(self) -> httpx.AsyncClient:
        # One pool per event loop: an httpx client's connections belong to the loop they
        # were opened on (the server has one; the CLI's test runs its own).
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = new_client(self.policy)
        return client

    def breaker(self, tenant_id: uuid.UUID) -> CircuitBreaker:
        with self._lock:
            return self._breakers.setdefault(tenant_id, CircuitBreaker())

    def health(self, tenant_id: uuid.UUID) -> Health:
        """This node's view of the tenant's connector."""
        with self._lock:
            known = self._health.get(tenant_id, Health())
        return Health(
            known.last_success_at,
            known.last_error_at,
            known.last_error_kind,
            self.breaker(tenant_id).state,
        )

    def _report(self, tenant_id: uuid.UUID, kind: FailureKind | None) -> None:
        now = dt.datetime.now(dt.UTC)
        with self._lock:
            was = self._health.get(tenant_id, Health())
            if kind is None:
                new = Health(now, was.last_error_at, was.last_error_kind)
            else:
                new = Health(was.last_success_at, now, kind.value)
            self._health[tenant_id] = new
        if self._on_health is not None:
            self._on_health(tenant_id, new)

    def forget(self, tenant_id: uuid.UUID) -> None:
        """A connector changed: a fresh breaker and no cached answers from the old one."""
        with self._lock:
            self._breakers.pop(tenant_id, None)
            self._health.pop(tenant_id, None)
            self._answers.clear()

    def reset(self) -> None:
        """Forget every tenant's breaker, health and cached answers (tests, between cases)."""
        with self._lock:
            self._breakers.clear()
            self._health.clear()
            self._answers.clear()

    # ---- guessing limits -----------------------------------------------------------------

    def _keys(self, context: TrackContext) -> tuple[str, str]:
        # The address is kept only as a keyed hash, and only as long as the window.
        address = hmac.new(
            self._address_key, context.client_address.encode(), hashlib.sha256
        ).hexdigest()[:32]
        return f"conversation:{context.conversation_id}", f"address:{address}"

    async def _may_try(self, keys: tuple[str, str]) -> bool:
        return await asyncio.to_thread(self._may_try_now, keys)

    async def _failed(self, keys: tuple[str, str]) -> None:
        await asyncio.to_thread(self._failed_now, keys)

    def _may_try_now(self, keys: tuple[str, str]) -> bool:
        pairs = list(zip(self._limits, keys, strict=True))
        try:
            return all(self._limiter().test(item, key) for item, key in pairs)
        except Exception as exc:  # Redis went away: count on this node until it is back
            log.warning("tracking limits fall back to this node: %s", type(exc).__name__)
            return all(self._memory.test(item, key) for item, key in pairs)

    def _failed_now(self, keys: tuple[str, str]) -> None:
        pairs = list(zip(self._limits, keys, strict=True))
        try:
            for item, key in pairs:
                self._limiter().hit(item, key)
        except Exception as exc:
            log.warning("tracking limits fall back to this node: %s", type(exc).__name__)
            for item, key in pairs:
                self._memory.hit(item, key)

    def _limiter(self) -> MovingWindowRateLimiter:
        return self._shared or self._memory

    async def close(self) -> None:
        for client in list(self._clients.values()):
            await client.aclose()


def offline_results(request: ActionRequest) -> list[ActionResult]:
    """The action's results with no order system to ask (content's conversation tests)."""
    references = request.slots.get("reference", "").split()
    if request.slot_types.get("reference") == TRACKING_NUMBER:
        return [parcel_result(code, request.language) for code in references]
    return [ActionResult("unavailable", {"reference": number}) for number in references]


def parcel_result(code: str, language: str) -> ActionResult:
    """A tracking number alone: its carrier's public page, nothing from any order."""
    carrier = carriers.identify(code)
    url = carriers.tracking_url(carrier, code, language) if carrier else None
    values = {"reference": code, "tracking_number": code}
    if carrier is None or url is None:
        return ActionResult("tracking_unknown", values)
    details = presentation.tracking_line(code, url, language)
    return ActionResult(
        "tracking_link",
        values | {"carrier": carrier.name, "tracking_url": url, "details": details},
    )

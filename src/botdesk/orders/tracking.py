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
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import threading
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from cachetools import TTLCache
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from botdesk.bot.actions import ActionRequest, ActionResult
from botdesk.clients import counted_as
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
from botdesk.rate_limits import SweptMemoryStorage

log = logging.getLogger(__name__)

ANSWER_CACHE_SECONDS = 300
ANSWER_CACHE_SIZE = 10_000
# Look-ups one tenant may have in flight on a node; more wait (within their deadline).
LOOK_UPS_PER_TENANT = 50
DEADLINE_MARGIN = 0.5


class _OverBudget:
    """A reference not even asked about: the guessing budget is spent."""


OVER_BUDGET = _OverBudget()
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
        self._gates: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._slots: dict[uuid.UUID, asyncio.Semaphore] = {}
        self._fingerprints: dict[uuid.UUID, str] = {}
        # The limit counts are blocking calls (Redis); their own threads, so nothing else
        # queued on the loop's default executor (DNS look-ups) ever waits behind them.
        self._limit_threads = ThreadPoolExecutor(2, thread_name_prefix="botdesk-limits")
        self._on_health = on_health
        self._limits: tuple[RateLimitItem, RateLimitItem] = (
            RateLimitItemPerMinute(per_conversation, 15),
            RateLimitItemPerHour(per_address),
        )
        self._memory = MovingWindowRateLimiter(SweptMemoryStorage())
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
        """The results for every reference in the request, each within the look-up deadline."""
        references = request.slots.get("reference", "").split()
        if request.slot_types.get("reference") == TRACKING_NUMBER:
            return [parcel_result(code, request.language) for code in references]
        proof = request.slots.get("proof", "")
        if context.connector is None or not proof:
            # No order system; or content from before verification existed (no proof slot):
            # nothing can be told, and nothing counts as a guess.
            return [ActionResult("unavailable", {"reference": r}) for r in references]
        keys = self._keys(context)
        # One verification at a time per conversation and per client address on this node:
        # the budget is read, spent and counted without a parallel request slipping between.
        async with self._gate(keys[0]), self._gate(keys[1]):
            allowed = await self._remaining(keys)
            asked = references[:allowed]
            found = await asyncio.gather(
                *(self._verified(number, proof, context) for number in asked)
            )
            failures = sum(1 for result in found if result is None)
            if failures:
                await self._failed(keys, failures)
        remembered = "proof" in request.remembered
        results = []
        for index, number in enumerate(references):
            base = {"reference": number}
            result = found[index] if index < len(found) else OVER_BUDGET
            if isinstance(result, _OverBudget):
                results.append(ActionResult("too_many_attempts", base))
            elif isinstance(result, FailureKind):
                results.append(ActionResult("unavailable", base))
            elif result is None:
                # A proof remembered from another order may simply not be this one's: ask.
                ask = "proof" if remembered else None
                results.append(ActionResult("not_found", base, ask=ask))
            else:
                values = self._values(result, request.language, context.zone)
                results.append(ActionResult(result.state.value, values, {"proof": proof}))
        return results

    async def _verified(
        self, number: str, proof: str, context: TrackContext
    ) -> Order | FailureKind | None:
        """The order if `proof` is its own; None for no such order or a wrong proof."""
        try:
            # The whole of it, details too, within the deadline (each request has its own as
            # well; this one is a little longer, so a single slow request reports itself).
            async with asyncio.timeout(self.policy.total_timeout + DEADLINE_MARGIN):
                order = await self._look_up(number, context)
                if not verification.proves(order, proof):
                    return None
                assert order is not None and context.connector is not None
                # Details that cost the merchant another request (WooCommerce's tracking) only
                # now: before, an existing order would answer slower than an unknown one.
                return await self._details(order, context)
        except LookupFailed as failure:
            kind = failure.kind
        except TimeoutError:
            kind = FailureKind.TIMEOUT
            self._report(context.tenant_id, kind)
        log.warning("order look-up failed for tenant %s: %s", context.tenant_id, kind.value)
        return kind

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

    async def _details(self, order: Order, context: TrackContext) -> Order:
        assert context.connector is not None
        key = (context.conversation_id, order.number)
        detailed = await self.call(context.tenant_id, context.connector, lambda c: c.details(order))
        if detailed is None:
            return order
        with self._lock:
            self._answers[key] = detailed
        return detailed

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
        self._notice(tenant_id, config)
        breaker = self.breaker(tenant_id)
        if through_breaker and not breaker.allow():
            raise LookupFailed(FailureKind.CIRCUIT_OPEN)
        try:
            connector = build_connector(config, Outbound(self._client(), self.policy))
            # A slow merchant holds at most this many of this node's connections at once.
            async with self._concurrency(tenant_id):
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

    def _notice(self, tenant_id: uuid.UUID, config: ConnectorConfig) -> None:
        """A connector changed where no event told this node (the CLI, no Redis): start afresh."""
        fingerprint = hashlib.sha256(config.model_dump_json().encode()).hexdigest()
        with self._lock:
            known = self._fingerprints.get(tenant_id)
            self._fingerprints[tenant_id] = fingerprint
        if known is not None and known != fingerprint:
            self.forget(tenant_id)

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
            self._slots.clear()
            self._fingerprints.clear()

    # ---- guessing limits -----------------------------------------------------------------

    def _keys(self, context: TrackContext) -> tuple[str, str]:
        # The address is kept only as a keyed hash, and only as long as the window. An IPv6
        # client holds a whole /64, so that is the unit; the tenant is part of the key, so one
        # shop's guesser behind a shared address does not lock shoppers out of other shops.
        address = counted_as(context.client_address)
        digest = hmac.new(
            self._address_key, f"{context.tenant_id}|{address}".encode(), hashlib.sha256
        ).hexdigest()[:32]
        return f"conversation:{context.conversation_id}", f"address:{digest}"

    @contextlib.asynccontextmanager
    async def _gate(self, key: str) -> AsyncIterator[None]:
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = asyncio.Lock()
        async with gate:
            yield

    @contextlib.asynccontextmanager
    async def _concurrency(self, tenant_id: uuid.UUID) -> AsyncIterator[None]:
        with self._lock:
            slots = self._slots.get(tenant_id)
            if slots is None:
                slots = self._slots[tenant_id] = asyncio.Semaphore(LOOK_UPS_PER_TENANT)
        async with slots:
            yield

    async def _remaining(self, keys: tuple[str, str]) -> int:
        """How many more failed verifications both limits allow now."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._limit_threads, self._remaining_now, keys)

    async def _failed(self, keys: tuple[str, str], count: int) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._limit_threads, self._failed_now, keys, count)

    def _remaining_now(self, keys: tuple[str, str]) -> int:
        pairs = list(zip(self._limits, keys, strict=True))
        try:
            stats = [self._limiter().get_window_stats(item, key) for item, key in pairs]
        except Exception as exc:  # Redis went away: count on this node until it is back
            log.warning("tracking limits fall back to this node: %s", type(exc).__name__)
            stats = [self._memory.get_window_stats(item, key) for item, key in pairs]
        return min(s.remaining for s in stats)

    def _failed_now(self, keys: tuple[str, str], count: int) -> None:
        pairs = list(zip(self._limits, keys, strict=True))
        try:
            for item, key in pairs:
                self._limiter().hit(item, key, cost=count)
        except Exception as exc:
            log.warning("tracking limits fall back to this node: %s", type(exc).__name__)
            for item, key in pairs:
                self._memory.hit(item, key, cost=count)

    def _limiter(self) -> MovingWindowRateLimiter:
        return self._shared or self._memory

    def shutdown(self) -> None:
        self._limit_threads.shutdown(wait=True)

    async def close(self) -> None:
        """Close what this event loop opened (the app's shutdown)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
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

"""The long-lived objects one botdesk process holds, built once from Settings."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from sqlalchemy import select

from botdesk.actions.audit_chain import AuditSealer, ChainSigner
from botdesk.actions.connectors import HealthRecorder
from botdesk.bot.registry import BotRegistry
from botdesk.bot.responder import Responder
from botdesk.broker import create_broker
from botdesk.clients import ClientAddresses
from botdesk.db import Database
from botdesk.events import ALL_TENANTS, Event, EventType
from botdesk.keys import KeyRing
from botdesk.models import Tenant
from botdesk.nlu import embeddings
from botdesk.orders.outbound import OutboundPolicy
from botdesk.orders.tracking import Health, OrderDesk
from botdesk.pii import EntityPatterns
from botdesk.rate_limits import RateLimits
from botdesk.settings import Settings
from botdesk.tenant_cache import TenantCache, TenantEntry

_DEFAULT_PATTERNS = EntityPatterns.from_config({})
_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keyring: KeyRing
    bots: BotRegistry = field(default_factory=BotRegistry)
    tenants: TenantCache = field(init=False)
    workers: ThreadPoolExecutor = field(init=False)
    clients: ClientAddresses = field(init=False)
    orders: OrderDesk = field(init=False)
    limits: RateLimits = field(init=False)
    audit: AuditSealer = field(init=False)

    def __post_init__(self) -> None:
        settings = self.settings
        # Links each commit's audit rows into their tenant's chain, off the request's path.
        self.audit = AuditSealer(self.db, ChainSigner(self.keyring))
        self.db.audit_listeners.append(self.audit.notify)
        self.tenants = TenantCache(self.db, self.keyring, settings.tenant_cache_seconds)
        self.clients = ClientAddresses(settings.trusted_proxies)
        self.limits = RateLimits(settings, self.keyring.derive("botdesk/rate-limit-keys/v1"))
        # Locks live as long as someone holds or waits for them (the event loop's thread only).
        self._turns: weakref.WeakValueDictionary[uuid.UUID, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._health = HealthRecorder(self.db)
        self.orders = OrderDesk(
            OutboundPolicy.of(
                settings.outbound_allowed_networks,
                connect_timeout=settings.order_lookup_connect_seconds,
                total_timeout=settings.order_lookup_timeout_seconds,
                max_bytes=settings.order_lookup_max_bytes,
            ),
            self.keyring.derive("botdesk/client-address/v1"),
            redis_url=settings.redis_url,
            per_conversation=settings.tracking_failures_per_conversation,
            per_address=settings.tracking_failures_per_address,
            on_health=self._connector_health,
        )
        self.db.local_listeners.append(self.hear)
        # The visitor API's blocking work runs here, not in the framework's 40-thread pool: on
        # one core, forty threads contending for the interpreter lock (and SQLite's one
        # writer) cost five times the CPU per request that a few do; the rest wait in line.
        self.workers = ThreadPoolExecutor(
            self.settings.worker_threads, thread_name_prefix="botdesk-worker"
        )

    async def run(self, work: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Run blocking work (database, bot) on the worker threads; await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.workers, functools.partial(work, *args, **kwargs))

    @contextlib.asynccontextmanager
    async def conversation_turn(self, conversation_id: uuid.UUID) -> AsyncIterator[None]:
        """Hold the conversation's turn on this node (see actions/messages.py)."""
        turn = self._turns.get(conversation_id)
        if turn is None:
            turn = self._turns[conversation_id] = asyncio.Lock()
        async with turn:
            yield

    def hear(self, event: Event) -> None:
        """Drop what an event makes stale (this node's commits, and other nodes' via the broker)."""
        if event.type is EventType.TENANT_CHANGED and event.tenant_id == ALL_TENANTS:
            self.tenants.clear()
        elif event.type is EventType.TENANT_CHANGED:
            self.tenants.invalidate(event.tenant_id)
            self.orders.forget(event.tenant_id)
            self._health.forget(event.tenant_id)
        elif event.type is EventType.PRESENCE_CHANGED:
            self.tenants.presence_changed(event.tenant_id)

    def _connector_health(self, tenant_id: uuid.UUID, health: Health) -> None:
        # Called on the event loop: the write goes to a worker, and at most once a minute.
        if self._health.due(tenant_id, health, time.monotonic()):
            self.workers.submit(self._health.write, tenant_id, health)

    def responder_of(self, entry: TenantEntry) -> Responder | None:
        """The bot for the content version the tenant cache knows; None without content."""
        return self.bots.serve(self.db, entry.tenant.id, entry.content_version)

    def entity_patterns_for(self, tenant: Tenant) -> EntityPatterns:
        """The tenant's order and tracking number shapes (defaults for a tenant with no bot)."""
        return self.patterns_of(self.tenants.get(tenant.id))

    def patterns_of(self, entry: TenantEntry) -> EntityPatterns:
        responder = self.bots.serve(self.db, entry.tenant.id, entry.content_version)
        return responder.content.entity_patterns if responder else _DEFAULT_PATTERNS

    def agents_available(self, entry: TenantEntry) -> bool:
        return self.tenants.agents_available(entry, dt.datetime.now(dt.UTC))

    def warm_up(self) -> None:
        """Build every tenant's bot now (models loaded, language detectors ready)."""
        with self.db.read() as session:
            tenant_ids = session.scalars(select(Tenant.id)).all()
        for tenant_id in tenant_ids:
            self.responder_of(self.tenants.get(tenant_id))

    def close(self) -> None:
        self.workers.shutdown(wait=True)
        self.audit.close()  # after the workers' last commits, before the engine goes
        self.orders.shutdown()
        self.bots.finish_saving()
        self.db.broker.close()
        self.db.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """Resolve the master key, connect the database and broker; raises ConfigError on bad config."""
    keyring = KeyRing(settings.resolve_master_key())
    embeddings.configure(enabled=settings.embeddings, threads=settings.embedding_threads)
    db = Database(settings.database_url, create_broker(settings.redis_url))
    return Runtime(settings=settings, db=db, keyring=keyring)

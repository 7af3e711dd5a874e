"""What every message needs of its tenant, read once per node instead of once per message.

A shopper's message needs the tenant's settings (languages, handover policy, sample rate), its
unwrapped key, its bot's content version and whether a person can be offered. Reading those
per message was most of a message's queries, so each node keeps them here.

How a change reaches the cache:
- A commit that changes a tenant row or stores new bot content invalidates the entry on this
  node at once, from the committing thread (`Database` calls `invalidate` before publishing).
- Other nodes hear it as a `tenant.changed` event through the broker (Redis when scaled out).
- A change made where no event can reach us (the CLI on a single node without Redis, a lost
  best-effort notification) is picked up when the entry expires: `ttl` seconds
  (`BOTDESK_TENANT_CACHE_SECONDS`). Presence also changes by silence (a console that stopped
  checking in), so "a person can be offered" is kept for a few seconds only.

Entries hold detached, read-only `Tenant` rows, loaded in the cache's own reading sessions:
callers read them, never add them to a session of theirs.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from botdesk import queue
from botdesk.access.orders import connector_config
from botdesk.access.tenants import tenant_by_slug
from botdesk.content import store
from botdesk.errors import NotFound
from botdesk.handover import HandoverPolicy
from botdesk.keys import KeyRing
from botdesk.models import Conversation, Tenant
from botdesk.orders.connectors import ConnectorConfig

if TYPE_CHECKING:
    from botdesk.db import Database

# How long "a person can be offered" is trusted: agents go offline by silence too.
AVAILABILITY_SECONDS = 5.0
# Conversation → tenant is immutable, so it is only bounded, never expired.
CONVERSATION_TENANTS = 100_000


@dataclass(frozen=True)
class TenantEntry:
    """One tenant as this node serves it."""

    tenant: Tenant
    key: bytes
    handover: HandoverPolicy
    # Newest bot content (version, digest), or None for a tenant without content.
    content_version: tuple[int, str] | None
    loaded_at: float
    # The order connector with its secrets opened, or None.
    connector: ConnectorConfig | None = None


class TenantCache:
    def __init__(self, db: Database, keyring: KeyRing, ttl: float) -> None:
        self._db = db
        self._keyring = keyring
        self._ttl = ttl
        self._entries: dict[uuid.UUID, TenantEntry] = {}
        self._slugs: dict[str, uuid.UUID] = {}
        self._available: dict[uuid.UUID, tuple[bool, float]] = {}
        self._conversations: OrderedDict[uuid.UUID, uuid.UUID] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tenant_id: uuid.UUID) -> TenantEntry:
        """The tenant's entry; NotFound for a tenant that does not exist."""
        entry = self.cached(tenant_id)
        if entry is not None:
            return entry
        with self._db.read() as session:
            tenant = session.get(Tenant, tenant_id)
            if tenant is None:
                raise NotFound("no such tenant")
            return self._load(session, tenant)

    def by_slug(self, slug: str) -> TenantEntry:
        entry = self.cached_slug(slug)
        if entry is not None:
            return entry
        with self._db.read() as session:
            return self._load(session, tenant_by_slug(session, slug))

    def _load(self, session: Session, tenant: Tenant) -> TenantEntry:
        key = self._keyring.tenant_key(tenant.id, tenant.wrapped_key, tenant.master_key_id)
        entry = TenantEntry(
            tenant=tenant,
            key=key,
            handover=HandoverPolicy.from_config(tenant.handover),
            content_version=store.latest_version(session, tenant.id),
            loaded_at=time.monotonic(),
            connector=connector_config(session, tenant.id, key),
        )
        session.expunge(tenant)
        with self._lock:
            old = self._entries.get(tenant.id)
            if old is not None and old.tenant.slug != tenant.slug:
                self._slugs.pop(old.tenant.slug, None)
            self._entries[tenant.id] = entry
            self._slugs[tenant.slug] = tenant.id
        return entry

    def cached(self, tenant_id: uuid.UUID) -> TenantEntry | None:
        """The entry if this node holds a fresh one; never reads the database."""
        entry = self._entries.get(tenant_id)
        if entry is not None and time.monotonic() - entry.loaded_at < self._ttl:
            return entry
        return None

    def cached_slug(self, slug: str) -> TenantEntry | None:
        tenant_id = self._slugs.get(slug)
        return self.cached(tenant_id) if tenant_id is not None else None

    def cached_conversation(self, conversation_id: uuid.UUID) -> uuid.UUID | None:
        return self._conversations.get(conversation_id)

    def agents_available(self, entry: TenantEntry, now: dt.datetime) -> bool:
        """Whether a person can be offered now (opening hours, someone online)."""
        if not entry.handover.hours.is_open(now):
            return False
        known = self._available.get(entry.tenant.id)
        if known is not None and time.monotonic() - known[1] < AVAILABILITY_SECONDS:
            return known[0]
        with self._db.read() as session:
            online = queue.agents_online(session, entry.tenant.id, now) > 0
        self._available[entry.tenant.id] = (online, time.monotonic())
        return online

    def tenant_of_conversation(self, conversation_id: uuid.UUID) -> uuid.UUID | None:
        """The tenant a conversation belongs to (no token check: callers get no content)."""
        tenant_id = self._conversations.get(conversation_id)
        if tenant_id is None:
            with self._db.read() as session:
                tenant_id = session.scalar(
                    select(Conversation.tenant_id).where(Conversation.id == conversation_id)
                )
            if tenant_id is None:
                return None
            self.remember_conversation(conversation_id, tenant_id)
        return tenant_id

    def remember_conversation(self, conversation_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        with self._lock:
            self._conversations[conversation_id] = tenant_id
            if len(self._conversations) > CONVERSATION_TENANTS:
                self._conversations.popitem(last=False)

    def invalidate(self, tenant_id: uuid.UUID) -> None:
        """Forget the tenant (settings, key, content version) and its availability."""
        with self._lock:
            entry = self._entries.pop(tenant_id, None)
            if entry is not None:
                self._slugs.pop(entry.tenant.slug, None)
            self._available.pop(tenant_id, None)

    def clear(self) -> None:
        """Forget everything (after rows were changed where no event could tell us)."""
        with self._lock:
            self._entries.clear()
            self._slugs.clear()
            self._available.clear()
            self._conversations.clear()

    def presence_changed(self, tenant_id: uuid.UUID) -> None:
        self._available.pop(tenant_id, None)

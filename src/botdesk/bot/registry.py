"""Per-process cache of tenants' bots, keyed by content version.

Training takes seconds, so a node loads the stored model for the newest content version (or
trains and stores one if it is missing) once, then reuses it for every message. Which version
is newest comes from the node's tenant cache (`tenant_cache.py`), which hears of new content
from the commit that stored it; `responder()` asks the database itself, for the CLI.

Training embeds every example once (about 15 ms each); the embeddings are stored with the
model, by text digest, so a retrain after a content edit embeds only the new examples. A node
where sentence embeddings cannot load serves a sparse model it trained itself and stores
nothing: the stored model stays the one the other nodes can serve.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from botdesk.bot.dialogue import ContentResponder
from botdesk.bot.understanding import Understanding, masked_examples, train_model
from botdesk.content import store
from botdesk.content.loader import TenantContent
from botdesk.nlu import BackendUnavailable, FusedBackend, IntentModel, embeddings

if TYPE_CHECKING:
    from botdesk.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Trained:
    model: IntentModel
    # The training examples' embeddings, to be kept with the model (None: nothing to store).
    example_rows: dict[bytes, embeddings.FloatMatrix] | None
    storable: bool


@dataclass(frozen=True)
class _Entry:
    # Version and digest: a restored database may reuse a version number for other content.
    version: tuple[int, str]
    responder: ContentResponder


class BotRegistry:
    def __init__(self) -> None:
        self._bots: dict[uuid.UUID, _Entry] = {}
        self._lock = threading.Lock()
        self._building: dict[uuid.UUID, threading.Lock] = {}
        self._saving: list[threading.Thread] = []

    def responder(self, session: Session, tenant_id: uuid.UUID) -> ContentResponder | None:
        """The tenant's bot for its newest content, or None if it has no content."""
        version = store.latest_version(session, tenant_id)
        if version is None:
            return None
        return self._cached(tenant_id, version, lambda: self._build(session, tenant_id, version[0]))

    def _cached(
        self,
        tenant_id: uuid.UUID,
        version: tuple[int, str],
        build: Callable[[], ContentResponder | None],
    ) -> ContentResponder | None:
        entry = self._bots.get(tenant_id)
        if entry is not None and entry.version == version:
            return entry.responder
        # One builder per tenant at a time: a burst of first messages must not train the model
        # N times, and a tenant whose model trains (a minute, for big content) holds up no other.
        with self._lock:
            building = self._building.setdefault(tenant_id, threading.Lock())
        with building:
            entry = self._bots.get(tenant_id)
            if entry is None or entry.version != version:
                built = build()
                if built is None:
                    return None
                entry = _Entry(version, built)
                self._bots[tenant_id] = entry
        return entry.responder

    def serve(
        self, db: Database, tenant_id: uuid.UUID, version: tuple[int, str] | None
    ) -> ContentResponder | None:
        """The bot for a version the caller already knows, built outside any transaction.

        A missing model is trained with no transaction open and stored in a short one of its
        own, so a node that meets new content never holds the write lock while it trains.
        """
        if version is None:
            return None
        return self._cached(tenant_id, version, lambda: self._load(db, tenant_id))

    def _load(self, db: Database, tenant_id: uuid.UUID) -> ContentResponder | None:
        with db.read() as session:
            stored, model, storable = self._stored(session, tenant_id)
            if stored is not None and model is None:
                _remember_embeddings(session, tenant_id)
        if stored is None:
            return None
        if model is None:
            trained = _train(stored.content, storable)
            model = trained.model
            if trained.storable:
                # Stored from a thread of its own: the caller may be inside a write transaction
                # (SQLite has one writer), and serving need not wait for it.
                saving = threading.Thread(
                    target=_save_model,
                    args=(db, tenant_id, stored.version, trained),
                    name="botdesk-save-model",
                )
                saving.start()
                self._saving.append(saving)
        return self._responder(stored.content, model)

    def finish_saving(self, timeout: float = 60.0) -> None:
        """Wait for trained models still being stored (before the database is closed)."""
        for saving in self._saving:
            saving.join(timeout)
        self._saving = [t for t in self._saving if t.is_alive()]

    def _build(self, session: Session, tenant_id: uuid.UUID, version: int) -> ContentResponder:
        stored, model, storable = self._stored(session, tenant_id)
        assert stored is not None and stored.version == version
        if model is None:
            _remember_embeddings(session, tenant_id)
            trained = _train(stored.content, storable)
            model = trained.model
            if trained.storable:
                _store(session, tenant_id, stored.version, trained)
        return self._responder(stored.content, model)

    @staticmethod
    def _stored(
        session: Session, tenant_id: uuid.UUID
    ) -> tuple[store.StoredContent | None, IntentModel | None, bool]:
        """The newest content, its stored model if this node can serve it, and whether a
        model trained here may replace the stored one."""
        stored = store.latest_content(session, tenant_id)
        if stored is None:
            return None, None, False
        try:
            model = store.load_model(session, tenant_id, stored.version)
        except BackendUnavailable:
            # Sound, but fused, on a node without embeddings: serve a sparse model trained
            # here, and leave the stored one for the nodes that can use it.
            return stored, None, False
        except (ValueError, OSError) as exc:
            # A model saved by an older release (or damaged): retrain rather than go silent.
            log.warning(
                "stored model for tenant %s unusable (%s); retraining",
                tenant_id,
                type(exc).__name__,
            )
            return stored, None, True
        if (
            model is not None
            and not isinstance(model.backend, FusedBackend)
            and embeddings.default_embedder() is not None
        ):
            # A word-only model from before sentence embeddings (or from a node without them):
            # this node can do better, and stores it for the others.
            return stored, None, True
        return stored, model, True

    def _responder(self, content: TenantContent, model: IntentModel) -> ContentResponder:
        return ContentResponder(content, Understanding.of_content(content, model))


def _remember_embeddings(session: Session, tenant_id: uuid.UUID) -> None:
    """Give the process's embedder the tenant's kept example embeddings before training."""
    embedder = embeddings.default_embedder()
    if embedder is not None:
        embedder.cache.update(
            store.stored_embeddings(session, tenant_id, embedder.name, embedder.dim)
        )


def _train(content: TenantContent, storable: bool) -> _Trained:
    model = train_model(content)
    embedder = embeddings.default_embedder()
    rows = None
    if embedder is not None and isinstance(model.backend, FusedBackend):
        rows = embedder.known([e.text for e in masked_examples(content)])
    # A sparse model trained because embeddings failed to load here is this node's stopgap; a
    # node that has them stores the real one.
    return _Trained(model, rows, storable and embeddings.load_failure() is None)


def _store(session: Session, tenant_id: uuid.UUID, version: int, trained: _Trained) -> None:
    store.save_model(session, tenant_id, version, trained.model)
    embedder = embeddings.default_embedder()
    if trained.example_rows is not None and embedder is not None:
        store.keep_embeddings(session, tenant_id, embedder.name, trained.example_rows)


def _save_model(db: Database, tenant_id: uuid.UUID, version: int, trained: _Trained) -> None:
    try:
        with db.session() as session:
            _store(session, tenant_id, version, trained)
    except Exception:  # the next node or start trains again; serving goes on meanwhile
        log.exception("could not store the trained model for tenant %s", tenant_id)


def responder_from_content(content: TenantContent) -> ContentResponder:
    """A bot straight from content files, trained now (CLI tests; nothing is stored)."""
    return ContentResponder(content, Understanding.of_content(content, train_model(content)))

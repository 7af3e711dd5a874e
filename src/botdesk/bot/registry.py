"""Per-process cache of tenants' bots, keyed by content version.

Training takes seconds, so a node loads the stored model for the newest content version (or
trains and stores one if it is missing) once, then reuses it for every message. A new content
version, loaded on any node, is picked up on the next message because the version is checked
against the database each time (one indexed query).
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from botdesk.bot.actions import OrderLookup, build_actions
from botdesk.bot.dialogue import ContentResponder
from botdesk.bot.understanding import Understanding, train_model
from botdesk.content import store
from botdesk.content.loader import TenantContent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Entry:
    # Version and digest: a restored database may reuse a version number for other content.
    version: tuple[int, str]
    responder: ContentResponder


class BotRegistry:
    def __init__(self, order_lookup: OrderLookup | None = None) -> None:
        self._bots: dict[uuid.UUID, _Entry] = {}
        self._lock = threading.Lock()
        self._order_lookup = order_lookup

    def responder(self, session: Session, tenant_id: uuid.UUID) -> ContentResponder | None:
        """The tenant's bot for its newest content, or None if it has no content."""
        version = store.latest_version(session, tenant_id)
        if version is None:
            return None
        entry = self._bots.get(tenant_id)
        if entry is not None and entry.version == version:
            return entry.responder
        # One builder at a time: a burst of first messages must not train the model N times.
        with self._lock:
            entry = self._bots.get(tenant_id)
            if entry is None or entry.version != version:
                entry = _Entry(version, self._build(session, tenant_id, version[0]))
                self._bots[tenant_id] = entry
        return entry.responder

    def _build(self, session: Session, tenant_id: uuid.UUID, version: int) -> ContentResponder:
        stored = store.latest_content(session, tenant_id)
        assert stored is not None and stored.version == version
        try:
            model = store.load_model(session, tenant_id, stored.version)
        except (ValueError, OSError) as exc:
            # A model saved by an older release (or damaged): retrain rather than go silent.
            log.warning(
                "stored model for tenant %s unusable (%s); retraining",
                tenant_id,
                type(exc).__name__,
            )
            model = None
        if model is None:
            model = train_model(stored.content)
            store.save_model(session, tenant_id, stored.version, model)
        return ContentResponder(
            stored.content,
            Understanding.of_content(stored.content, model),
            build_actions(self._order_lookup),
        )


def responder_from_content(
    content: TenantContent, order_lookup: OrderLookup | None = None
) -> ContentResponder:
    """A bot straight from content files, trained now (CLI tests; nothing is stored)."""
    return ContentResponder(
        content,
        Understanding.of_content(content, train_model(content)),
        build_actions(order_lookup),
    )

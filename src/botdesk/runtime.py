"""The long-lived objects one botdesk process holds, built once from Settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from botdesk.bot.keywords import KeywordResponder
from botdesk.bot.registry import BotRegistry
from botdesk.bot.responder import Responder
from botdesk.broker import create_broker
from botdesk.db import Database
from botdesk.keys import KeyRing
from botdesk.models import Tenant
from botdesk.pii import EntityPatterns
from botdesk.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keyring: KeyRing
    bots: BotRegistry = field(default_factory=BotRegistry)

    def responder_for(self, session: Session, tenant: Tenant) -> Responder:
        """The tenant's bot, or the keyword responder for a tenant with no content yet."""
        return self.bots.responder(session, tenant.id) or KeywordResponder()

    def entity_patterns_for(self, session: Session, tenant: Tenant) -> EntityPatterns:
        """The tenant's order and tracking number shapes (defaults for a tenant with no bot)."""
        responder = self.bots.responder(session, tenant.id)
        return responder.content.entity_patterns if responder else EntityPatterns.from_config({})

    def warm_up(self) -> None:
        """Build every tenant's bot now (models loaded, language detectors ready)."""
        from sqlalchemy import select

        from botdesk.models import Tenant

        with self.db.session() as session:
            tenant_ids = session.scalars(select(Tenant.id)).all()
        for tenant_id in tenant_ids:
            with self.db.session() as session:
                self.bots.responder(session, tenant_id)

    def close(self) -> None:
        self.db.broker.close()
        self.db.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """Resolve the master key, connect the database and broker; raises ConfigError on bad config."""
    keyring = KeyRing(settings.resolve_master_key())
    db = Database(settings.database_url, create_broker(settings.redis_url))
    return Runtime(settings=settings, db=db, keyring=keyring)

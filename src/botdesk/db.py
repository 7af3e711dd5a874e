"""Engines, sessions and the commit hook that publishes realtime events.

One schema serves SQLite (the embedded default) and PostgreSQL. On SQLite every transaction
begins IMMEDIATE: a deferred transaction that later needs to write can fail with "database is
locked" without waiting for busy_timeout, which would surface as lost messages under load.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from botdesk.broker import Broker
from botdesk.events import Event

_PENDING_EVENTS = "botdesk.pending_events"
log = logging.getLogger(__name__)


def create_db_engine(url: str) -> Engine:
    """Create an engine configured for our SQLite or PostgreSQL use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module so "begin" below decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        "synchronous=NORMAL",
        # Deleted rows are overwritten with zeros, so erased metadata does not linger in free pages.
        "secure_delete=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine, its session factory and the broker that commits publish to."""

    def __init__(self, url: str, broker: Broker) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self.broker = broker
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Events are published from after_commit, so an action that commits in several steps
        # (erasure shreds the key before deleting rows) announces each step once it is durable.
        event.listen(self._sessions, "after_commit", self._publish_pending)
        event.listen(self._sessions, "after_rollback", _drop_pending)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _publish_pending(self, session: Session) -> None:
        # Published only once the rows are durable, so a subscriber that reads on
        # notification always finds what it was told about.
        for item in session.info.pop(_PENDING_EVENTS, []):
            self.broker.publish(item)

    def checkpoint(self) -> None:
        """On SQLite, fold the WAL into the main file and truncate it.

        Erased rows' old page images otherwise linger in the WAL until the next automatic
        checkpoint; with secure_delete on, the main file then holds zeros where they were.
        Best effort: a reader still using an old snapshot makes SQLite keep part of the WAL.
        """
        if not self.is_sqlite:
            return
        with self.engine.connect() as connection:
            # Straight to the driver: a checkpoint cannot run inside the BEGIN IMMEDIATE
            # that SQLAlchemy's autobegin would wrap around it.
            raw = connection.connection.driver_connection
            assert raw is not None
            try:
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.OperationalError as exc:
                log.warning("WAL checkpoint deferred: %s", exc)

    def dispose(self) -> None:
        self.engine.dispose()


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_EVENTS, None)


def publish_after_commit(session: Session, item: Event) -> None:
    """Queue an event; `Database.session` publishes it after a successful commit."""
    session.info.setdefault(_PENDING_EVENTS, []).append(item)

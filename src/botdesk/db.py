"""Engines, sessions and the commit hook that publishes realtime events.

The transaction convention (docs/development.md, "Transactions"):

- `db.read()` reads and never writes. On SQLite it is a deferred transaction on a read-only
  connection, so it takes no lock and runs beside a writer (WAL); on PostgreSQL it is an
  ordinary transaction that is rolled back at the end.
- `db.session()` is a unit of work that writes: short, committed at the end, and it never waits
  for anything but the database inside (no bot, no HTTP call, no mail). Events queued with
  `publish_after_commit` go out once the commit is durable.

On SQLite a writing transaction begins IMMEDIATE: a deferred transaction that later needs to
write can fail with "database is locked" without waiting for busy_timeout. Writers within one
process also queue on a lock before they begin, instead of in SQLite's busy handler, which
sleeps in growing steps (up to 100 ms) and would turn a burst of writers into long tails; other
processes (the CLI, `botdesk worker`) still meet busy_timeout.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from botdesk.broker import Broker
from botdesk.events import ALL_TENANTS, Event, EventType, tenant_changed
from botdesk.models import BotContent, Tenant

_PENDING_EVENTS = "botdesk.pending_events"
_HOLDS_WRITE_LOCK = "botdesk.holds_write_lock"
_AUDITED_CHAINS = "botdesk.audited_chains"
# As long as SQLite's own busy_timeout: a writer that waits longer gets "database is locked".
WRITE_LOCK_TIMEOUT = 30.0
log = logging.getLogger(__name__)


def create_db_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create an engine configured for our SQLite or PostgreSQL use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Pools sized for the request thread pool (40): readers never wait for one another,
        # writers queue on the write lock anyway, so a few connections serve them.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=40 if read_only else 8,
            pool_timeout=30,
            # Bound values are shoppers' and staff's data: never in a log or an error message.
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_read_only if read_only else _sqlite_on_connect)
        if not read_only:
            _install_write_lock(engine)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=30, hide_parameters=True
    )


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


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module's own deferred BEGIN is what readers want; query_only makes a write
    # through a reading session fail loudly instead of taking the lock behind our back.
    cursor = dbapi_connection.cursor()
    for pragma in ("busy_timeout=30000", "query_only=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _install_write_lock(engine: Engine) -> None:
    """Writers of this process take turns on a lock, then BEGIN IMMEDIATE; see the module doc."""
    lock = threading.Lock()

    def begin(connection: Any) -> None:
        info = connection.connection.info
        if not info.get(_HOLDS_WRITE_LOCK):
            # A session may move between threads (FastAPI runs a request's dependencies and
            # its route on different pool threads), so the lock belongs to the connection.
            if not lock.acquire(timeout=WRITE_LOCK_TIMEOUT):
                raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("locked"))
            info[_HOLDS_WRITE_LOCK] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(info)
            raise

    def _release(info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_WRITE_LOCK, False):
            lock.release()

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        # The connection goes back to the pool once its transaction has committed or rolled
        # back (a Session releases it right then), which is when the next writer may begin.
        if record is not None:
            _release(record.info)

    event.listen(engine, "begin", begin)
    event.listen(engine.pool, "checkin", checkin)


class Database:
    """Engines, their session factories and the broker that commits publish to."""

    def __init__(self, url: str, broker: Broker) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self.broker = broker
        self.read_engine = self.engine
        if self.is_sqlite and make_url(url).database not in (None, "", ":memory:"):
            self.read_engine = create_db_engine(url, read_only=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        # Events are published from after_commit, so an action that commits in several steps
        # (erasure shreds the key before deleting rows) announces each step once it is durable.
        event.listen(self._sessions, "after_commit", self._publish_pending)
        event.listen(self._sessions, "after_rollback", _drop_pending)
        event.listen(self._sessions, "before_flush", _note_tenant_changes)
        event.listen(self._sessions, "do_orm_execute", _note_bulk_tenant_changes)
        # Called in the committing thread before the broker hears of an event, so this node's
        # caches never serve what its own commit just changed (see tenant_cache.py).
        self.local_listeners: list[Callable[[Event], None]] = []
        # Told, after a commit, which audit chains it wrote to (the node's sealer listens).
        self.audit_listeners: list[Callable[[set[uuid.UUID]], None]] = []

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work that writes: commit on success, roll back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """Like `read()`, but every statement sees the same snapshot (a long consistent read).

        PostgreSQL: REPEATABLE READ. SQLite: an explicit deferred BEGIN, since the driver's
        implicit one comes only before a write and each SELECT would see its own moment.
        """
        session = self._read_sessions()
        try:
            if self.read_engine is not self.engine:
                session.connection().exec_driver_sql("BEGIN")
            elif not self.is_sqlite:
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            # (An in-memory SQLite database reads through the writer: BEGIN IMMEDIATE already.)
            yield session
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only look at the database; takes no write lock (see the module doc)."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            # close() ends the transaction and detaches the rows with what was loaded, so a
            # caller may keep reading them (a rollback() would expire them first).
            session.close()

    # The hot path's pair: SQLAlchemy Core on a plain connection, with statements built once.
    # A Session costs several times what the statement does on SQLite, per message.

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """Like `read()`, as a Core connection."""
        with self.read_engine.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[WriteUnit]:
        """Like `session()`, as a Core connection; its events go out after the commit."""
        with self.engine.connect() as connection, connection.begin():
            unit = WriteUnit(connection)
            try:
                yield unit
                unit.flush()
            finally:
                unit.close()
        for item in unit.events:
            self._announce(item)
        if unit.audited:
            self._audited(unit.audited)

    def _publish_pending(self, session: Session) -> None:
        # Published only once the rows are durable, so a subscriber that reads on
        # notification always finds what it was told about.
        for item in session.info.pop(_PENDING_EVENTS, []):
            self._announce(item)
        chains = session.info.pop(_AUDITED_CHAINS, None)
        if chains:
            self._audited(chains)

    def _audited(self, chains: set[uuid.UUID]) -> None:
        for listener in self.audit_listeners:
            try:
                listener(chains)
            except Exception:
                # Best effort: the commit stands, and the seal job chains the rows later.
                log.exception("the audit sealer could not be told of a commit")

    def _announce(self, item: Event) -> None:
        for listener in self.local_listeners:
            listener(item)
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
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


class WriteUnit:
    """A short write on a plain connection: statements, then events to publish after commit."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.events: list[Event] = []
        self.audited: set[uuid.UUID] = set()
        self._session: Session | None = None

    def publish_after_commit(self, item: Event) -> None:
        self.events.append(item)

    def orm(self) -> Session:
        """A Session in this unit's transaction, for a rare step that needs rows as objects."""
        if self._session is None:
            self._session = Session(bind=self.connection, expire_on_commit=False)
        return self._session

    def flush(self) -> None:
        if self._session is not None:
            self._session.flush()
            self.events.extend(self._session.info.pop(_PENDING_EVENTS, []))
            self.audited |= self._session.info.pop(_AUDITED_CHAINS, set())

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _note_tenant_changes(session: Session, _context: Any, _instances: Any) -> None:
    # At the depth of the session, so no action that changes a tenant or its bot content can
    # forget to tell the nodes' caches.
    for item in (*session.dirty, *session.new):
        if isinstance(item, Tenant) and item in session.dirty:
            _queue_tenant_changed(session, item.id)
        elif isinstance(item, BotContent):
            _queue_tenant_changed(session, item.tenant_id)


def _note_bulk_tenant_changes(state: ORMExecuteState) -> None:
    # A bulk UPDATE or DELETE does not say which tenants it touched: every tenant is stale.
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper and mapper.class_ in (Tenant, BotContent):
        _queue_tenant_changed(state.session, ALL_TENANTS)


def _queue_tenant_changed(session: Session, tenant_id: Any) -> None:
    pending = session.info.setdefault(_PENDING_EVENTS, [])
    if not any(e.type is EventType.TENANT_CHANGED and e.tenant_id == tenant_id for e in pending):
        pending.append(tenant_changed(tenant_id))


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_EVENTS, None)
    session.info.pop(_AUDITED_CHAINS, None)


def note_audited(session: Session, chain_id: uuid.UUID) -> None:
    """This transaction wrote a row to an audit chain; its sealer hears of it after commit."""
    session.info.setdefault(_AUDITED_CHAINS, set()).add(chain_id)


def publish_after_commit(session: Session, item: Event) -> None:
    """Queue an event; `Database.session` publishes it after a successful commit."""
    session.info.setdefault(_PENDING_EVENTS, []).append(item)

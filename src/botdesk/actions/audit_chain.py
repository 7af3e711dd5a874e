"""The audit log's hash chains: one per tenant and one for operator-level rows, sealed after
commit, each under a signed head. docs/audit.md ("How the log proves itself") is the long form.

Design:
- Writers never touch a chain. A request's transaction only INSERTs its audit row (`record` in
  actions/audit.py): no lock, no read of a chain head, so audited writes of one tenant run side
  by side, on one node or many, exactly as they did before the chain existed.
- A sealer links committed rows in a short transaction of its own. It locks the chain's head row
  (`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer anyway), reads the chain's
  unsealed rows in id order, and gives each the next `seq`, the previous row's hash as
  `prev_hash`, and `row_hash` = SHA-256 of a canonical encoding of its fields with seq and
  prev_hash. Then it moves the head and signs it: HMAC-SHA256 over (chain, last seq, last hash)
  with a key derived from the master key (HKDF, label botdesk/audit-chain/v1).
- Chain order is seal order. A row that commits late is simply chained later. The chain cannot
  fork: the head lock orders every sealer of a chain, each starts from the head the previous one
  left, and a row is sealed only while its seq is still NULL.
- The hot path is not serialised: only sealers wait for a head lock, after the request has
  committed and off its thread. Each node has one sealer thread, woken by the commit hook in
  db.py, which gathers commits for SEAL_DELAY and then seals every row waiting in one short
  transaction per chain: under load one seal chains many rows.
- Crashes: rows a node committed but never sealed (it died in between) stay unsealed until the
  periodic `audit.seal` job, under its lease, chains them. Until then a row is protected by
  nothing: the window is the sealer's delay (about 50 ms), or one job interval after a crash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import cast

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    String,
    Table,
    Text,
    bindparam,
    select,
    type_coerce,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from botdesk.db import Database
from botdesk.keys import KeyRing
from botdesk.models import OPERATOR_CHAIN, AuditChain, AuditEntry

log = logging.getLogger(__name__)

# The prev_hash of a chain's first row.
GENESIS = "0" * 64
SEAL_BATCH = 500
# How long a woken sealer gathers further commits before it seals (the unsealed window).
SEAL_DELAY = 0.05
SIGNING_LABEL = "botdesk/audit-chain/v1"

# What a row's hash covers, read the same way by the sealer and by verification. actor_kind and
# details are read raw, so a value tampered into something unreadable is reported, not a crash.
CHAIN_COLUMNS = (
    AuditEntry.id,
    AuditEntry.tenant_id,
    AuditEntry.occurred_at,
    type_coerce(AuditEntry.actor_kind, String).label("actor_kind"),
    AuditEntry.actor_id,
    AuditEntry.action,
    AuditEntry.target_kind,
    AuditEntry.target_id,
    sql_cast(AuditEntry.details, Text).label("details"),
    AuditEntry.seq,
    AuditEntry.prev_hash,
    AuditEntry.row_hash,
)

_AUDIT = cast(Table, AuditEntry.__table__)
# Only a row still unsealed is sealed: a row is never chained twice.
_SEAL = (
    update(_AUDIT)
    .where(_AUDIT.c.id == bindparam("b_id"), _AUDIT.c.seq.is_(None))
    .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), row_hash=bindparam("b_hash"))
)


class _Moved(Exception):
    """The chain's head moved between the read and the write lock: seal again from it."""


class ChainRefused(Exception):
    """A chain's head or checkpoint does not verify, so it is not extended or purged."""


def chain_of(tenant_id: uuid.UUID | None) -> uuid.UUID:
    return tenant_id or OPERATOR_CHAIN


def in_chain(chain_id: uuid.UUID) -> ColumnElement[bool]:
    """The audit rows of one chain."""
    if chain_id == OPERATOR_CHAIN:
        return AuditEntry.tenant_id.is_(None)
    return AuditEntry.tenant_id == chain_id


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def row_hash(row: RowMapping, seq: int, prev_hash: str) -> str:
    """SHA-256 (hex) of a row's canonical encoding: its fields, its seq and the previous hash.

    `row` holds CHAIN_COLUMNS as read from the database. Raises ValueError when a field cannot
    be read (details that are no longer JSON): such a row can match no hash.
    """
    document = {
        "v": 1,
        "id": row["id"],
        "tenant_id": _text(row["tenant_id"]),
        "occurred_at": _instant(row["occurred_at"]),
        "actor_kind": row["actor_kind"],
        "actor_id": _text(row["actor_id"]),
        "action": row["action"],
        "target_kind": row["target_kind"],
        "target_id": row["target_id"],
        "details": json.loads(row["details"]),
        "seq": seq,
        "prev_hash": prev_hash,
    }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode()).hexdigest()


class ChainSigner:
    """Signs and checks chain heads and retention checkpoints (HMAC-SHA256, a derived key)."""

    def __init__(self, keyring: KeyRing) -> None:
        self._key = keyring.derive(SIGNING_LABEL)
        self.key_id = keyring.master_key_id

    def _mac(self, *parts: object) -> str:
        message = "|".join("" if p is None else str(p) for p in parts).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _head(self, chain: AuditChain) -> str:
        return self._mac("head/v1", chain.chain_id, chain.last_seq, chain.last_hash)

    def _checkpoint(self, chain: AuditChain) -> str:
        at = _instant(chain.checkpoint_at) if chain.checkpoint_at else None
        return self._mac(
            "checkpoint/v1",
            chain.chain_id,
            chain.checkpoint_seq,
            chain.checkpoint_hash,
            chain.checkpoint_rows,
            at,
        )

    def sign_head(self, chain: AuditChain) -> None:
        chain.head_signature = self._head(chain)
        chain.key_id = self.key_id

    def sign_checkpoint(self, chain: AuditChain) -> None:
        chain.checkpoint_signature = self._checkpoint(chain)
        chain.key_id = self.key_id

    def head_ok(self, chain: AuditChain) -> bool:
        return hmac.compare_digest(chain.head_signature or "", self._head(chain))

    def may_extend(self, chain: AuditChain) -> bool:
        """A sealer extends only a head it signed itself (or a new, empty one): signing over a
        head someone edited would make their edit pass verification."""
        fresh = chain.last_seq == 0 and chain.last_hash is None and chain.head_signature is None
        return fresh or self.head_ok(chain)

    def checkpoint_ok(self, chain: AuditChain) -> bool:
        if not chain.checkpoint_seq:
            return True
        return hmac.compare_digest(chain.checkpoint_signature or "", self._checkpoint(chain))


def locked_head(session: Session, chain_id: uuid.UUID) -> AuditChain:
    """The chain's head row, locked until the transaction ends (created on first use)."""
    query = select(AuditChain).where(AuditChain.chain_id == chain_id).with_for_update()
    head = session.scalars(query).one_or_none()
    if head is None:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        # Two first sealers of a new chain: one inserts, the other finds the row and waits.
        session.execute(
            dialect.insert(AuditChain)
            .values(chain_id=chain_id, last_seq=0, checkpoint_seq=0, checkpoint_rows=0)
            .on_conflict_do_nothing(index_elements=[AuditChain.chain_id])
        )
        head = session.scalars(query).one()
    return head


def seal_chain(
    db: Database, signer: ChainSigner, chain_id: uuid.UUID, *, batch_size: int = SEAL_BATCH
) -> int:
    """Chain the chain's unsealed rows; returns how many. Safe to run anywhere, at any time.

    The links are worked out from a read, with no lock held; the write transaction only checks
    that the head is still where the read found it and stores them. On SQLite, whose one writer
    every shopper's message waits for, the lock is held for a few UPDATEs, not for the hashing.
    If another sealer moved the head meanwhile, the batch is worked out again.
    """
    sealed = 0
    while True:
        with db.read() as session:
            known = session.get(AuditChain, chain_id)
            start_seq = known.last_seq if known else 0
            start_hash = (known.last_hash if known else None) or GENESIS
            rows = session.execute(
                select(*CHAIN_COLUMNS)
                .where(in_chain(chain_id), AuditEntry.seq.is_(None))
                .order_by(AuditEntry.id)
                .limit(batch_size)
            ).all()
        if not rows:
            return sealed
        seq, prev, links = start_seq, start_hash, []
        for row in rows:
            seq += 1
            digest = row_hash(row._mapping, seq, prev)
            links.append({"b_id": row.id, "b_seq": seq, "b_prev": prev, "b_hash": digest})
            prev = digest
        try:
            with db.session() as session:
                head = locked_head(session, chain_id)
                if not signer.may_extend(head):
                    # Fail closed for this chain only: its rows wait, the app goes on.
                    raise ChainRefused(
                        f"the audit chain {chain_id} has a head this node did not sign; not "
                        "sealing it (run `botdesk audit verify`)"
                    )
                if (head.last_seq, head.last_hash or GENESIS) != (start_seq, start_hash):
                    raise _Moved  # another sealer extended the chain since the read
                stored = session.execute(_SEAL, links)
                count = getattr(stored, "rowcount", -1)
                if 0 <= count != len(links):
                    raise _Moved  # a row already sealed: never store a fork (rolled back)
                head.last_seq, head.last_hash = seq, prev
                signer.sign_head(head)
        except _Moved:
            continue  # work the batch out again from the head as it is now
        sealed += len(rows)
        if len(rows) < batch_size:
            return sealed


def pending_chains(db: Database) -> list[uuid.UUID]:
    """The chains that have rows waiting to be sealed."""
    with db.read() as session:
        tenants = session.scalars(
            select(AuditEntry.tenant_id).where(AuditEntry.seq.is_(None)).distinct()
        ).all()
    return sorted({chain_of(t) for t in tenants})


def seal_pending(
    db: Database, signer: ChainSigner, keep_alive: Callable[[], None] = lambda: None
) -> int:
    """Seal every chain's waiting rows (the `audit.seal` job); returns how many."""
    total = 0
    for chain_id in pending_chains(db):
        keep_alive()
        try:
            total += seal_chain(db, signer, chain_id)
        except ChainRefused as exc:
            log.error("%s", exc)  # the other chains are still sealed
    return total


class AuditSealer:
    """A node's sealer: one thread that seals the chains a commit wrote to, soon after it."""

    def __init__(self, db: Database, signer: ChainSigner, delay: float = SEAL_DELAY) -> None:
        self.db = db
        self.signer = signer
        self.delay = delay
        self._pending: set[uuid.UUID] = set()
        self._busy = False
        self._closed = False
        self._hurry = False  # someone waits in flush(): seal now, not after the delay
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def notify(self, chains: set[uuid.UUID]) -> None:
        """Called after a commit (db.py): seal these chains soon, in the sealer's thread."""
        with self._changed:
            if self._closed:
                return  # shutting down: the audit.seal job chains these rows
            self._pending |= chains
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="botdesk-audit-sealer", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._pending and not self._closed:
                    self._changed.wait()
                # Gather what else commits meanwhile: one seal for many rows, not one each.
                self._changed.wait_for(lambda: self._hurry or self._closed, self.delay)
                if not self._pending:
                    return  # closed, and nothing left
                chains, self._pending = self._pending, set()
                self._busy = True
            try:
                for chain_id in sorted(chains):
                    try:
                        seal_chain(self.db, self.signer, chain_id)
                    except ChainRefused as exc:
                        log.error("%s", exc)
                    except Exception:
                        log.exception("sealing an audit chain failed; the audit.seal job retries")
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every chain this node was told of is sealed; False on timeout."""
        with self._changed:
            self._hurry = True
            self._changed.notify_all()
            try:
                return self._changed.wait_for(lambda: not self._pending and not self._busy, timeout)
            finally:
                self._hurry = False

    def close(self, timeout: float = 30.0) -> None:
        """Seal what is waiting, then stop the thread."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

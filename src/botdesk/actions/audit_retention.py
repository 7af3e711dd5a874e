"""Audit retention: each chain's oldest rows deleted behind a signed checkpoint, so the chain
still verifies from where it now starts; and re-signing the chains when the master key rotates.

Design (docs/audit.md, "Retention"):
- Per chain, in batches of one short transaction each, holding the chain's head lock (so a
  purge never races a sealer): read the oldest remaining rows in seq order, keep the prefix
  older than the cutoff, check that it links and hashes from the current checkpoint (whose
  signature is checked first), move the checkpoint to the prefix's last row (its seq and hash,
  the rows removed so far, when) and sign it, delete the prefix, and record `audit.purged` in
  the same chain. On PostgreSQL the append-only trigger lets a DELETE through only for rows
  behind the checkpoint, which is why the checkpoint moves first.
- A broken prefix is never deleted: that would destroy the evidence and sign over it. The chain
  is skipped and logged until someone has looked; `botdesk audit verify` names the row.
- Only a prefix of sealed rows goes: a young row stops the batch even if older rows follow it
  (rows chained late), so no gap is ever cut into a chain. Unsealed rows are never deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.audit_chain import (
    CHAIN_COLUMNS,
    GENESIS,
    ChainRefused,
    ChainSigner,
    in_chain,
    row_hash,
)
from botdesk.db import Database
from botdesk.keys import KeyRing
from botdesk.models import OPERATOR_CHAIN, AuditChain, AuditEntry

log = logging.getLogger(__name__)


def _noop() -> None:
    return None


def purge_audit(
    db: Database,
    signer: ChainSigner,
    *,
    now: dt.datetime,
    days: int,
    batch_size: int,
    keep_alive: Callable[[], None] = _noop,
) -> dict[uuid.UUID, int]:
    """Delete audit rows older than `days` behind signed checkpoints; rows deleted per chain."""
    if now.tzinfo is None:
        raise ValueError("the purge clock must be timezone-aware")
    cut = now.astimezone(dt.UTC) - dt.timedelta(days=days)
    with db.read() as session:
        chains = session.scalars(select(AuditChain.chain_id).order_by(AuditChain.chain_id)).all()
    deleted: dict[uuid.UUID, int] = {}
    for chain_id in chains:
        while True:
            keep_alive()
            try:
                count = _purge_batch(db, signer, chain_id, now, cut, batch_size)
            except ChainRefused as exc:
                log.error("%s", exc)
                break
            if count:
                deleted[chain_id] = deleted.get(chain_id, 0) + count
            if count < batch_size:
                break
    return deleted


def _purge_batch(
    db: Database,
    signer: ChainSigner,
    chain_id: uuid.UUID,
    now: dt.datetime,
    cut: dt.datetime,
    batch_size: int,
) -> int:
    with db.session() as session:
        head = session.scalars(
            select(AuditChain).where(AuditChain.chain_id == chain_id).with_for_update()
        ).one_or_none()
        if head is None:
            return 0
        if not signer.checkpoint_ok(head):
            raise ChainRefused(
                f"audit chain {chain_id}: its checkpoint does not verify; not purged"
            )
        rows = session.execute(
            select(*CHAIN_COLUMNS)
            .where(in_chain(chain_id), AuditEntry.seq > head.checkpoint_seq)
            .order_by(AuditEntry.seq)
            .limit(batch_size)
        ).all()
        expected, prev = head.checkpoint_seq + 1, head.checkpoint_hash or GENESIS
        doomed = 0
        for row in rows:
            if row.occurred_at > cut:
                break
            try:
                intact = row.seq == expected and row.prev_hash == prev
                intact = intact and row_hash(row._mapping, row.seq, prev) == row.row_hash
            except ValueError:
                intact = False
            if not intact:
                raise ChainRefused(
                    f"audit chain {chain_id}: broken at seq {expected}; nothing purged, so the "
                    "evidence stays (run `botdesk audit verify`)"
                )
            prev, expected, doomed = row.row_hash, expected + 1, doomed + 1
        if not doomed:
            return 0
        first_seq = head.checkpoint_seq + 1
        head.checkpoint_seq, head.checkpoint_hash = expected - 1, prev
        head.checkpoint_rows += doomed
        head.checkpoint_at = now
        signer.sign_checkpoint(head)
        session.flush()  # the checkpoint first: PostgreSQL's trigger deletes only behind it
        session.execute(
            delete(AuditEntry)
            .where(in_chain(chain_id), AuditEntry.seq.between(first_seq, expected - 1))
            .execution_options(synchronize_session=False)
        )
        record(
            session,
            Actor.system(),
            AuditAction.AUDIT_PURGED,
            tenant_id=None if chain_id == OPERATOR_CHAIN else chain_id,
            target_kind="audit_chain",
            rows=doomed,
            through_seq=expected - 1,
            cutoff=cut.isoformat(),
        )
        return doomed


def resign_chains(session: Session, new: KeyRing, old: KeyRing, actor: Actor) -> int:
    """Re-sign every chain's head and checkpoint under `new` (master-key rotation).

    Only signatures that hold under `old` are renewed: re-signing a chain that no longer
    verifies would bless whatever broke it. Returns how many chains were re-signed.
    """
    before, after = ChainSigner(old), ChainSigner(new)
    heads = session.scalars(
        select(AuditChain).order_by(AuditChain.chain_id).with_for_update()
    ).all()
    renewed = left = 0
    for head in heads:
        if before.head_ok(head) and before.checkpoint_ok(head):
            after.sign_head(head)
            if head.checkpoint_seq:
                after.sign_checkpoint(head)
            renewed += 1
        elif not (after.head_ok(head) and after.checkpoint_ok(head)):
            left += 1
    if renewed or left:
        record(
            session,
            actor,
            AuditAction.AUDIT_CHAINS_RESIGNED,
            tenant_id=None,
            target_kind="audit_chains",
            chains=renewed,
            not_verifying=left,
        )
    return renewed

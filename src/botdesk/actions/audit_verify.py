"""Checking the audit log's chains (`botdesk audit verify`): each one, from its retention
checkpoint to its signed head, naming the first link that does not hold.

A chain is read in one snapshot (db.snapshot), so a seal or a purge committing meanwhile is
either wholly seen or not at all. What each check catches, in the order they run:
- the checkpoint's signature: a checkpoint forged or moved to hide deleted rows;
- per row, in seq order: a missing seq (a row deleted), a row whose prev_hash is not the hash
  of the row before (removed, reordered or inserted), a row whose content no longer matches its
  hash (altered), a row past the signed head (inserted behind the sealer's back);
- the end: the last row is the head's (no newest rows deleted), and the head's signature holds
  (nobody re-hashed the chain after changing a row, nor moved the head by hand).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from botdesk.actions.audit_chain import (
    CHAIN_COLUMNS,
    GENESIS,
    ChainSigner,
    chain_of,
    in_chain,
    row_hash,
)
from botdesk.db import Database
from botdesk.models import OPERATOR_CHAIN, AuditChain, AuditEntry, Tenant

OPERATOR_NAME = "(operator)"


@dataclass(frozen=True)
class Break:
    """The first link of a chain that does not hold."""

    seq: int | None
    row_id: int | None
    reason: str

    def describe(self) -> str:
        where = [f"seq {self.seq}"] if self.seq is not None else []
        where += [f"row id {self.row_id}"] if self.row_id is not None else []
        return f"at {', '.join(where)}: {self.reason}" if where else self.reason


@dataclass
class ChainReport:
    """What verification found in one chain."""

    chain_id: uuid.UUID
    name: str  # the tenant's slug, OPERATOR_NAME, or the id of a tenant that is gone
    rows: int = 0  # rows checked
    first_seq: int | None = None
    last_seq: int = 0
    checkpoint_seq: int = 0
    checkpoint_rows: int = 0
    unsealed: int = 0
    broken: Break | None = field(default=None)

    @property
    def ok(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "chain": self.name,
            "chain_id": str(self.chain_id),
            "ok": self.ok,
            "rows": self.rows,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "checkpoint_seq": self.checkpoint_seq,
            "checkpoint_rows": self.checkpoint_rows,
            "unsealed": self.unsealed,
            "broken": None
            if self.broken is None
            else {
                "seq": self.broken.seq,
                "row_id": self.broken.row_id,
                "reason": self.broken.reason,
            },
        }


def _walk(session: Session, signer: ChainSigner, head: AuditChain, report: ChainReport) -> None:
    """Check the rows from the checkpoint to the head; sets report.broken at the first fault."""
    rows = session.execute(
        select(*CHAIN_COLUMNS)
        .where(in_chain(head.chain_id), AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq, AuditEntry.id)
        .execution_options(yield_per=1000)
    )
    try:
        _check_rows(rows, signer, head, report)
    finally:
        rows.close()  # a server-side cursor on PostgreSQL, left open by an early stop


def _check_rows(
    rows: Iterable[Any], signer: ChainSigner, head: AuditChain, report: ChainReport
) -> None:
    expected, prev = head.checkpoint_seq + 1, head.checkpoint_hash or GENESIS
    for row in rows:
        seq = row.seq
        if seq < expected:
            why = (
                f"a second row with seq {seq}"
                if seq > head.checkpoint_seq
                else f"a row the retention checkpoint (seq {head.checkpoint_seq}) says is gone"
            )
            report.broken = Break(seq, row.id, why)
            return
        if seq > expected:
            span = f"{expected}-{seq - 1}" if seq - 1 > expected else str(expected)
            report.broken = Break(
                expected,
                None,
                f"missing: row(s) {span} were deleted (the next is seq {seq}, row id {row.id})",
            )
            return
        if seq > head.last_seq:
            report.broken = Break(
                seq, row.id, f"past the chain's signed head (seq {head.last_seq}): a forged row"
            )
            return
        if row.prev_hash != prev:
            report.broken = Break(
                seq,
                row.id,
                "does not link to the row before it: a row was removed, reordered or inserted here",
            )
            return
        try:
            intact = row_hash(row._mapping, seq, prev) == row.row_hash
        except ValueError:
            intact = False
        if not intact:
            report.broken = Break(seq, row.id, "its content does not match its hash: altered")
            return
        if report.first_seq is None:
            report.first_seq = seq
        report.rows += 1
        report.last_seq = seq
        prev = row.row_hash
        expected += 1
    if expected - 1 < head.last_seq:
        report.broken = Break(
            expected,
            None,
            f"missing: row(s) {expected}-{head.last_seq}, the newest, were deleted",
        )
    elif head.last_seq and prev != head.last_hash:
        report.broken = Break(
            head.last_seq, None, "the last row's hash is not the one the signed head records"
        )
    elif not signer.head_ok(head):
        report.broken = Break(head.last_seq, None, _bad_signature("head", head, signer))


def _bad_signature(what: str, head: AuditChain, signer: ChainSigner) -> str:
    if head.key_id and head.key_id != signer.key_id:
        return (
            f"the chain's {what} is signed under another master key ({head.key_id}); "
            "a node still on a retired key, or a rotation that skipped this chain?"
        )
    if what == "head":
        return (
            "the chain's head signature does not match: rows were changed and the chain "
            "re-hashed, or the head was edited"
        )
    return "the retention checkpoint's signature does not match: forged or altered"


def verify_chain(
    session: Session, signer: ChainSigner, chain_id: uuid.UUID, name: str
) -> ChainReport:
    """Check one chain in `session` (a snapshot)."""
    report = ChainReport(chain_id, name)
    report.unsealed = (
        session.scalar(select(func.count()).where(in_chain(chain_id), AuditEntry.seq.is_(None)))
        or 0
    )
    head = session.get(AuditChain, chain_id)
    if head is None:
        first = session.execute(
            select(AuditEntry.seq, AuditEntry.id)
            .where(in_chain(chain_id), AuditEntry.seq.is_not(None))
            .order_by(AuditEntry.seq)
            .limit(1)
        ).first()
        if first is not None:
            report.broken = Break(first.seq, first.id, "rows are chained but the head is gone")
        return report
    report.checkpoint_seq, report.checkpoint_rows = head.checkpoint_seq, head.checkpoint_rows
    if not signer.checkpoint_ok(head):
        report.broken = Break(head.checkpoint_seq, None, _bad_signature("checkpoint", head, signer))
        return report
    _walk(session, signer, head, report)
    return report


def verify_all(
    db: Database, signer: ChainSigner, only: uuid.UUID | None = None
) -> list[ChainReport]:
    """Check every chain (or the one `only` names): tenants by slug, then the operator's."""
    with db.snapshot() as session:
        slugs = {
            tenant_id: slug for tenant_id, slug in session.execute(select(Tenant.id, Tenant.slug))
        }
        if only is not None:
            chains = {only}
        else:
            chains = set(session.scalars(select(AuditChain.chain_id)).all())
            chains |= {
                chain_of(t) for t in session.scalars(select(AuditEntry.tenant_id).distinct())
            }

        def name(chain_id: uuid.UUID) -> str:
            if chain_id == OPERATOR_CHAIN:
                return OPERATOR_NAME
            return slugs.get(chain_id, str(chain_id))

        ordered = sorted(chains, key=lambda c: (c == OPERATOR_CHAIN, name(c)))
        return [verify_chain(session, signer, c, name(c)) for c in ordered]

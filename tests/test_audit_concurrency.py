"""Concurrent audited writers on two nodes end with one unbroken chain per tenant, no row left
out; and a writer never waits for a chain's head (the design in actions/audit_chain.py)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter

import httpx
import pytest
from sqlalchemy import delete, func, select, text

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.audit_chain import AuditSealer, seal_pending
from botdesk.actions.audit_verify import verify_all
from botdesk.broker import create_broker
from botdesk.db import Database
from botdesk.models import OPERATOR_CHAIN, AuditChain, AuditEntry
from botdesk.runtime import Runtime
from tests.conftest import Personas, start_chat

WRITERS = 8
TRANSACTIONS = 40  # per writer


@pytest.fixture(autouse=True)
def _empty_log(runtime: Runtime, personas: Personas) -> None:
    assert runtime.audit.flush()
    with runtime.db.engine.begin() as connection:
        if not runtime.db.is_sqlite:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(delete(AuditChain))
        connection.execute(delete(AuditEntry))


def test_concurrent_writers_on_two_nodes_leave_one_unbroken_chain_per_tenant(
    runtime: Runtime, personas: Personas
) -> None:
    # A second node: its own engine and its own sealer, signing with the same master key.
    other = Database(runtime.settings.database_url, create_broker(None))
    # No gathering delay on this one, and seal jobs running all along on both nodes: as many
    # sealers racing for the same heads as can be had.
    other_sealer = AuditSealer(other, runtime.audit.signer, delay=0)
    other.audit_listeners.append(other_sealer.notify)
    nodes = (runtime.db, other)
    tenants = {
        personas.alice.tenant.id: personas.alice.tenant.id,
        personas.bob.tenant.id: personas.bob.tenant.id,
        OPERATOR_CHAIN: None,
    }
    written: Counter[uuid.UUID] = Counter()
    lock = threading.Lock()
    failures: list[BaseException] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for n in range(TRANSACTIONS):
                chains = [rng.choice(list(tenants)) for _ in range(rng.randint(1, 3))]
                with nodes[(seed + n) % 2].session() as session:
                    for chain in chains:
                        record(
                            session,
                            Actor.system(),
                            AuditAction.RETENTION_PURGED,
                            tenant_id=tenants[chain],
                            writer=seed,
                            n=n,
                        )
                    session.flush()  # ids now, commit a little later: late commits happen
                    time.sleep(rng.random() / 500)
                with lock:
                    written.update(chains)
        except BaseException as exc:
            failures.append(exc)

    writing = threading.Event()
    writing.set()

    def seal_job(node: Database) -> None:
        try:
            while writing.is_set():
                seal_pending(node, runtime.audit.signer)
        except BaseException as exc:
            failures.append(exc)

    false_alarms: list[object] = []

    def verifier() -> None:
        # Verification reads a snapshot: seals committing meanwhile never look like tampering.
        while writing.is_set():
            false_alarms.extend(
                r.broken for r in verify_all(runtime.db, runtime.audit.signer) if not r.ok
            )

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(WRITERS)]
    jobs = [threading.Thread(target=seal_job, args=(node,)) for node in nodes]
    jobs.append(threading.Thread(target=verifier))
    for thread in threads + jobs:
        thread.start()
    for thread in threads:
        thread.join(120)
    writing.clear()
    for thread in jobs:
        thread.join(120)
    assert not failures, failures
    assert not false_alarms, false_alarms
    try:
        assert runtime.audit.flush() and other_sealer.flush()
        # No row left out: every committed row is in its chain.
        with runtime.db.read() as session:
            unsealed = session.scalar(select(func.count()).where(AuditEntry.seq.is_(None)))
        assert unsealed == 0
        reports = {r.chain_id: r for r in verify_all(runtime.db, runtime.audit.signer)}
        assert set(reports) == set(tenants)
        for chain, report in reports.items():
            assert report.ok, report.broken
            # Every row is in its chain exactly once, numbered 1..N without a gap or a fork.
            assert (report.rows, report.first_seq, report.last_seq) == (
                written[chain],
                1,
                written[chain],
            )
    finally:
        other_sealer.close()
        other.dispose()


def test_an_audited_write_never_waits_for_the_chain_head(
    api: httpx.Client, runtime: Runtime, personas: Personas
) -> None:
    """With acme's head locked (a sealer mid-seal), a new chat is answered at once; its row is
    chained once the lock goes."""
    if runtime.db.is_sqlite:
        pytest.skip("SQLite has one writer at a time anyway; the head lock is PostgreSQL's")
    start_chat(api, "acme", "en")
    assert runtime.audit.flush()
    holder = runtime.db.engine.connect()
    try:
        holder.begin()
        holder.execute(
            select(AuditChain.last_seq)
            .where(AuditChain.chain_id == personas.alice.tenant.id)
            .with_for_update()
        )
        began = time.monotonic()
        start_chat(api, "acme", "en")
        assert time.monotonic() - began < 2  # it did not wait for the lock
        with runtime.db.read() as session:
            waiting = session.scalar(
                select(func.count()).where(
                    AuditEntry.tenant_id == personas.alice.tenant.id, AuditEntry.seq.is_(None)
                )
            )
        assert waiting == 1  # committed, and not chained while the head is held
    finally:
        holder.rollback()
        holder.close()
    assert runtime.audit.flush()
    (report,) = verify_all(runtime.db, runtime.audit.signer, personas.alice.tenant.id)
    assert report.ok and report.rows == 2 and report.unsealed == 0

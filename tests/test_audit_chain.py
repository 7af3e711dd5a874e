"""The audit log proves itself: hash-chained per tenant, sealed after commit, checked by
`botdesk audit verify`, which names the first broken link of a tampered chain.

Tampering is done as an attacker with write access to the database but not the master key
would: straight SQL (on PostgreSQL past the append-only trigger, as the database's owner can),
recomputing SHA-256 where that helps them, since the row hash is public.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, delete, insert, select, text, update

from botdesk.actions.audit_chain import CHAIN_COLUMNS, row_hash
from botdesk.models import AuditChain, AuditEntry
from botdesk.runtime import Runtime
from tests.cli import cli_environment, run
from tests.conftest import Personas, start_chat

AUDIT = AuditEntry.__table__
CHAINS = AuditChain.__table__


def _cli(runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    env = cli_environment(runtime.settings.database_url, tmp_path)
    assert runtime.settings.master_key is not None
    env["BOTDESK_MASTER_KEY"] = runtime.settings.master_key.get_secret_value()
    return env


def verify(runtime: Runtime, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(_cli(runtime, tmp_path), "audit", "verify", *args)


def chains(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {c["chain"]: c for c in json.loads(result.stdout)["chains"]}


def chain_rows(runtime: Runtime, tenant_id: uuid.UUID) -> list[Any]:
    """The chain's rows in seq order, as CHAIN_COLUMNS."""
    with runtime.db.read() as session:
        return list(
            session.execute(
                select(*CHAIN_COLUMNS)
                .where(AuditEntry.tenant_id == tenant_id)
                .order_by(AuditEntry.seq)
            ).all()
        )


def tamper(runtime: Runtime, change: Callable[[Connection], object]) -> None:
    with runtime.db.engine.begin() as connection:
        if not runtime.db.is_sqlite:
            # The owner (or a superuser) can switch the append-only trigger off like this.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        change(connection)


@pytest.fixture(autouse=True)
def _empty_log(runtime: Runtime, personas: Personas) -> None:
    """Chains start at seq 1 in every test (the personas' own rows would come first)."""
    assert runtime.audit.flush()
    tamper(runtime, lambda c: (c.execute(delete(CHAINS)), c.execute(delete(AUDIT))))


def six_chats(api: httpx.Client, runtime: Runtime) -> None:
    """Six audited writes in acme's chain (`conversation.started`), all sealed."""
    for _ in range(6):
        start_chat(api, "acme", "en")
    assert runtime.audit.flush()


def test_a_clean_log_verifies_with_every_row_sealed(
    api: httpx.Client, runtime: Runtime, personas: Personas, tmp_path: Path
) -> None:
    six_chats(api, runtime)
    start_chat(api, "bobs", "sv")
    # An operator-level row (tenant_id NULL) goes to the operator's chain.
    created = run(
        _cli(runtime, tmp_path),
        *("user", "create", "newcomer@example.com", "--name", "N", "--password-file", "-"),
        stdin="a long enough password\n",
    )
    assert created.returncode == 0, created.stderr

    checked = verify(runtime, tmp_path, "--json")
    assert checked.returncode == 0, checked.stderr
    found = chains(checked)
    assert found["acme"]["ok"] and found["acme"]["unsealed"] == 0
    assert (found["acme"]["first_seq"], found["acme"]["last_seq"]) == (1, 6)
    assert found["bobs"]["rows"] == 1
    assert found["(operator)"]["ok"] and found["(operator)"]["rows"] == 1
    with runtime.db.read() as session:
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.seq.is_(None))) is None
    # Each row links to the one before it, from the genesis hash on.
    rows = chain_rows(runtime, personas.alice.tenant.id)
    assert rows[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(rows))

    text_out = verify(runtime, tmp_path, "--tenant", "acme")
    assert text_out.returncode == 0
    assert "acme" in text_out.stdout and "6 row(s) checked (seq 1-6)" in text_out.stdout
    assert "bobs" not in text_out.stdout
    unknown = verify(runtime, tmp_path, "--tenant", "nobody")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr


def _set(row_id: int, **values: object) -> Callable[[Connection], object]:
    return lambda c: c.execute(update(AUDIT).where(AUDIT.c.id == row_id).values(**values))


def _swap(a: Any, b: Any) -> Callable[[Connection], None]:
    def change(c: Connection) -> None:
        c.execute(update(AUDIT).where(AUDIT.c.id == a.id).values(seq=-1))
        c.execute(update(AUDIT).where(AUDIT.c.id == b.id).values(seq=a.seq))
        c.execute(update(AUDIT).where(AUDIT.c.id == a.id).values(seq=b.seq))

    return change


def _append_forged(last: Any, tenant_id: uuid.UUID) -> Callable[[Connection], None]:
    """A row that links perfectly after the last one: only the signed head gives it away."""

    def change(c: Connection) -> None:
        at = dt.datetime.now(dt.UTC)
        new_id = c.execute(
            insert(AUDIT)
            .values(
                tenant_id=tenant_id,
                occurred_at=at,
                actor_kind="system",
                action="retention.purged",
                details={},
            )
            .returning(AUDIT.c.id)
        ).scalar_one()
        row = c.execute(select(*CHAIN_COLUMNS).where(AuditEntry.id == new_id)).one()
        digest = row_hash(row._mapping, last.seq + 1, last.row_hash)
        c.execute(
            update(AUDIT)
            .where(AUDIT.c.id == new_id)
            .values(seq=last.seq + 1, prev_hash=last.row_hash, row_hash=digest)
        )

    return change


def _rehash_from(rows: list[Any], index: int, tenant_id: uuid.UUID) -> Callable[[Connection], None]:
    """Alter a row, then recompute every later hash and move the head: a careful attacker."""

    def change(c: Connection) -> None:
        c.execute(update(AUDIT).where(AUDIT.c.id == rows[index].id).values(action="staff.locked"))
        prev = rows[index].prev_hash
        for row in rows[index:]:
            fresh = c.execute(select(*CHAIN_COLUMNS).where(AuditEntry.id == row.id)).one()
            digest = row_hash(fresh._mapping, row.seq, prev)
            c.execute(
                update(AUDIT).where(AUDIT.c.id == row.id).values(prev_hash=prev, row_hash=digest)
            )
            prev = digest
        c.execute(update(CHAINS).where(CHAINS.c.chain_id == tenant_id).values(last_hash=prev))

    return change


# (how, which row is named: index into the chain's rows or None, words in the reason)
TAMPERING: dict[str, tuple[Callable[[list[Any], uuid.UUID], Any], int | None, str]] = {
    "action changed": (lambda r, t: _set(r[2].id, action="transcript.read"), 2, "altered"),
    "details changed": (lambda r, t: _set(r[2].id, details={"messages": 0}), 2, "altered"),
    "actor changed": (lambda r, t: _set(r[2].id, actor_id=uuid.uuid4()), 2, "altered"),
    "time changed": (
        lambda r, t: _set(r[2].id, occurred_at=r[2].occurred_at - dt.timedelta(days=1)),
        2,
        "altered",
    ),
    "middle row deleted": (
        lambda r, t: lambda c: c.execute(delete(AUDIT).where(AUDIT.c.id == r[2].id)),
        2,
        "were deleted",
    ),
    "rows reordered": (lambda r, t: _swap(r[2], r[3]), 2, "does not link"),
    "forged row appended": (lambda r, t: _append_forged(r[-1], t), 6, "past the chain's signed"),
    "newest row deleted": (
        lambda r, t: lambda c: c.execute(delete(AUDIT).where(AUDIT.c.id == r[-1].id)),
        5,
        "the newest, were deleted",
    ),
    "chain re-hashed": (lambda r, t: _rehash_from(r, 2, t), None, "head signature"),
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_tampering_is_caught_and_the_first_broken_row_named(
    how: str, api: httpx.Client, runtime: Runtime, personas: Personas, tmp_path: Path
) -> None:
    start_chat(api, "bobs", "sv")
    six_chats(api, runtime)
    tenant_id = personas.alice.tenant.id
    rows = chain_rows(runtime, tenant_id)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert verify(runtime, tmp_path, "--tenant", "acme").returncode == 0

    change, named, reason = TAMPERING[how]
    tamper(runtime, change(rows, tenant_id))

    caught = verify(runtime, tmp_path, "--json")
    assert caught.returncode == 1
    broken = chains(caught)["acme"]["broken"]
    assert reason in broken["reason"]
    assert chains(caught)["bobs"]["ok"]  # one tenant's broken chain is its own
    if named is not None:
        assert broken["seq"] == named + 1
        if how == "forged row appended":
            assert broken["row_id"] == max(r.id for r in chain_rows(runtime, tenant_id))
        elif how not in ("middle row deleted", "newest row deleted"):
            assert broken["row_id"] == (rows[3].id if how == "rows reordered" else rows[named].id)
    message = caught.stderr.strip()
    assert message.startswith("error: the audit chain of acme is broken at seq "), message
    assert reason in message


def _purge(runtime: Runtime, tmp_path: Path, now: dt.datetime) -> subprocess.CompletedProcess[str]:
    return run(_cli(runtime, tmp_path), "audit", "purge", "--now", now.isoformat(), "--json")


def test_retention_leaves_a_signed_checkpoint_and_the_chain_still_verifies(
    api: httpx.Client, runtime: Runtime, personas: Personas, tmp_path: Path
) -> None:
    six_chats(api, runtime)
    rows = chain_rows(runtime, personas.alice.tenant.id)
    # The clock at which exactly the first three are older than the retention period.
    days = runtime.settings.audit_retention_days
    now = rows[2].occurred_at + dt.timedelta(days=days)
    assert rows[3].occurred_at > rows[2].occurred_at

    purged = _purge(runtime, tmp_path, now)
    assert purged.returncode == 0, purged.stderr
    assert json.loads(purged.stdout)["deleted"] >= 3
    runtime.audit.flush()
    checked = verify(runtime, tmp_path, "--json")
    assert checked.returncode == 0, checked.stderr
    acme = chains(checked)["acme"]
    assert (acme["checkpoint_seq"], acme["checkpoint_rows"], acme["first_seq"]) == (3, 3, 4)
    # The purge's receipt is the chain's newest row.
    left = chain_rows(runtime, personas.alice.tenant.id)
    assert [r.seq for r in left] == [4, 5, 6, 7]
    assert left[-1].action == "audit.purged"
    assert json.loads(left[-1].details) == {
        "rows": 3,
        "through_seq": 3,
        "cutoff": rows[2].occurred_at.isoformat(),
    }
    # Nothing more is due at the same clock: a second run deletes nothing.
    assert json.loads(_purge(runtime, tmp_path, now).stdout)["deleted"] == 0

    # Now hide one more row by moving the checkpoint over it: its signature gives it away.
    def hide(c: Connection) -> None:
        c.execute(delete(AUDIT).where(AUDIT.c.id == left[0].id))
        c.execute(
            update(CHAINS)
            .where(CHAINS.c.chain_id == personas.alice.tenant.id)
            .values(checkpoint_seq=4, checkpoint_hash=left[0].row_hash, checkpoint_rows=4)
        )

    tamper(runtime, hide)
    caught = verify(runtime, tmp_path, "--tenant", "acme")
    assert caught.returncode == 1
    assert "at seq 4: the retention checkpoint's signature does not match" in caught.stderr


def test_retention_never_deletes_a_broken_part_of_a_chain(
    api: httpx.Client, runtime: Runtime, personas: Personas, tmp_path: Path
) -> None:
    six_chats(api, runtime)
    rows = chain_rows(runtime, personas.alice.tenant.id)
    tamper(runtime, _set(rows[1].id, details={"messages": 0}))
    later = rows[-1].occurred_at + dt.timedelta(days=runtime.settings.audit_retention_days + 1)
    assert _purge(runtime, tmp_path, later).returncode == 0
    # The evidence stays: verify still names the altered row.
    caught = verify(runtime, tmp_path, "--json")
    assert chains(caught)["acme"]["broken"]["row_id"] == rows[1].id
    assert chains(caught)["acme"]["checkpoint_seq"] == 0


def test_rows_written_before_the_chain_existed_are_sealed_in_order(
    runtime: Runtime, personas: Personas, tmp_path: Path
) -> None:
    """What migration 0009 leaves (unsealed rows) is chained by `botdesk audit seal`."""
    with runtime.db.engine.begin() as connection:
        for n in range(3):
            connection.execute(
                insert(AUDIT).values(
                    tenant_id=personas.bob.tenant.id,
                    occurred_at=dt.datetime.now(dt.UTC),
                    actor_kind="system",
                    action="retention.purged",
                    details={"conversations": n},
                )
            )
    waiting = chains(verify(runtime, tmp_path, "--json"))["bobs"]
    assert waiting["ok"] and waiting["unsealed"] == 3 and waiting["rows"] == 0
    sealed = run(_cli(runtime, tmp_path), "audit", "seal")
    assert sealed.returncode == 0 and "sealed 3 audit row(s)" in sealed.stdout
    done = chains(verify(runtime, tmp_path, "--json"))["bobs"]
    assert done["ok"] and (done["rows"], done["unsealed"]) == (3, 0)
    rows = chain_rows(runtime, personas.bob.tenant.id)
    assert [json.loads(r.details)["conversations"] for r in rows] == [0, 1, 2]


def test_postgres_refuses_changing_or_deleting_sealed_rows(
    api: httpx.Client, runtime: Runtime, personas: Personas
) -> None:
    if runtime.db.is_sqlite:
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on verify alone")
    from sqlalchemy.exc import DatabaseError

    six_chats(api, runtime)
    row = chain_rows(runtime, personas.alice.tenant.id)[0]
    for statement in (
        update(AUDIT).where(AUDIT.c.id == row.id).values(action="transcript.read"),
        update(AUDIT).where(AUDIT.c.id == row.id).values(seq=None),
        delete(AUDIT).where(AUDIT.c.id == row.id),
        text("TRUNCATE audit_log"),
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            runtime.db.engine.begin() as connection,
        ):
            connection.execute(statement)

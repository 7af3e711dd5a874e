"""Background jobs: the catalog, the database lease that lets one node run each, and the loop.

Design. Every app node (`BOTDESK_RUN_JOBS_IN_APP`) and every `botdesk worker` runs the same loop;
the `job_leases` table decides who does the work. Taking a lease is one atomic upsert that
succeeds only when the lease is free (never taken, released, or expired because its holder
died) and, for scheduled runs, when the job's last run on any node finished at least one
interval ago. So N nodes run an hourly job once an hour between them, not N times.

Hazards:
- No transaction stays open while a job runs: the lease is taken, renewed and released in short
  transactions of their own (SQLite has one writer; visitors must not wait on a purge).
- A holder renews its lease before every commit of the job (the job calls `keep_alive`). A node
  that stalls longer than LEASE_SECONDS may find its lease taken over; renewing then raises
  LeaseLost and the job stops between two commits, which jobs must treat as a safe point.
- Lease times come from each node's clock: nodes must agree to well within LEASE_SECONDS (NTP).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql, sqlite

from botdesk.db import Database
from botdesk.models import JobLease, utcnow
from botdesk.runtime import Runtime
from botdesk.settings import Settings

log = logging.getLogger(__name__)

# Longer than any one batch takes; a dead node's job is picked up again after this long.
LEASE_SECONDS = 300
# How often an idle loop looks for due jobs (or the interval itself, when shorter).
POLL_SECONDS = 60.0

KeepAlive = Callable[[], None]


class LeaseHeld(Exception):
    """Another node runs this job now (or, for a scheduled run, the job is not due yet)."""

    def __init__(self, name: str, holder: str | None) -> None:
        super().__init__(f"the {name} job is running on {holder or 'another node'} right now")
        self.name = name
        self.holder = holder


class LeaseLost(Exception):
    """The lease expired and another node took the job over; stop at this safe point."""


class Stopping(Exception):
    """The process is shutting down; the job stops at this safe point."""


def new_holder() -> str:
    """A name for one attempt at a job: host and process (for operators), plus a random part."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


def acquire_lease(
    db: Database, name: str, holder: str, *, due_every: dt.timedelta | None = None
) -> bool:
    """Take the named lease if it is free (and, with `due_every`, the job is due); atomic."""
    now = utcnow()
    free = JobLease.expires_at <= now
    if due_every is not None:
        free = free & (JobLease.finished_at.is_(None) | (JobLease.finished_at <= now - due_every))
    values = {
        "name": name,
        "holder": holder,
        "acquired_at": now,
        "expires_at": now + dt.timedelta(seconds=LEASE_SECONDS),
    }
    # INSERT … ON CONFLICT DO UPDATE … WHERE: one statement, so two nodes can never both win.
    # The row is returned only when it was inserted or the WHERE let the update through.
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(JobLease).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[JobLease.name],
        set_={key: statement.excluded[key] for key in ("holder", "acquired_at", "expires_at")},
        where=free,
    ).returning(JobLease.holder)
    with db.session() as session:
        return session.execute(statement).first() is not None


def renew_lease(db: Database, name: str, holder: str) -> None:
    """Extend a held lease; LeaseLost if another node has taken it over."""
    with db.session() as session:
        renewed = cast(
            CursorResult[Any],
            session.execute(
                update(JobLease)
                .where(JobLease.name == name, JobLease.holder == holder)
                .values(expires_at=utcnow() + dt.timedelta(seconds=LEASE_SECONDS))
            ),
        ).rowcount
    if renewed != 1:
        raise LeaseLost(f"the {name} lease was taken over by another node")


def release_lease(db: Database, name: str, holder: str, *, finished: bool) -> None:
    """Free a held lease; `finished` records the run so other nodes wait an interval."""
    now = utcnow()
    values: dict[str, Any] = {"expires_at": now}
    if finished:
        values["finished_at"] = now
    with db.session() as session:
        session.execute(
            update(JobLease).where(JobLease.name == name, JobLease.holder == holder).values(values)
        )


def lease_holder(db: Database, name: str) -> str | None:
    """Who holds the named lease now, if anyone."""
    with db.session() as session:
        return session.scalar(
            select(JobLease.holder).where(JobLease.name == name, JobLease.expires_at > utcnow())
        )


@contextmanager
def holding(
    db: Database,
    name: str,
    *,
    due_every: dt.timedelta | None = None,
    stop: threading.Event | None = None,
) -> Iterator[KeepAlive]:
    """Hold the job's lease for the block, or raise LeaseHeld. Yields the job's `keep_alive`."""
    holder = new_holder()
    if not acquire_lease(db, name, holder, due_every=due_every):
        raise LeaseHeld(name, lease_holder(db, name))

    def keep_alive() -> None:
        if stop is not None and stop.is_set():
            raise Stopping(f"the {name} job stopped for shutdown")
        renew_lease(db, name, holder)

    finished = False
    try:
        yield keep_alive
        finished = True
    except (LeaseLost, Stopping):
        raise
    except Exception:
        # A failing job counts as run, so it is retried an interval later rather than in a
        # tight loop on every node; the error is logged by the caller.
        finished = True
        raise
    finally:
        release_lease(db, name, holder, finished=finished)


@dataclass(frozen=True)
class Job:
    """A named background job. `run` gets the clock reading to use and the keep-alive.

    `every`: the job's own interval, from the settings; None runs it every
    `BOTDESK_RETENTION_INTERVAL_SECONDS`.
    """

    name: str
    run: Callable[[Runtime, dt.datetime, KeepAlive], Mapping[str, Any]]
    every: Callable[[Settings], dt.timedelta] | None = None


def _purge_conversations(
    runtime: Runtime, now: dt.datetime, keep_alive: KeepAlive
) -> dict[str, int]:
    from botdesk.actions.retention import purge_conversations

    result = purge_conversations(
        runtime, now=now, batch_size=runtime.settings.retention_batch_size, keep_alive=keep_alive
    )
    return {"conversations": result.conversations, "messages": result.messages}


def _purge_sessions(runtime: Runtime, now: dt.datetime, keep_alive: KeepAlive) -> dict[str, int]:
    from botdesk.actions.retention import purge_expired_sessions

    deleted = purge_expired_sessions(
        runtime, now=now, batch_size=runtime.settings.retention_batch_size, keep_alive=keep_alive
    )
    return {"staff_sessions": deleted}


def _seal_audit(runtime: Runtime, _now: dt.datetime, keep_alive: KeepAlive) -> dict[str, int]:
    # Each node seals its own commits at once; this chains what a crashed node left behind.
    from botdesk.actions.audit_chain import seal_pending

    return {"sealed": seal_pending(runtime.db, runtime.audit.signer, keep_alive)}


def _purge_audit(runtime: Runtime, now: dt.datetime, keep_alive: KeepAlive) -> dict[str, int]:
    from botdesk.actions.audit_retention import purge_audit

    deleted = purge_audit(
        runtime.db,
        runtime.audit.signer,
        now=now,
        days=runtime.settings.audit_retention_days,
        batch_size=runtime.settings.retention_batch_size,
        keep_alive=keep_alive,
    )
    return {"audit_rows": sum(deleted.values())}


def _sweep_conversations(
    runtime: Runtime, now: dt.datetime, keep_alive: KeepAlive
) -> dict[str, int]:
    from botdesk.actions.lifecycle import sweep

    swept = sweep(
        runtime, now=now, batch_size=runtime.settings.retention_batch_size, keep_alive=keep_alive
    )
    return {"abandoned": swept.abandoned, "idle": swept.idle}


def _lifecycle_every(settings: Settings) -> dt.timedelta:
    # Often: a shopper who closed the page leaves the queue about this long after their grace.
    return dt.timedelta(seconds=settings.lifecycle_interval_seconds)


LIFECYCLE_JOB = Job("conversations.lifecycle", _sweep_conversations, every=_lifecycle_every)
CONVERSATIONS_JOB = Job("retention.conversations", _purge_conversations)
SESSIONS_JOB = Job("retention.staff_sessions", _purge_sessions)
AUDIT_SEAL_JOB = Job("audit.seal", _seal_audit)
AUDIT_RETENTION_JOB = Job("retention.audit", _purge_audit)
JOBS = (LIFECYCLE_JOB, CONVERSATIONS_JOB, SESSIONS_JOB, AUDIT_SEAL_JOB, AUDIT_RETENTION_JOB)


class JobRunner:
    """Runs the jobs every interval under their leases, in a thread or in the caller's."""

    def __init__(self, runtime: Runtime, jobs: tuple[Job, ...] = JOBS) -> None:
        self.runtime = runtime
        self.jobs = jobs
        self.interval = dt.timedelta(seconds=runtime.settings.retention_interval_seconds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _every(self, job: Job) -> dt.timedelta:
        return job.every(self.runtime.settings) if job.every is not None else self.interval

    def run_due(self) -> None:
        """Run each job that is due and not running elsewhere; errors are logged, not raised."""
        for job in self.jobs:
            if self._stop.is_set():
                return
            try:
                with holding(
                    self.runtime.db, job.name, due_every=self._every(job), stop=self._stop
                ) as keep_alive:
                    counts = job.run(self.runtime, utcnow(), keep_alive)
            except LeaseHeld:
                continue  # another node has it, or it ran recently enough
            except (LeaseLost, Stopping) as exc:
                log.info("job %s interrupted (%s); its next run finishes the work", job.name, exc)
            except Exception:
                log.exception("job %s failed; it is retried in the next interval", job.name)
            else:
                # A job that runs every few seconds and found nothing is not news.
                quiet = job.every is not None and not any(counts.values())
                log.log(
                    logging.DEBUG if quiet else logging.INFO,
                    "job %s done: %s",
                    job.name,
                    dict(counts),
                )

    def run_forever(self) -> None:
        """Loop until `stop()`; used by `botdesk worker` and by the app's thread."""
        poll = min([POLL_SECONDS] + [self._every(job).total_seconds() for job in self.jobs])
        while not self._stop.is_set():
            self.run_due()
            self._stop.wait(poll)

    def start(self) -> None:
        """Run the loop in a daemon thread (the app's in-process jobs)."""
        self._thread = threading.Thread(target=self.run_forever, name="botdesk-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop at its next safe point and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("background jobs did not stop within %.0f s", timeout)

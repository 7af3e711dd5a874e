"""`botdesk retention run` (one purge now, optionally on a frozen clock) and `botdesk worker`."""

from __future__ import annotations

import datetime as dt
import signal
from types import FrameType
from typing import Annotated, Any

import typer

from botdesk.cli import JsonFlag, emit, fail, runtime_for_cli

retention_app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Apply the tenants' retention policies (see docs/retention.md).",
)


def parse_now(value: str) -> dt.datetime:
    """An ISO 8601 instant with its UTC offset; a naive time is refused, not guessed."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--now must be an ISO 8601 date and time, not {value!r}", 2) from None
    if parsed.tzinfo is None:
        # An audit that reruns a purge must know the exact instant; a local-time guess is not it.
        raise fail(
            f"--now needs a UTC offset, e.g. {value}Z or {value}+00:00 (naive times are refused)",
            2,
        )
    return parsed.astimezone(dt.UTC)


@retention_app.command("run")
def retention_run(
    now: Annotated[
        str | None,
        typer.Option(
            help="Purge as if it were this instant (ISO 8601 with offset, e.g. "
            "2026-03-01T00:00:00Z); default: the current time."
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, max=10_000, help="Conversations per batch (default from settings)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete what the retention policies make due now, and expired console sessions."""
    from botdesk.actions.retention import purge_conversations, purge_expired_sessions
    from botdesk.jobs import CONVERSATIONS_JOB, SESSIONS_JOB, LeaseHeld, holding
    from botdesk.models import utcnow

    clock = parse_now(now) if now is not None else utcnow()
    with runtime_for_cli() as runtime:
        size = batch_size or runtime.settings.retention_batch_size
        try:
            with holding(runtime.db, CONVERSATIONS_JOB.name) as keep_alive:
                result = purge_conversations(
                    runtime, now=clock, batch_size=size, keep_alive=keep_alive
                )
            with holding(runtime.db, SESSIONS_JOB.name) as keep_alive:
                sessions = purge_expired_sessions(
                    runtime, now=clock, batch_size=size, keep_alive=keep_alive
                )
        except LeaseHeld as exc:
            raise fail(f"{exc}; try again when it has finished") from None
    data: dict[str, Any] = result.as_dict() | {"staff_sessions": sessions}
    lines = [f"retention run at {clock.isoformat()}"] + [
        f"  {t['tenant']:20} bot_only {t['bot_only']}, with_agent {t['with_agent']}, "
        f"unfinished {t['unfinished']}, messages {t['messages']}"
        for t in data["tenants"]
    ]
    lines.append(
        f"deleted {data['conversations']} conversation(s), {data['messages']} message(s), "
        f"{sessions} expired session(s)"
    )
    emit(data, as_json, "\n".join(lines))


def worker() -> None:
    """Run the background jobs (retention) until stopped, for scaled-out deployments."""
    from botdesk.jobs import JobRunner
    from botdesk.logs import configure_logging

    with runtime_for_cli() as runtime:
        configure_logging(runtime.settings.log_level)
        runner = JobRunner(runtime)

        def stop(_signum: int, _frame: FrameType | None) -> None:
            runner.stop(timeout=0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        names = ", ".join(job.name for job in runner.jobs)
        typer.echo(
            f"botdesk worker running {names} every {runner.interval.total_seconds():.0f} s",
            err=True,
        )
        runner.run_forever()
    typer.echo("botdesk worker stopped", err=True)

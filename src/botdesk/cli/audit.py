"""`botdesk audit …`: check that the audit log's chains hold, seal waiting rows, purge old ones.

`verify` exits 0 when every chain holds and 1 when one does not, naming the chain, the first
broken link (seq and row id) and why; see docs/audit.md for what each message means.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from botdesk.cli import JsonFlag, emit, fail, runtime_for_cli

audit_app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="The audit log's hash chains (see docs/audit.md).",
)


@audit_app.command("verify")
def audit_verify(
    tenant: Annotated[
        str | None, typer.Option(help="Check only this tenant's chain (its slug).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check every chain from its checkpoint to its signed head; name the first broken link."""
    from botdesk import access
    from botdesk.actions.audit_verify import verify_all

    with runtime_for_cli() as runtime:
        only = None
        if tenant is not None:
            with runtime.db.read() as session:
                only = access.tenant_by_slug(session, tenant).id
        # This node's own rows first (none, usually: a CLI process writes no audit rows here).
        runtime.audit.flush()
        reports = verify_all(runtime.db, runtime.audit.signer, only)
    data: dict[str, Any] = {
        "ok": all(r.ok for r in reports),
        "chains": [r.as_dict() for r in reports],
    }
    lines = []
    for r in reports:
        state = "ok" if r.ok else "BROKEN"
        span = f"seq {r.first_seq}-{r.last_seq}" if r.rows else "no rows"
        lines.append(
            f"{r.name:24} {state:6} {r.rows} row(s) checked ({span}); "
            f"checkpoint at seq {r.checkpoint_seq} ({r.checkpoint_rows} purged); "
            f"{r.unsealed} not yet sealed"
        )
    emit(data, as_json, "\n".join(lines) or "no audit rows yet")
    for r in reports:
        if r.broken is not None:
            typer.echo(
                f"error: the audit chain of {r.name} is broken {r.broken.describe()}", err=True
            )
    if not data["ok"]:
        raise typer.Exit(1)


@audit_app.command("seal")
def audit_seal(as_json: JsonFlag = False) -> None:
    """Chain every audit row still waiting (nodes do this after each commit; this catches up)."""
    from botdesk.actions.audit_chain import seal_pending

    with runtime_for_cli() as runtime:
        sealed = seal_pending(runtime.db, runtime.audit.signer)
    emit({"sealed": sealed}, as_json, f"sealed {sealed} audit row(s)")


@audit_app.command("purge")
def audit_purge(
    now: Annotated[
        str | None,
        typer.Option(help="Purge as if it were this instant (ISO 8601 with offset)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete audit rows older than BOTDESK_AUDIT_RETENTION_DAYS behind signed checkpoints."""
    from botdesk.actions.audit_retention import purge_audit
    from botdesk.cli.retention import parse_now
    from botdesk.jobs import AUDIT_RETENTION_JOB, LeaseHeld, holding
    from botdesk.models import utcnow

    clock = parse_now(now) if now is not None else utcnow()
    with runtime_for_cli() as runtime:
        try:
            with holding(runtime.db, AUDIT_RETENTION_JOB.name) as keep_alive:
                deleted = purge_audit(
                    runtime.db,
                    runtime.audit.signer,
                    now=clock,
                    days=runtime.settings.audit_retention_days,
                    batch_size=runtime.settings.retention_batch_size,
                    keep_alive=keep_alive,
                )
        except LeaseHeld as exc:
            raise fail(f"{exc}; try again when it has finished") from None
    total = sum(deleted.values())
    emit(
        {"now": clock.isoformat(), "deleted": total, "chains": len(deleted)},
        as_json,
        f"deleted {total} audit row(s) from {len(deleted)} chain(s) behind signed checkpoints",
    )

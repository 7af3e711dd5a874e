"""`botdesk tenant connect|connection|disconnect`: a tenant's order connector from the shell.

Secrets are read from a file (or `-` for standard input), never from the command line, where
every user of the machine could read them in the process list.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from botdesk.actions.audit import Actor
from botdesk.cli import JsonFlag, emit, fail, runtime_for_cli
from botdesk.cli.tenants import tenant_app
from botdesk.runtime import Runtime


def _read(path: Path) -> str:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {path}: {type(exc).__name__}") from None
    return text.strip()


def _secrets(kind: str, options: dict[str, Any], text: str) -> dict[str, str]:
    if kind == "woocommerce":
        key, _, secret = text.partition(":")
        return {"consumer_key": key.strip(), "consumer_secret": secret.strip()}
    if kind == "shopify":
        return {"access_token": text}
    return {"hmac_secret" if options.get("auth") == "hmac" else "token": text}


@tenant_app.command("connect")
def tenant_connect(
    slug: Annotated[str, typer.Argument(help="The tenant.")],
    kind: Annotated[str, typer.Argument(help="generic, shopify or woocommerce.")],
    url: Annotated[
        str, typer.Argument(help="Base URL: the merchant API, the shop, or the WordPress site.")
    ],
    secret_file: Annotated[
        Path,
        typer.Option(
            help="File holding the secret ('-': standard input): generic: the bearer token or "
            "HMAC key; shopify: the Admin API access token; woocommerce: KEY:SECRET."
        ),
    ],
    options_file: Annotated[
        Path | None,
        typer.Option(help="JSON settings (generic: auth, path, mapping, states); see docs."),
    ] = None,
    test: Annotated[bool, typer.Option(help="Test the connection after saving.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Connect the tenant's order system (replaces an earlier connector)."""
    from botdesk import access
    from botdesk.actions.connectors import save_connector
    from botdesk.orders.connectors import ConfigInvalid, validate_config

    options: dict[str, Any] = {}
    if options_file is not None:
        try:
            options = json.loads(_read(options_file))
        except ValueError:
            raise fail(f"{options_file} is not valid JSON") from None
        if not isinstance(options, dict):
            raise fail(f"{options_file} must hold a JSON object")
    with runtime_for_cli() as runtime:
        try:
            config = validate_config(
                kind,
                url,
                options,
                _secrets(kind, options, _read(secret_file)),
                runtime.orders.policy,
            )
        except ConfigInvalid as exc:
            raise fail(str(exc)) from None
        with runtime.db.session() as session:
            tenant = access.tenant_by_slug(session, slug)
            key = runtime.keyring.tenant_key(tenant.id, tenant.wrapped_key, tenant.master_key_id)
            save_connector(session, Actor.operator(), tenant, key, config)
        outcome = _test(runtime, slug) if test else None
    data = {"tenant": slug, "kind": config.kind.value, "base_url": config.base_url}
    if outcome is not None:
        data["test"] = outcome
    emit(
        data,
        as_json,
        f"connected {slug} to {config.kind.value} at {config.base_url}"
        + (f"; test: {outcome}" if outcome else ""),
    )
    if outcome not in (None, "ok"):
        raise typer.Exit(1)


def _test(runtime: Runtime, slug: str) -> str:
    """Run the connection test as the operator; 'ok' or the failure kind."""
    from botdesk import access
    from botdesk.actions.connectors import record_connector_test
    from botdesk.orders.outbound import LookupFailed

    entry = runtime.tenants.by_slug(slug)
    if entry.connector is None:
        raise fail(f"tenant {slug!r} has no order connector")
    try:
        asyncio.run(runtime.orders.check(entry.tenant.id, entry.connector))
        outcome = "ok"
    except LookupFailed as failure:
        outcome = failure.kind.value
    with runtime.db.session() as session:
        tenant = access.tenant_by_slug(session, slug)
        record_connector_test(session, Actor.operator(), tenant, outcome)
    return outcome


@tenant_app.command("connection")
def tenant_connection(
    slug: Annotated[str, typer.Argument(help="The tenant.")],
    test: Annotated[bool, typer.Option("--test", help="Test the connection now.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show the tenant's order connector and its health (never its secrets)."""
    from botdesk import access

    with runtime_for_cli() as runtime:
        outcome = _test(runtime, slug) if test else None
        with runtime.db.read() as session:
            tenant = access.tenant_by_slug(session, slug)
            row = access.connector_row(session, tenant.id)
            if row is None:
                raise fail(f"tenant {slug!r} has no order connector")
            data: dict[str, Any] = {
                "tenant": slug,
                "kind": row.kind,
                "base_url": row.base_url,
                "options": row.options,
                "last_success_at": row.last_success_at,
                "last_error_at": row.last_error_at,
                "last_error_kind": row.last_error_kind,
            }
    if outcome is not None:
        data["test"] = outcome
    lines = [f"{key}: {value}" for key, value in data.items() if key != "options"]
    emit(data, as_json, "\n".join(lines))
    if outcome not in (None, "ok"):
        raise typer.Exit(1)


@tenant_app.command("disconnect")
def tenant_disconnect(slug: Annotated[str, typer.Argument(help="The tenant.")]) -> None:
    """Remove the tenant's order connector (the bot then says it cannot check orders)."""
    from botdesk import access
    from botdesk.actions.connectors import remove_connector

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant = access.tenant_by_slug(session, slug)
        removed = remove_connector(session, Actor.operator(), tenant)
    typer.echo(f"disconnected {slug}" if removed else f"{slug} had no order connector")

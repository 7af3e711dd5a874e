"""The `botdesk` command: serve, migrate, seed the demo, manage tenants and staff."""

from __future__ import annotations

import errno
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from botdesk import schema
from botdesk.actions.audit import Actor
from botdesk.errors import BotdeskError
from botdesk.runtime import Runtime, build_runtime
from botdesk.settings import ConfigError, generate_master_key, load_settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="botdesk: privacy-first customer-service chat for web shops.",
)
key_app = typer.Typer(
    no_args_is_help=True, pretty_exceptions_enable=False, help="Master key utilities."
)
app.add_typer(key_app, name="key")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def runtime_for_cli(*, require_schema: bool = True) -> Iterator[Runtime]:
    """Build the runtime, turning configuration and domain errors into clear exits."""
    try:
        runtime = build_runtime(load_settings())
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    try:
        if require_schema and not schema.is_current(runtime.db.engine):
            raise fail("the database schema is not current; run `botdesk migrate` first", 2)
        yield runtime
    except BotdeskError as exc:
        raise fail(exc.message) from None
    finally:
        runtime.close()


def emit(data: dict[str, Any], as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, default=str) if as_json else text)


@app.command()
def migrate() -> None:
    """Apply database migrations up to the current version."""
    with runtime_for_cli(require_schema=False) as runtime:
        before = schema.current_revision(runtime.db.engine)
        schema.upgrade(runtime.db.engine)
        after = schema.current_revision(runtime.db.engine)
    typer.echo(f"database at revision {after}" + ("" if before != after else " (no change)"))


@app.command()
def demo() -> None:
    """Seed the demo tenant and its staff (development only; idempotent)."""
    from botdesk.content.loader import ContentInvalid
    from botdesk.demo import load_demo_content, seed_demo, seed_demo_orders

    with runtime_for_cli() as runtime:
        try:
            logins = seed_demo(runtime)
            # Training embeds each of the demo's 3,000 examples once: say why it takes a while.
            typer.echo("training the demo bot (about a minute the first time) ...", err=True)
            version = load_demo_content(runtime)
            orders = seed_demo_orders(runtime)
        except ConfigError as exc:
            raise fail(str(exc), 2) from None
        except ContentInvalid as exc:
            raise fail(f"the bundled demo content is invalid: {exc}") from None
        base = runtime.settings.base_url
    typer.echo(f"demo bot content version {version} loaded")
    typer.echo(f"demo merchant: {orders} orders, connected (docs/orders.md lists them)")
    typer.echo(f"demo tenant ready: shop {base}/ · console {base}/console")
    for login in logins:
        typer.echo(f"  {login.role.value:8} {login.email}  password: {login.password}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
) -> None:
    """Serve the API, console and demo shop."""
    import uvicorn

    from botdesk.app import UVICORN_OPTIONS, create_app
    from botdesk.logs import configure_logging

    with runtime_for_cli() as runtime:
        configure_logging(runtime.settings.log_level)
        # Bind first, so a busy port is a one-line error rather than a traceback after start-up.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise fail(
                    f"port {port} on {host} is already in use; stop the other server or pass --port"
                ) from None
            raise fail(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        config = uvicorn.Config(
            create_app(runtime),
            log_config=None,
            access_log=False,
            **UVICORN_OPTIONS,
        )
        typer.echo(f"botdesk serving on http://{host}:{port}", err=True)
        uvicorn.Server(config).run(sockets=[sock])


@key_app.command("generate")
def key_generate() -> None:
    """Print a new random master key for BOTDESK_MASTER_KEY."""
    typer.echo(generate_master_key())


@key_app.command("rotate")
def key_rotate(
    old_key_file: Annotated[Path, typer.Option(help="File holding the master key being retired.")],
) -> None:
    """Re-wrap every tenant key (and re-seal staff TOTP secrets) under the configured key.

    The audit chains' heads and checkpoints are re-signed too; restart every node with the new
    key afterwards, since a node still on the old one cannot extend them.
    """
    from botdesk.actions.audit_retention import resign_chains
    from botdesk.actions.tenants import rewrap_tenant_keys
    from botdesk.actions.two_factor import reseal_totp_secrets
    from botdesk.keys import KeyRing

    # One transaction: a failure in either step leaves everything under the old key.
    with runtime_for_cli() as runtime, runtime.db.session() as session:
        try:
            old = KeyRing(runtime.settings.read_key_file(old_key_file))
        except ConfigError as exc:
            raise fail(str(exc), 2) from None
        moved = rewrap_tenant_keys(session, runtime.keyring, old, Actor.operator())
        resealed = reseal_totp_secrets(session, runtime.keyring, old, Actor.operator())
        resigned = resign_chains(session, runtime.keyring, old, Actor.operator())
    typer.echo(
        f"re-wrapped {moved} tenant key(s) and re-sealed {resealed} two-factor secret(s); "
        f"re-signed {resigned} audit chain(s); the old master key can now be destroyed"
    )


def main() -> None:
    app()


# Registered last: the sub-command modules import the helpers above.
from botdesk.cli.audit import audit_app  # noqa: E402
from botdesk.cli.canned import canned_app  # noqa: E402
from botdesk.cli.connectors import tenant_connect  # noqa: E402, F401 (registers commands)
from botdesk.cli.content import content_app, nlu_app  # noqa: E402
from botdesk.cli.pii import pii_app  # noqa: E402
from botdesk.cli.retention import retention_app, worker  # noqa: E402
from botdesk.cli.samples import samples_app  # noqa: E402
from botdesk.cli.subjects import subject_app  # noqa: E402
from botdesk.cli.tenants import tenant_app, user_app  # noqa: E402

app.add_typer(tenant_app, name="tenant")
app.add_typer(canned_app, name="canned")
app.add_typer(user_app, name="user")
app.add_typer(content_app, name="content")
app.add_typer(nlu_app, name="nlu")
app.add_typer(pii_app, name="pii")
app.add_typer(retention_app, name="retention")
app.add_typer(samples_app, name="samples")
app.add_typer(subject_app, name="subject")
app.add_typer(audit_app, name="audit")
app.command()(worker)

"""`botdesk tenant …` (create, configure, list) and `botdesk user create`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from botdesk.actions.audit import Actor
from botdesk.cli import JsonFlag, emit, fail, runtime_for_cli
from botdesk.models import Role

tenant_app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Create and list tenants (merchants).",
)
user_app = typer.Typer(
    no_args_is_help=True, pretty_exceptions_enable=False, help="Create staff accounts."
)


@tenant_app.command("create")
def tenant_create(
    slug: Annotated[str, typer.Argument(help="URL-safe id used in the script tag.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    languages: Annotated[str, typer.Option(help="Comma-separated, first is default.")] = "en",
    retention_days: Annotated[int, typer.Option(help="Days bot-only chats are kept.")] = 90,
    agent_retention_days: Annotated[
        int | None, typer.Option(help="Maximum days chats with an agent are kept.")
    ] = None,
    origin: Annotated[
        list[str] | None, typer.Option(help="Allowed widget origin (repeatable).")
    ] = None,
    privacy_policy_url: Annotated[str | None, typer.Option(help="Shown in the widget.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a tenant with its own encryption key."""
    from botdesk.actions.tenants import create_tenant

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant = create_tenant(
            session,
            runtime.keyring,
            Actor.operator(),
            slug=slug,
            name=name,
            languages=languages.split(","),
            retention_bot_days=retention_days,
            retention_agent_days=agent_retention_days,
            allowed_origins=origin or [],
            privacy_policy_url=privacy_policy_url,
        )
        data = {
            "id": str(tenant.id),
            "slug": tenant.slug,
            "name": tenant.name,
            "languages": tenant.languages,
            "retention_bot_days": tenant.retention_bot_days,
            "retention_agent_days": tenant.retention_agent_days,
        }
    emit(data, as_json, f"created tenant {slug} ({data['id']})")


@tenant_app.command("configure")
def tenant_configure(
    slug: Annotated[str, typer.Argument(help="The tenant to change.")],
    languages: Annotated[
        str | None, typer.Option(help="Comma-separated, first is default.")
    ] = None,
    retention_days: Annotated[
        int | None, typer.Option(help="Days bot-only chats are kept.")
    ] = None,
    agent_retention_days: Annotated[
        int | None, typer.Option(help="Maximum days chats with an agent are kept.")
    ] = None,
    keep_agent_chats_until_deleted: Annotated[
        bool, typer.Option(help="Keep chats with an agent until a deletion request.")
    ] = False,
    origin: Annotated[
        list[str] | None, typer.Option(help="Allowed widget origin (repeatable; replaces all).")
    ] = None,
    privacy_policy_url: Annotated[str | None, typer.Option(help="'' removes it.")] = None,
    primary_color: Annotated[str | None, typer.Option(help="Launcher colour, #rrggbb.")] = None,
    position: Annotated[str | None, typer.Option(help="Launcher corner: right or left.")] = None,
    greeting: Annotated[
        list[str] | None, typer.Option(help="LANG=TEXT shown when the chat opens (repeatable).")
    ] = None,
    text: Annotated[
        list[str] | None,
        typer.Option(help="LANG.KEY=TEXT rewords a widget text, e.g. fi.title=Asiakaspalvelu."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a tenant's languages, retention and widget settings."""
    from botdesk import access
    from botdesk.actions.tenants import configure_tenant

    greetings: dict[str, str] | None = None
    if greeting is not None:
        greetings = {}
        for item in greeting:
            lang, sep, words = item.partition("=")
            if not sep:
                raise fail(f"--greeting takes LANG=TEXT, not {item!r}")
            greetings[lang.strip()] = words.strip()
    texts: dict[str, dict[str, str]] | None = None
    if text is not None:
        texts = {}
        for item in text:
            where, sep, value = item.partition("=")
            lang, dot, key = where.partition(".")
            if not sep or not dot:
                raise fail(f"--text takes LANG.KEY=TEXT, not {item!r}")
            texts.setdefault(lang.strip(), {})[key.strip()] = value.strip()
    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant = access.tenant_by_slug(session, slug)
        changed = configure_tenant(
            session,
            Actor.operator(),
            tenant,
            languages=languages.split(",") if languages else None,
            retention_bot_days=retention_days,
            retention_agent_days=agent_retention_days,
            clear_agent_retention=keep_agent_chats_until_deleted,
            allowed_origins=origin,
            privacy_policy_url=privacy_policy_url,
            primary_color=primary_color,
            position=position,
            greeting=greetings,
            texts=texts,
        )
    emit(
        {"tenant": slug, "changed": changed},
        as_json,
        f"tenant {slug}: " + (", ".join(changed) + " changed" if changed else "nothing to change"),
    )


@tenant_app.command("list")
def tenant_list(as_json: JsonFlag = False) -> None:
    """List tenants."""
    from sqlalchemy import select

    from botdesk.models import Tenant

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenants = session.scalars(select(Tenant).order_by(Tenant.slug)).all()
        rows: list[dict[str, Any]] = [
            {
                "slug": t.slug,
                "name": t.name,
                "languages": t.languages,
                "retention_bot_days": t.retention_bot_days,
                "retention_agent_days": t.retention_agent_days,
                "allowed_origins": t.allowed_origins,
                "privacy_policy_url": t.privacy_policy_url,
                "widget": t.widget,
            }
            for t in tenants
        ]
    if as_json:
        typer.echo(json.dumps(rows))
    for row in [] if as_json else rows:
        typer.echo(
            f"{row['slug']:20} {row['name']}  ({','.join(row['languages'])}, "
            f"{row['retention_bot_days']} days)"
        )


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="Login email; one account per person.")],
    name: Annotated[str, typer.Option(help="Display name shown to colleagues.")],
    tenant: Annotated[str | None, typer.Option(help="Tenant slug to give a role in.")] = None,
    role: Annotated[Role, typer.Option(help="Role in the tenant.")] = Role.AGENT,
    password_file: Annotated[
        Path | None, typer.Option(help="Read the password from this file ('-' for stdin).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a staff account (the password is prompted for unless --password-file is given)."""
    from botdesk import access
    from botdesk.actions.users import create_user

    if password_file is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    elif str(password_file) == "-":
        password = sys.stdin.readline().rstrip("\n")
    else:
        try:
            password = password_file.read_text().rstrip("\n")
        except OSError as exc:
            raise fail(f"cannot read {password_file}: {exc.strerror}") from None
    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant_row = access.tenant_by_slug(session, tenant) if tenant else None
        user = create_user(
            session,
            Actor.operator(),
            email=email,
            display_name=name,
            password=password,
            tenant=tenant_row,
            role=role if tenant_row else None,
        )
        data = {
            "id": str(user.id),
            "email": user.email,
            "tenant": tenant,
            "role": role.value if tenant else None,
        }
    emit(
        data,
        as_json,
        f"created user {data['email']}" + (f" ({role.value} in {tenant})" if tenant else ""),
    )

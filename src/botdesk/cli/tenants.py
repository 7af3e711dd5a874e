"""`botdesk tenant …` (create, configure, list) and `botdesk user …` (create, grant, revoke,
reset-2fa)."""

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
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Create staff accounts, grant and revoke roles, reset two-factor sign-in.",
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
    handover_file: Annotated[
        Path | None,
        typer.Option(
            help="JSON handover policy (hours, pre-chat form); see docs/console-admin.md."
        ),
    ] = None,
    require_totp: Annotated[
        bool | None,
        typer.Option("--require-totp/--no-require-totp", help="Staff must use two-factor sign-in."),
    ] = None,
    shop_email: Annotated[
        list[str] | None,
        typer.Option(
            help="The shop's own public email, kept readable in question samples "
            "(repeatable; replaces the list; '' clears it)."
        ),
    ] = None,
    shop_phone: Annotated[
        list[str] | None,
        typer.Option(help="The shop's own public phone number (as --shop-email)."),
    ] = None,
    shop_address: Annotated[
        list[str] | None,
        typer.Option(help="The shop's own street address (as --shop-email)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a tenant's languages, retention, widget, handover, sign-in and contact settings."""
    from botdesk import access
    from botdesk.actions.samples import set_business_contacts
    from botdesk.actions.tenants import configure_handover, configure_tenant, set_require_totp

    # Read and check the file before touching the database: a typo is one line, not a rollback.
    handover = read_handover_file(handover_file) if handover_file is not None else None

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
        actor = Actor.operator()
        changed = configure_tenant(
            session,
            actor,
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
        if handover is not None:
            changed += [
                f"handover.{key}" for key in configure_handover(session, actor, tenant, handover)
            ]
        if require_totp is not None and set_require_totp(session, actor, tenant, require_totp):
            changed.append("require_totp")
        if any(v is not None for v in (shop_email, shop_phone, shop_address)) and (
            set_business_contacts(
                session,
                actor,
                tenant,
                emails=shop_email,
                phones=shop_phone,
                addresses=shop_address,
            )
        ):
            changed.append("business_contacts")
    emit(
        {"tenant": slug, "changed": changed},
        as_json,
        f"tenant {slug}: " + (", ".join(changed) + " changed" if changed else "nothing to change"),
    )


def read_handover_file(path: Path) -> dict[str, Any]:
    """A handover policy from a JSON file, checked; each problem is one clear line."""
    from botdesk.errors import Invalid
    from botdesk.handover import HandoverPolicy

    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise fail(f'{path} must hold a JSON object such as {{"timezone": "Europe/Helsinki"}}')
    try:
        HandoverPolicy.from_config(config)
    except Invalid as exc:
        raise fail(f"{path}: {exc.message}") from None
    return config


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
                "handover": t.handover,
                "require_totp": t.require_totp,
                "business_contacts": t.business_contacts,
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


@user_app.command("reset-2fa")
def user_reset_2fa(
    email: Annotated[str, typer.Argument(help="Login email of the staff member.")],
    as_json: JsonFlag = False,
) -> None:
    """Turn off a staff member's two-factor sign-in (lost phone); also lifts a sign-in lock.

    Check who is asking first: this lets anyone with the password sign in again. Every session
    of the account ends, and the reset is audited.
    """
    from botdesk.actions.two_factor import reset_two_factor

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        user = _staff_member(session, email)
        ended = reset_two_factor(session, Actor.operator(), user)
        data = {"id": str(user.id), "sessions_ended": ended}
    emit(
        data,
        as_json,
        f"two-factor sign-in reset for {email.strip().lower()}; {ended} session(s) ended. "
        "They can sign in with their password and set it up again under Account.",
    )


def _staff_member(session: Any, email: str) -> Any:
    from sqlalchemy import select

    from botdesk.actions.users import normalise_email
    from botdesk.models import User

    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise fail("no staff account has that email")
    return user


@user_app.command("grant")
def user_grant(
    email: Annotated[str, typer.Argument(help="Login email of the staff member.")],
    tenant: Annotated[str, typer.Option(help="Tenant slug to give the role in.")],
    role: Annotated[Role, typer.Option(help="Role in the tenant (replaces any they had).")],
) -> None:
    """Give a staff member a role in a tenant (audited)."""
    from botdesk import access
    from botdesk.actions.users import grant_role

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant_row = access.tenant_by_slug(session, tenant)
        user = _staff_member(session, email)
        grant_role(session, Actor.operator(), tenant=tenant_row, user=user, role=role)
    typer.echo(f"{email.strip().lower()} is now {role.value} in {tenant}")


@user_app.command("revoke")
def user_revoke(
    email: Annotated[str, typer.Argument(help="Login email of the staff member.")],
    tenant: Annotated[str, typer.Option(help="Tenant slug to remove their role from.")],
    as_json: JsonFlag = False,
) -> None:
    """Remove a staff member's role in a tenant; their open console there closes at once."""
    from botdesk import access
    from botdesk.actions.staff_access import revoke_role

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        user = _staff_member(session, email)
        role = revoke_role(
            session, Actor.operator(), tenant=access.tenant_by_slug(session, tenant), user=user
        )
        data = {"id": str(user.id), "tenant": tenant, "role": role.value}
    emit(data, as_json, f"{email.strip().lower()} is no longer {role.value} in {tenant}")


@user_app.command("disable")
def user_disable(
    email: Annotated[str, typer.Argument(help="Login email of the staff member.")],
    as_json: JsonFlag = False,
) -> None:
    """Disable a staff account: every session ends and its open consoles close at once."""
    from botdesk.actions.staff_access import disable_user

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        user = _staff_member(session, email)
        ended = disable_user(session, Actor.operator(), user)
        data = {"id": str(user.id), "sessions_ended": ended}
    emit(data, as_json, f"account disabled; {ended} session(s) ended")


@user_app.command("enable")
def user_enable(
    email: Annotated[str, typer.Argument(help="Login email of the staff member.")],
    as_json: JsonFlag = False,
) -> None:
    """Let a disabled staff account sign in again (its roles were kept)."""
    from botdesk.actions.staff_access import enable_user

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        user = _staff_member(session, email)
        enable_user(session, Actor.operator(), user)
        data = {"id": str(user.id)}
    emit(data, as_json, "account enabled")

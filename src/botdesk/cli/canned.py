"""`botdesk canned …`: a tenant's canned replies (add, list, remove) for operators and scripts."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from botdesk.actions.audit import Actor
from botdesk.cli import JsonFlag, emit, runtime_for_cli

canned_app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Manage a tenant's canned replies (agents insert them in live chats).",
)

Slug = Annotated[str, typer.Argument(help="The tenant's slug.")]
Shortcut = Annotated[str, typer.Option(help="1-40 letters, digits, '-' or '_'.")]
Language = Annotated[str, typer.Option(help="One of the tenant's languages, e.g. fi.")]


@canned_app.command("add")
def canned_add(
    slug: Slug,
    shortcut: Shortcut,
    language: Language,
    text: Annotated[str, typer.Option(help="The reply, 1-2000 characters.")],
    as_json: JsonFlag = False,
) -> None:
    """Add a canned reply."""
    from botdesk import access
    from botdesk.actions.canned_replies import create_canned_reply

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant = access.tenant_by_slug(session, slug)
        reply = create_canned_reply(
            session, Actor.operator(), tenant, shortcut=shortcut, language=language, text=text
        )
        data = {"id": str(reply.id), "shortcut": reply.shortcut, "language": reply.language}
    emit(data, as_json, f"added canned reply {data['shortcut']} ({data['language']}) to {slug}")


@canned_app.command("list")
def canned_list(
    slug: Slug,
    language: Annotated[str | None, typer.Option(help="Only this language.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List a tenant's canned replies by language and shortcut."""
    from botdesk import access

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant = access.tenant_by_slug(session, slug)
        rows = [
            {"id": str(r.id), "shortcut": r.shortcut, "language": r.language, "text": r.text}
            for r in access.tenant_canned_replies(session, tenant, language)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        typer.echo(f"{slug} has no canned replies" + (f" in {language}" if language else ""))
    for row in rows:
        first_line = row["text"].splitlines()[0] if row["text"] else ""
        preview = first_line if len(first_line) <= 70 else first_line[:69] + "…"
        typer.echo(f"{row['language']:3} {row['shortcut']:24} {preview}")


@canned_app.command("remove")
def canned_remove(slug: Slug, shortcut: Shortcut, language: Language) -> None:
    """Remove the canned reply with this shortcut in this language."""
    from botdesk import access
    from botdesk.actions.canned_replies import delete_canned_reply

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant = access.tenant_by_slug(session, slug)
        reply = access.canned_reply_by_shortcut(session, tenant, shortcut, language)
        delete_canned_reply(session, Actor.operator(), reply)
    typer.echo(f"removed canned reply {shortcut} ({language}) from {slug}")

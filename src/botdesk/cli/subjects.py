"""`botdesk subject …`: data-subject requests from the operator's shell (find, export, erase)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Annotated

import typer

from botdesk.cli import fail, runtime_for_cli
from botdesk.subjects import SubjectKind

subject_app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Find, export, restrict or erase one person's data (by email, phone or order number).",
)
Slug = Annotated[str, typer.Argument(help="The tenant's slug.")]
Email = Annotated[str | None, typer.Option("--email", help="The person's email address.")]
Phone = Annotated[str | None, typer.Option("--phone", help="The person's phone number.")]
Order = Annotated[str | None, typer.Option("--order-number", help="One of their order numbers.")]


def _selector(email: str | None, phone: str | None, order: str | None) -> tuple[SubjectKind, str]:
    given = [
        (kind, value)
        for kind, value in (
            (SubjectKind.EMAIL, email),
            (SubjectKind.PHONE, phone),
            (SubjectKind.ORDER_NUMBER, order),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise fail("give exactly one of --email, --phone or --order-number", 2)
    return given[0]


@subject_app.command("find")
def subject_find(slug: Slug, email: Email = None, phone: Phone = None, order: Order = None) -> None:
    """Print the ids of the person's conversations, one per line."""
    from botdesk import access
    from botdesk.actions.subjects import find_subject, scope_for_operator

    kind, value = _selector(email, phone, order)
    with runtime_for_cli() as runtime:
        with runtime.db.session() as session:
            scope = scope_for_operator(access.tenant_by_slug(session, slug))
        for conversation in find_subject(runtime, scope, kind, value):
            typer.echo(str(conversation.id))


@subject_app.command("export")
def subject_export(
    slug: Slug,
    email: Email = None,
    phone: Phone = None,
    order: Order = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to this file (mode 0600).")
    ] = None,
) -> None:
    """Print (or write) the person's data as a JSON bundle; schema in docs/privacy.md."""
    from botdesk import access
    from botdesk.actions.subjects import export_subject, scope_for_operator

    kind, value = _selector(email, phone, order)
    with runtime_for_cli() as runtime:
        with runtime.db.session() as session:
            scope = scope_for_operator(access.tenant_by_slug(session, slug))
        bundle = export_subject(runtime, scope, kind, value)
    text = json.dumps(bundle, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
        return
    # Created 0600 from the start: the bundle is personal data, never world-readable on disk.
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    typer.echo(f"wrote {len(bundle['conversations'])} conversation(s) to {output}", err=True)


@subject_app.command("restrict")
def subject_restrict(
    slug: Slug,
    email: Email = None,
    phone: Phone = None,
    order: Order = None,
    lift: Annotated[bool, typer.Option("--lift", help="Lift the restriction instead.")] = False,
) -> None:
    """Keep the person's conversations out of samples and statistics (or --lift that)."""
    from botdesk import access
    from botdesk.actions.subjects import restrict_subject, scope_for_operator, unrestrict_subject

    kind, value = _selector(email, phone, order)
    with runtime_for_cli() as runtime:
        with runtime.db.session() as session:
            scope = scope_for_operator(access.tenant_by_slug(session, slug))
        change = unrestrict_subject if lift else restrict_subject
        found = change(runtime, scope, kind, value)
    typer.echo(f"{'lifted' if lift else 'restricted'} {len(found)} conversation(s)")


@subject_app.command("erase")
def subject_erase(
    slug: Slug,
    email: Email = None,
    phone: Phone = None,
    order: Order = None,
    yes: Annotated[bool, typer.Option("--yes", help="Really erase; there is no undo.")] = False,
) -> None:
    """Erase all of the person's conversations (crypto-shred, delete, receipt in the audit log)."""
    from botdesk import access
    from botdesk.actions.subjects import erase_subject, scope_for_operator

    kind, value = _selector(email, phone, order)
    if not yes:
        raise fail("erasure cannot be undone; add --yes to erase", 2)
    with runtime_for_cli() as runtime:
        with runtime.db.session() as session:
            scope = scope_for_operator(access.tenant_by_slug(session, slug))
        erased = erase_subject(runtime, scope, kind, value)
    typer.echo(f"erased {len(erased)} conversation(s)")


@subject_app.command("rectify")
def subject_rectify(
    slug: Slug,
    conversation_id: Annotated[uuid.UUID, typer.Argument(help="The conversation to correct.")],
    name: Annotated[str, typer.Argument(help="email, order_number, topic or message.")],
    value: Annotated[str, typer.Argument(help="The corrected value ('' removes it).")],
) -> None:
    """Correct one field of a conversation's pre-chat form or offline message."""
    from botdesk import access
    from botdesk.actions.subjects import rectify_form, scope_for_operator

    with runtime_for_cli() as runtime:
        with runtime.db.session() as session:
            scope = scope_for_operator(access.tenant_by_slug(session, slug))
        rectify_form(runtime, scope, conversation_id, name, value)
    typer.echo(f"corrected {name} of conversation {conversation_id}")

"""`botdesk samples …`: the redacted question samples kept for improving a tenant's bot."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from botdesk.actions.audit import Actor
from botdesk.cli import fail, runtime_for_cli

samples_app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Shoppers' questions kept (redacted, unlinked) to improve the bot.",
)
Slug = Annotated[str, typer.Argument(help="The tenant's slug.")]


@samples_app.command("export")
def samples_export(
    slug: Slug,
    since: Annotated[
        str | None, typer.Option(help="Only samples collected on or after YYYY-MM-DD.")
    ] = None,
) -> None:
    """Print the samples as JSON lines: collected_on, language, text, intent, confidence."""
    from botdesk import access
    from botdesk.actions.samples import export_samples

    try:
        start = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise fail("--since must be a date like 2026-11-01", 2) from None
    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant = access.tenant_by_slug(session, slug)
        for sample in export_samples(session, Actor.operator(), tenant, start):
            typer.echo(
                json.dumps(
                    {
                        "collected_on": sample.collected_on.isoformat(),
                        "language": sample.language,
                        "text": sample.text,
                        "intent": sample.intent,
                        "confidence": sample.confidence,
                    },
                    ensure_ascii=False,
                )
            )


@samples_app.command("rate")
def samples_rate(
    slug: Slug,
    rate: Annotated[float, typer.Argument(help="Share of questions kept, 0-1 (0 turns it off).")],
) -> None:
    """Set how much of what shoppers ask is kept for improving the bot."""
    from botdesk import access
    from botdesk.actions.samples import set_sample_rate

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant = access.tenant_by_slug(session, slug)
        set_sample_rate(session, Actor.operator(), tenant, rate)
    typer.echo(f"{slug} keeps {rate:.0%} of shoppers' questions as redacted samples")

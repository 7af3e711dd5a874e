"""`botdesk content …` (validate, load, test) and `botdesk nlu …` (train, predict)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from botdesk.actions.audit import Actor
from botdesk.cli import JsonFlag, fail, runtime_for_cli

if TYPE_CHECKING:
    from botdesk.bot.understanding import Understander

content_app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Validate, load and test bot content.",
)
nlu_app = typer.Typer(
    no_args_is_help=True, pretty_exceptions_enable=False, help="Train and query intent models."
)

DirArg = Annotated[Path, typer.Argument(help="A tenant content directory (with bot.yaml).")]


def _load(directory: Path) -> object:
    from botdesk.content.loader import ContentInvalid, load_directory

    try:
        return load_directory(directory)
    except ContentInvalid as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise fail(f"{len(exc.problems)} problem(s) in {directory}") from None


@content_app.command("validate")
def validate(directory: DirArg) -> None:
    """Check a content directory; problems are printed as file:line: message."""
    from botdesk.content.loader import TenantContent

    content = _load(directory)
    assert isinstance(content, TenantContent)
    examples = sum(len(t) for spec in content.intents.values() for t in spec.examples.values())
    typer.echo(
        f"ok: {len(content.intents)} intents, {examples} examples, "
        f"{len(content.dialogues)} dialogues"
    )


@content_app.command("load")
def load(
    directory: DirArg,
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
    as_json: JsonFlag = False,
) -> None:
    """Validate, store as the tenant's newest content version, and train its model."""
    from botdesk import access
    from botdesk.actions.bot_content import save_content
    from botdesk.content.loader import TenantContent
    from botdesk.models import ActorKind

    content = _load(directory)
    assert isinstance(content, TenantContent)
    with runtime_for_cli() as runtime:
        with runtime.db.session() as session:
            row = access.tenant_by_slug(session, tenant)
            unknown = set(content.bot.languages) - set(row.languages)
            if unknown:
                raise fail(
                    f"the content speaks {', '.join(sorted(unknown))}, which tenant "
                    f"{tenant} does not have"
                )
            version, new = save_content(session, Actor(ActorKind.OPERATOR), row, content)
        started = time.perf_counter()
        with runtime.db.session() as session:
            runtime.bots.responder(session, row.id)  # trains and stores the model if missing
        seconds = round(time.perf_counter() - started, 2)
    data = {
        "tenant": tenant,
        "version": version,
        "new": new,
        "intents": len(content.intents),
        "model_seconds": seconds,
    }
    typer.echo(
        json.dumps(data)
        if as_json
        else f"tenant {tenant}: content version {version}"
        + ("" if new else " (unchanged)")
        + f", model ready in {seconds} s"
    )


@content_app.command("test")
def test(
    directory: Annotated[Path | None, typer.Argument(help="Content directory to test.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Test a tenant's stored content.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the content's conversation tests against the bot; exit 1 if any fails."""
    from botdesk.bot.conversation_tests import run_dialogues

    if (directory is None) == (tenant is None):
        raise fail("give a content DIRECTORY or --tenant SLUG (one of them)")
    if directory is not None:
        from botdesk.bot.registry import responder_from_content
        from botdesk.content.loader import TenantContent

        content = _load(directory)
        assert isinstance(content, TenantContent)
        responder = responder_from_content(content)
    else:
        from botdesk import access

        with runtime_for_cli() as runtime, runtime.db.session() as session:
            row = access.tenant_by_slug(session, tenant or "")
            found = runtime.bots.responder(session, row.id)
            if found is None:
                raise fail(f"tenant {tenant} has no bot content; run `botdesk content load`")
            responder = found
    results = run_dialogues(responder)
    failed = [r for r in results if not r.passed]
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in results]))
    else:
        for result in results:
            typer.echo(("PASS " if result.passed else "FAIL ") + result.name)
            for problem in result.problems:
                typer.echo(f"     {problem}")
        typer.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


def _configure_embeddings() -> None:
    """Honour BOTDESK_EMBEDDINGS / BOTDESK_EMBEDDING_THREADS here as the server does."""
    from botdesk.nlu import embeddings
    from botdesk.settings import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    embeddings.configure(enabled=settings.embeddings, threads=settings.embedding_threads)


@nlu_app.command("train")
def train(
    examples: Annotated[Path, typer.Option(help='JSON lines {"text", "intent"}.')],
    out: Annotated[Path, typer.Option(help="Directory to write the model to.")],
) -> None:
    """Train a standalone intent model; intent `out_of_scope` marks negative examples.

    The model is fused with sentence embeddings unless they are turned off or cannot load.
    """
    from botdesk.nlu import Example, IntentModel

    _configure_embeddings()
    rows: list[Example] = []
    try:
        lines = examples.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise fail(f"cannot read {examples}: {exc.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            rows.append(Example(text=str(item["text"]), intent=str(item["intent"])))
        except (ValueError, KeyError, TypeError):
            raise fail(
                f"{examples}:{number}: expected a JSON object with text and intent"
            ) from None
    started = time.perf_counter()
    try:
        model = IntentModel.train(rows)
    except ValueError as exc:
        raise fail(str(exc)) from None
    model.save(out)
    typer.echo(
        f"trained a {model.backend.name} model on {len(rows)} examples in "
        f"{time.perf_counter() - started:.1f} s; model in {out}",
        err=True,
    )


@nlu_app.command("predict")
def predict(
    model: Annotated[Path | None, typer.Option(help="A model directory from `nlu train`.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Use a tenant's bot instead.")] = None,
) -> None:
    """Read JSON lines {"text"} on stdin; print {"intent","confidence","language"} per line."""
    from botdesk.bot.understanding import standalone_understander

    if (model is None) == (tenant is None):
        raise fail("give --model DIR or --tenant SLUG (one of them)")
    understander: Understander
    if model is not None:
        from botdesk.nlu import BackendUnavailable, IntentModel, ModelFormatError

        _configure_embeddings()
        try:
            understander = standalone_understander(IntentModel.load(model))
        except (OSError, ModelFormatError, BackendUnavailable) as exc:
            raise fail(f"cannot load the model in {model}: {exc}") from None
    else:
        understander = _tenant_understander(tenant or "")
    out = sys.stdout
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            text = json.loads(line)["text"]
            if not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise fail(f"stdin:{number}: expected a JSON object with a text string") from None
        heard = understander.understand(text, None)
        out.write(
            json.dumps(
                {
                    "intent": heard.intent,
                    "confidence": round(heard.confidence, 4),
                    "language": heard.language,
                },
                ensure_ascii=False,
            )
            + "\n"
        )
        out.flush()


def _tenant_understander(slug: str) -> Understander:
    from botdesk import access
    from botdesk.demo import DEMO_SLUG, bundled_demo_content

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        row = access.tenant_by_slug(session, slug)
        responder = runtime.bots.responder(session, row.id)
    if responder is not None:
        return responder.understanding
    if slug == DEMO_SLUG:  # a fresh checkout: train from the bundled demo content
        from botdesk.bot.registry import responder_from_content

        return responder_from_content(bundled_demo_content()).understanding
    raise fail(f"tenant {slug} has no bot content; run `botdesk content load`")

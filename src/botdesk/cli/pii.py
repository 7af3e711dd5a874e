"""`botdesk pii redact`: personal data out of JSON lines, with the tenant's own patterns.

Contract (docs/pii.md): one output line per input line, in order, flushed as it is written so
the command works as a filter in a pipeline.

- `{"text": "..."}` → `{"text": <redacted>, "entities": [{"type", "start", "end"}, ...]}`,
  offsets in Python str (code point) indices into the input text.
- Anything else (not UTF-8, not JSON, not an object, no string "text") → `{"error": "..."}`.
  The message never quotes the input, which may be personal data; the exit status is 1 at the
  end if any line failed.
- A blank line is echoed as a blank line: the line count and order stay aligned with the
  input and JSON-lines readers skip it, so it is neither an error nor an entry.

The tenant's EntityPatterns are read once, before the first line, from its newest bot content,
the same source the bot uses; after that no line touches the database.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, BinaryIO

import typer

from botdesk.cli import fail, runtime_for_cli
from botdesk.pii import EntityPatterns, redact_personal

pii_app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Detect and redact personal data.",
)

_NOT_UTF8 = "line is not valid UTF-8"
_NOT_JSON = "line is not valid JSON"
_NOT_OBJECT = 'expected a JSON object with a string "text"'


def tenant_patterns(slug: str) -> EntityPatterns:
    """The tenant's entity patterns from its newest content; universal types only without it."""
    from botdesk import access
    from botdesk.content import store

    with runtime_for_cli() as runtime, runtime.db.session() as session:
        tenant = access.tenant_by_slug(session, slug)
        stored = store.latest_content(session, tenant.id)
    if stored is None:
        typer.echo(
            f"warning: tenant {slug} has no bot content; order and tracking numbers are only "
            "masked as runs of 5+ digits (<NUMBER>)",
            err=True,
        )
        return EntityPatterns()
    return stored.content.entity_patterns


def redact_line(raw: bytes, patterns: EntityPatterns) -> dict[str, object] | None:
    """The output object for one input line; None for a blank line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"error": _NOT_UTF8}
    if not line.strip():
        return None
    try:
        data = json.loads(line)
    except ValueError:  # JSONDecodeError, and RecursionError-free: json raises ValueError
        return {"error": _NOT_JSON}
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str):
        return {"error": _NOT_OBJECT}
    redacted, entities = redact_personal(text, patterns)
    return {
        "text": redacted,
        "entities": [{"type": e.type.value, "start": e.start, "end": e.end} for e in entities],
    }


def stream(source: BinaryIO, sink: BinaryIO, patterns: EntityPatterns) -> int:
    """Redact every line of `source` onto `sink`; returns how many lines failed."""
    failed = 0
    for raw in source:
        result = redact_line(raw.rstrip(b"\r\n"), patterns)
        if result is None:
            sink.write(b"\n")
        else:
            failed += "error" in result
            # ensure_ascii=False keeps "ä" readable; lone surrogates from "\ud800" escapes in
            # the input would not encode as UTF-8, so those fall back to ASCII escapes.
            try:
                encoded = json.dumps(result, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                encoded = json.dumps(result).encode("ascii")
            sink.write(encoded + b"\n")
        sink.flush()
    return failed


@pii_app.command("redact")
def redact(
    tenant: Annotated[
        str, typer.Option(help="Tenant slug whose order/tracking/phone patterns apply.")
    ],
) -> None:
    """Read JSON lines {"text": ...} on stdin; print each redacted, with entity offsets."""
    patterns = tenant_patterns(tenant)
    failed = stream(sys.stdin.buffer, sys.stdout.buffer, patterns)
    if failed:
        raise fail(f'{failed} line(s) were not a JSON object with a string "text"')

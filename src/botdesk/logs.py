"""Logging set-up. Log lines carry ids, types and counts; never message text or emails.

What a line quotes can still come from outside (a library's message, an exception's text), so
the formatter makes two promises of its own (#13):
- one record is one line: control characters in a message (NUL, ESC, CR, LF, ...) are written
  as escapes, so no input can forge a log line or drive a terminal;
- an exception is logged as its traceback and its type, never its message: a database error
  quotes the values it refused (an email, a phone number), and so do many others. Traceback
  lines start with "  | ", so they cannot pass for records either.

And every record's message also passes the personal-data redactor before it is written, with
the defaults of a tenant that declared nothing: emails, phone numbers, IP addresses, URLs with
parameters, secrets after "password", names, addresses and any run of 5+ digits become <TYPE>
placeholders. Conversation and tenant ids (UUIDs) are left alone, since they are what an
operator needs to find a problem and identify no one without the database.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from types import TracebackType
from typing import TextIO

from botdesk.pii import EntityPatterns, redact_personal

_NO_SHAPES = EntityPatterns()
_UUID_RE = re.compile(r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")


def redact_log_text(text: str) -> str:
    """`text` with personal data replaced by placeholders; UUIDs kept as they are."""
    pieces, position = [], 0
    # Redacted between the ids, so no detector ever reads a digit run out of one.
    for match in _UUID_RE.finditer(text):
        pieces += [redact_personal(text[position : match.start()], _NO_SHAPES)[0], match[0]]
        position = match.end()
    pieces.append(redact_personal(text[position:], _NO_SHAPES)[0])
    return "".join(pieces)


class RedactingFilter(logging.Filter):
    """Replaces personal data in a record's message (and stack) with placeholders."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_log_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.stack_info:
            record.stack_info = redact_log_text(record.stack_info)
        return True


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# C0 and C1 controls, DEL, and the line and paragraph separators some viewers break lines at.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class SafeFormatter(logging.Formatter):
    """The house format, with the two promises above."""

    def format(self, record: logging.LogRecord) -> str:
        # Another handler may have cached its own rendering of the exception (message and all).
        cached, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatMessage(self, record: logging.LogRecord) -> str:
        return _escape(super().formatMessage(record))

    def formatException(self, ei: ExcInfo | tuple[None, None, None]) -> str:
        exc = ei[1]
        lines: list[str] = []
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:  # the chain, innermost cause first
            seen.add(id(exc))
            kind = type(exc)
            frames = traceback.format_tb(exc.__traceback__)
            block = ["Traceback (most recent call last):", *frames]
            block.append(f"{kind.__module__}.{kind.__qualname__} (its message is not logged)")
            lines[:0] = [*block, ""] if lines else block
            exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        text = "\n".join(line.rstrip("\n") for line in lines)
        return "\n".join("  | " + _escape(line) for line in text.splitlines())

    def formatStack(self, stack_info: str) -> str:
        return "\n".join("  | " + _escape(line) for line in stack_info.splitlines())


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SafeFormatter(FORMAT))
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # Alembic announces its context at INFO on every schema check (each /readyz probe).
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # httpx logs every request's URL at INFO, and a merchant's URL holds the order number.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)

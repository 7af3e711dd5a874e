"""Logging set-up. Log lines carry ids, types and counts; never message text or emails.

What a line quotes can still come from outside (a library's message, an exception's text), so
the formatter makes two promises of its own (#13):
- one record is one line: control characters in a message (NUL, ESC, CR, LF, ...) are written
  as escapes, so no input can forge a log line or drive a terminal;
- an exception is logged as its traceback and its type, never its message: a database error
  quotes the values it refused (an email, a phone number), and so do many others. Traceback
  lines start with "  | ", so they cannot pass for records either.
"""

from __future__ import annotations

import logging
import re
import traceback
from types import TracebackType

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


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # Alembic announces its context at INFO on every schema check (each /readyz probe).
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # httpx logs every request's URL at INFO, and a merchant's URL holds the order number.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)

"""Logging set-up. Log lines carry ids, types and counts; never message text or emails.

That is a rule for the code that logs, and code has bugs: an exception message from a library
(a URL with an order number in it, a database error quoting a parameter) ends up in a
traceback. So every record also passes the personal-data redactor before it is written, with
the defaults of a tenant that declared nothing: emails, phone numbers, IP addresses, URLs with
parameters, secrets after "password", names, addresses and any run of 5+ digits become <TYPE>
placeholders. Conversation and tenant ids (UUIDs) are left alone, since they are what an
operator needs to find a problem and identify no one without the database.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from botdesk.pii import EntityPatterns, redact_personal

_NO_SHAPES = EntityPatterns()
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
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
    """Replaces personal data in a record's message and traceback with placeholders."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_log_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_log_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_log_text(record.stack_info)
        return True


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # Alembic announces its context at INFO on every schema check (each /readyz probe).
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # httpx logs every request's URL at INFO, and a merchant's URL holds the order number.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)

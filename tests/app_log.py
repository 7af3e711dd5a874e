"""The app's log as `botdesk serve` writes it (logs.SafeFormatter), captured while a test runs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from botdesk.logs import FORMAT, SafeFormatter

# Loggers `configure_logging` quiets below WARNING (here they are also the test's own client).
QUIET = ("alembic", "httpx", "httpcore")
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+: ")


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(SafeFormatter(FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.WARNING and record.name.startswith(QUIET):
            return
        self.lines.extend(self.format(record).split("\n"))


@contextmanager
def app_log() -> Iterator[list[str]]:
    """Every line the app logs at INFO and above meanwhile (the server runs in this process)."""
    keep, root = _Keep(), logging.getLogger()
    level = root.level
    root.addHandler(keep)
    root.setLevel(logging.INFO)
    try:
        yield keep.lines
    finally:
        root.removeHandler(keep)
        root.setLevel(level)


def assert_clean(lines: list[str], personal: list[str]) -> None:
    """No personal data, no raw control characters, no line that is not a record of its own."""
    text = "\n".join(lines)
    assert [p for p in personal if p in text] == [], "personal data in the log"
    raw = sorted({repr(c) for c in text if (ord(c) < 32 and c != "\n") or c == "\x7f"})
    assert raw == [], f"raw control characters in the log: {raw}"
    forged = [line for line in lines if not (RECORD.match(line) or line.startswith("  | "))]
    assert forged == [], f"lines that are no record of their own: {forged[:5]}"

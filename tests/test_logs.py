"""The log as `botdesk serve` writes it (#13): one line a record, no exception messages, and
what a record quotes passes the personal-data redactor (ids kept)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = r"""
import logging
from botdesk.logs import configure_logging

configure_logging("INFO")
log = logging.getLogger("botdesk.attack")
log.warning("slug %s", "acme\x00\x1b[2J\r\n2026-01-01 00:00:00,000 ERROR forged: line\u2028")
try:
    try:
        raise KeyError("key (email)=(pia.virtanen@example.fi) already exists")
    except KeyError as exc:
        raise ValueError("+358 40 123 4567\nforged") from exc
except ValueError:
    log.exception("look-up failed")
"""


def test_a_record_is_one_line_and_an_exception_shows_no_message() -> None:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    lines = done.stderr.splitlines()
    records = [line for line in lines if not line.startswith("  | ")]
    assert len(records) == 2, lines  # the forged "line" stayed inside the first record
    assert records[0].endswith(
        r"slug acme\x00\x1b[2J\r\n2026-01-01 00:00:00,000 ERROR forged: line\u2028"
    )
    assert "WARNING botdesk.attack: " in records[0]
    assert "ERROR botdesk.attack: look-up failed" in records[1]
    text = done.stderr
    assert "pia.virtanen" not in text and "358" not in text and "forged\n" not in text
    # The traceback is there, each of its lines marked, with the exceptions' types.
    assert "builtins.KeyError (its message is not logged)" in text
    assert "builtins.ValueError (its message is not logged)" in text
    assert text.index("KeyError") < text.index("ValueError")  # the cause first, as Python does


# What `botdesk serve` and the retention job do first, then a record such as a crashed order
# look-up would write: an exception quoting a merchant's URL, an address and an order number.
REDACTED_PROGRAM = """
import logging
from botdesk.logs import configure_logging

configure_logging("info")
log = logging.getLogger("botdesk.actions.messages")
log.info("erased conversation %s (%s, %d messages)",
         "123e4567-e89b-12d3-a456-426614174000", "visitor_request", 12)
try:
    raise ValueError("GET https://m.example/orders?id=7712345&email=maija@example.com failed")
except ValueError:
    log.exception("order look-up crashed for %s from %s", "maija (at) example (dot) com",
                  "192.168.1.10")
log.warning("customer 98765432 said: my password is Kissa123")
"""


def test_log_records_and_tracebacks_are_redacted_and_ids_kept() -> None:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", REDACTED_PROGRAM],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    log = done.stderr
    for personal in ("maija", "example.com", "192.168", "7712345", "98765432", "Kissa123"):
        assert personal not in log
    assert "erased conversation 123e4567-e89b-12d3-a456-426614174000 (visitor_request, 12" in log
    assert "order look-up crashed for <EMAIL> from <IP_ADDRESS>" in log
    assert "builtins.ValueError (its message is not logged)" in log
    assert "customer <NUMBER> said: my password is <SECRET>" in log

"""The log as `botdesk serve` writes it: one line a record, no exception messages (#13)."""

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

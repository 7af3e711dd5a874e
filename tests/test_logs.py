"""Log lines pass the personal-data redactor: what a traceback quotes never reaches the log."""

from __future__ import annotations

import subprocess
import sys

# What `botdesk serve` and the retention job do first, then a record such as a crashed order
# look-up would write: an exception quoting a merchant's URL, an address and an order number.
PROGRAM = """
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
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60, check=True
    )
    log = done.stderr
    for personal in ("maija", "example.com", "192.168", "7712345", "98765432", "Kissa123"):
        assert personal not in log
    assert "erased conversation 123e4567-e89b-12d3-a456-426614174000 (visitor_request, 12" in log
    assert "order look-up crashed for <EMAIL> from <IP_ADDRESS>" in log
    assert "ValueError: GET <URL> failed" in log
    assert "customer <NUMBER> said: my password is <SECRET>" in log

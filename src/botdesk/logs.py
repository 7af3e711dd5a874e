"""Logging set-up. Log lines carry ids, types and counts; never message text or emails."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces its context at INFO on every schema check (each /readyz probe).
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # httpx logs every request's URL at INFO, and a merchant's URL holds the order number.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)

"""Schemathesis checks of our own, loaded by its command line in tests/test_schemathesis.py.

`foreign_caller_is_refused` runs in the pass made as another tenant's people: it is switched on
by BOTDESK_TEST_FOREIGN, a JSON object naming the canaries that must never come back.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

_FOREIGN = json.loads(os.environ.get("BOTDESK_TEST_FOREIGN") or "null")


@schemathesis.check
def foreign_caller_is_refused(_ctx: Any, response: Any, case: Any) -> None:
    """Another tenant's token or session never opens the conversation, nor shows its text."""
    if _FOREIGN is None:
        return
    if "conversation_id" in (case.path_parameters or {}) and response.status_code < 400:
        raise AssertionError(
            f"{case.method} {case.formatted_path} answered {response.status_code} "
            "to another tenant's credentials"
        )
    text = response.content.decode("utf-8", "replace")
    if shown := [canary for canary in _FOREIGN["canaries"] if canary in text]:
        raise AssertionError(f"{case.method} {case.formatted_path} showed {shown}")

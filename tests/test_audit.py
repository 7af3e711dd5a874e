"""The audit log's catalogue of action names: unique, documented, and all in use."""

from __future__ import annotations

import re
from pathlib import Path

from botdesk.actions.audit import AuditAction

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "audit.md"


def test_action_names_are_unique_and_dotted() -> None:
    values = [action.value for action in AuditAction]
    # An Enum silently turns a repeated value into an alias of the first name; count the names.
    assert len(AuditAction.__members__) == len(set(values))
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", value) for value in values)


def test_every_action_is_documented_and_every_documented_action_exists() -> None:
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", DOCS.read_text(), flags=re.MULTILINE))
    assert documented == {action.value for action in AuditAction}


def test_every_action_is_recorded_somewhere() -> None:
    source = "\n".join(
        path.read_text()
        for path in (ROOT / "src" / "botdesk").rglob("*.py")
        if path.name != "audit.py" or path.parent.name != "actions"
    )
    unused = [action.name for action in AuditAction if f"AuditAction.{action.name}" not in source]
    assert unused == []

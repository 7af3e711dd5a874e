"""The tenant's chat widget settings beyond looks: welcome topics, the unread tone, continuity.

They live in `Tenant.widget` (JSON) next to the colour, corner, greeting and texts that
`configure_tenant` sets; the widget reads them all from GET /api/v1/tenants/SLUG/widget.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.errors import Invalid
from botdesk.models import Tenant

# A conversation kept on the shopper's device longer than a month outlives most carts, and the
# token in localStorage is readable by every script on the shop's page (docs/widget.md).
MAX_KEEP_DAYS = 30
MAX_TOPICS = 6
# A topic button sends its payload like a quick reply, so it must be one the API accepts.
TOPIC_PAYLOAD = re.compile(r"^intent:[a-z][a-z0-9_]{1,62}$")


def keep_days_of(widget: Mapping[str, object] | None) -> int:
    """The stored `keep_days`, 0 (off) when unset or unreadable."""
    value = (widget or {}).get("keep_days")
    return value if isinstance(value, int) and 0 <= value <= MAX_KEEP_DAYS else 0


def topics_of(widget: Mapping[str, object] | None) -> dict[str, list[dict[str, str]]]:
    """The stored welcome topics per language, skipping anything malformed."""
    stored = (widget or {}).get("topics")
    if not isinstance(stored, dict):
        return {}
    return {
        lang: [
            {"title": str(t["title"]), "payload": str(t["payload"])}
            for t in items
            if isinstance(t, dict) and t.get("title") and TOPIC_PAYLOAD.match(str(t["payload"]))
        ]
        for lang, items in stored.items()
        if isinstance(lang, str) and isinstance(items, list)
    }


def _topics(
    tenant: Tenant, topics: Mapping[str, Sequence[Mapping[str, str]]]
) -> dict[str, list[dict[str, str]]]:
    checked: dict[str, list[dict[str, str]]] = {}
    for lang, items in topics.items():
        if lang not in tenant.languages:
            raise Invalid(f"{lang[:10]!r} is not one of the tenant's languages")
        if len(items) > MAX_TOPICS:
            raise Invalid(f"at most {MAX_TOPICS} topic buttons per language")
        rows = []
        for item in items:
            title, payload = str(item.get("title", "")).strip(), str(item.get("payload", ""))
            if not 1 <= len(title) <= 40:
                raise Invalid("a topic button's title is 1-40 characters")
            if not TOPIC_PAYLOAD.fullmatch(payload):
                raise Invalid("a topic button's payload is an intent, e.g. intent:delivery")
            rows.append({"title": title, "payload": payload})
        checked[lang] = rows
    return checked


def configure_widget(
    session: Session,
    actor: Actor,
    tenant: Tenant,
    *,
    sound: bool | None = None,
    keep_days: int | None = None,
    topics: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
) -> list[str]:
    """Change the widget's behaviour settings; returns (and audits) the names that changed."""
    widget = dict(tenant.widget or {})
    new: dict[str, object] = {}
    if sound is not None:
        new["sound"] = bool(sound)
    if keep_days is not None:
        if isinstance(keep_days, bool) or not 0 <= keep_days <= MAX_KEEP_DAYS:
            raise Invalid(f"days to keep the chat on the device must be 0 to {MAX_KEEP_DAYS}")
        new["keep_days"] = keep_days
    if topics is not None:
        new["topics"] = _topics(tenant, topics)
    changed = [key for key, value in new.items() if widget.get(key) != value]
    if changed:
        widget.update(new)
        tenant.widget = widget
        record(
            session,
            actor,
            AuditAction.TENANT_CONFIGURED,
            tenant_id=tenant.id,
            target_kind="tenant",
            target_id=tenant.id,
            settings=changed,
        )
    return changed

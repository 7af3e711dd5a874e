"""The catalog of realtime events: every type a client can receive, with its payload.

Payloads carry identifiers and sequence numbers, never message text or form data: a subscriber
re-reads through the API, so plaintext never passes through the broker (Redis included).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    MESSAGE_CREATED = "message.created"
    CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
    CONVERSATION_ERASED = "conversation.erased"


@dataclass(frozen=True)
class Event:
    """One event, addressed to a tenant and (usually) one conversation."""

    type: EventType
    tenant_id: uuid.UUID
    conversation_id: uuid.UUID
    payload: dict[str, Any]

    @property
    def channels(self) -> tuple[str, str]:
        """The conversation's channel (widget) and the tenant's channel (console)."""
        return conversation_channel(self.conversation_id), tenant_channel(self.tenant_id)

    def to_json(self) -> str:
        data = asdict(self)
        data["tenant_id"] = str(self.tenant_id)
        data["conversation_id"] = str(self.conversation_id)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        data = json.loads(text)
        return cls(
            type=EventType(data["type"]),
            tenant_id=uuid.UUID(data["tenant_id"]),
            conversation_id=uuid.UUID(data["conversation_id"]),
            payload=dict(data["payload"]),
        )


def conversation_channel(conversation_id: uuid.UUID) -> str:
    return f"botdesk:conversation:{conversation_id}"


def tenant_channel(tenant_id: uuid.UUID) -> str:
    return f"botdesk:tenant:{tenant_id}"


def message_created(
    tenant_id: uuid.UUID, conversation_id: uuid.UUID, seq: int, sender: str
) -> Event:
    return Event(
        EventType.MESSAGE_CREATED, tenant_id, conversation_id, {"seq": seq, "sender": sender}
    )


def status_changed(tenant_id: uuid.UUID, conversation_id: uuid.UUID, old: str, new: str) -> Event:
    return Event(
        EventType.CONVERSATION_STATUS_CHANGED,
        tenant_id,
        conversation_id,
        {"from": old, "to": new},
    )


def conversation_erased(tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> Event:
    return Event(EventType.CONVERSATION_ERASED, tenant_id, conversation_id, {})

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
    CONVERSATION_ASSIGNED = "conversation.assigned"
    CONVERSATION_ERASED = "conversation.erased"
    # Something changed that moves queue positions or wait estimates (join, leave, accept).
    QUEUE_CHANGED = "queue.changed"
    # A widget socket of a waiting conversation closed: the shopper may have gone. The
    # conversation's other sockets answer that they are still here (actions/lifecycle.py);
    # the console may show the shopper as away.
    VISITOR_LEFT = "visitor.left"
    PRESENCE_CHANGED = "agent.presence_changed"
    # Never reaches the shopper: notes go to the tenant's (console) channel only.
    NOTE_CREATED = "note.created"
    # Ephemeral: published straight away, never stored.
    TYPING = "typing"
    # A tenant's settings or bot content changed: every node drops what it cached of it.
    TENANT_CHANGED = "tenant.changed"
    # A staff member signed out, changed their password, lost a role or was disabled: each of
    # their console sockets, on every node, checks its session again and closes if it ended.
    STAFF_ACCESS_CHANGED = "staff.access_changed"


# Who hears what. The conversation channel feeds the shopper's widget, the tenant channel the
# console, the queue channel every shopper waiting in that tenant's queue.
_TO_CONVERSATION = frozenset(
    {
        EventType.MESSAGE_CREATED,
        EventType.CONVERSATION_STATUS_CHANGED,
        EventType.CONVERSATION_ASSIGNED,
        EventType.CONVERSATION_ERASED,
        EventType.TYPING,
        EventType.VISITOR_LEFT,
    }
)
_TO_QUEUE = frozenset({EventType.QUEUE_CHANGED, EventType.PRESENCE_CHANGED})
# Every node listens on one channel for what invalidates its caches (tenant_cache.py).
_TO_NODES = frozenset({EventType.TENANT_CHANGED, EventType.PRESENCE_CHANGED})
# For nodes only: no console or widget needs to hear these.
_NODES_ONLY = frozenset({EventType.TENANT_CHANGED})


@dataclass(frozen=True)
class Event:
    """One event, addressed to a tenant and (usually) one conversation."""

    type: EventType
    tenant_id: uuid.UUID
    conversation_id: uuid.UUID | None
    payload: dict[str, Any]

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels this event is published on; the tenant's (console) unless nodes-only."""
        if self.type is EventType.STAFF_ACCESS_CHANGED:  # that person's sockets, nobody else's
            return (staff_channel(uuid.UUID(self.payload["user_id"])),)
        channels = [] if self.type in _NODES_ONLY else [tenant_channel(self.tenant_id)]
        if self.type in _TO_CONVERSATION and self.conversation_id is not None:
            channels.append(conversation_channel(self.conversation_id))
        if self.type in _TO_QUEUE:
            channels.append(queue_channel(self.tenant_id))
        if self.type in _TO_NODES:
            channels.append(NODES_CHANNEL)
        return tuple(channels)

    def to_json(self) -> str:
        data = asdict(self)
        data["tenant_id"] = str(self.tenant_id)
        data["conversation_id"] = str(self.conversation_id) if self.conversation_id else None
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        data = json.loads(text)
        conversation_id = data.get("conversation_id")
        return cls(
            type=EventType(data["type"]),
            tenant_id=uuid.UUID(data["tenant_id"]),
            conversation_id=uuid.UUID(conversation_id) if conversation_id else None,
            payload=dict(data["payload"]),
        )


NODES_CHANNEL = "botdesk:nodes"


def conversation_channel(conversation_id: uuid.UUID) -> str:
    return f"botdesk:conversation:{conversation_id}"


def tenant_channel(tenant_id: uuid.UUID) -> str:
    return f"botdesk:tenant:{tenant_id}"


def queue_channel(tenant_id: uuid.UUID) -> str:
    return f"botdesk:tenant:{tenant_id}:queue"


def staff_channel(user_id: uuid.UUID) -> str:
    return f"botdesk:staff:{user_id}"


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


def conversation_assigned(
    tenant_id: uuid.UUID, conversation_id: uuid.UUID, agent_id: uuid.UUID | None
) -> Event:
    return Event(
        EventType.CONVERSATION_ASSIGNED,
        tenant_id,
        conversation_id,
        {"agent_id": str(agent_id) if agent_id else None},
    )


def queue_changed(tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> Event:
    return Event(EventType.QUEUE_CHANGED, tenant_id, conversation_id, {})


def visitor_left(tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> Event:
    return Event(EventType.VISITOR_LEFT, tenant_id, conversation_id, {})


def presence_changed(tenant_id: uuid.UUID, user_id: uuid.UUID, status: str) -> Event:
    return Event(
        EventType.PRESENCE_CHANGED, tenant_id, None, {"user_id": str(user_id), "status": status}
    )


def note_created(tenant_id: uuid.UUID, conversation_id: uuid.UUID, note_id: int) -> Event:
    return Event(EventType.NOTE_CREATED, tenant_id, conversation_id, {"note_id": note_id})


def typing(
    tenant_id: uuid.UUID, conversation_id: uuid.UUID, who: str, active: bool, name: str | None
) -> Event:
    """`who` is "visitor" or "agent"; `name` is the agent's display name (never the shopper's)."""
    return Event(
        EventType.TYPING, tenant_id, conversation_id, {"who": who, "typing": active, "name": name}
    )


# tenant.changed for this id means every tenant (after a bulk UPDATE of the tenants table).
ALL_TENANTS = uuid.UUID(int=0)


def tenant_changed(tenant_id: uuid.UUID) -> Event:
    return Event(EventType.TENANT_CHANGED, tenant_id, None, {})


def staff_access_changed(user_id: uuid.UUID, tenant_id: uuid.UUID = ALL_TENANTS) -> Event:
    """`tenant_id` is the tenant a role changed in, or ALL_TENANTS (sign-out, password, disable)."""
    return Event(EventType.STAFF_ACCESS_CHANGED, tenant_id, None, {"user_id": str(user_id)})

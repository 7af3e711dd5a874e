"""The WebSocket streams, described machine-readably: an AsyncAPI 3.0 document.

Served at /api/v1/asyncapi.json and linked from the OpenAPI document (`externalDocs`,
`x-asyncapi`). It covers the visitor's stream (api/stream.py), the console's stream
(api/agent_stream.py) and, for operators, what nodes tell each other over the broker.

As much as possible is generated, not typed out: message bodies from the API's own pydantic
models, statuses and senders from their enums, the console's event messages from the event
catalog (events.EventType) — each type needs a payload schema in EVENT_PAYLOADS, and which
stream hears it is worked out by events.Event.channels. tests/test_asyncapi.py fails when an
event type, a frame or a close code is added without its description here.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from botdesk import __version__
from botdesk.api.handover import QueueOut
from botdesk.api.schemas import MessageOut
from botdesk.events import NODES_CHANNEL, Event, EventType, staff_channel, tenant_channel
from botdesk.models import ConversationStatus, Presence, SenderKind

PATH = "/api/v1/asyncapi.json"
router = APIRouter(include_in_schema=False)

Schema = dict[str, Any]
_ID = {"type": "string", "format": "uuid"}
_EXAMPLE_ID = "0b6f1f3e-4a1c-4f4e-9a55-2f0f8f5e8c11"


def _object(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def _enum(values: type[Any]) -> Schema:
    return {"type": "string", "enum": [v.value for v in values]}


# The payload of each realtime event, with an example. Payloads hold ids and numbers only, never
# message text or form data: a client re-reads those through the HTTP API.
EVENT_PAYLOADS: dict[EventType, tuple[str, Schema, dict[str, Any]]] = {
    EventType.MESSAGE_CREATED: (
        "A message was stored; read it with GET …/messages?after=seq-1.",
        _object({"seq": {"type": "integer", "minimum": 1}, "sender": _enum(SenderKind)}),
        {"seq": 3, "sender": "visitor"},
    ),
    EventType.CONVERSATION_STATUS_CHANGED: (
        "The conversation moved in its lifecycle (docs/console.md).",
        _object({"from": _enum(ConversationStatus), "to": _enum(ConversationStatus)}),
        {"from": "queued", "to": "with_agent"},
    ),
    EventType.CONVERSATION_ASSIGNED: (
        "An agent took the conversation (null: nobody has it now).",
        _object({"agent_id": {"anyOf": [_ID, {"type": "null"}]}}),
        {"agent_id": _EXAMPLE_ID},
    ),
    EventType.CONVERSATION_ERASED: (
        "The conversation was erased (by the shopper, a data request or retention).",
        _object({}),
        {},
    ),
    EventType.QUEUE_CHANGED: (
        "Someone joined, left or was accepted from the queue: positions and estimates moved.",
        _object({}),
        {},
    ),
    EventType.VISITOR_LEFT: (
        "A widget socket of a waiting conversation closed: any socket still open on it (another "
        "tab, another node) says it is here, so the shopper is not taken out of the queue.",
        _object({}),
        {},
    ),
    EventType.PRESENCE_CHANGED: (
        "An agent's presence changed.",
        _object({"user_id": _ID, "status": _enum(Presence)}),
        {"user_id": _EXAMPLE_ID, "status": "online"},
    ),
    EventType.NOTE_CREATED: (
        "An internal note was added (staff only; never reaches the shopper).",
        _object({"note_id": {"type": "integer"}}),
        {"note_id": 12},
    ),
    EventType.TYPING: (
        "Someone is typing, or stopped. `name` is the agent's display name, never the shopper's.",
        _object(
            {
                "who": {"type": "string", "enum": ["visitor", "agent"]},
                "typing": {"type": "boolean"},
                "name": {"type": ["string", "null"]},
            }
        ),
        {"who": "visitor", "typing": True, "name": None},
    ),
    EventType.TENANT_CHANGED: (
        "A tenant's settings or bot content changed: every node drops what it cached of it. "
        "The all-zero tenant id means every tenant.",
        _object({}),
        {},
    ),
    EventType.STAFF_ACCESS_CHANGED: (
        "A staff member signed out, changed their password, lost a role or was disabled: "
        "each of their console sockets checks its session again.",
        _object({"user_id": _ID}),
        {"user_id": _EXAMPLE_ID},
    ),
}

VISITOR_CLOSE_CODES = {
    4400: "The first frame was not a hello with a token and a sequence number, or none came "
    "within 10 s.",
    4404: "No such conversation, a wrong token, an erased conversation, or a site the tenant has "
    "not allowed: one answer for all, so a conversation id cannot be probed.",
}
CONSOLE_CLOSE_CODES = {
    4401: "Not signed in, or the session ended: signing out, a password change, a revoked role or "
    "a disabled account closes the socket at once, on every node.",
    4403: "Another site's origin, or a role that may not use the desk (before the socket opens).",
}


def _frame(kind: str, fields: dict[str, Schema], required: list[str] | None = None) -> Schema:
    properties = {"type": {"const": kind}, **fields}
    return _object(properties, ["type", *(required if required is not None else fields)])


def _message(name: str, summary: str, payload: Schema, example: dict[str, Any]) -> Schema:
    return {
        "name": name,
        "title": name,
        "summary": summary,
        "contentType": "application/json",
        "payload": payload,
        "examples": [{"payload": example}],
    }


def _model(model: type[BaseModel], schemas: dict[str, Schema]) -> Schema:
    """A model's JSON Schema, its nested models moved to components/schemas; returns a $ref."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


_MESSAGE_EXAMPLE = {
    "seq": 2,
    "sender": "bot",
    "text": "Returns are **free within 30 days**.",
    "buttons": [{"label": "Start a return", "payload": "url:/help/en/returns"}],
    "created_at": "2026-03-02T10:15:00Z",
    "reply_to_seq": 1,
    "author": None,
}


def _visitor_messages(schemas: dict[str, Schema]) -> tuple[dict[str, Schema], dict[str, Schema]]:
    """(frames the server sends, frames the client sends) on the visitor's stream."""
    message = _model(MessageOut, schemas)
    queue = _model(QueueOut, schemas)
    status = _enum(ConversationStatus)
    sent = {
        "message": _message(
            "message",
            "A message after the client's last seq: the backlog first, then live ones.",
            _frame("message", {"message": message}),
            {"type": "message", "message": _MESSAGE_EXAMPLE},
        ),
        "ready": _message(
            "ready",
            "The backlog is sent; live frames follow. last_seq is the highest seq sent so far.",
            _frame("ready", {"last_seq": {"type": "integer", "minimum": 0}}),
            {"type": "ready", "last_seq": 2},
        ),
        "status": _message(
            "status",
            "The conversation's status changed.",
            _frame("status", {"status": status}),
            {"type": "status", "status": "queued"},
        ),
        "queue": _message(
            "queue",
            "While the shopper waits: their place and the wait estimate, whenever either changes.",
            {"allOf": [_frame("queue", {}), queue]},
            {"type": "queue", "position": 1, "agents_online": 2, "wait_seconds": 120},
        ),
        "agentTyping": _message(
            "typing",
            "The agent is typing (or stopped), with the agent's display name.",
            _frame("typing", {"typing": {"type": "boolean"}, "name": {"type": ["string", "null"]}}),
            {"type": "typing", "typing": True, "name": "Sven"},
        ),
        "erased": _message(
            "erased",
            "The conversation was erased; the socket then closes with 4404.",
            _frame("erased", {}),
            {"type": "erased"},
        ),
    }
    received = {
        "hello": _message(
            "hello",
            "The client's first frame, within 10 s: the visitor token and the last seq it has "
            "(0 for everything).",
            _frame(
                "hello",
                {"token": {"type": "string"}, "after": {"type": "integer", "minimum": 0}},
                ["token"],
            ),
            {"type": "hello", "token": "v1.visitor-token", "after": 0},
        ),
        "visitorTyping": _message(
            "typing",
            "The shopper is typing (true) or stopped (false); at most one `true` a second is "
            "passed on. Other frames are ignored.",
            _frame("typing", {"typing": {"type": "boolean"}}),
            {"type": "typing", "typing": True},
        ),
    }
    return sent, received


def _event_message(event_type: EventType, envelope: str) -> Schema:
    """An event as the console receives it (`console`) or as nodes pass it on (`broker`)."""
    summary, payload, example = EVENT_PAYLOADS[event_type]
    kind = {"const": event_type.value}
    conversation = {"anyOf": [_ID, {"type": "null"}]}
    if envelope == "console":
        body = _frame(
            "event",
            {"event": _object({"type": kind, "conversation_id": conversation, "payload": payload})},
        )
        sample: dict[str, Any] = {
            "type": "event",
            "event": {"type": event_type.value, "conversation_id": _EXAMPLE_ID, "payload": example},
        }
    else:
        body = _object(
            {"type": kind, "tenant_id": _ID, "conversation_id": conversation, "payload": payload}
        )
        sample = {
            "type": event_type.value,
            "tenant_id": _EXAMPLE_ID,
            "conversation_id": None,
            "payload": example,
        }
    message = _message(event_type.value, summary, body, sample)
    message["x-botdesk-event"] = event_type.value
    return message


def _heard_by(event_type: EventType) -> set[str]:
    """Which streams hear an event: worked out from the event catalog's own routing."""
    example = EVENT_PAYLOADS[event_type][2]
    zero = uuid.UUID(int=0)
    channels = set(Event(event_type, zero, zero, example).channels)
    between_nodes = {NODES_CHANNEL}
    if "user_id" in example:
        between_nodes.add(staff_channel(uuid.UUID(example["user_id"])))
    heard = set()
    if tenant_channel(zero) in channels:
        heard.add("console")
    if channels & between_nodes:
        heard.add("broker")
    return heard


def _key(event_type: EventType) -> str:
    return "".join(part.capitalize() for part in event_type.value.replace("_", ".").split("."))


@cache
def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of botdesk's WebSocket streams."""
    schemas: dict[str, Schema] = {}
    visitor_sent, visitor_received = _visitor_messages(schemas)
    console_sent = {
        "ready": _message(
            "ready",
            "The stream is open for this staff member.",
            _frame("ready", {"user_id": _ID}),
            {"type": "ready", "user_id": _EXAMPLE_ID},
        ),
        "pong": _message("pong", "The answer to a ping.", _frame("pong", {}), {"type": "pong"}),
    }
    console_received = {
        "ping": _message(
            "ping",
            "Every ~25 s: keeps the agent's presence alive (and re-checks the session).",
            _frame("ping", {}),
            {"type": "ping"},
        ),
        "agentTyping": _message(
            "typing",
            "The agent is writing to a shopper (only the agent handling that conversation is "
            "passed on).",
            _frame("typing", {"conversation_id": _ID, "typing": {"type": "boolean"}}),
            {"type": "typing", "conversation_id": _EXAMPLE_ID, "typing": True},
        ),
    }
    broker: dict[str, Schema] = {}
    # A type without a payload schema is left out, and tests/test_asyncapi.py names it.
    for event_type in (t for t in EventType if t in EVENT_PAYLOADS):
        heard = _heard_by(event_type)
        if "console" in heard:
            console_sent[f"event{_key(event_type)}"] = _event_message(event_type, "console")
        if "broker" in heard:
            broker[f"event{_key(event_type)}"] = _event_message(event_type, "broker")

    def operation(channel: str, action: str, messages: dict[str, Schema], what: str) -> Schema:
        return {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": what,
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in messages],
        }

    return {
        "asyncapi": "3.0.0",
        "id": "urn:botdesk:streams",
        "info": {
            "title": "botdesk streams",
            "version": __version__,
            "description": "The live WebSocket streams of botdesk: the chat widget's stream of a "
            "conversation and the staff console's stream of a tenant. Frames are JSON text. "
            "The HTTP API is described by the OpenAPI document at /api/v1/openapi.json; "
            "docs/api.md explains both.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "botdesk": {
                "host": "botdesk.example",
                "protocol": "wss",
                "description": "The botdesk deployment (BOTDESK_BASE_URL; ws:// over plain http).",
            },
            "broker": {
                "host": "redis.internal:6379",
                "protocol": "redis",
                "description": "Between botdesk nodes only (BOTDESK_REDIS_URL, or in-process on "
                "a single node). No client ever connects here.",
            },
        },
        "channels": {
            "visitorStream": {
                "address": "/api/v1/conversations/{conversation_id}/stream",
                "title": "A shopper's conversation",
                "description": "Opened by the widget. The client sends a hello first; the server "
                "answers with every message after the client's last seq, then `ready`, then "
                "live frames. Reconnect with the last seq seen: nothing is lost or repeated. "
                "Only origins the tenant allows may open it.",
                "servers": [{"$ref": "#/servers/botdesk"}],
                "parameters": {"conversation_id": {"description": "The conversation's id."}},
                "messages": {**visitor_sent, **visitor_received},
                "x-close-codes": {str(code): why for code, why in VISITOR_CLOSE_CODES.items()},
            },
            "consoleStream": {
                "address": "/console/stream",
                "title": "A tenant's events, for its staff console",
                "description": "Authenticated by the console's session cookie and refused to "
                "any origin but the console's own. Every event on the tenant's channel arrives "
                "as an `event` frame; payloads hold ids only, and the console re-reads through "
                "the JSON API (audited).",
                "servers": [{"$ref": "#/servers/botdesk"}],
                "bindings": {
                    "ws": {
                        "query": _object(
                            {"tenant": {"type": "string", "description": "The tenant's slug."}},
                            [],
                        ),
                        "bindingVersion": "0.1.0",
                    }
                },
                "messages": {**console_sent, **console_received},
                "x-close-codes": {str(code): why for code, why in CONSOLE_CLOSE_CODES.items()},
            },
            "nodes": {
                "address": "botdesk:{scope}",
                "title": "Between nodes",
                "description": "Pub/sub channels (botdesk:nodes, botdesk:staff:{user_id}) for "
                "what no widget or console hears: cache invalidation and ended staff sessions.",
                "servers": [{"$ref": "#/servers/broker"}],
                "parameters": {"scope": {"description": "`nodes`, or `staff:` and a user id."}},
                "messages": broker,
            },
        },
        "operations": {
            "sendVisitorFrames": operation(
                "visitorStream", "send", visitor_sent, "What the server sends a shopper."
            ),
            "receiveVisitorFrames": operation(
                "visitorStream", "receive", visitor_received, "What a shopper's widget sends."
            ),
            "sendConsoleFrames": operation(
                "consoleStream", "send", console_sent, "What the server sends a console."
            ),
            "receiveConsoleFrames": operation(
                "consoleStream", "receive", console_received, "What a console sends."
            ),
            "tellNodes": operation("nodes", "send", broker, "What one node tells the others."),
        },
        "components": {"schemas": schemas},
    }


def link_from(openapi: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document, pointing at this one (`externalDocs` and `x-asyncapi`)."""
    openapi["x-asyncapi"] = PATH
    openapi.setdefault(
        "externalDocs",
        {"description": "The WebSocket streams, described in AsyncAPI 3.0", "url": PATH},
    )
    return openapi


@router.get(PATH)
def asyncapi_document() -> JSONResponse:
    return JSONResponse(document())

"""The visitor's live stream: every message after the last one the client saw, then live ones.

Protocol (JSON text frames): the client opens the socket and sends
`{"type": "hello", "token": TOKEN, "after": LAST_SEQ}` within 10 s. The server answers with
`{"type": "message", "message": {...}}` for each message with a higher seq (backlog first),
then `{"type": "ready", "last_seq": N}`, then live `message`, `status` and `erased` frames, and
while a person is involved: `{"type": "queue", "position", "agents_online", "wait_seconds"}`
whenever the shopper's place or estimate changes, and `{"type": "typing", "typing", "name"}`
when the agent types. The client may send `{"type": "typing", "typing": true|false}`.
Close codes: 4400 bad hello, 4404 no such conversation (or wrong token, or erased, or a site
the tenant has not allowed: the same answer, so an id cannot be probed).

An open socket is the shopper's presence (actions/lifecycle.py): its hello, and hearing that its
conversation now waits for a person, say the shopper is here; closing while it waits says they
may have gone, and the conversation's other sockets (`visitor.left`) answer that they are not.

The subscription starts *before* the backlog is read, and every send is driven by a re-read of
the database after the last seq sent, so a message committed while the backlog is being read is
neither lost nor sent twice, whichever broker (in-process or Redis) delivers the notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Coroutine
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from botdesk import access
from botdesk.actions.handover import handover_state
from botdesk.actions.lifecycle import WAITING, visitor_arrived, visitor_gone, visitor_present
from botdesk.api.handover import QueueOut
from botdesk.api.origins import NotCached, own_origins, tenant_origins
from botdesk.api.schemas import MessageOut
from botdesk.errors import NotFound
from botdesk.events import EventType, conversation_channel, queue_channel, typing
from botdesk.keys import KeyDestroyed
from botdesk.models import ConversationStatus
from botdesk.runtime import Runtime
from botdesk.transcripts import ConversationCipher, decrypt_all

HELLO_TIMEOUT = 10.0
MAX_SEQ = 2**31 - 1  # messages.seq is a 32-bit integer on PostgreSQL
BATCH = 200
router = APIRouter()
_QUEUE_EVENTS = frozenset({EventType.QUEUE_CHANGED, EventType.PRESENCE_CHANGED})
_WAITING = frozenset({ConversationStatus.QUEUED})
_BEST_EFFORT = (Exception, asyncio.CancelledError)


async def until_either_ends(
    first: Coroutine[Any, Any, None], second: Coroutine[Any, Any, None]
) -> None:
    """Run a socket's two jobs (send, receive) until one ends; stop the other, re-raise errors.

    The first runs in the caller's own task and only the second gets one: an idle socket
    holds one task fewer (memory per open widget is a target of the serving core).
    """
    me = asyncio.current_task()
    assert me is not None
    other = asyncio.create_task(second)
    state = {"over": False, "interrupted": False}

    def interrupt(_task: asyncio.Task[None]) -> None:
        if not state["over"]:
            state["interrupted"] = True
            me.cancel()

    other.add_done_callback(interrupt)
    try:
        await first
    except asyncio.CancelledError:
        if not state["interrupted"]:
            raise  # cancelled from outside: the connection is going away
        me.uncancel()
    finally:
        state["over"] = True
        other.remove_done_callback(interrupt)
        other.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await other
    if state["interrupted"] and not other.cancelled():
        other.result()  # the second job's error (a disconnect), if it had one


def _typing_frame(frame: str) -> bool | None:
    """`true`/`false` from a client's typing frame; None for anything else (ignored)."""
    if len(frame) > 200:
        return None
    try:
        data = json.loads(frame)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("type") == "typing":
        return bool(data.get("typing"))
    return None


class Gone(Exception):
    """The conversation no longer opens with this token (erased, or never did)."""


def _messages_after(
    runtime: Runtime, conversation_id: uuid.UUID, token: str, after: int
) -> list[dict[str, Any]]:
    try:
        with runtime.db.read() as session:
            conversation = access.visitor_conversation(session, conversation_id, token)
            rows = access.sealed_messages(
                session, conversation.tenant_id, conversation.id, after_seq=after, limit=BATCH
            )
        entry = runtime.tenants.get(conversation.tenant_id)
        cipher = ConversationCipher.of(entry.key, conversation.id, conversation.wrapped_key)
        return [MessageOut.of(m).model_dump(mode="json") for m in decrypt_all(cipher, rows)]
    except (NotFound, KeyDestroyed):
        raise Gone from None


def _check_token(
    runtime: Runtime, conversation_id: uuid.UUID, token: str
) -> tuple[uuid.UUID, ConversationStatus]:
    """The conversation's tenant id and status, if the token opens it."""
    try:
        with runtime.db.read() as session:
            conversation = access.visitor_conversation(session, conversation_id, token)
            return conversation.tenant_id, conversation.status
    except NotFound:
        raise Gone from None


def _queue_frame(runtime: Runtime, conversation_id: uuid.UUID, token: str) -> dict[str, Any] | None:
    try:
        _status, _form, estimate = handover_state(runtime, conversation_id, token)
    except NotFound:
        raise Gone from None
    if estimate is None:
        return None
    return {"type": "queue", **QueueOut.of(estimate).model_dump(mode="json")}


def _hello(frame: object) -> tuple[str, int]:
    """(token, after) from the client's first frame; ValueError unless it is a proper hello."""
    if not isinstance(frame, dict) or frame.get("type") != "hello":
        raise ValueError("not a hello")
    token, after = frame.get("token"), frame.get("after", 0)
    # Exactly an int: JSON's 1e400 is a float infinity, and int() of it raises OverflowError.
    if not isinstance(token, str) or type(after) is not int or not 0 <= after <= MAX_SEQ:
        raise ValueError("a hello needs a token and a sequence number")
    return token, after


async def _send_after(
    websocket: WebSocket, runtime: Runtime, conversation_id: uuid.UUID, token: str, after: int
) -> int:
    """Send every stored message after `after`; returns the last seq sent."""
    while True:
        batch = await runtime.run(_messages_after, runtime, conversation_id, token, after)
        for message in batch:
            await websocket.send_json({"type": "message", "message": message})
            after = message["seq"]
        if len(batch) < BATCH:
            return after


async def _origin_allowed(
    websocket: WebSocket, runtime: Runtime, conversation_id: uuid.UUID
) -> bool:
    origin = websocket.headers.get("origin")
    if (
        origin is None
        or origin in own_origins(runtime, "http", websocket.headers.get("host"))
        or (origin in own_origins(runtime, "https", websocket.headers.get("host")))
    ):
        return True
    path = f"/api/v1/conversations/{conversation_id}/stream"
    try:
        found = tenant_origins(runtime, path, cached_only=True)
    except NotCached:
        found = await runtime.run(tenant_origins, runtime, path)
    # An unknown conversation is refused later, by the hello, like a wrong token.
    return found is None or origin in found[1]


@router.websocket("/api/v1/conversations/{conversation_id}/stream")
async def stream(websocket: WebSocket, conversation_id: uuid.UUID) -> None:
    runtime: Runtime = websocket.app.state.runtime
    # A site the tenant has not allowed is answered after the hello like a wrong token (4404),
    # so it cannot tell a real conversation id from a made-up one.
    allowed = await _origin_allowed(websocket, runtime, conversation_id)
    await websocket.accept()
    try:
        token, after = _hello(await asyncio.wait_for(websocket.receive_json(), HELLO_TIMEOUT))
    except (TimeoutError, ValueError, KeyError, TypeError):
        await websocket.close(code=4400, reason="send a hello with the token first")
        return
    except WebSocketDisconnect:
        return
    try:
        if not allowed:
            raise Gone
        tenant_id, status = await runtime.run(_check_token, runtime, conversation_id, token)
    except Gone:  # a wrong token looks exactly like no conversation at all
        await websocket.close(code=4404)
        return
    # The queue's channel only while this shopper waits in it: a queue or presence change then
    # reaches the sockets of the shoppers waiting, not every open chat of the tenant.
    in_queue = queue_channel(tenant_id)
    # The status as this socket last heard it: closing while it waits marks the shopper away.
    heard = {"status": status}
    try:
        async with runtime.db.broker.subscribe([conversation_channel(conversation_id)]) as events:
            if status in _WAITING:
                await events.listen(in_queue)
            # After subscribing, so a queue join committed meanwhile is either seen here or
            # heard of below: either way this socket says the shopper is here.
            await runtime.run(visitor_arrived, runtime, tenant_id, conversation_id)
            last = await _send_after(websocket, runtime, conversation_id, token, after)
            await websocket.send_json({"type": "ready", "last_seq": last})
            sent_queue: dict[str, Any] | None = None

            async def send_queue() -> None:
                nonlocal sent_queue
                frame = await runtime.run(_queue_frame, runtime, conversation_id, token)
                if frame is not None and frame != sent_queue:
                    await websocket.send_json(frame)
                sent_queue = frame

            if status in _WAITING:
                await send_queue()

            async def forward() -> None:
                nonlocal last
                async for event in events:
                    if event.type is EventType.MESSAGE_CREATED and event.payload["seq"] > last:
                        last = await _send_after(websocket, runtime, conversation_id, token, last)
                    elif event.type is EventType.CONVERSATION_STATUS_CHANGED:
                        now_status = ConversationStatus(event.payload["to"])
                        heard["status"] = now_status
                        if now_status in WAITING:
                            # Joining the queue starts the away clock (for widgets that
                            # poll); this socket stops it, before the shopper hears of it.
                            await runtime.run(visitor_present, runtime, tenant_id, conversation_id)
                        if now_status in _WAITING:
                            await events.listen(in_queue)
                        else:
                            events.ignore(in_queue)
                        await websocket.send_json({"type": "status", "status": now_status.value})
                        await send_queue()
                    elif event.type is EventType.VISITOR_LEFT:
                        # Another tab's (or node's) socket closed; this one is still here.
                        await runtime.run(visitor_present, runtime, tenant_id, conversation_id)
                    elif event.type in _QUEUE_EVENTS:
                        await send_queue()
                    elif event.type is EventType.TYPING and event.payload["who"] == "agent":
                        await websocket.send_json(
                            {
                                "type": "typing",
                                "typing": bool(event.payload["typing"]),
                                "name": event.payload.get("name"),
                            }
                        )
                    elif event.type is EventType.CONVERSATION_ERASED:
                        raise Gone

            async def listen() -> None:
                typing_sent = 0.0
                while True:
                    frame = await websocket.receive_text()
                    active = _typing_frame(frame)
                    now = time.monotonic()
                    # At most one "typing" a second per shopper; "stopped" always goes through.
                    if active is None or (active and now - typing_sent < 1.0):
                        continue
                    typing_sent = now if active else 0.0
                    await runtime.run(
                        runtime.db.broker.publish,
                        typing(tenant_id, conversation_id, "visitor", active, None),
                    )

            await until_either_ends(forward(), listen())
    except Gone:
        heard["status"] = ConversationStatus.CLOSED  # erased: nobody to mark away
        with contextlib.suppress(Exception):
            await websocket.send_json({"type": "erased"})
            await websocket.close(code=4404)
    except WebSocketDisconnect:
        return
    finally:
        if heard["status"] in WAITING:
            # Best effort, also while the server shuts down (the widget then reconnects
            # elsewhere, which says the shopper is here again).
            with contextlib.suppress(*_BEST_EFFORT):
                await runtime.run(visitor_gone, runtime, tenant_id, conversation_id)

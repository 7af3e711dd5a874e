"""The visitor's live stream: every message after the last one the client saw, then live ones.

Protocol (JSON text frames): the client opens the socket and sends
`{"type": "hello", "token": TOKEN, "after": LAST_SEQ}` within 10 s. The server answers with
`{"type": "message", "message": {...}}` for each message with a higher seq (backlog first),
then `{"type": "ready", "last_seq": N}`, then live `message`, `status` and `erased` frames, and
while a person is involved: `{"type": "queue", "position", "agents_online", "wait_seconds"}`
whenever the shopper's place or estimate changes, and `{"type": "typing", "typing", "name"}`
when the agent types. The client may send `{"type": "typing", "typing": true|false}`.
Close codes: 4400 bad hello, 4403 origin not allowed, 4404 no such conversation (or wrong
token, or erased).

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
from starlette.concurrency import run_in_threadpool

from botdesk import access
from botdesk.actions.handover import handover_state
from botdesk.api.handover import QueueOut
from botdesk.api.origins import own_origins, tenant_origins
from botdesk.api.schemas import MessageOut
from botdesk.errors import NotFound
from botdesk.events import EventType, conversation_channel, queue_channel, typing
from botdesk.keys import KeyDestroyed
from botdesk.runtime import Runtime
from botdesk.transcripts import ConversationCipher, decrypt_all

HELLO_TIMEOUT = 10.0
MAX_SEQ = 2**31 - 1  # messages.seq is a 32-bit integer on PostgreSQL
BATCH = 200
router = APIRouter()
_QUEUE_EVENTS = frozenset({EventType.QUEUE_CHANGED, EventType.PRESENCE_CHANGED})


async def until_either_ends(*jobs: Coroutine[Any, Any, None]) -> None:
    """Run a socket's jobs (send, receive) until one ends; cancel the rest, re-raise its error."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    for task in done:
        task.result()


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
        with runtime.db.session() as session:
            conversation = access.conversation_for_visitor(session, conversation_id, token)
            tenant = access.tenant_by_id(session, conversation.tenant_id)
            rows = access.messages_after(session, conversation, after, BATCH)
            cipher = ConversationCipher(runtime.keyring, tenant, conversation)
            return [MessageOut.of(m).model_dump(mode="json") for m in decrypt_all(cipher, rows)]
    except (NotFound, KeyDestroyed):
        raise Gone from None


def _check_token(runtime: Runtime, conversation_id: uuid.UUID, token: str) -> uuid.UUID:
    """The conversation's tenant id, if the token opens it."""
    try:
        with runtime.db.session() as session:
            return access.conversation_for_visitor(session, conversation_id, token).tenant_id
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


async def _send_after(
    websocket: WebSocket, runtime: Runtime, conversation_id: uuid.UUID, token: str, after: int
) -> int:
    """Send every stored message after `after`; returns the last seq sent."""
    while True:
        batch = await run_in_threadpool(_messages_after, runtime, conversation_id, token, after)
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
    found = await run_in_threadpool(
        tenant_origins, runtime, f"/api/v1/conversations/{conversation_id}/stream"
    )
    # An unknown conversation is refused later, by the hello, like a wrong token.
    return found is None or origin in found[1]


@router.websocket("/api/v1/conversations/{conversation_id}/stream")
async def stream(websocket: WebSocket, conversation_id: uuid.UUID) -> None:
    runtime: Runtime = websocket.app.state.runtime
    if not await _origin_allowed(websocket, runtime, conversation_id):
        await websocket.close(code=4403)  # before accept: the handshake gets HTTP 403
        return
    await websocket.accept()
    try:
        hello = await asyncio.wait_for(websocket.receive_json(), HELLO_TIMEOUT)
        token, after = str(hello["token"]), int(hello.get("after", 0))
        if hello.get("type") != "hello" or not 0 <= after <= MAX_SEQ:
            raise ValueError
    except (TimeoutError, ValueError, KeyError, TypeError):
        await websocket.close(code=4400, reason="send a hello with the token first")
        return
    except WebSocketDisconnect:
        return
    try:
        tenant_id = await run_in_threadpool(_check_token, runtime, conversation_id, token)
    except Gone:  # a wrong token looks exactly like no conversation at all
        await websocket.close(code=4404)
        return
    channels = [conversation_channel(conversation_id), queue_channel(tenant_id)]
    try:
        async with runtime.db.broker.subscribe(channels) as events:
            last = await _send_after(websocket, runtime, conversation_id, token, after)
            await websocket.send_json({"type": "ready", "last_seq": last})
            sent_queue: dict[str, Any] | None = None

            async def send_queue() -> None:
                nonlocal sent_queue
                frame = await run_in_threadpool(_queue_frame, runtime, conversation_id, token)
                if frame is not None and frame != sent_queue:
                    await websocket.send_json(frame)
                sent_queue = frame

            await send_queue()

            async def forward() -> None:
                nonlocal last
                async for event in events:
                    if event.type is EventType.MESSAGE_CREATED and event.payload["seq"] > last:
                        last = await _send_after(websocket, runtime, conversation_id, token, last)
                    elif event.type is EventType.CONVERSATION_STATUS_CHANGED:
                        await websocket.send_json({"type": "status", "status": event.payload["to"]})
                        await send_queue()
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
                    await run_in_threadpool(
                        runtime.db.broker.publish,
                        typing(tenant_id, conversation_id, "visitor", active, None),
                    )

            await until_either_ends(forward(), listen())
    except Gone:
        with contextlib.suppress(Exception):
            await websocket.send_json({"type": "erased"})
            await websocket.close(code=4404)
    except WebSocketDisconnect:
        return

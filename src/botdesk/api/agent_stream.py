"""The console's live stream: the tenant's events to the agent, typing and check-ins back.

Protocol (JSON text frames) at `/console/stream?tenant=SLUG`, authenticated by the console cookie
and refused (before accepting) for any origin other than the console's own — a cookie-carrying
socket must not be openable by another site. The server sends `{"type": "ready"}` and then
`{"type": "event", "event": {"type", "conversation_id", "payload"}}` for every event on the
tenant's channel; payloads hold ids only, and the console re-reads through the JSON API (audited).
The client sends `{"type": "ping"}` every ~25 s (which keeps the agent's presence alive) and
`{"type": "typing", "conversation_id", "typing"}` while writing to a shopper. Close codes: 4401
not signed in (or the session ended: signing out, a password change, a revoked role or a
disabled account closes the socket at once, on every node), 4403 wrong origin or role.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from botdesk import access
from botdesk.actions import agents
from botdesk.actions.users import session_user
from botdesk.api.deps import COOKIE
from botdesk.api.origins import own_origins
from botdesk.api.stream import until_either_ends
from botdesk.errors import BotdeskError
from botdesk.events import EventType, staff_channel, tenant_channel, typing
from botdesk.models import ConversationStatus
from botdesk.runtime import Runtime

router = APIRouter()


class SignedOut(Exception):
    """The console session is gone (signed out, expired, or the role was removed)."""


def _identify(
    runtime: Runtime, token: str, tenant: str | None, check_in: bool = True
) -> tuple[uuid.UUID, uuid.UUID, str]:
    """(user id, tenant id, display name) for a live session with an agent role; checks in."""
    with runtime.db.session() as session:
        user = session_user(session, token)
        if user is None:
            raise SignedOut
        try:
            staff = access.staff_context(session, user, tenant)
            access.require_agent(staff)
        except BotdeskError:
            raise SignedOut from None
        if check_in:
            agents.check_in(session, staff)
        return user.id, staff.tenant.id, user.display_name


def _may_type_in(
    runtime: Runtime, token: str, tenant: str | None, conversation_id: uuid.UUID
) -> bool:
    """Only the agent handling a live conversation shows as typing in it."""
    with runtime.db.session() as session:
        user = session_user(session, token)
        if user is None:
            return False
        try:
            staff = access.staff_context(session, user, tenant)
            conversation = access.conversation_for_staff(session, staff, conversation_id)
        except BotdeskError:
            return False
        return (
            conversation.status is ConversationStatus.WITH_AGENT
            and conversation.assigned_agent_id == user.id
        )


@router.websocket("/console/stream")
async def console_stream(websocket: WebSocket, tenant: str | None = None) -> None:
    runtime: Runtime = websocket.app.state.runtime
    host = websocket.headers.get("host")
    origin = websocket.headers.get("origin")
    if origin not in own_origins(runtime, "http", host) | own_origins(runtime, "https", host):
        await websocket.close(code=4403)
        return
    token = websocket.cookies.get(COOKIE)
    try:
        if not token:
            raise SignedOut
        user_id, tenant_id, name = await run_in_threadpool(_identify, runtime, token, tenant)
    except SignedOut:
        await websocket.close(code=4401)
        return
    await websocket.accept()
    try:
        channels = [tenant_channel(tenant_id), staff_channel(user_id)]
        async with runtime.db.broker.subscribe(channels) as events:
            await websocket.send_json({"type": "ready", "user_id": str(user_id)})

            async def forward() -> None:
                async for event in events:
                    if event.type is EventType.STAFF_ACCESS_CHANGED:
                        # Signed out, password changed, role revoked, disabled: on any node.
                        # Raises SignedOut (close 4401) unless this session still may stream.
                        await run_in_threadpool(_identify, runtime, token, tenant, False)
                        continue
                    await websocket.send_json(
                        {
                            "type": "event",
                            "event": {
                                "type": event.type.value,
                                "conversation_id": str(event.conversation_id)
                                if event.conversation_id
                                else None,
                                "payload": event.payload,
                            },
                        }
                    )

            async def listen() -> None:
                allowed: dict[uuid.UUID, float] = {}  # conversation -> when it was checked
                while True:
                    try:
                        frame = json.loads(await websocket.receive_text())
                    except ValueError:
                        continue
                    if not isinstance(frame, dict):
                        continue
                    if frame.get("type") == "ping":
                        await run_in_threadpool(_identify, runtime, token, tenant)
                        await websocket.send_json({"type": "pong"})
                    elif frame.get("type") == "typing":
                        try:
                            conversation_id = uuid.UUID(str(frame.get("conversation_id")))
                        except ValueError:
                            continue
                        now = time.monotonic()
                        if now - allowed.get(conversation_id, -60.0) > 30.0:
                            if not await run_in_threadpool(
                                _may_type_in, runtime, token, tenant, conversation_id
                            ):
                                continue
                            allowed[conversation_id] = now
                        event = typing(
                            tenant_id, conversation_id, "agent", bool(frame.get("typing")), name
                        )
                        await run_in_threadpool(runtime.db.broker.publish, event)

            await until_either_ends(forward(), listen())
    except SignedOut:
        with contextlib.suppress(Exception):
            await websocket.close(code=4401)
    except WebSocketDisconnect:
        return

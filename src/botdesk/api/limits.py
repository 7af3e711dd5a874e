"""Refuse oversized request bodies before they are read into memory.

A refusal first reads (and drops) the rest of a body that is not much over the limit: a server
that answers and closes with the client's bytes unread makes the kernel reset the connection,
and the client may then never see the 413 at all, only a broken connection (#13).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Read and dropped before answering 413; a client sending more than this beyond the limit is
# not waited for.
DRAIN_BYTES = 1 << 20


class BodySizeLimit:
    """ASGI middleware: 413 when Content-Length or the streamed body exceeds `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                if int(value) <= self.limit + DRAIN_BYTES:
                    await _drain(receive, DRAIN_BYTES + self.limit)
                await self._refuse(send)
                return
        received = 0
        state = {"started": False, "refused": False}

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            # Once the answer has begun, the app reads on only to hear a disconnect (a file
            # response does): what it drops is not held, and cutting it off would cut the answer.
            if message["type"] == "http.request" and not (state["refused"] or state["started"]):
                received += len(message.get("body", b""))
                if received > self.limit:
                    # Answer 413 ourselves and tell the app the client went away, so whatever
                    # the app makes of a half-read body (FastAPI says 400) is never sent.
                    state["refused"] = state["started"] = True
                    if message.get("more_body", False):
                        await _drain(receive, DRAIN_BYTES)
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if state["refused"]:
                return
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "too_large",
                    "message": f"the request body is larger than {self.limit} bytes",
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive, at_most: int) -> None:
    """Read and drop the rest of the request body, up to `at_most` bytes."""
    dropped = 0
    while dropped <= at_most:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        dropped += len(message.get("body", b""))

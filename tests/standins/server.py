"""Serving a stand-in: any ASGI app on a free loopback port, in a thread, over real HTTP.

Not a platform's protocol itself: this is the harness the platform stand-ins (shopify.py,
woocommerce.py, generic.py, faulty.py) run in, the way conftest's `LiveServer` runs botdesk.
uvicorn serves on a socket bound before the thread starts, so the port is known (and taken)
before the first request, and two xdist workers can never race for one.

`StandIn` is the stand-ins' common base: an ASGI app that writes down every request it is sent
(`received`, `requests`) before its routes answer, so a test can assert how many calls a
connector made and what it sent (headers, signed path, GraphQL document).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.waits import wait_until

# A handler still running at shutdown (a "slow" answer nobody waits for any more) is cancelled
# after this long instead of holding the test's teardown for its whole delay.
GRACEFUL_SHUTDOWN_S = 2


@dataclass
class Received:
    """One request as the stand-in saw it: method, raw path and query, headers, body."""

    method: str
    path: str
    query: str
    headers: Headers
    body: bytearray = field(default_factory=bytearray)

    @property
    def path_with_query(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


class StandIn:
    """Base of the stand-ins: records each HTTP request, then passes it to `self.app`."""

    app: ASGIApp

    def __init__(self) -> None:
        self.received: list[Received] = []

    @property
    def requests(self) -> int:
        """How many HTTP requests reached the stand-in (answered, refused or dropped)."""
        return len(self.received)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = Received(
            method=scope["method"],
            path=scope["raw_path"].decode("ascii"),
            query=scope["query_string"].decode("ascii"),
            headers=Headers(scope=scope),
        )
        self.received.append(seen)

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen.body.extend(message.get("body", b""))
            return message

        # The route sees the recording wrapper; faulty.py's "drop" needs the server's own
        # `receive` (it reaches the connection through it), so that one is kept in the scope.
        scope.setdefault("extensions", {})["standin.receive"] = receive
        await self.app(scope, recording_receive, send)


class Plug:
    """An ASGI app forwarding to whichever app is plugged in (`app`): one server, many tests.

    Starting and stopping uvicorn costs about 0.2 s (its loop ticks every 0.1 s), so a module's
    tests can share one server, each plugging in a fresh stand-in.
    """

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("nothing is plugged in")
        await self.app(scope, receive, send)


class RunningServer:
    """uvicorn serving one ASGI app on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: ASGIApp) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        wait_until(lambda: self.server.started, 10, "the stand-in server to start", every=0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10 + GRACEFUL_SHUTDOWN_S)
        self.sock.close()


@contextmanager
def serve(app: ASGIApp) -> Iterator[RunningServer]:
    """Serve `app` over real HTTP for the block; yields the server (`.url`, `.port`)."""
    server = RunningServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()

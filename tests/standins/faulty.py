"""A merchant endpoint that misbehaves on demand, to test what a connector does when it does.

No platform's documentation: when it behaves ("ok") it answers any path with one order in the
generic merchant API's JSON (generic.py); otherwise it fails the way real merchant servers fail.
Tests set `mode` (and its knobs) between requests; it needs no authentication.

- "ok": 200 with the order's JSON.
- "slow": the same after `delay` seconds (default 10), unless the client hangs up first.
- "error500", "error503", "error404", "error401": that status, with a typical body.
- "garbage": 200, `Content-Type: application/json`, and bytes that are not JSON.
- "wrong_shape": 200 with valid JSON of the wrong shape: `wrong_shape` (default
  `{"order": {"status": 12345, "history": "x"}}`; a list also makes a good test).
- "redirect_other_host": 302 to `redirect_to` (another server's URL) plus the request's path.
- "redirect_same_host": 302 to `/moved` plus the request's path on this server, which is "ok".
- "huge": 200 and a JSON-looking body of `huge_bytes` (20 MiB), streamed chunked: no
  Content-Length to refuse it by.
- "drop": the connection closes without a byte of response. An ASGI app cannot ask for that
  (uvicorn answers 500 when an app fails before responding), so the stand-in closes the
  connection's transport itself, reaching it through uvicorn's `receive` (a method of its
  per-request cycle, which holds the transport); if a uvicorn release moves it, this mode
  fails loudly rather than answering.
- "flaky": 503 while `fail_times` (default 2) is above 0, counting it down; then "ok".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Literal, get_args

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.standins.generic import PLACED, GenericEvent, GenericOrder
from tests.standins.server import StandIn

Mode = Literal[
    "ok",
    "slow",
    "error500",
    "error503",
    "error404",
    "error401",
    "garbage",
    "wrong_shape",
    "redirect_other_host",
    "redirect_same_host",
    "huge",
    "drop",
    "flaky",
]
MODES: tuple[str, ...] = get_args(Mode)
MOVED = "/moved"
CHUNK = 64 * 1024
ERROR_PAGE = "<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>"


def sample_order() -> GenericOrder:
    return GenericOrder("1001", history=[GenericEvent(PLACED, "Order received", "Stockholm")])


class FaultyStandIn(StandIn):
    """A merchant endpoint answering any path as its `mode` says."""

    def __init__(
        self,
        order: GenericOrder | None = None,
        *,
        mode: Mode = "ok",
        delay: float = 10.0,
        fail_times: int = 2,
        redirect_to: str = "",
    ) -> None:
        super().__init__()
        self.order = order or sample_order()
        self.mode = mode
        self.delay = delay
        self.fail_times = fail_times
        self.redirect_to = redirect_to
        self.wrong_shape: object = {"order": {"status": 12345, "history": "x"}}
        self.huge_bytes = 20 * 1024 * 1024
        methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        self.app = Starlette(routes=[Route("/{path:path}", self._answer, methods=methods)])

    @property
    def mode(self) -> Mode:
        return self._mode

    @mode.setter
    def mode(self, mode: Mode) -> None:
        if mode not in MODES:
            raise ValueError(f"no such mode: {mode!r}")
        self._mode = mode

    def _ok(self) -> Response:
        return JSONResponse(self.order.to_json())

    async def _answer(self, request: Request) -> Response:
        mode = self.mode
        if request.url.path.startswith(MOVED + "/") or mode == "ok":
            return self._ok()
        if mode == "slow":
            await _sleep_unless_gone(request, self.delay)
            return self._ok()
        if mode.startswith("error"):
            return _error(int(mode.removeprefix("error")))
        if mode == "garbage":
            return Response(b"\x00\xffnot json {{{<html>", media_type="application/json")
        if mode == "wrong_shape":
            return JSONResponse(self.wrong_shape)
        if mode == "redirect_other_host":
            if not self.redirect_to:
                raise RuntimeError("set redirect_to (another server's URL) first")
            return RedirectResponse(self.redirect_to.rstrip("/") + _target(request), 302)
        if mode == "redirect_same_host":
            here = str(request.base_url).rstrip("/")
            return RedirectResponse(here + MOVED + _target(request), 302)
        if mode == "huge":
            return StreamingResponse(_huge(self.huge_bytes), media_type="application/json")
        if mode == "drop":
            return await _drop(request)
        assert mode == "flaky"
        if self.fail_times > 0:
            self.fail_times -= 1
            return _error(503)
        return self._ok()


def _target(request: Request) -> str:
    """The request's path and query as sent."""
    path: str = request.scope["raw_path"].decode("ascii")
    query: bytes = request.scope["query_string"]
    return f"{path}?{query.decode('ascii')}" if query else path


def _error(status: int) -> Response:
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="orders"'}
        return JSONResponse({"error": "unauthorized"}, 401, headers)
    if status == 404:
        return JSONResponse({"error": "order not found"}, 404)
    title = {500: "500 Internal Server Error", 503: "503 Service Unavailable"}[status]
    return Response(ERROR_PAGE.format(title), status, media_type="text/html")


async def _sleep_unless_gone(request: Request, seconds: float) -> None:
    """Wait `seconds`, or less if the client disconnects (so shutdown need not wait)."""

    async def until_disconnect() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(until_disconnect(), seconds)


async def _huge(size: int) -> AsyncIterator[bytes]:
    """`size` bytes of an order whose history never ends (valid JSON, were anyone to finish)."""
    event = json.dumps({"at": "2025-09-01T11:30:00+02:00", "text": "x" * 200}).encode() + b","
    head, tail = b'{"order": {"no": "1001", "history": [', b'{"text": "end"}]}}'
    yield head
    sent = len(head) + len(tail)
    chunk = event * (CHUNK // len(event))
    while sent + len(chunk) <= size:
        yield chunk
        sent += len(chunk)
    yield event * ((size - sent) // len(event)) + b" " * ((size - sent) % len(event))
    yield tail


async def _drop(request: Request) -> Response:
    """Close the connection without answering (see the module docstring)."""
    receive = request.scope["extensions"]["standin.receive"]
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not callable(getattr(transport, "close", None)):
        raise RuntimeError("uvicorn's receive no longer leads to the transport: fix 'drop'")
    transport.close()
    # Once uvicorn hears the connection is gone it ignores what the app sends.
    while (await receive())["type"] != "http.disconnect":
        pass
    return Response(status_code=204)

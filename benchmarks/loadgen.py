"""A lean open-loop load generator for `benchmarks/load.py`: raw HTTP/1.1 and WebSocket clients.

Requests are pre-built bytes sent over keep-alive connections by asyncio protocols (no client
library in the hot path), so one core can offer several thousand requests a second.

- `open_loop`: request i is *scheduled* at start + i / rate whatever happened before; when every
  connection is busy it waits in a backlog, and its latency is counted from the scheduled time.
  That is what keeps a stalled server from hiding its stall (no coordinated omission).
- `closed_loop`: each connection sends its next request as soon as the previous one is
  answered; used only to find a path's maximum throughput.

Every request has a timeout; a timed-out connection is closed and replaced, so a hung server
costs a bounded time and shows up as failures, never as a hung benchmark.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:\s*chunked", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection:\s*close", re.IGNORECASE)


def http_request(
    method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> bytes:
    """One pre-built HTTP/1.1 keep-alive request."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def _mask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if n == 0:
        return b""
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def ws_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """A masked client frame (text by default)."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + key + _mask(payload, key)


class Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionError("connection closed"))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        self.waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def send(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        fut: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        if self.closed or self.transport is None:
            fut.set_exception(ConnectionError("connection closed"))
            return fut
        self.waiter = fut
        self.transport.write(data)
        return fut

    def data_received(self, data: bytes) -> None:
        self.buf += data
        parsed = _parse_http(self.buf)
        if parsed is None:
            return
        used, status, body, close = parsed
        del self.buf[:used]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, body))
        self.waiter = None
        if close:
            self.close()


def _parse_http(buf: bytearray) -> tuple[int, int, bytes, bool] | None:
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buf[: end + 2])
    status = int(head[9:12])
    start = end + 4
    close = _CLOSE.search(head) is not None
    match = _CONTENT_LENGTH.search(head)
    if match is not None:
        length = int(match.group(1))
        if len(buf) < start + length:
            return None
        return start + length, status, bytes(buf[start : start + length]), close
    if _CHUNKED.search(head) is None:
        return start, status, b"", close  # 204/304 or a body-less error
    body = bytearray()
    at = start
    while True:
        line_end = buf.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(bytes(buf[at:line_end]).split(b";")[0], 16)
        if size == 0:
            if len(buf) < line_end + 4:
                return None
            return line_end + 4, status, bytes(body), close
        if len(buf) < line_end + 2 + size + 2:
            return None
        body += buf[line_end + 2 : line_end + 2 + size]
        at = line_end + 2 + size + 2


class WsConn(Conn):
    """A WebSocket client: `send(frame)` resolves with the next text frame the server sends."""

    def __init__(self) -> None:
        super().__init__()
        self.open = False
        self.close_code: int | None = None
        self.texts: collections.deque[bytes] = collections.deque(maxlen=8)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.open:
            parsed = _parse_http(self.buf)
            if parsed is None:
                return
            used, status, _body, _close = parsed
            del self.buf[:used]
            if status != 101:
                self._fail(ConnectionError(f"handshake answered {status}"))
                self.close()
                return
            self.open = True
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result((101, b""))
            self.waiter = None
        while (frame := self._frame()) is not None:
            opcode, payload = frame
            if opcode == 0x9 and self.transport is not None:  # ping: pong, or the server drops us
                self.transport.write(ws_frame(payload, 0xA))
            elif opcode == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if payload else 1005
                self._fail(ConnectionError(f"closed by server ({self.close_code})"))
                self.close()
                return
            elif opcode in (0x1, 0x2):
                self.texts.append(payload)
                if self.waiter is not None and not self.waiter.done():
                    self.waiter.set_result((200, payload))
                self.waiter = None

    def _frame(self) -> tuple[int, bytes] | None:
        buf = self.buf
        if len(buf) < 2:
            return None
        opcode, n, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                return None
            n, at = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127:
            if len(buf) < 10:
                return None
            n, at = int.from_bytes(buf[2:10], "big"), 10
        if len(buf) < at + n:
            return None
        payload = bytes(buf[at : at + n])
        del buf[: at + n]
        return opcode, payload

    def next_text(self) -> asyncio.Future[tuple[int, bytes]]:
        fut: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        if self.texts:
            fut.set_result((200, self.texts.popleft()))
        elif self.closed:
            fut.set_exception(ConnectionError("connection closed"))
        else:
            self.waiter = fut
        return fut


async def connect_http(port: int) -> Conn:
    loop = asyncio.get_running_loop()
    _transport, conn = await loop.create_connection(Conn, "127.0.0.1", port)
    return conn


async def _await(fut: asyncio.Future[tuple[int, bytes]], seconds: float) -> tuple[int, bytes]:
    return await asyncio.wait_for(fut, seconds)


async def connect_ws(
    port: int, path: str, hello: bytes | None, until: bytes | None, limit_s: float
) -> WsConn:
    """Open a WebSocket; send `hello`; wait for a text frame containing `until`."""
    loop = asyncio.get_running_loop()
    _transport, conn = await asyncio.wait_for(
        loop.create_connection(WsConn, "127.0.0.1", port), limit_s
    )
    key = base64.b64encode(os.urandom(16)).decode()
    upgrade = http_request(
        "GET",
        path,
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": "13",
        },
    )
    try:
        await _await(conn.send(upgrade), limit_s)
        if hello is not None:
            assert conn.transport is not None
            conn.transport.write(ws_frame(hello))
        deadline = time.monotonic() + limit_s
        while until is not None:
            _status, text = await _await(conn.next_text(), max(0.01, deadline - time.monotonic()))
            if until in text:
                break
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass
class Result:
    """Latencies (seconds, from the scheduled send) and outcomes of one run."""

    started: float = 0.0
    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    offered: int = 0
    max_backlog: int = 0
    _good: list[bool] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ok = sorted(
            lat for lat, good in zip(self.latencies, self._good, strict=True) if good
        )  # latencies of 2xx (and WebSocket) answers only
        return {
            "offered": self.offered,
            "answered": len(self.latencies),
            "ok": len(ok),
            "failed": self.offered - len(ok),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors),
            "wall_s": round(self.wall, 2),
            "throughput_ok_per_s": round(len(ok) / self.wall, 1) if self.wall else 0.0,
            "p50_ms": _pct(ok, 0.50),
            "p99_ms": _pct(ok, 0.99),
            "p999_ms": _pct(ok, 0.999),
            "max_ms": round(ok[-1] * 1000, 1) if ok else None,
            "max_backlog": self.max_backlog,
        }

    def record(self, latency: float, status: int) -> None:
        self.latencies.append(latency)
        self._good.append(200 <= status < 300)
        self.statuses[status] += 1


def _pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q * len(values) + 0.5) - 1))
    return round(values[index] * 1000, 2)


async def run_load(
    connect: Callable[[], Any],
    requests: Sequence[bytes],
    *,
    connections: int,
    duration: float,
    rate: float | None,
    request_timeout: float = 10.0,
    drain: float = 15.0,
    max_requests: int = 1_000_000,
) -> Result:
    """Open loop at `rate` requests/s, or closed loop (rate None) over `connections` connections.

    `requests` are sent in order, cycling. `connect` makes one connected Conn (HTTP or WebSocket).
    """
    loop = asyncio.get_running_loop()
    result = Result()
    tasks: set[asyncio.Task[None]] = set()
    conns: list[Conn] = list(await asyncio.gather(*(connect() for _ in range(connections))))
    idle: collections.deque[Conn] = collections.deque(conns)
    backlog: collections.deque[float] = collections.deque()
    counter = 0
    outstanding = 0
    done = asyncio.Event()
    start = loop.time() + 0.05
    end = start + duration
    result.started = time.time()

    def replace(conn: Conn) -> None:
        async def reconnect() -> None:
            try:
                fresh = await asyncio.wait_for(connect(), request_timeout)
            except (OSError, TimeoutError, ConnectionError):
                await asyncio.sleep(0.2)
                fresh = None
            if fresh is None:
                loop.call_soon(replace, conn)
                return
            conns.append(fresh)
            handoff(fresh)

        conn.close()
        if loop.time() < end + drain:
            task = loop.create_task(reconnect())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    def handoff(conn: Conn) -> None:
        if backlog:
            launch(conn, backlog.popleft())
        elif rate is None and loop.time() < end and counter < max_requests:
            launch(conn, loop.time())
        else:
            idle.append(conn)

    def launch(conn: Conn, scheduled: float) -> None:
        nonlocal counter, outstanding
        data = requests[counter % len(requests)]
        counter += 1
        result.offered += 1
        outstanding += 1
        fut = conn.send(data)
        timer = loop.call_later(request_timeout, _expire, fut)

        def finished(f: asyncio.Future[tuple[int, bytes]]) -> None:
            nonlocal outstanding
            timer.cancel()
            outstanding -= 1
            if f.cancelled():
                result.errors["timeout"] += 1
                replace(conn)
            elif (exc := f.exception()) is not None:
                result.errors[type(exc).__name__] += 1
                replace(conn)
            else:
                status, _body = f.result()
                result.record(loop.time() - scheduled, status)
                if conn.closed:
                    replace(conn)
                else:
                    handoff(conn)
            if outstanding == 0 and (loop.time() >= end or counter >= max_requests):
                done.set()

        fut.add_done_callback(finished)

    await asyncio.sleep(max(0.0, start - loop.time()))
    if rate is None:
        while idle and counter < max_requests:
            launch(idle.popleft(), loop.time())
    else:
        total = min(max_requests, int(rate * duration))
        interval = 1.0 / rate
        for i in range(total):
            due = start + i * interval
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            if idle:
                launch(idle.popleft(), due)
            else:
                backlog.append(due)
                result.max_backlog = max(result.max_backlog, len(backlog))
        # Requests still in the backlog were offered too: their latency keeps growing.
    with_deadline = max(0.1, end + drain - loop.time())
    if outstanding or backlog:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), with_deadline)
    result.wall = min(loop.time(), end) - start if rate is None else duration
    result.errors["not_sent_backlog"] += len(backlog)
    result.offered += len(backlog)
    result.errors["unanswered"] += outstanding
    result.errors = collections.Counter({k: v for k, v in result.errors.items() if v})
    for conn in conns:
        conn.close()
    for task in list(tasks):
        task.cancel()
    return result


def _expire(fut: asyncio.Future[tuple[int, bytes]]) -> None:
    if not fut.done():
        fut.cancel()


async def requests_with_concurrency(
    port: int,
    requests: Sequence[bytes],
    concurrency: int,
    request_timeout: float,
    deadline: float | None = None,
) -> tuple[Result, list[tuple[int, bytes]]]:
    """Each request once, `concurrency` clients at a time (a burst); answers in order.

    With a `deadline` (time.monotonic()), no request is started after it.
    """
    result = Result()
    answers: list[tuple[int, bytes]] = [(0, b"")] * len(requests)
    next_index = 0
    loop = asyncio.get_running_loop()
    start = loop.time()
    result.started = time.time()

    async def client() -> None:
        nonlocal next_index
        conn: Conn | None = None
        while next_index < len(requests):
            if deadline is not None and time.monotonic() > deadline:
                break
            index = next_index
            next_index += 1
            result.offered += 1
            sent = loop.time()
            try:
                if conn is None or conn.closed:
                    conn = await asyncio.wait_for(connect_http(port), request_timeout)
                status, body = await asyncio.wait_for(conn.send(requests[index]), request_timeout)
            except (OSError, TimeoutError, ConnectionError) as exc:
                result.errors[type(exc).__name__] += 1
                if conn is not None:
                    conn.close()
                conn = None
                continue
            result.record(loop.time() - sent, status)
            answers[index] = (status, body)
        if conn is not None:
            conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.wall = loop.time() - start
    return result, answers

"""A stand-in merchant order API for `benchmarks/tracking.py`: slow, healthy or broken on demand.

A bare ASGI app on uvicorn (no framework), answering the way botdesk's demo merchant does
(`botdesk.demo_merchant`: its JSON shape, a bearer token), under three base paths so one
process serves every case and botdesk is pointed at one or another with `botdesk tenant
connect`:

- `/slow/orders/{number}`: the order after sleeping `--delay` seconds (asyncio, no thread held);
- `/ok/orders/{number}`: the order at once;
- `/error/orders/{number}`: 500 at once, what a broken merchant answers.

`GET /stats` (not counted) tells how many order requests each path got, their statuses and
the most that were in flight at once, so the benchmark can see which look-ups reached it.

    python benchmarks/tracking_merchant.py --port 8782 --delay 5 --token-file token.txt
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from botdesk.demo_merchant import DEMO_ORDERS, order_document

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
MODES = ("slow", "ok", "error")


class Merchant:
    def __init__(self, delay: float, token: str) -> None:
        self.delay = delay
        self.token = token
        self.orders = {spec.number: spec for spec in DEMO_ORDERS}
        self.requests: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[str] = collections.Counter()
        self.in_flight: collections.Counter[str] = collections.Counter()
        self.in_flight_max: collections.Counter[str] = collections.Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is switched off in main()
            return
        parts = scope["path"].strip("/").split("/")
        if parts == ["stats"]:
            await _answer(send, 200, self.stats())
            return
        if len(parts) != 3 or parts[0] not in MODES or parts[1] != "orders":
            await _answer(send, 404, {"error": "not_found"})
            return
        mode, number = parts[0], parts[2]
        self.requests[mode] += 1
        self.in_flight[mode] += 1
        self.in_flight_max[mode] = max(self.in_flight_max[mode], self.in_flight[mode])
        try:
            status, body = await self._order(mode, number, dict(scope["headers"]))
        finally:
            self.in_flight[mode] -= 1
        self.statuses[f"{mode} {status}"] += 1
        await _answer(send, status, body)

    async def _order(
        self, mode: str, number: str, headers: dict[bytes, bytes]
    ) -> tuple[int, dict[str, Any]]:
        if mode == "error":
            return 500, {"error": "internal"}
        given = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return 401, {"error": "unauthorized"}
        if mode == "slow":
            await asyncio.sleep(self.delay)
        spec = self.orders.get(number)
        if spec is None:
            return 404, {"error": "not_found"}
        return 200, order_document(spec, dt.datetime.now(dt.UTC))

    def stats(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "statuses": dict(self.statuses),
            "in_flight_max": dict(self.in_flight_max),
        }


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="A stand-in merchant order API.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=5.0, help="seconds /slow/ waits")
    parser.add_argument("--token-file", type=Path, required=True)
    args = parser.parse_args()
    merchant = Merchant(args.delay, args.token_file.read_text().strip())
    uvicorn.run(
        merchant,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()

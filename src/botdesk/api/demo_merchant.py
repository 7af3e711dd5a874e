"""The demo merchant's order API (see demo_merchant.py), mounted beside botdesk's own.

A look-up from this very process must never wait on what the look-up itself holds: the bot's
turn holds no thread and no transaction while it awaits the merchant (actions/messages.py), and
this route reads on its own small thread pool, not the workers' one, so a burst of shoppers
queued for the workers cannot starve the merchant their look-ups are waiting for.
"""

from __future__ import annotations

import asyncio
import hmac
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from botdesk import access, demo_merchant
from botdesk.errors import NotFound
from botdesk.runtime import Runtime

router = APIRouter(include_in_schema=False)
_READERS = ThreadPoolExecutor(2, thread_name_prefix="demo-merchant")
_SAFE = re.compile(r"[A-Za-z0-9_-]{1,63}")


def _read(runtime: Runtime, slug: str, number: str, given: str) -> tuple[int, Any]:
    with runtime.db.read() as session:
        try:
            tenant = access.tenant_by_slug(session, slug)
        except NotFound:
            return 404, {"error": "not_found"}
        expected = demo_merchant.token(runtime.keyring, tenant.id)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return 401, {"error": "unauthorized"}
        document = access.demo_order(session, tenant.id, number)
    if document is None:
        return 404, {"error": "not_found"}
    return 200, document


@router.get(demo_merchant.PATH + "/orders/{number}")
async def demo_order(slug: str, number: str, request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    if not (_SAFE.fullmatch(slug) and _SAFE.fullmatch(number)):
        # NUL bytes and the like never reach the database (PostgreSQL refuses them with a 500).
        return JSONResponse({"error": "not_found"}, status_code=404)
    header = request.headers.get("authorization", "")
    given = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
    if not given:
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    loop = asyncio.get_running_loop()
    status, body = await loop.run_in_executor(_READERS, _read, runtime, slug, number, given)
    return JSONResponse(body, status_code=status)

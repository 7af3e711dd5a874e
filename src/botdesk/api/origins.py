"""Which web sites may use a tenant's chat: the tenant's allowed origins, enforced per request.

The widget runs on the merchant's pages and calls this API cross-origin, so browsers need CORS
headers; a site a tenant has not allowed gets 403 instead (and no CORS headers, so the browser
would not let it read the answer anyway). Same-origin requests and requests with no Origin
header (curl, server-to-server) are not a browser on someone else's site and pass through.
The WebSocket handshake applies the same rule in `stream.py`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from botdesk import access
from botdesk.api.errors import error_response
from botdesk.runtime import Runtime

_TENANT_PATH = re.compile(r"^/api/v1/tenants/([^/]+)/")
_CONVERSATION_PATH = re.compile(r"^/api/v1/conversations/([0-9a-fA-F-]{36})(?:/|$)")
ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type"


def tenant_origins(runtime: Runtime, path: str) -> tuple[str, list[str]] | None:
    """The tenant a visitor-API path belongs to (slug) and its allowed origins."""
    with runtime.db.session() as session:
        if match := _TENANT_PATH.match(path):
            return access.allowed_origins_by_slug(session, match.group(1))
        if match := _CONVERSATION_PATH.match(path):
            return access.allowed_origins_by_conversation(session, uuid.UUID(match.group(1)))
    return None


def own_origins(runtime: Runtime, scheme: str, host: str | None) -> set[str]:
    base = runtime.settings.base_url
    own = {base.split("/", 3)[0] + "//" + base.split("/", 3)[2]}
    if host:
        own.add(f"{scheme}://{host}")
    return own


def is_allowed(origin: str, allowed: list[str], own: set[str]) -> bool:
    return origin in own or origin in allowed


async def origin_policy(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    origin = request.headers.get("origin")
    path = request.url.path
    if origin is None or not path.startswith(("/api/v1/tenants/", "/api/v1/conversations/")):
        return await call_next(request)
    runtime: Runtime = request.app.state.runtime
    if origin in own_origins(runtime, request.url.scheme, request.headers.get("host")):
        return await call_next(request)
    found = await run_in_threadpool(tenant_origins, runtime, path)
    if found is None:  # unknown tenant or conversation: the route answers 404, without CORS
        return await call_next(request)
    slug, allowed = found
    if origin not in allowed:
        return error_response(
            403, "origin_not_allowed", f"{origin} is not allowed to use the chat of {slug}"
        )
    if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
        response: Response = Response(status_code=204)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    else:
        response = await call_next(request)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    return response

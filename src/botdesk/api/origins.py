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
from collections.abc import Callable
from typing import TypeVar

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from botdesk.api.errors import error_response
from botdesk.errors import NotFound
from botdesk.runtime import Runtime

_TENANT_PATH = re.compile(r"^/api/v1/tenants/([^/]+)/")
_CONVERSATION_PATH = re.compile(r"^/api/v1/conversations/([0-9a-fA-F-]{36})(?:/|$)")
ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type"
_T = TypeVar("_T")


def tenant_origins(
    runtime: Runtime, path: str, *, cached_only: bool = False
) -> tuple[str, list[str]] | None:
    """The tenant a visitor-API path belongs to (slug) and its allowed origins.

    From the node's tenant cache: the widget sends an Origin with every request, so this runs
    per message and must not cost a query each time. With `cached_only` it raises NotCached
    rather than read the database (the event loop's first try).
    """
    tenants = runtime.tenants
    try:
        if match := _TENANT_PATH.match(path):
            slug = match.group(1)
            entry = tenants.cached_slug(slug) if cached_only else None
            entry = entry or _loaded(cached_only, lambda: tenants.by_slug(slug))
        elif match := _CONVERSATION_PATH.match(path):
            conversation_id = uuid.UUID(match.group(1))
            tenant_id = tenants.cached_conversation(conversation_id) if cached_only else None
            tenant_id = tenant_id or _loaded(
                cached_only, lambda: tenants.tenant_of_conversation(conversation_id)
            )
            if tenant_id is None:
                return None
            entry = (tenants.cached(tenant_id) if cached_only else None) or _loaded(
                cached_only, lambda: tenants.get(tenant_id)
            )
        else:
            return None
    except NotFound:
        return None
    return entry.tenant.slug, list(entry.tenant.allowed_origins)


class NotCached(Exception):
    """The answer needs the database; ask again from a thread."""


def _loaded(cached_only: bool, load: Callable[[], _T]) -> _T:
    if cached_only:
        raise NotCached
    return load()


def own_origins(runtime: Runtime, scheme: str, host: str | None) -> set[str]:
    base = runtime.settings.base_url
    own = {base.split("/", 3)[0] + "//" + base.split("/", 3)[2]}
    if host:
        own.add(f"{scheme}://{host}")
    return own


def is_allowed(origin: str, allowed: list[str], own: set[str]) -> bool:
    return origin in own or origin in allowed


class OriginPolicy:
    """ASGI middleware (not BaseHTTPMiddleware, which costs a task and a stream per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(
            ("/api/v1/tenants/", "/api/v1/conversations/")
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        runtime: Runtime = scope["app"].state.runtime
        if origin is None or origin in own_origins(runtime, scope["scheme"], headers.get("host")):
            await self.app(scope, receive, send)
            return
        try:
            found = tenant_origins(runtime, path, cached_only=True)
        except NotCached:
            found = await runtime.run(tenant_origins, runtime, path)
        if found is None:  # unknown tenant or conversation: the route answers 404, without CORS
            await self.app(scope, receive, send)
            return
        slug, allowed = found
        if origin not in allowed:
            if _CONVERSATION_PATH.match(path):
                # Exactly what a missing conversation answers: a site that may not use the
                # chat must not learn that an id exists, or whose it is.
                response = error_response(404, "not_found", "conversation not found")
            else:
                response = error_response(
                    403, "origin_not_allowed", f"{origin} is not allowed to use the chat of {slug}"
                )
            await response(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            preflight = Response(status_code=204)
            preflight.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            preflight.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            preflight.headers["Access-Control-Max-Age"] = "600"
            _allow(preflight.headers.raw, origin)
            await preflight(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", []))
                _allow(message["headers"], origin)
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _allow(raw: list[tuple[bytes, bytes]], origin: str) -> None:
    raw.append((b"access-control-allow-origin", origin.encode("latin-1")))
    raw.append((b"vary", b"Origin"))

"""Security headers on every HTTP response, set in one place so no route can forget them.

- A strict Content-Security-Policy everywhere: pages run only our own scripts and styles, never
  load plugins (`object-src 'none'`), never re-base their links (`base-uri 'none'`) and cannot
  be framed; JSON and other non-page responses allow nothing at all. A route that needs more
  (the API docs page's one inline script, by its hash) sets its own policy, which is kept.
- `nosniff` and a same-origin `Referrer-Policy` everywhere; HSTS when the deployment is served
  over https (BOTDESK_BASE_URL).
- `Cache-Control: no-store` unless the route chose a policy itself: every dynamic response may
  carry conversation content or personal data (a transcript, the visitor's message list, a
  console page), and none of it belongs in a browser's or a proxy's cache. Static files (the
  console's assets, the API docs' assets) may be cached; the widget script sets its own.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'"
)
NOTHING_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
HSTS = "max-age=31536000; includeSubDomains"
# Files that are the same for everyone and hold no one's data.
_STATIC_PREFIXES = ("/static/", "/api/v1/docs/assets/")


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(_STATIC_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                page = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("Content-Security-Policy", PAGE_CSP if page else NOTHING_CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
                if self.https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)

"""The ASGI application: API v1, console, demo shop page, health probes.

The one module that puts api/ and web/ together (api never imports web), so it sits above both.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import swagger_ui
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from botdesk import __version__, web
from botdesk.api import (
    agent,
    agent_stream,
    asyncapi,
    demo_merchant,
    deps,
    errors,
    handover,
    health,
    stream,
    visitor,
    widget,
)
from botdesk.api.headers import PAGE_CSP, SecurityHeaders
from botdesk.api.limits import BodySizeLimit
from botdesk.api.origins import OriginPolicy
from botdesk.events import NODES_CHANNEL
from botdesk.jobs import JobRunner
from botdesk.runtime import Runtime
from botdesk.web import account, canned, console, orders, settings, shop, subjects

WEB_STATIC = Path(web.__file__).resolve().parent / "static"
# Swagger UI's files ship inside a PyPI package: API docs work offline and call no CDN.
SWAGGER_STATIC = Path(swagger_ui.__file__).resolve().parent / "static"


# How `botdesk serve` (and the test server) runs the app under uvicorn. The widget's frames are a
# few hundred bytes of JSON: per-message compression would save nothing, yet every browser
# offers it and each socket would then hold ~50 KB of zlib state (measured with tracemalloc on
# 1,000 sockets), more than the rest of an idle socket together. sans-I/O is uvicorn's leanest
# WebSocket protocol.
# proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 by itself;
# botdesk reads it only from BOTDESK_TRUSTED_PROXIES, in one place (clients.py).
UVICORN_OPTIONS: dict[str, Any] = {
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,
    "proxy_headers": False,
}


async def _hear_other_nodes(runtime: Runtime) -> None:
    async with runtime.db.broker.subscribe([NODES_CHANNEL]) as events:
        async for event in events:
            runtime.hear(event)


def create_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Load every tenant's bot before the first shopper arrives: loading a model inside a
        # request would make that shopper wait and, on SQLite, hold the write lock meanwhile.
        await asyncio.to_thread(runtime.warm_up)
        jobs = JobRunner(runtime) if runtime.settings.run_jobs_in_app else None
        if jobs is not None:
            jobs.start()
        # Other nodes' tenant and presence changes, so this node's caches drop what they make
        # stale (this node's own commits tell the caches directly; see tenant_cache.py).
        listening = asyncio.create_task(_hear_other_nodes(runtime))
        yield
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
        if jobs is not None:
            # Stops at the job's next safe point (between two commits), before the pool closes.
            await asyncio.to_thread(jobs.stop)
        await runtime.orders.close()
        runtime.close()

    app = FastAPI(
        title="botdesk API",
        version=__version__,
        summary="Visitor API for the botdesk chat widget.",
        description="The live WebSocket streams (the widget's and the console's) are described "
        "in AsyncAPI 3.0 at [/api/v1/asyncapi.json](/api/v1/asyncapi.json).",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    document = app.openapi

    def openapi() -> dict[str, Any]:
        # The WebSocket streams are in their own AsyncAPI document, linked from this one.
        return asyncapi.link_from(deps.declare_csrf(document()))

    app.openapi = openapi  # type: ignore[method-assign]
    errors.install(app, page=web.error_page)
    app.add_middleware(OriginPolicy)
    app.add_middleware(BodySizeLimit, limit=runtime.settings.max_request_bytes)
    # Outermost (added last), so even a 413 from the size limit carries the headers.
    app.add_middleware(SecurityHeaders, https=runtime.settings.base_url.startswith("https://"))
    app.include_router(health.router)
    app.include_router(visitor.router)
    app.include_router(handover.router)
    app.include_router(agent.router)
    app.include_router(agent_stream.router)
    app.include_router(widget.router)
    app.include_router(stream.router)
    app.include_router(asyncapi.router)
    app.include_router(console.router)
    app.include_router(account.router)
    app.include_router(settings.router)
    app.include_router(canned.router)
    app.include_router(subjects.router)
    app.include_router(orders.router)
    app.include_router(shop.router)
    app.include_router(demo_merchant.router)
    app.mount("/static", StaticFiles(directory=WEB_STATIC), name="static")
    app.mount("/api/v1/docs/assets", StaticFiles(directory=SWAGGER_STATIC), name="swagger")

    @app.get("/api/v1/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json",
            title="botdesk API",
            swagger_js_url="/api/v1/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/api/v1/docs/assets/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            # Swagger UI would otherwise fetch a badge from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )
        # Swagger UI starts from one inline script: allowed by its hash, and nothing else is.
        inline = re.findall(rb"<script>(.*?)</script>", bytes(page.body), re.S)
        hashes = " ".join(
            f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in inline
        )
        page.headers["Content-Security-Policy"] = f"{PAGE_CSP}; script-src 'self' {hashes}"
        return page

    return app

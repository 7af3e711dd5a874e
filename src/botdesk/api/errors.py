"""One JSON error shape for every failure: {"error": {"code", "message", "details"?}}.

Validation errors are rewritten without the offending input: pydantic echoes what was sent,
and what a shopper sent may be personal data.

Console pages (everything under /console except its JSON API, /console/api) answer as pages
instead: a request without a console session is sent to the sign-in page, and a refusal is
shown by the page renderer the app passes in (web/, which this package never imports).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path

from botdesk.api.schemas import SOME_TEXT
from botdesk.errors import BotdeskError, NotFound, RateLimited, SignedOut
from botdesk.keys import KeyDestroyed
from botdesk.models import IllegalTransition

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


SIGN_IN_PAGE = "/console/login"
# Renders a refusal on a console page: (request, status code, message) -> the page.
PageRenderer = Callable[[Request, int, str], Response]


def is_console_page(request: Request) -> bool:
    path = request.url.path
    return (path == "/console" or path.startswith("/console/")) and not path.startswith(
        "/console/api/"
    )


def _problem(err: Any) -> str:
    """What a field lacks, in words: pydantic's message, except where it says too little."""
    if err["type"].startswith("uuid"):
        return "must be a UUID"
    if err["type"] == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == SOME_TEXT:
        # Not the 400-character class: only spaces or invisible characters were sent.
        return "cannot be empty: nothing in it shows"
    return str(err["msg"])


def install(app: FastAPI, page: PageRenderer | None = None) -> None:
    @app.exception_handler(SignedOut)
    async def _signed_out(request: Request, exc: SignedOut) -> Response:
        if is_console_page(request):
            return RedirectResponse(SIGN_IN_PAGE, status_code=303)
        return error_response(exc.status_code, exc.code, exc.message)

    @app.exception_handler(BotdeskError)
    async def _domain(request: Request, exc: BotdeskError) -> Response:
        if page is not None and is_console_page(request):
            response = page(request, exc.status_code, exc.message)
        else:
            response = error_response(exc.status_code, exc.code, exc.message, exc.details)
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(KeyDestroyed)
    async def _shredded(_request: Request, _exc: KeyDestroyed) -> JSONResponse:
        # Mid-erasure: the data is already unreadable, so it no longer exists for anyone.
        error = NotFound("conversation not found")
        return error_response(error.status_code, error.code, error.message)

    @app.exception_handler(IllegalTransition)
    async def _transition(_request: Request, exc: IllegalTransition) -> JSONResponse:
        return error_response(409, "illegal_transition", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "field": ".".join(str(part) for part in err["loc"]),
                # Some pydantic messages quote part of the input; these say what was expected.
                "problem": _problem(err),
            }
            for err in exc.errors()
        ]
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            return error_response(422, "invalid_json", "the request body is not valid JSON")
        return error_response(422, "invalid", "the request is not valid", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI says 400 for a JSON body that is not UTF-8; any unreadable JSON is 422.
            return error_response(422, "invalid_json", "the request body is not valid JSON")
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        response = error_response(exc.status_code, code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed(request))
        return response

    @app.exception_handler(ClientDisconnect)
    async def _gone(_request: Request, _exc: ClientDisconnect) -> Response:
        # The client left mid-body, or BodySizeLimit cut an oversized one off and has answered
        # 413 itself: no one hears this answer, and it is no incident.
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        # Type and route only: exception messages can quote personal data, and so can a path
        # (/conversations/<what someone typed>), so the route's template stands for it.
        log.error(
            "incident %s: %s on %s %s",
            incident,
            type(exc).__name__,
            request.method,
            _template(request),
        )
        return error_response(500, "internal", f"internal error (incident {incident})")


def _allowed(request: Request) -> list[str]:
    """Every method the path answers: Starlette's 405 names only the first route's."""
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):  # included routers' routes too
        if context.methods and compile_path(str(context.path))[0].match(request.url.path):
            methods |= set(context.methods)
    return sorted(methods)


def _template(request: Request) -> str:
    """The path template of the route that answered (`/console/canned/{reply_id}`)."""
    route = request.scope.get("route")
    for context in iter_route_contexts(request.app.routes):
        if context.original_route is route:
            return str(context.path)
    return "(no route)"

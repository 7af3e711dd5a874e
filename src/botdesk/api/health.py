"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from botdesk import schema
from botdesk.access import tenants_not_wrapped_by
from botdesk.api.deps import PUBLIC, RuntimeDep
from botdesk.broker import RedisBroker
from botdesk.nlu import FusedBackend, LinearBackend, embeddings
from botdesk.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive", openapi_extra=PUBLIC)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _master_key_check(runtime: Runtime) -> str:
    # A node started with the wrong key would fail every conversation request; say so here.
    with runtime.db.session() as session:
        strangers = tenants_not_wrapped_by(session, runtime.keyring.master_key_id)
    return "ok" if not strangers else f"does not match {strangers} tenant key(s)"


@router.get(
    "/readyz",
    summary="The database is reachable and its schema is current; names the bot's backend",
    openapi_extra=PUBLIC,
)
def readyz(runtime: RuntimeDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        with runtime.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
        checks["schema"] = "ok" if schema.is_current(runtime.db.engine) else "not migrated"
        if checks["schema"] == "ok":
            checks["master_key"] = _master_key_check(runtime)
    except SQLAlchemyError as exc:
        checks["database"] = f"unreachable ({type(exc).__name__})"
    broker = runtime.db.broker
    if isinstance(broker, RedisBroker):
        checks["redis"] = "ok" if broker.ping() else "unreachable"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks, "bot": _bot_backend()},
        status_code=200 if ready else 503,
    )


def _bot_backend() -> dict[str, str]:
    """Which understanding serves on this node: informative, never a reason to take it out."""
    # Loads the embedding model if nothing has yet (0.1 s, once): the answer is then the truth.
    if embeddings.default_embedder() is not None:
        return {"understanding": FusedBackend.name}
    return {
        "understanding": LinearBackend.name,
        "why": embeddings.unavailable_reason() or "sentence embeddings unavailable",
    }

"""What the widget needs before the first message: the script itself and the tenant's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from botdesk import access
from botdesk.api.deps import PUBLIC, SessionDep
from botdesk.errors import NotFound

WIDGET_JS = Path(__file__).resolve().parent.parent / "web" / "static" / "widget.js"
DEFAULT_COLOUR = "#1f5f8b"
router = APIRouter(tags=["widget"])


class WidgetConfigOut(BaseModel):
    tenant: str
    name: str
    languages: list[str]
    default_language: str
    position: str = Field(description="Corner of the launcher: right or left.")
    colors: dict[str, str]
    privacy_policy_url: str | None
    retention_days: int = Field(description="Days a conversation with only the bot is kept.")
    greeting: dict[str, str] | None = Field(
        description="Shown, per language, when the chat opens before the first message."
    )
    texts: dict[str, dict[str, str]] = Field(
        description="The tenant's rewordings of widget texts, per language."
    )


@router.get(
    "/api/v1/tenants/{slug}/widget",
    response_model=WidgetConfigOut,
    summary="Widget settings",
    openapi_extra=PUBLIC,
)
def widget_config(slug: str, session: SessionDep) -> WidgetConfigOut:
    tenant = access.tenant_by_slug(session, slug)
    widget: dict[str, Any] = tenant.widget or {}
    return WidgetConfigOut(
        tenant=tenant.slug,
        name=tenant.name,
        languages=tenant.languages,
        default_language=tenant.default_language,
        position="left" if widget.get("position") == "left" else "right",
        colors={"primary": str(widget.get("primary_color") or DEFAULT_COLOUR)},
        privacy_policy_url=tenant.privacy_policy_url,
        retention_days=tenant.retention_bot_days,
        greeting=widget.get("greeting") or None,
        texts=widget.get("texts") or {},
    )


@router.get("/widget.js", include_in_schema=False)
def widget_script() -> FileResponse:
    if not WIDGET_JS.is_file():
        raise NotFound("the widget script is missing from this installation")
    # Short cache: merchants embed one URL forever, so new releases must reach shoppers soon.
    return FileResponse(
        WIDGET_JS,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )

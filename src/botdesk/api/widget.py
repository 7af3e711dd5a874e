"""What the widget needs before the first message: the script itself and the tenant's settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from botdesk import access, queue
from botdesk.actions.widget import keep_days_of, topics_of
from botdesk.api.deps import PUBLIC, SessionDep
from botdesk.errors import NotFound

WIDGET_JS = Path(__file__).resolve().parent.parent / "web" / "static" / "widget.js"
DEFAULT_COLOUR = "#1f5f8b"
router = APIRouter(tags=["widget"])


class TopicOut(BaseModel):
    title: str
    payload: str = Field(description="Sent with the title as a quick reply (intent:NAME).")


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
    topics: dict[str, list[TopicOut]] = Field(
        description="Topic buttons under the greeting, per language."
    )
    reply_minutes: int | None = Field(
        description="Minutes a person usually takes to answer now, from the queue's recent "
        "history; null when no one is available or there is no history to tell from."
    )
    time_zone: str = Field(description="The shop's time zone (IANA), for transcript times.")
    sound: bool = Field(description="Play a short tone when a message arrives unseen.")
    keep_days: int = Field(
        description="Days the widget keeps the conversation on the shopper's device "
        "(localStorage); 0 keeps it only for the browser tab's session."
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
    topics = topics_of(widget)
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
        topics={
            lang: [TopicOut(**t) for t in items]
            for lang, items in topics.items()
            if lang in tenant.languages
        },
        reply_minutes=queue.reply_minutes(session, tenant, dt.datetime.now(dt.UTC)),
        time_zone=access.handover_policy(tenant).hours.zone,
        sound=widget.get("sound") is True,
        keep_days=keep_days_of(widget),
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

"""Canned replies in the console: admins write them, agents read them and insert them in chats.

The page is plain HTML forms; `GET /console/api/canned` (api/agent.py) hands the same list to
the agents' console script as JSON.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from botdesk import access
from botdesk.actions.audit import Actor
from botdesk.actions.canned_replies import (
    MAX_TEXT,
    create_canned_reply,
    delete_canned_reply,
    update_canned_reply,
)
from botdesk.api.deps import AdminStaff, CsrfToken, CurrentStaff, SessionDep
from botdesk.errors import BotdeskError
from botdesk.web import PLAIN_FORM, page
from botdesk.web.settings import FormDep, field, sentence

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[PLAIN_FORM])
LanguageQuery = Annotated[str | None, Query(max_length=8)]
SAVED = {
    "created": "Canned reply added.",
    "updated": "Canned reply saved.",
    "deleted": "Canned reply deleted.",
}


def _render(
    request: Request,
    session: Session,
    staff: access.StaffContext,
    csrf: str,
    *,
    language: str | None = None,
    status: int = 200,
    saved: str | None = None,
    error: tuple[str, str] | None = None,
    submitted: dict[str, str] | None = None,
) -> Response:
    replies = access.canned_replies_for(session, staff, language)
    order = {lang: i for i, lang in enumerate(staff.tenant.languages)}
    return page(
        request,
        "canned.html",
        status,
        staff=staff,
        tenants=access.staff_tenants(session, staff.user),
        csrf=csrf,
        # The tenant's own language order (its default first), then by shortcut.
        replies=sorted(replies, key=lambda r: (order.get(r.language, 99), r.shortcut)),
        language=language,
        is_admin=staff.role.value == "admin",
        saved=saved,
        error=error,
        submitted=submitted or {},
        max_text=MAX_TEXT,
    )


@router.get("/canned")
def canned_page(
    request: Request,
    staff: CurrentStaff,
    csrf: CsrfToken,
    session: SessionDep,
    language: LanguageQuery = None,
    saved: str | None = None,
) -> Response:
    if language not in staff.tenant.languages:
        language = None
    return _render(request, session, staff, csrf, language=language, saved=SAVED.get(saved or ""))


def _submitted(form: Any) -> dict[str, str]:
    return {name: field(form, name) for name in ("shortcut", "language", "text")}


def _done(staff: access.StaffContext, what: str) -> RedirectResponse:
    return RedirectResponse(f"/console/canned?tenant={staff.tenant.slug}&saved={what}", 303)


@router.post("/canned")
def add_canned_reply(
    request: Request, staff: AdminStaff, csrf: CsrfToken, session: SessionDep, form: FormDep
) -> Response:
    values = _submitted(form)
    try:
        create_canned_reply(
            session, Actor.staff(staff.user.id), access.tenant_for_admin(staff), **values
        )
    except BotdeskError as exc:
        session.rollback()
        error = ("new", sentence(exc.message))
        return _render(
            request, session, staff, csrf, status=exc.status_code, error=error, submitted=values
        )
    return _done(staff, "created")


@router.post("/canned/{reply_id}")
def edit_canned_reply(
    request: Request,
    reply_id: uuid.UUID,
    staff: AdminStaff,
    csrf: CsrfToken,
    session: SessionDep,
    form: FormDep,
) -> Response:
    values = _submitted(form)
    reply = access.canned_reply_for_admin(session, staff, reply_id)
    try:
        update_canned_reply(session, Actor.staff(staff.user.id), reply, **values)
    except BotdeskError as exc:
        session.rollback()
        error = (str(reply_id), sentence(exc.message))
        return _render(
            request, session, staff, csrf, status=exc.status_code, error=error, submitted=values
        )
    return _done(staff, "updated")


@router.post("/canned/{reply_id}/delete")
def remove_canned_reply(reply_id: uuid.UUID, staff: AdminStaff, session: SessionDep) -> Response:
    reply = access.canned_reply_for_admin(session, staff, reply_id)
    delete_canned_reply(session, Actor.staff(staff.user.id), reply)
    return _done(staff, "deleted")

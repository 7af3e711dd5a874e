"""Canned replies in the console: admins write them, agents read them and insert them in chats.

The page is plain HTML forms; `GET /console/api/canned` hands the same list to the agents'
console script as JSON, authenticated by the console's session cookie like the pages.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from botdesk import access
from botdesk.actions.audit import Actor
from botdesk.actions.canned_replies import (
    MAX_TEXT,
    create_canned_reply,
    delete_canned_reply,
    update_canned_reply,
)
from botdesk.api.deps import SessionDep
from botdesk.errors import BotdeskError, Unauthorized
from botdesk.web.console import _error, _page, _signed_in, _staff, csrf_token
from botdesk.web.settings import EXPIRED, FormDep, admin_staff, csrf_ok, field, sentence

router = APIRouter(prefix="/console", include_in_schema=False)
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
    token: str,
    *,
    language: str | None = None,
    status: int = 200,
    saved: str | None = None,
    error: tuple[str, str] | None = None,
    submitted: dict[str, str] | None = None,
) -> Response:
    replies = access.canned_replies_for(session, staff, language)
    order = {lang: i for i, lang in enumerate(staff.tenant.languages)}
    return _page(
        request,
        "canned.html",
        status,
        staff=staff,
        tenants=access.staff_tenants(session, staff.user),
        csrf=csrf_token(token),
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
    session: SessionDep,
    tenant: str | None = None,
    language: LanguageQuery = None,
    saved: str | None = None,
) -> Response:
    found = _staff(request, session, tenant)
    if isinstance(found, Response):
        return found
    staff, token = found
    if language not in staff.tenant.languages:
        language = None
    try:
        return _render(
            request, session, staff, token, language=language, saved=SAVED.get(saved or "")
        )
    except BotdeskError as exc:
        return _error(request, staff.user, exc)


def _submitted(form: Any) -> dict[str, str]:
    return {name: field(form, name) for name in ("shortcut", "language", "text")}


def _done(staff: access.StaffContext, what: str) -> RedirectResponse:
    return RedirectResponse(f"/console/canned?tenant={staff.tenant.slug}&saved={what}", 303)


@router.post("/canned")
def add_canned_reply(
    request: Request, session: SessionDep, form: FormDep, tenant: str | None = None
) -> Response:
    found = admin_staff(request, session, tenant)
    if isinstance(found, Response):
        return found
    staff, token = found
    if not csrf_ok(form, token):
        return _error(request, staff.user, EXPIRED)
    values = _submitted(form)
    try:
        create_canned_reply(
            session, Actor.staff(staff.user.id), access.tenant_for_admin(staff), **values
        )
    except BotdeskError as exc:
        session.rollback()
        error = ("new", sentence(exc.message))
        return _render(
            request, session, staff, token, status=exc.status_code, error=error, submitted=values
        )
    return _done(staff, "created")


@router.post("/canned/{reply_id}")
def edit_canned_reply(
    request: Request,
    reply_id: uuid.UUID,
    session: SessionDep,
    form: FormDep,
    tenant: str | None = None,
) -> Response:
    found = admin_staff(request, session, tenant)
    if isinstance(found, Response):
        return found
    staff, token = found
    if not csrf_ok(form, token):
        return _error(request, staff.user, EXPIRED)
    values = _submitted(form)
    try:
        reply = access.canned_reply_for_admin(session, staff, reply_id)
    except BotdeskError as exc:
        return _error(request, staff.user, exc)
    try:
        update_canned_reply(session, Actor.staff(staff.user.id), reply, **values)
    except BotdeskError as exc:
        session.rollback()
        error = (str(reply_id), sentence(exc.message))
        return _render(
            request, session, staff, token, status=exc.status_code, error=error, submitted=values
        )
    return _done(staff, "updated")


@router.post("/canned/{reply_id}/delete")
def remove_canned_reply(
    request: Request,
    reply_id: uuid.UUID,
    session: SessionDep,
    form: FormDep,
    tenant: str | None = None,
) -> Response:
    found = admin_staff(request, session, tenant)
    if isinstance(found, Response):
        return found
    staff, token = found
    if not csrf_ok(form, token):
        return _error(request, staff.user, EXPIRED)
    try:
        reply = access.canned_reply_for_admin(session, staff, reply_id)
    except BotdeskError as exc:
        return _error(request, staff.user, exc)
    delete_canned_reply(session, Actor.staff(staff.user.id), reply)
    return _done(staff, "deleted")


@router.get("/api/canned")
def canned_replies_json(
    request: Request,
    session: SessionDep,
    tenant: str | None = None,
    language: LanguageQuery = None,
) -> JSONResponse:
    """The tenant's canned replies for the agents' console script (errors as JSON)."""
    signed_in = _signed_in(request, session)
    if signed_in is None:
        raise Unauthorized("sign in to the console first")
    staff = access.staff_context(session, signed_in[0], tenant)
    replies = access.canned_replies_for(session, staff, language)
    body = [
        {"id": str(r.id), "shortcut": r.shortcut, "language": r.language, "text": r.text}
        for r in replies
    ]
    # Staff data: never kept by a browser or proxy cache after sign-out.
    return JSONResponse(body, headers={"Cache-Control": "no-store"})

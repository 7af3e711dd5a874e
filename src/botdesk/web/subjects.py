"""The admin's data-subject requests page: find a person, then export, restrict or erase.

Every step is a POST with the CSRF token, so the email, phone or order number searched for
travels in request bodies only: never in a URL, a browser history or an access log.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from botdesk import access
from botdesk.actions.subjects import (
    erase_subject,
    export_subject,
    find_subject,
    rectify_form,
    restrict_subject,
    scope_for_staff,
    unrestrict_subject,
)
from botdesk.api.deps import AdminStaff, CsrfToken, RuntimeDep, SessionDep
from botdesk.errors import BotdeskError, Invalid, RateLimited
from botdesk.rate_limits import Check, Limit
from botdesk.runtime import Runtime
from botdesk.subjects import SubjectKind
from botdesk.web import PLAIN_FORM, page
from botdesk.web.settings import FormDep, field, sentence

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[PLAIN_FORM])
KIND_NAMES = {
    SubjectKind.EMAIL: "Email",
    SubjectKind.PHONE: "Phone",
    SubjectKind.ORDER_NUMBER: "Order number",
}
ACTIONS = ("find", "export", "restrict", "unrestrict", "erase", "rectify")
DONE = {
    "restrict": "Processing restricted for {n} conversation(s).",
    "unrestrict": "Restriction lifted for {n} conversation(s).",
    "erase": "Erased {n} conversation(s); receipts are in the audit log.",
    "rectify": "Corrected the {field} of conversation {id}.",
}
RECTIFY_FIELDS = {
    "email": "email",
    "order_number": "order number",
    "topic": "topic",
    "message": "message",
}


def _render(
    request: Request,
    tenants: object,
    staff: access.StaffContext,
    csrf: str,
    status: int = 200,
    **extra: Any,
) -> Response:
    context: dict[str, Any] = {
        "kind": SubjectKind.EMAIL.value,
        "value": "",
        "results": None,
        "notice": None,
        "error": None,
    }
    context.update(extra)
    return page(
        request,
        "subjects.html",
        status,
        staff=staff,
        tenants=tenants,
        csrf=csrf,
        kinds=KIND_NAMES,
        **context,
    )


@router.get("/subjects")
def subjects_page(
    request: Request, staff: AdminStaff, csrf: CsrfToken, session: SessionDep
) -> Response:
    return _render(request, access.staff_tenants(session, staff.user), staff, csrf)


@router.post("/subjects")
def subjects_request(
    request: Request,
    staff: AdminStaff,
    csrf: CsrfToken,
    session: SessionDep,
    runtime: RuntimeDep,
    form: FormDep,
) -> Response:
    tenants = access.staff_tenants(session, staff.user)
    # The actions open their own transactions (erasure commits twice per conversation); end
    # ours so SQLite's single writer is free for them.
    session.commit()
    action, value = field(form, "action") or "find", field(form, "value")
    shown = {"kind": field(form, "kind"), "value": value}
    try:
        if action not in ACTIONS:
            raise Invalid("unknown request")
        try:
            kind = SubjectKind(shown["kind"])
        except ValueError:
            raise Invalid("choose email, phone or order number") from None
        if not value.strip():
            raise Invalid("enter what to search for")
        page = _act(runtime, staff, action, kind, value, form)
    except BotdeskError as exc:
        error = sentence(exc.message)
        refused = _render(request, tenants, staff, csrf, exc.status_code, error=error, **shown)
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    if isinstance(page, Response):
        return page
    return _render(request, tenants, staff, csrf, kind=kind.value, value=value, **page)


def _act(
    runtime: Runtime,
    staff: access.StaffContext,
    action: str,
    kind: SubjectKind,
    value: str,
    form: Any,
) -> Response | dict[str, Any]:
    """Carry out one request: the export as a download, or what the page shows next."""
    scope = scope_for_staff(staff)
    notice = None
    if action == "export":
        runtime.limits.take(Check(Limit.EXPORTS_PER_STAFF, str(staff.user.id)))
        bundle = export_subject(runtime, scope, kind, value)
        return Response(
            json.dumps(bundle, ensure_ascii=False, indent=2),
            media_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="subject-export.json"',
                "Cache-Control": "no-store",
            },
        )
    if action == "rectify":
        name = field(form, "field")
        try:
            conversation_id = uuid.UUID(field(form, "conversation_id"))
        except ValueError:
            raise Invalid("choose a conversation to correct") from None
        if name not in RECTIFY_FIELDS:
            raise Invalid("choose the field to correct")
        rectify_form(runtime, scope, conversation_id, name, field(form, "new_value"))
        notice = DONE[action].format(field=RECTIFY_FIELDS[name], id=str(conversation_id)[:8])
    elif action == "erase":
        if form.get("confirm") != "yes":
            raise Invalid("tick the box to confirm the erasure; it cannot be undone")
        notice = DONE[action].format(n=len(erase_subject(runtime, scope, kind, value)))
    elif action in ("restrict", "unrestrict"):
        change = restrict_subject if action == "restrict" else unrestrict_subject
        notice = DONE[action].format(n=len(change(runtime, scope, kind, value)))
    return {"results": find_subject(runtime, scope, kind, value), "notice": notice}

"""The staff member's own account page: two-factor sign-in and password.

Reachable by anyone signed in, whatever their tenants require: it deliberately does not go
through `access.staff_context` (`SignedInStaff`, not `CurrentStaff`), since this is where
someone blocked by a tenant's two-factor rule goes to set it up. Every form is checked for the
session's CSRF token by that dependency; every change is an audited action. The page may show a
TOTP secret, so it is never cached.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from botdesk import two_factor
from botdesk.actions.lockout import Refused
from botdesk.actions.two_factor import (
    confirm_totp,
    disable_totp,
    pending_secret,
    start_totp_setup,
    tenants_requiring_totp,
)
from botdesk.actions.users import change_password
from botdesk.api.deps import RuntimeDep, SessionDep, SignedInStaff, StaffSession
from botdesk.errors import BotdeskError
from botdesk.passwords import MIN_PASSWORD_CHARS
from botdesk.runtime import Runtime
from botdesk.web import PLAIN_FORM, page

router = APIRouter(prefix="/console/account", include_in_schema=False, dependencies=[PLAIN_FORM])

DONE = {
    "totp-on": "Two-factor sign-in is on. You will be asked for a code each time you sign in.",
    "totp-off": "Two-factor sign-in is off.",
    "password": "Password changed. Your other signed-in sessions were ended.",
}


def _render(
    request: Request,
    runtime: Runtime,
    session: Session,
    signed_in: StaffSession,
    *,
    status: int = 200,
    section: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    user = signed_in.user
    secret = pending_secret(runtime.keyring, user)
    uri = two_factor.provisioning_uri(secret, user.email) if secret else None
    response = page(
        request,
        "account.html",
        status,
        user=user,
        csrf=signed_in.csrf,
        required_by=[t.name for t in tenants_requiring_totp(session, user)],
        secret=two_factor.grouped(secret) if secret else None,
        uri=uri,
        qr=two_factor.qr_svg(uri) if uri else None,
        done=DONE.get(request.query_params.get("done", "")),
        section=section,
        error=error,
        min_password=MIN_PASSWORD_CHARS,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _done(what: str) -> RedirectResponse:
    return RedirectResponse(f"/console/account?done={what}", status_code=303)


@router.get("")
def account(
    request: Request, signed_in: SignedInStaff, runtime: RuntimeDep, session: SessionDep
) -> Response:
    return _render(request, runtime, session, signed_in)


@router.post("/totp/setup")
def totp_setup(
    request: Request,
    signed_in: SignedInStaff,
    runtime: RuntimeDep,
    session: SessionDep,
) -> Response:
    user = signed_in.user
    try:
        start_totp_setup(session, runtime.keyring, user)
    except BotdeskError as exc:
        return _failed(request, runtime, session, signed_in, "totp", _refusal(exc))
    return RedirectResponse("/console/account#totp", status_code=303)


@router.post("/totp/confirm")
def totp_confirm(
    request: Request,
    signed_in: SignedInStaff,
    runtime: RuntimeDep,
    session: SessionDep,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    user = signed_in.user
    try:
        refused = confirm_totp(session, runtime.keyring, user, code)
    except BotdeskError as exc:
        refused = _refusal(exc)
    if refused is not None:
        return _failed(request, runtime, session, signed_in, "totp", refused)
    return _done("totp-on")


@router.post("/totp/disable")
def totp_disable(
    request: Request,
    signed_in: SignedInStaff,
    runtime: RuntimeDep,
    session: SessionDep,
    code: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    user = signed_in.user
    try:
        refused = disable_totp(session, runtime.keyring, user, code=code, password=password)
    except BotdeskError as exc:
        refused = _refusal(exc)
    if refused is not None:
        return _failed(request, runtime, session, signed_in, "totp", refused)
    return _done("totp-off")


@router.post("/password")
def password(
    request: Request,
    signed_in: SignedInStaff,
    runtime: RuntimeDep,
    session: SessionDep,
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
    repeat: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    user = signed_in.user
    if new != repeat:
        refused: Refused | None = Refused("The two new passwords are not the same.", 422)
    else:
        try:
            refused = change_password(
                session, user, current_token=signed_in.token, current=current, new=new
            )
        except BotdeskError as exc:
            refused = _refusal(exc)
    if refused is not None:
        return _failed(request, runtime, session, signed_in, "password", refused)
    return _done("password")


def _refusal(exc: BotdeskError) -> Refused:
    # Domain messages are written as clauses ("a password needs …"); the page shows sentences.
    return Refused(exc.message[:1].upper() + exc.message[1:].rstrip(".") + ".", exc.status_code)


def _failed(
    request: Request,
    runtime: Runtime,
    session: Session,
    signed_in: StaffSession,
    section: str,
    refused: Refused,
) -> HTMLResponse:
    response = _render(
        request,
        runtime,
        session,
        signed_in,
        status=refused.status,
        section=section,
        error=refused.message,
    )
    if refused.retry_after is not None:
        response.headers["Retry-After"] = str(int(refused.retry_after.total_seconds()) + 1)
    return response

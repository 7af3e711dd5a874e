"""The staff member's own account page: two-factor sign-in and password.

Reachable by anyone signed in, whatever their tenants require: it deliberately does not go
through `access.staff_context`, since this is where someone blocked by a tenant's two-factor
rule goes to set it up. Every form checks the session's CSRF token; every change is an audited
action. The page may show a TOTP secret, so it is never cached.
"""

from __future__ import annotations

import hmac
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
from botdesk.api.deps import RuntimeDep, SessionDep
from botdesk.errors import BotdeskError
from botdesk.models import User
from botdesk.passwords import MIN_PASSWORD_CHARS
from botdesk.runtime import Runtime
from botdesk.web.console import _page, _signed_in, _to_login, csrf_token

router = APIRouter(prefix="/console/account", include_in_schema=False)

DONE = {
    "totp-on": "Two-factor sign-in is on. You will be asked for a code each time you sign in.",
    "totp-off": "Two-factor sign-in is off.",
    "password": "Password changed. Your other signed-in sessions were ended.",
}
EXPIRED = "This form has expired; reload the page and try again."


def _render(
    request: Request,
    runtime: Runtime,
    session: Session,
    user: User,
    token: str,
    *,
    status: int = 200,
    section: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    secret = pending_secret(runtime.keyring, user)
    uri = two_factor.provisioning_uri(secret, user.email) if secret else None
    response = _page(
        request,
        "account.html",
        status,
        user=user,
        csrf=csrf_token(token),
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


def _signed_in_with_csrf(
    request: Request, session: Session, csrf: str
) -> tuple[User, str] | Response:
    """The signed-in user and session token, or the response to send instead."""
    signed_in = _signed_in(request, session)
    if signed_in is None:
        return _to_login()
    user, token = signed_in
    if not hmac.compare_digest(csrf, csrf_token(token)):
        return _page(request, "error.html", 403, user=user, message=EXPIRED)
    return user, token


def _done(what: str) -> RedirectResponse:
    return RedirectResponse(f"/console/account?done={what}", status_code=303)


@router.get("")
def account(request: Request, runtime: RuntimeDep, session: SessionDep) -> Response:
    signed_in = _signed_in(request, session)
    if signed_in is None:
        return _to_login()
    return _render(request, runtime, session, *signed_in)


@router.post("/totp/setup")
def totp_setup(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    found = _signed_in_with_csrf(request, session, csrf)
    if isinstance(found, Response):
        return found
    user, token = found
    try:
        start_totp_setup(session, runtime.keyring, user)
    except BotdeskError as exc:
        return _failed(request, runtime, session, user, token, "totp", _refusal(exc))
    return RedirectResponse("/console/account#totp", status_code=303)


@router.post("/totp/confirm")
def totp_confirm(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=128)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    found = _signed_in_with_csrf(request, session, csrf)
    if isinstance(found, Response):
        return found
    user, token = found
    try:
        refused = confirm_totp(session, runtime.keyring, user, code)
    except BotdeskError as exc:
        refused = _refusal(exc)
    if refused is not None:
        return _failed(request, runtime, session, user, token, "totp", refused)
    return _done("totp-on")


@router.post("/totp/disable")
def totp_disable(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=128)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    found = _signed_in_with_csrf(request, session, csrf)
    if isinstance(found, Response):
        return found
    user, token = found
    try:
        refused = disable_totp(session, runtime.keyring, user, code=code, password=password)
    except BotdeskError as exc:
        refused = _refusal(exc)
    if refused is not None:
        return _failed(request, runtime, session, user, token, "totp", refused)
    return _done("totp-off")


@router.post("/password")
def password(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=128)] = "",
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
    repeat: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    found = _signed_in_with_csrf(request, session, csrf)
    if isinstance(found, Response):
        return found
    user, token = found
    if new != repeat:
        refused: Refused | None = Refused("The two new passwords are not the same.", 422)
    else:
        try:
            refused = change_password(session, user, current_token=token, current=current, new=new)
        except BotdeskError as exc:
            refused = _refusal(exc)
    if refused is not None:
        return _failed(request, runtime, session, user, token, "password", refused)
    return _done("password")


def _refusal(exc: BotdeskError) -> Refused:
    # Domain messages are written as clauses ("a password needs …"); the page shows sentences.
    return Refused(exc.message[:1].upper() + exc.message[1:].rstrip(".") + ".", exc.status_code)


def _failed(
    request: Request,
    runtime: Runtime,
    session: Session,
    user: User,
    token: str,
    section: str,
    refused: Refused,
) -> HTMLResponse:
    response = _render(
        request,
        runtime,
        session,
        user,
        token,
        status=refused.status,
        section=section,
        error=refused.message,
    )
    if refused.retry_after is not None:
        response.headers["Retry-After"] = str(int(refused.retry_after.total_seconds()) + 1)
    return response

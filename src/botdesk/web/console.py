"""The staff console: sign-in, a tenant's conversations, transcripts (each read audited).

Console sessions are server-side rows; the cookie holds a random token whose SHA-256 is stored.
Forms are protected from cross-site posts by SameSite=Strict cookies plus a per-session CSRF
token (an HMAC of the session token, so nothing extra is stored). Who is signed in, and the
CSRF check, are the shared dependencies in api/deps.py; this module starts and ends sessions.

Sign-in is two steps when the account has TOTP on: the password step sets only a pending cookie
(path /console/login, 5 minutes) that the code step exchanges for the session cookie; see
actions/users.py. Failed attempts count per account (database) and per client address
(rate_limits.py, shared through Redis); a throttled address gets 429 before any password is checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from botdesk import access
from botdesk.actions.conversations import read_transcript
from botdesk.actions.lockout import Refused
from botdesk.actions.transcripts import shop_origin, stamp
from botdesk.actions.users import (
    SECOND_FACTOR_TIME,
    SignedIn,
    complete_sign_in,
    session_user,
    sign_in,
    sign_out,
)
from botdesk.api.deps import (
    COOKIE,
    EXPIRED,
    CsrfToken,
    CurrentStaff,
    RuntimeDep,
    SessionDep,
    csrf_token,
)
from botdesk.errors import Forbidden, RateLimited
from botdesk.models import ConversationStatus
from botdesk.rate_limits import Check, Limit
from botdesk.runtime import Runtime
from botdesk.web import PLAIN_FORM
from botdesk.web import page as _page

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[PLAIN_FORM])
PENDING_COOKIE = "botdesk_sign_in"  # the pending second-factor step
LOGIN_COOKIE = "botdesk_login"  # the sign-in form's own CSRF secret (no session yet)
LOGIN_FORM_SECONDS = 12 * 3600
_LOGIN_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")


def _to_login() -> RedirectResponse:
    return RedirectResponse("/console/login", status_code=303)


@router.get("/login")
def login_form(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return _form(request, runtime, "login.html")


def _form(
    request: Request, runtime: Runtime, template: str, status: int = 200, **context: object
) -> HTMLResponse:
    """A sign-in page; the password form carries its login-CSRF token (see `_login_csrf`)."""
    if template != "login.html":
        return _page(request, template, status, **context)
    secret = request.cookies.get(LOGIN_COOKIE, "")
    fresh = not _LOGIN_SECRET.fullmatch(secret)
    if fresh:
        secret = secrets.token_urlsafe(32)
    response = _page(request, template, status, csrf=_login_csrf(secret), **context)
    if fresh:
        response.set_cookie(
            LOGIN_COOKIE,
            secret,
            max_age=LOGIN_FORM_SECONDS,
            path="/console/login",
            httponly=True,
            samesite="strict",
            secure=runtime.settings.secure_cookies,
        )
    return response


def _login_csrf(secret: str) -> str:
    # Login CSRF: without this, another site could post its own credentials to our form and
    # sign the victim's browser into the attacker's account. The form's token is an HMAC of a
    # random cookie that only our own page set (SameSite=Strict, so a cross-site post lacks it).
    return hmac.new(secret.encode(), b"botdesk/login-csrf/v1", hashlib.sha256).hexdigest()


def _login_form_valid(request: Request, sent: str) -> bool:
    secret = request.cookies.get(LOGIN_COOKIE, "")
    return bool(_LOGIN_SECRET.fullmatch(secret)) and hmac.compare_digest(
        sent.encode(), _login_csrf(secret).encode()
    )


def _throttled(request: Request, runtime: Runtime, template: str) -> HTMLResponse | None:
    """The 429 page when this client address has failed too often recently, else None."""
    try:
        runtime.limits.refuse_if_spent(_sign_in_failures(request, runtime))
    except RateLimited as refused:
        wait = refused.retry_after or 60
    else:
        return None
    minutes = math.ceil(wait / 60)
    error = f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    response = _form(request, runtime, template, 429, error=error)
    response.headers["Retry-After"] = str(wait)
    return response


def _refused(
    request: Request,
    runtime: Runtime,
    template: str,
    refused: Refused,
    *,
    count: bool = True,
    email: str = "",
) -> HTMLResponse:
    if count:
        runtime.limits.count(_sign_in_failures(request, runtime))
    response = _form(request, runtime, template, refused.status, error=refused.message, email=email)
    if refused.retry_after is not None:
        response.headers["Retry-After"] = str(int(refused.retry_after.total_seconds()) + 1)
    return response


def _sign_in_failures(request: Request, runtime: Runtime) -> Check:
    # Only failures count, so an office of agents behind one address is not slowed down by
    # its own sign-ins; the per-account lock (actions/lockout.py) stops guessing one account.
    address = runtime.limits.address(runtime.clients.of(request))
    return Check(Limit.SIGN_IN_FAILURES_PER_ADDRESS, address)


def _session_started(runtime: Runtime, signed_in: SignedIn) -> RedirectResponse:
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        COOKIE,
        signed_in.token,
        max_age=runtime.settings.staff_session_hours * 3600,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=runtime.settings.secure_cookies,
    )
    response.delete_cookie(PENDING_COOKIE, path="/console/login")
    return response


@router.post("/login")
def login(
    request: Request,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if not _login_form_valid(request, csrf):
        error = "This sign-in form has expired. Please sign in again."
        return _form(request, runtime, "login.html", 403, error=error, email=email)
    if not email.strip() or not password:
        error = "Enter your email and password."
        return _form(request, runtime, "login.html", 422, error=error, email=email)
    if (throttled := _throttled(request, runtime, "login.html")) is not None:
        return throttled
    lifetime = dt.timedelta(hours=runtime.settings.staff_session_hours)
    with runtime.db.session() as session:
        result = sign_in(session, email=email, password=password, lifetime=lifetime)
    if isinstance(result, Refused):
        return _refused(request, runtime, "login.html", result, email=email)
    if isinstance(result, SignedIn):
        return _session_started(runtime, result)
    response = RedirectResponse("/console/login/code", status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        result.token,
        max_age=int(SECOND_FACTOR_TIME.total_seconds()),
        path="/console/login",
        httponly=True,
        samesite="strict",
        secure=runtime.settings.secure_cookies,
    )
    return response


@router.get("/login/code")
def login_code_form(request: Request) -> Response:
    if not request.cookies.get(PENDING_COOKIE):
        return _to_login()
    return _page(request, "login_code.html")


@router.post("/login/code")
def login_code(
    request: Request, runtime: RuntimeDep, code: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    # No CSRF token: the pending cookie is SameSite=Strict, and it opens nothing but this form.
    pending = request.cookies.get(PENDING_COOKIE)
    if not pending:
        return _to_login()
    if (throttled := _throttled(request, runtime, "login_code.html")) is not None:
        return throttled
    lifetime = dt.timedelta(hours=runtime.settings.staff_session_hours)
    with runtime.db.session() as session:
        result = complete_sign_in(
            session, runtime.keyring, pending=pending, code=code, lifetime=lifetime
        )
    if isinstance(result, SignedIn):
        return _session_started(runtime, result)
    if not result.start_over:
        return _refused(request, runtime, "login_code.html", result)
    # Expired or locked: the pending step is gone, so start again from the password. Running
    # out of time is no guess, so only a lock counts against the address.
    response = _refused(
        request, runtime, "login.html", result, count=result.retry_after is not None
    )
    response.delete_cookie(PENDING_COOKIE, path="/console/login")
    return response


@router.post("/logout")
def logout(
    request: Request, runtime: RuntimeDep, csrf: Annotated[str, Form(max_length=128)] = ""
) -> Response:
    # Not the shared staff dependencies: an ended or expired session still clears its cookie.
    # But a live session ends only with its own CSRF token, and without it nothing changes:
    # clearing the cookie while the session stayed valid on the server would look like a
    # sign-out to the person at the keyboard and be none.
    token = request.cookies.get(COOKIE)
    if token:
        with runtime.db.session() as session:
            if session_user(session, token) is not None:
                if not hmac.compare_digest(csrf.encode(), csrf_token(token).encode()):
                    raise Forbidden(EXPIRED)
                sign_out(session, token)
    response = _to_login()
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("")
def home(request: Request, staff: CurrentStaff, csrf: CsrfToken, session: SessionDep) -> Response:
    counts = access.status_counts(session, staff)
    can_read = staff.role in access.TRANSCRIPT_ROLES
    return _page(
        request,
        "console.html",
        staff=staff,
        tenants=access.staff_tenants(session, staff.user),
        counts=[(status, counts.get(status, 0)) for status in ConversationStatus],
        can_read=can_read,
        shop=shop_origin(staff.tenant) or "",
        csrf=csrf,
    )


@router.get("/conversations/{conversation_id}")
def transcript(
    request: Request,
    conversation_id: uuid.UUID,
    staff: CurrentStaff,
    csrf: CsrfToken,
    runtime: RuntimeDep,
    session: SessionDep,
) -> Response:
    conversation, messages = read_transcript(runtime, session, staff, conversation_id)
    zone = access.handover_policy(staff.tenant).hours.zone
    return _page(
        request,
        "transcript.html",
        staff=staff,
        conversation=conversation,
        messages=messages,
        csrf=csrf,
        shop=shop_origin(staff.tenant),
        zone=zone,
        # Full dates in the shop's zone, as in the transcript the shopper can have mailed.
        when=lambda moment: stamp(moment, zone, "en"),
        outcome=OUTCOME_LABELS.get(conversation.outcome or "", conversation.outcome),
    )


OUTCOME_LABELS = {
    "resolved": "Resolved",
    "unresolved": "Not resolved",
    "follow_up": "Needs follow-up",
    "spam": "Spam",
}

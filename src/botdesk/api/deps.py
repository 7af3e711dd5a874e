"""FastAPI dependencies as Annotated aliases, so routes read like their signatures.

Staff (console pages and the agents' JSON API) come in through one chain: `SignedInStaff` (a
live console session, from the cookie), which also checks the session's CSRF token on every
request that can change something; `CurrentStaff` (that person within one tenant, as
`access.StaffContext`); `AdminStaff` (the tenant's admins only). A missing session raises
`SignedOut`, which api/errors.py turns into the sign-in redirect for pages and a 401 for JSON.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPBearer
from sqlalchemy.orm import Session

from botdesk import access
from botdesk.actions.users import session_user
from botdesk.errors import Forbidden, SignedOut, Unauthorized
from botdesk.models import User
from botdesk.runtime import Runtime

# The console session cookie (path /console, SameSite=Strict, HttpOnly); set by web/console.py.
COOKIE = "botdesk_console"
CSRF_HEADER = "X-CSRF-Token"  # the agents' JSON API; forms send a `csrf` field instead
EXPIRED = "this form has expired; reload the page and try again"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

# How each route authenticates, for the OpenAPI document (and the API docs' Authorize button).
# auto_error is off: these declare and never refuse; the checks are the dependencies below,
# which read the same header and cookie themselves.
VISITOR_TOKEN = HTTPBearer(
    scheme_name="visitorToken",
    description="The conversation's visitor token, as returned when it was started: "
    "it opens that one conversation and nothing else.",
    auto_error=False,
)
STAFF_SESSION = APIKeyCookie(
    name=COOKIE,
    scheme_name="staffSession",
    description="A console session (sign in at /console/login). Requests that change "
    f"something also send the session's CSRF token in {CSRF_HEADER}.",
    auto_error=False,
)
CSRF = APIKeyHeader(
    name=CSRF_HEADER,
    scheme_name="csrfToken",
    description="The console session's CSRF token (shown in every console page's forms).",
    auto_error=False,
)
# A route anyone may call says so in the document: `security: []` (no declaration means unsure).
PUBLIC: dict[str, Any] = {"security": []}


# Plain dependencies are async: FastAPI runs a sync one in the thread pool, a hop per request.
async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _session(runtime: Annotated[Runtime, Depends(_runtime)]) -> Iterator[Session]:
    with runtime.db.session() as session:
        yield session


async def _visitor_token(
    _declared: Annotated[object, Security(VISITOR_TOKEN)],
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the conversation's visitor token as 'Authorization: Bearer …'")
    return token.strip()


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
# scope="function": the unit of work commits before the response goes out, never after.
SessionDep = Annotated[Session, Depends(_session, scope="function")]
VisitorToken = Annotated[str, Depends(_visitor_token)]


def csrf_token(session_token: str) -> str:
    """The session's CSRF token: an HMAC of the session token, so nothing extra is stored."""
    return hmac.new(session_token.encode(), b"botdesk/csrf/v1", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class StaffSession:
    """A live console session: who is signed in, and the token their cookie holds."""

    user: User
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def signed_in(session: Session, token: str | None) -> StaffSession:
    """The live console session the cookie's token opens; SignedOut otherwise."""
    user = session_user(session, token) if token else None
    if user is None or token is None:
        raise SignedOut("sign in to the console first")
    return StaffSession(user, token)


def _signed_in(
    request: Request, session: SessionDep, _declared: Annotated[object, Security(STAFF_SESSION)]
) -> StaffSession:
    return signed_in(session, request.cookies.get(COOKIE))


@dataclass(frozen=True)
class StaffRequest:
    """What a hot staff route needs of its request to sign the staff member in itself.

    The agent's reply runs its whole request in one hop to the worker threads and one unit of
    work (see api/agent.py): `staff_in` below is the dependency chain's checks, in order, for a
    session the route opens itself.
    """

    token: str | None
    csrf: str | None
    tenant: str | None


def staff_in(session: Session, request: StaffRequest) -> access.StaffContext:
    """Signed in, the CSRF token checked, a role in the tenant: as `CurrentStaff` on a POST."""
    found = signed_in(session, request.token)
    if not _same(request.csrf or "", found.csrf):
        raise Forbidden(EXPIRED)
    return access.staff_context(session, found.user, request.tenant)


async def _staff_request(
    request: Request,
    _declared: Annotated[object, Security(STAFF_SESSION)],
    tenant: str | None = None,
) -> StaffRequest:
    return StaffRequest(request.cookies.get(COOKIE), request.headers.get(CSRF_HEADER), tenant)


# For routes that sign in through `staff_in` in their own unit of work (JSON API only).
StaffRequestDep = Annotated[StaffRequest, Depends(_staff_request)]


async def _csrf_checked(
    request: Request, signed_in: Annotated[StaffSession, Depends(_signed_in)]
) -> StaffSession:
    # Every state-changing request carries the token, as a header (JSON API) or a form field.
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(_FORMS):
            field = (await request.form()).get("csrf")  # parsed once; routes reuse it
            sent = field if isinstance(field, str) else None
        if not _same(sent or "", signed_in.csrf):
            raise Forbidden(EXPIRED)
    return signed_in


SignedInStaff = Annotated[StaffSession, Depends(_csrf_checked)]


def _csrf(signed_in: SignedInStaff) -> str:
    return signed_in.csrf


# The token a page puts in its forms.
CsrfToken = Annotated[str, Depends(_csrf)]


def _current_staff(
    session: SessionDep, signed_in: SignedInStaff, tenant: str | None = None
) -> access.StaffContext:
    # Enforces the tenant's two-factor rule too (see access.staff_context).
    return access.staff_context(session, signed_in.user, tenant)


CurrentStaff = Annotated[access.StaffContext, Depends(_current_staff)]


def _admin_staff(staff: CurrentStaff) -> access.StaffContext:
    access.tenant_for_admin(staff)
    return staff


AdminStaff = Annotated[access.StaffContext, Depends(_admin_staff)]


def declare_csrf(document: dict[str, Any]) -> dict[str, Any]:
    """Staff writes need the session and its CSRF token together, which OpenAPI says as one
    requirement naming both (FastAPI lists each security dependency as an alternative)."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            requirements = operation.get("security", [])
            if method.upper() not in _SAFE_METHODS and {"staffSession": []} in requirements:
                requirements.remove({"staffSession": []})
                requirements.append({"staffSession": [], "csrfToken": []})
                schemes = document["components"].setdefault("securitySchemes", {})
                schemes["csrfToken"] = CSRF.model.model_dump(
                    mode="json", by_alias=True, exclude_none=True
                )
    return document


def _same(sent: str, expected: str) -> bool:
    """Constant-time comparison of a token as sent (any text, even non-ASCII) with ours."""
    return hmac.compare_digest(
        sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )

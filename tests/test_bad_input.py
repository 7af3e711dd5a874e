"""Bad input on every route (#13): a clear 4xx in the documented shape, never a 500.

The routes come from the served app's router (tests/test_route_isolation.py's walker), so a new
route is attacked the day it is added. Each is called as someone it lets in (acme's shopper for
the visitor API, a throwaway acme admin for the console), so the bad input reaches the code that
reads it instead of bouncing off authentication, with:

- text that is no text: a lone surrogate (the JSON escape \\ud800), a NUL byte, invalid UTF-8,
  in every string of a valid body, in every query parameter and in every path parameter;
- numbers no one means: 1e400, 10**400, -1, NaN and Infinity, in every value of a JSON body;
- ids and slugs that name nothing: unknown UUIDs, malformed ones, very long ones;
- bodies over BOTDESK_MAX_REQUEST_BYTES, with a Content-Length and chunked without one;
- the wrong content type (text, XML, a form to a JSON route, JSON to a form, a file upload).

JSON routes answer {"error": {"code", "message"}}; console pages may answer their HTML error
page, or the sign-in redirect. A probe whose input the route must read (a string of its body,
a required body of the wrong type, a path id) must be refused; any other (an ignored query
parameter, a body a bodiless route never reads) may be served, but never a 5xx.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from botdesk.actions.audit import Actor
from botdesk.actions.users import create_user
from botdesk.api.errors import is_console_page
from botdesk.models import Role, User
from botdesk.runtime import Runtime
from tests.app_log import app_log, assert_clean
from tests.conftest import PASSWORD, LiveServer, Personas, VisitorChat, start_chat
from tests.test_route_isolation import (
    BODIES,
    PUBLIC,
    WS,
    Caller,
    Endpoint,
    endpoints,
    fill,
    sign_in,
)

# Stand-ins spliced into a body's JSON text (or form fields), where a valid value was.
SURROGATE = '"x\\ud800y"'
NUL_JSON = '"x\\u0000y"'
NUMBERS = {"1e400": "1e400", "10**400": "1" + "0" * 400, "-1": "-1", "NaN": "NaN"}
NUMBERS["Infinity"] = "Infinity"
# As a URL spells them: a surrogate's UTF-8-style bytes, and bytes that are no UTF-8 at all.
BAD_QUERY = {"NUL": "x%00y", "lone surrogate": "x%ED%A0%80y", "invalid UTF-8": "x%FF%FEy"}
BAD_IDS = {
    "unknown": str(uuid.uuid4()),
    "malformed": "not-an-id",
    "long": "9" * 5000,
    "NUL": "ab%00cd",
    "traversal": "..%2F..%2Fetc",
}
# Fields the walker leaves alone: changing them would test the CSRF check, not the input.
KEEP = {"csrf"}
# Routes with an error shape of their own: the stand-in merchant order API (its API's shape),
# and the demo shop's help pages, which answer a missing page with a page (404) listing them.
OWN_SHAPE = {
    ("GET", "/demo-merchant/{slug}/orders/{number}"),
    ("GET", "/help/{language}"),
    ("GET", "/help/{language}/{slug}"),
}
SIGN_IN = "/console/login"
PHONE, EMAIL = "+358 40 123 4567", "pia.virtanen@example.fi"  # a shopper's, in the chat


@dataclass
class Probe:
    what: str
    request: dict[str, Any] = field(default_factory=dict)
    path: dict[str, str] = field(default_factory=dict)
    query: str = ""  # already percent-encoded
    must_refuse: bool = True
    # On a connection of its own: a server may close one whose body it did not read, and the
    # client's next request on it would then fail for a reason that is not that request's.
    alone: bool = False


def _placeholders(value: Any, found: list[Any]) -> Any:
    """The JSON value with every leaf replaced by a numbered marker (found[i] is leaf i)."""
    if isinstance(value, dict):
        return {k: _placeholders(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, found) for v in value]
    found.append(value)
    return f"@@LEAF{len(found) - 1}@@"


def json_probes(body: dict[str, Any]) -> Iterator[Probe]:
    """Each leaf of a valid JSON body, one at a time, as bad text and as bad numbers."""
    leaves: list[Any] = []
    template = json.dumps(_placeholders(body, leaves))
    headers = {"Content-Type": "application/json"}
    for i, leaf in enumerate(leaves):
        marker = f'"@@LEAF{i}@@"'

        def spliced(raw: str, marker: str = marker) -> str:
            text = template.replace(marker, raw)
            return re.sub(r'"@@LEAF(\d+)@@"', lambda m: json.dumps(leaves[int(m[1])]), text)

        texts = {"lone surrogate": SURROGATE, "NUL": NUL_JSON}
        for name, raw in texts.items():
            yield Probe(f"{name} in leaf {i}", {"content": spliced(raw), "headers": headers})
        invalid = spliced('"x@@FF@@y"').encode().replace(b"@@FF@@", b"\xff\xfe")
        yield Probe(f"invalid UTF-8 in leaf {i}", {"content": invalid, "headers": headers})
        for name, raw in NUMBERS.items():
            # -1 is a fine value for a string field the route may take as it is.
            strict = not (name == "-1" and isinstance(leaf, str))
            yield Probe(
                f"{name} in leaf {i}",
                {"content": spliced(raw), "headers": headers},
                must_refuse=strict,
            )


def form_probes(fields: dict[str, str]) -> Iterator[Probe]:
    for name in fields:
        if name in KEEP:
            continue
        yield Probe(f"NUL in form field {name}", {"data": fields | {name: "x\x00y"}})
        # Browsers never send these; the form parser replaces them, so they may be taken as text.
        raw = "&".join(f"{k}={'%FF%FE' if k == name else v}" for k, v in fields.items()).encode()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        yield Probe(
            f"invalid UTF-8 in form field {name}",
            {"content": raw.replace(b"%FF%FE", b"\xff\xfe"), "headers": form},
            must_refuse=False,
        )


def query_probes(route: Any) -> Iterator[Probe]:
    names = _query_names(route.dependant) | {"tenant"}
    for name in sorted(names):
        for what, bad in (BAD_QUERY | NUMBERS).items():
            # An unused parameter is ignored, and ignoring it is a fine answer.
            yield Probe(f"{what} in ?{name}", query=f"{name}={bad}", must_refuse=False)


def _query_names(dependant: Any) -> set[str]:
    """The query parameters a route reads, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def wrong_types(body: dict[str, Any], reads_body: bool) -> Iterator[Probe]:
    payload = json.dumps(body.get("json") or body.get("data") or {"text": "hello"})
    kinds = {
        "text/plain": payload,
        "application/xml": "<text>hello</text>",
        "application/x-www-form-urlencoded": "text=hello",
        "application/json": payload if "data" in body else None,
    }
    for kind, content in kinds.items():
        if content is not None:
            headers = {"Content-Type": kind}
            yield Probe(
                f"{kind} body", {"content": content, "headers": headers}, must_refuse=reads_body
            )
    upload = {"files": {"text": ("x.json", payload, "application/json")}}
    yield Probe("a file upload", upload, must_refuse=reads_body)


def huge(limit: int, kind: str | None) -> Iterator[Probe]:
    big = b"x" * (limit + 1)
    yield Probe("a body over the limit", {"content": big}, alone=True)

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 4096 + 2):
            yield b"y" * 4096

    # A route reads a body of the type it takes (a form parser skips a body of no form type).
    headers = {"Content-Type": kind} if kind else {}
    chunked = {"content": chunks(), "headers": headers}
    yield Probe("a chunked body over the limit", chunked, must_refuse=kind is not None, alone=True)


def path_probes(endpoint: Endpoint) -> Iterator[Probe]:
    for name in endpoint.params:
        for what, bad in BAD_IDS.items():
            yield Probe(f"{what} {name}", path={name: bad})
    if endpoint.mount:
        yield Probe("NUL in a file name", path={"__file__": "fav%00icon.svg"})


@dataclass
class Attack:
    api: httpx.Client
    values: dict[str, str]
    shopper: Caller
    admin: Caller
    limit: int
    failures: list[str] = field(default_factory=list)
    sent: int = 0

    def caller(self, endpoint: Endpoint) -> Caller:
        if endpoint.visitor:
            return self.shopper
        if endpoint.path.startswith("/console") and endpoint.key not in PUBLIC:
            return self.admin
        return Caller("anyone")

    def send(self, endpoint: Endpoint, probe: Probe) -> None:
        caller = self.caller(endpoint)
        path_values = self.values | {k: v for k, v in probe.path.items() if k != "__file__"}
        url = fill(endpoint, path_values)
        if "__file__" in probe.path:
            url = url.rsplit("/", 1)[0] + "/" + probe.path["__file__"]
        request = dict(probe.request)
        headers = caller.headers() | request.pop("headers", {})
        query = [probe.query] if probe.query else []
        if caller is self.admin and not probe.query.startswith("tenant="):
            query.append("tenant=acme")
        if query:
            url += "?" + "&".join(query)
        self.sent += 1
        try:
            if probe.alone:
                with httpx.Client(base_url=self.api.base_url, timeout=10) as client:
                    response = client.request(endpoint.method, url, headers=headers, **request)
            else:
                response = self.api.request(endpoint.method, url, headers=headers, **request)
        except httpx.HTTPError as exc:  # the server hung up: worse than any status
            self.failures.append(f"{endpoint} with {probe.what}: {type(exc).__name__}")
            return
        self.judge(endpoint, probe, response)

    def judge(self, endpoint: Endpoint, probe: Probe, response: httpx.Response) -> None:
        status, where = response.status_code, f"{endpoint} with {probe.what}"
        if status >= 500:
            self.failures.append(f"{where}: {status} {response.text[:200]!r}")
            return
        if status < 400:
            redirect = response.headers.get("location", "")
            if probe.must_refuse and not redirect.startswith(SIGN_IN):
                self.failures.append(f"{where}: accepted ({status} {response.text[:120]!r})")
            return
        if endpoint.key in OWN_SHAPE:
            return
        if is_console_page(response.request) and "text/html" in response.headers.get(
            "content-type", ""
        ):
            return  # the console's error page (web/templates/error.html and the forms)
        try:
            error = response.json()["error"]
            assert isinstance(error["code"], str) and isinstance(error["message"], str)
        except (ValueError, KeyError, TypeError, AssertionError):
            self.failures.append(
                f"{where}: {status} not in the error shape: {response.text[:200]!r}"
            )


def probes_for(endpoint: Endpoint, route: Any, caller: Caller, limit: int) -> Iterator[Probe]:
    yield from path_probes(endpoint)
    if endpoint.mount:
        return
    body = BODIES[endpoint.key](caller) if endpoint.key in BODIES else {}
    if endpoint.key == ("POST", SIGN_IN):
        body = {"data": {"email": "mallory@example.com", "password": "not it"}}
    reads_body = bool(body.get("json") or body.get("data"))
    if isinstance(route, APIRoute):
        yield from query_probes(route)
        required = route.body_field is not None and route.body_field.field_info.is_required()
        reads_body = reads_body or bool(required)
        if endpoint.method != "GET":
            yield from wrong_types(body, bool(required))
    if "json" in body:
        yield from json_probes(body["json"])
    if "data" in body:
        yield from form_probes(body["data"])
    kind = None
    if reads_body and endpoint.method != "GET":
        kind = "application/json" if "data" not in body else "application/x-www-form-urlencoded"
    yield from huge(limit, kind)


@pytest.fixture
def mallory(runtime: Runtime, personas: Personas) -> User:
    """A throwaway acme admin: probes of the account routes may change their own account."""
    with runtime.db.session() as session:
        tenant = session.merge(personas.alice.tenant)
        return create_user(
            session,
            Actor.operator(),
            email="mallory@example.com",
            display_name="Mallory",
            password=PASSWORD,
            tenant=tenant,
            role=Role.ADMIN,
        )


def test_bad_input_on_every_route_is_a_clear_4xx_never_a_500(
    api: httpx.Client,
    server: LiveServer,
    runtime: Runtime,
    mallory: User,
    bot: None,
    agent_online: None,
) -> None:
    app = server.server.config.app
    assert isinstance(app, FastAPI)
    chat: VisitorChat = start_chat(api, "acme", "en")
    assert chat.send(f"where is my parcel? {PHONE}, {EMAIL}").status_code == 201
    attack = Attack(
        api,
        values={
            "conversation_id": chat.id,
            "reply_id": str(uuid.uuid4()),
            "slug": "acme",
            "number": "40012345",
            "user_id": str(mallory.id),
            "section": "privacy",
            "language": "fi",  # the demo shop's help pages (public, no tenant's data)
        },
        shopper=Caller("acme's shopper", token=chat.token),
        admin=sign_in(server, mallory, "mallory", "acme"),
        limit=runtime.settings.max_request_bytes,
    )
    by_key = _routes_by_key(app)
    walk = [e for e in endpoints(app) if e.method != WS]
    assert len(by_key) >= 40, by_key  # FastAPI's routes, whose parameters the probes read
    # Signing out last: until then every console probe has a live session behind it.
    walk.sort(key=lambda e: e.key == ("POST", "/console/logout"))
    with app_log() as log:
        for endpoint in walk:
            for probe in probes_for(endpoint, by_key.get(endpoint.key), attack.admin, attack.limit):
                attack.send(endpoint, probe)
    assert attack.failures == [], f"{len(attack.failures)} bad answers:\n" + "\n".join(
        attack.failures
    )
    assert attack.sent >= 900, attack.sent
    # What the attack sent that is a person's never reaches the log, nor does any raw control
    # character it sent (NUL, ESC, CR in paths, queries and bodies).
    assert any("erased conversation" in line for line in log), log  # the capture works
    assert_clean(log, [PHONE, EMAIL, "someone@example.com", mallory.email, PASSWORD, "not it"])


def _routes_by_key(app: FastAPI) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            for method in context.methods or ():
                found[(method, str(context.path))] = context.original_route
    return found


def test_a_json_body_that_is_not_utf8_is_a_422_like_any_unreadable_json(
    api: httpx.Client, personas: Personas
) -> None:
    chat = start_chat(api, "acme", "en")
    for body in (b'{"text": "caf\xe9"}', b"\xc3(", b'{"text": "ok"}\xff'):
        sent = api.post(
            f"/api/v1/conversations/{chat.id}/messages",
            content=body,
            headers=chat.auth | {"Content-Type": "application/json"},
        )
        assert sent.status_code == 422, (body, sent.status_code, sent.text)  # FastAPI said 400
        assert sent.json()["error"]["code"] == "invalid_json"
    assert chat.messages().json()["messages"] == []


def test_a_405_names_every_method_the_path_answers(api: httpx.Client, personas: Personas) -> None:
    chat = start_chat(api, "acme", "en")
    refused = api.request("PUT", f"/api/v1/conversations/{chat.id}", headers=chat.auth)
    assert refused.status_code == 405
    assert refused.json()["error"]["code"] == "method_not_allowed"
    # Starlette named only the first route's (GET); DELETE is served at the same path.
    assert {"GET", "DELETE"} <= set(refused.headers["allow"].split(", "))


def test_a_nul_in_a_console_form_is_refused_before_any_query(
    api: httpx.Client, server: LiveServer, personas: Personas
) -> None:
    """PostgreSQL refuses NUL in text: the sign-in form's email was a 500 there."""
    signing_in = api.post(
        SIGN_IN,
        data={"email": "alice-admin@example.com\x00", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.13"},
    )
    assert signing_in.status_code == 422, signing_in.text
    assert "NUL" in signing_in.text and "text/html" in signing_in.headers["content-type"]
    admin = sign_in(server, personas.alice.admin, "acme's admin", "acme")
    added = api.post(
        "/console/canned",
        params={"tenant": "acme"},
        data={"csrf": admin.csrf, "shortcut": "nul", "language": "en", "text": "a\x00b"},
        headers=admin.headers(),
    )
    assert added.status_code == 422 and "NUL" in added.text
    listed = api.get("/console/api/canned", params={"tenant": "acme"}, headers=admin.headers())
    assert listed.json() == []


def test_an_order_system_token_that_no_system_issued_is_refused_when_saved(
    api: httpx.Client, server: LiveServer, personas: Personas
) -> None:
    """A token goes in an HTTP header: a non-ASCII one was saved, then every test was a 500."""
    admin = sign_in(server, personas.alice.admin, "acme's admin", "acme")
    saved = api.post(
        "/console/orders",
        params={"tenant": "acme"},
        data={
            "csrf": admin.csrf,
            "kind": "shopify",
            "base_url": "https://shop.example",
            "access_token": "shpat_\ufffd\ufffd",
        },
        headers=admin.headers(),
    )
    assert saved.status_code == 422, saved.text
    assert "Paste the Admin API access token again" in saved.text, re.findall(
        r"role=\"alert\">([^<]*)", saved.text
    )

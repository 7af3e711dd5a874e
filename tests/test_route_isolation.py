"""Isolation by construction: every route of the real app, tried as the wrong people.

The routes come from the served app's router, never from a hand list, so a new route is tried
the day it is added. Each one is called with acme's real ids in its path:

- as no one (no cookie, no token),
- as bob's admin and agent (and the stranger, signed in with no role), each with a valid CSRF
  token for their own session, so a refusal is about the tenant and not about CSRF: once asking
  for tenant acme outright (`?tenant=acme`), once in their own tenant with acme's ids,
- with another conversation's visitor token (one of bob's shop, and another of acme's),
- with acme's own people's dead sessions: one past its expiry, one signed out and replayed,

and must refuse, without any of acme's data in the answer. Only routes in `PUBLIC` (each with
its reason) may answer anyone. A path parameter the walker has no real value for fails the test,
so a new route cannot slip through with a made-up id; a PUBLIC entry naming no route fails too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from sqlalchemy import update
from starlette.routing import Mount, Route
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from botdesk.models import StaffSession, User, utcnow
from botdesk.runtime import Runtime
from tests.conftest import PASSWORD, LiveServer, Personas, VisitorChat, console_sign_in, start_chat

WS = "WS"  # the "method" of a WebSocket route

PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "liveness probe: says only that the process runs",
    ("GET", "/readyz"): "readiness probe for load balancers: no tenant data",
    ("GET", "/api/v1/openapi.json"): "the visitor API's published description",
    ("GET", "/api/v1/docs"): "Swagger UI page for integrators",
    ("GET", "/api/v1/docs/assets"): "Swagger UI's own scripts and styles (static files)",
    ("GET", "/static"): "the console's and widget's scripts, styles and icon (static files)",
    ("GET", "/widget.js"): "the chat widget script every merchant embeds",
    ("GET", "/"): "the demo shop page",
    ("GET", "/help"): "the demo shop's help pages, in the browser's language",
    ("GET", "/help/{language}"): "the demo shop's help pages in one language",
    ("GET", "/help/{language}/{slug}"): "one of the demo shop's help pages (Markdown files)",
    ("GET", "/api/v1/asyncapi.json"): "the WebSocket streams' published description",
    ("GET", "/api/v1/tenants/{slug}/widget"): (
        "a shop's widget settings (name, languages, colours, greeting): shown to every shopper"
    ),
    ("POST", "/api/v1/tenants/{slug}/conversations"): (
        "any shopper may start a chat; the answer holds only the new conversation and its token"
    ),
    ("GET", "/console/login"): "the sign-in form",
    ("POST", "/console/login"): "signing in (throttled per address and locked per account)",
}

# Real values for public routes whose path names no tenant's data (the demo shop's help pages).
PUBLIC_VALUES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/help/{language}"): {"language": "fi"},
    ("GET", "/help/{language}/{slug}"): {"language": "fi", "slug": "palautukset"},
}

# Routes about the signed-in person's own account, whatever their tenants: no one is refused,
# but any signed-in staff member gets their own page. Their changes are not sent as bob, since
# they would change a shared persona's own account (and logging out would end the walk).
OWN_ACCOUNT: dict[tuple[str, str], str] = {
    ("GET", "/console/account"): "the signed-in person's own account page",
    ("POST", "/console/account/totp/setup"): "starts two-factor set-up for oneself",
    ("POST", "/console/account/totp/confirm"): "confirms one's own two-factor set-up",
    ("POST", "/console/account/totp/disable"): "switches one's own two-factor off",
    ("POST", "/console/account/password"): "changes one's own password",
    ("POST", "/console/logout"): "ends one's own session",
}

# POSTs that change nothing: also tried in the caller's own tenant, looking for acme's data.
SEARCHES = {("POST", "/console/subjects")}

# Path parameters whose value names something of acme's (the rest are fixed words).
OWNED_PARAMS = {"conversation_id", "number", "reply_id", "slug", "user_id"}

# One file each mount must serve (so a new mount fails until someone says what it serves).
MOUNT_FILES = {"/static": "favicon.svg", "/api/v1/docs/assets": "swagger-ui.css"}

REFUSED = {401, 403, 404}
WS_REFUSED = {4401, 4403, 4404}
SIGN_IN = "/console/login"
SHOPPER = "isolation-shopper@example.com"  # acme's shopper, as bob would search for them
NO_CONVERSATION = {"error": {"code": "not_found", "message": "conversation not found"}}


@dataclass(frozen=True)
class Endpoint:
    method: str  # GET, POST, DELETE, ... or WS
    path: str  # the template, e.g. /console/api/conversations/{conversation_id}
    mount: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)

    @property
    def visitor(self) -> bool:
        """A route for the holder of one conversation's token (the widget's API)."""
        return self.path.startswith("/api/v1/conversations/{conversation_id}")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every method of every route the app serves, from its router."""
    found: set[Endpoint] = set()
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, str(context.path)
        if isinstance(route, APIWebSocketRoute):
            found.add(Endpoint(WS, path))
        elif isinstance(route, Mount):
            found.add(Endpoint("GET", path, mount=True))
        elif isinstance(route, APIRoute | Route):
            methods = set(context.methods or ())
            if "GET" in methods:
                methods.discard("HEAD")  # Starlette answers HEAD for every GET: the same route
            found.update(Endpoint(method, path) for method in methods)
        else:
            raise AssertionError(f"{type(route).__name__} at {path}: teach the walker this kind")
    # Deletions last: were one to go through, it would not hide a hole in another route.
    return sorted(found, key=lambda e: (e.method == "DELETE", e.path, e.method))


@dataclass(frozen=True)
class Caller:
    """Someone calling the app: a console session (cookie and its CSRF token) and/or a token."""

    name: str
    cookie: str | None = None
    csrf: str = ""
    token: str | None = None
    user_id: str = ""
    tenant: str | None = None  # their own tenant, if any

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.cookie is not None:
            headers["Cookie"] = f"botdesk_console={self.cookie}"
            headers["X-CSRF-Token"] = self.csrf
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers


def sign_in(server: LiveServer, user: User, name: str, tenant: str | None = None) -> Caller:
    """A console session through the real sign-in form, and its CSRF token from a page."""
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        response = console_sign_in(browser, user.email)
        assert response.status_code == 303, response.text
        cookie = browser.cookies["botdesk_console"]
        page = browser.get("/console/account")
        match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert match, page.text
    return Caller(name, cookie=cookie, csrf=match.group(1), user_id=str(user.id), tenant=tenant)


Body = Callable[[Caller], dict[str, Any]]


def _json(payload: dict[str, Any]) -> Body:
    return lambda _caller: {"json": payload}


def _form(**fields: str) -> Body:
    return lambda caller: {"data": {"csrf": caller.csrf, **fields}}


# A valid body for every route that needs one, so a refusal is never a validation error. The
# positive controls below send the same bodies as acme's own people and must get 2xx.
BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): _json({"text": "hello again"}),
    ("POST", "/api/v1/conversations/{conversation_id}/transcript/email"): _json(
        {"email": "someone@example.com"}
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/handover/form"): _json(
        {"email": "someone@example.com", "topic": "order"}
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/rating"): _json({"score": 5}),
    ("POST", "/console/api/presence"): _json({"status": "online"}),
    ("POST", "/console/api/conversations/{conversation_id}/messages"): _json({"text": "hi"}),
    ("POST", "/console/api/conversations/{conversation_id}/notes"): _json({"text": "a note"}),
    ("POST", "/console/api/conversations/{conversation_id}/email-reply"): _json({"text": "hi"}),
    ("POST", "/console/api/conversations/{conversation_id}/close"): _json({"outcome": "resolved"}),
    ("POST", "/console/api/conversations/{conversation_id}/transfer"): lambda caller: {
        "json": {"agent_id": caller.user_id or str(uuid.uuid4())}  # to themselves
    },
    ("POST", "/api/v1/conversations/{conversation_id}/handover"): lambda _caller: {},
    ("POST", "/console/api/conversations/{conversation_id}/accept"): lambda _caller: {},
    ("POST", "/console/login/code"): lambda _caller: {"data": {"code": "123456"}},
    ("POST", "/console/logout"): _form(),
    ("POST", "/console/account/totp/setup"): _form(),
    ("POST", "/console/account/totp/confirm"): _form(code="123456"),
    ("POST", "/console/account/totp/disable"): _form(code="123456", password=PASSWORD),
    ("POST", "/console/account/password"): _form(
        current=PASSWORD, new="another long passphrase", repeat="another long passphrase"
    ),
    ("POST", "/console/settings/{section}"): _form(privacy_policy_url="https://evil.example/p"),
    ("POST", "/console/canned"): _form(shortcut="isolation", language="en", text="Taken over."),
    ("POST", "/console/canned/{reply_id}"): _form(
        shortcut="isolation", language="en", text="Taken over."
    ),
    ("POST", "/console/canned/{reply_id}/delete"): _form(),
    ("POST", "/console/subjects"): _form(action="find", kind="email", value=SHOPPER),
    ("POST", "/console/orders"): _form(
        kind="shopify", base_url="https://evil.example", access_token="taken-over"
    ),
    ("POST", "/console/orders/test"): _form(),
    ("POST", "/console/orders/remove"): _form(confirm="yes"),
}


@dataclass
class World:
    """acme's data the walk aims at, and the secrets that must never reach the wrong people."""

    chat: VisitorChat  # acme's, with messages, form data, an agent and a note
    other_acme: VisitorChat
    bobs: VisitorChat
    reply_id: str
    alice_admin: Caller
    alice_agent: Caller
    secrets: tuple[str, ...]

    def params(self) -> dict[str, str]:
        return {
            "conversation_id": self.chat.id,
            "reply_id": self.reply_id,
            "slug": "acme",
            "number": "40012345",  # an order at acme's (demo) merchant
            "user_id": self.alice_agent.user_id,
            "section": "privacy",
            "language": "fi",  # the demo shop's help pages (public, no tenant's data)
        }


@pytest.fixture
def world(api: httpx.Client, server: LiveServer, personas: Personas, agent_online: None) -> World:
    canary = uuid.uuid4().hex[:12]
    said, noted, canned = f"said-{canary}", f"noted-{canary}", f"canned-{canary}"
    email = SHOPPER
    alice_admin = sign_in(server, personas.alice.admin, "acme's admin")
    alice_agent = sign_in(server, personas.alice.agent, "acme's agent")

    chat = start_chat(api, "acme", "en")
    assert chat.send(f"where is my parcel {said}").status_code == 201
    assert api.post(f"/api/v1/conversations/{chat.id}/handover", headers=chat.auth).is_success
    form = {"email": email, "topic": "order"}
    queued = api.post(
        f"/api/v1/conversations/{chat.id}/handover/form", json=form, headers=chat.auth
    )
    assert queued.status_code == 200, queued.text
    console = f"/console/api/conversations/{chat.id}"
    as_agent, acme = alice_agent.headers(), {"tenant": "acme"}
    assert api.post(f"{console}/accept", params=acme, headers=as_agent).status_code == 200
    note = api.post(f"{console}/notes", params=acme, headers=as_agent, json={"text": noted})
    assert note.status_code == 201, note.text

    added = api.post(
        "/console/canned",
        params={"tenant": "acme"},
        data={"csrf": alice_admin.csrf, "shortcut": "parcel", "language": "en", "text": canned},
        headers=alice_admin.headers(),
    )
    assert added.status_code == 303, added.text
    replies = api.get("/console/api/canned", params=acme, headers=as_agent)
    reply_id = next(r["id"] for r in replies.json() if r["text"] == canned)

    other = start_chat(api, "acme", "en")
    secrets: tuple[str, ...] = (said, noted, canned, email, chat.id, other.id, reply_id)
    secrets += (
        "Acme Outdoor",
        *(
            text
            for user in (personas.alice.admin, personas.alice.agent, personas.alice.analyst)
            for text in (user.email, user.display_name)
        ),
    )
    return World(
        chat, other, start_chat(api, "bobs", "en"), reply_id, alice_admin, alice_agent, secrets
    )


def fill(endpoint: Endpoint, values: dict[str, str]) -> str:
    """The endpoint's URL path with real values; fails for a parameter the walk cannot fill."""
    unknown = [name for name in endpoint.params if name not in values]
    assert not unknown, (
        f"{endpoint}: no real value for path parameter(s) {unknown}; add one of acme's to "
        "World.params (and to OWNED_PARAMS if it names acme's data)"
    )
    path = endpoint.path.format(**{name: values[name] for name in endpoint.params})
    if endpoint.mount:
        assert endpoint.path in MOUNT_FILES, f"{endpoint}: add a file it serves to MOUNT_FILES"
        path += "/" + MOUNT_FILES[endpoint.path]
    return path


def open_socket(
    server: LiveServer, path: str, origin: str, headers: dict[str, str], hello: str | None
) -> tuple[str, Any]:
    """('http', status) or ('close', code) for a refusal; ('frame', first frame) if let in.

    `hello`: the token to send first, in the visitor stream's protocol (None sends nothing).
    """
    url = server.url.replace("http://", "ws://") + path
    try:
        ws = connect(url, origin=Origin(origin), additional_headers=headers, open_timeout=10)
    except InvalidStatus as refused:
        return "http", refused.response.status_code
    with ws:
        if hello is not None:
            ws.send(json.dumps({"type": "hello", "token": hello, "after": 0}))
        try:
            return "frame", json.loads(ws.recv(timeout=10))
        except ConnectionClosed as closed:
            return "close", closed.rcvd.code if closed.rcvd else None


class Walk:
    """Sends each probe and collects every failure, so one run reports every hole at once."""

    def __init__(self, api: httpx.Client, server: LiveServer, world: World) -> None:
        self.api, self.server, self.world = api, server, world
        self.failures: list[str] = []
        self.probes = 0

    def url(self, endpoint: Endpoint, **override: str) -> str:
        return fill(endpoint, self.world.params() | override)

    def call(
        self, endpoint: Endpoint, caller: Caller, tenant: str | None = None, **override: str
    ) -> httpx.Response:
        body = BODIES.get(endpoint.key)
        assert body is not None or endpoint.method in ("GET", "DELETE"), (
            f"{endpoint}: add a valid body to BODIES"
        )
        self.probes += 1
        return self.api.request(
            endpoint.method,
            self.url(endpoint, **override),
            params={"tenant": tenant} if tenant else None,
            headers=caller.headers(),
            **(body(caller) if body else {}),
        )

    def fail(self, endpoint: Endpoint, caller: Caller, what: str) -> None:
        self.failures.append(f"{endpoint} as {caller.name}: {what}")

    def leaked(self, sent: str, text: str) -> list[str]:
        # What the caller sent (an id in the URL, a searched email) they knew already.
        return [secret for secret in self.world.secrets if secret in text and secret not in sent]

    def refuse(self, endpoint: Endpoint, caller: Caller, tenant: str | None = None) -> None:
        response = self.call(endpoint, caller, tenant)
        is_refusal = response.status_code in REFUSED or (
            response.status_code == 303 and response.headers.get("location") == SIGN_IN
        )
        where = f" (?tenant={tenant})" if tenant else ""
        if not is_refusal:
            self.fail(endpoint, caller, f"{response.status_code}{where}: {response.text[:200]!r}")
        self.no_leak(endpoint, caller, response)

    def no_leak(self, endpoint: Endpoint, caller: Caller, response: httpx.Response) -> None:
        sent = unquote_plus(f"{response.request.url} {response.request.content.decode()}")
        if leaked := self.leaked(sent, response.text):
            self.fail(endpoint, caller, f"{response.status_code} shows acme's {leaked}")

    def token_looks_like_no_conversation(self, endpoint: Endpoint, callers: list[Caller]) -> None:
        """Another conversation's token gets exactly what a conversation that is not there gets."""
        absent = self.call(endpoint, callers[0], conversation_id=str(uuid.uuid4()))
        if absent.status_code != 404 or absent.json() != NO_CONVERSATION:
            self.fail(endpoint, callers[0], f"no such conversation gives {absent.status_code}")
        for caller in callers:
            wrong = self.call(endpoint, caller)
            if (wrong.status_code, wrong.text) != (absent.status_code, absent.text):
                self.fail(
                    endpoint,
                    caller,
                    f"{wrong.status_code} {wrong.text[:200]!r}, unlike a missing conversation's "
                    f"{absent.status_code} {absent.text[:200]!r}",
                )
            self.no_leak(endpoint, caller, wrong)

    def socket(
        self,
        endpoint: Endpoint,
        caller: Caller,
        tenant: str | None = None,
        token: str | None = None,
    ) -> tuple[str, Any]:
        self.probes += 1
        path = self.url(endpoint) + (f"?tenant={tenant}" if tenant else "")
        headers = {k: v for k, v in caller.headers().items() if k != "X-CSRF-Token"}
        # The console's own origin, so any refusal is about the caller, not the site.
        hello = token or "" if endpoint.visitor else None
        return open_socket(self.server, path, self.server.url, headers, hello)

    def refuse_socket(
        self,
        endpoint: Endpoint,
        caller: Caller,
        tenant: str | None = None,
        token: str | None = None,
    ) -> None:
        kind, value = self.socket(endpoint, caller, tenant, token)
        if not ((kind == "http" and value == 403) or (kind == "close" and value in WS_REFUSED)):
            self.fail(endpoint, caller, f"socket let in ({kind} {str(value)[:200]})")


def dead_sessions(
    api: httpx.Client, server: LiveServer, runtime: Runtime, personas: Personas
) -> list[Caller]:
    """acme's agent with a session past its expiry; acme's admin's session, signed out."""
    expired = sign_in(server, personas.alice.agent, "acme's agent, session expired")
    assert expired.cookie is not None
    with runtime.db.session() as session:
        session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == hashlib.sha256(expired.cookie.encode()).digest())
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    ended = sign_in(server, personas.alice.admin, "acme's admin, signed out")
    out = api.post("/console/logout", data={"csrf": ended.csrf}, headers=ended.headers())
    assert out.status_code == 303
    for caller in (expired, ended):  # the same cookie opened the console a moment ago
        assert api.get("/console/account", headers=caller.headers()).status_code == 303
    return [expired, ended]


def test_every_route_refuses_the_other_tenant_no_one_and_other_tokens(
    api: httpx.Client, server: LiveServer, personas: Personas, world: World, runtime: Runtime
) -> None:
    app = server.server.config.app
    assert isinstance(app, FastAPI)
    routes = endpoints(app)
    walk = Walk(api, server, world)
    no_one = Caller("no one")
    outsiders = [
        sign_in(server, personas.bob.admin, "bob's admin", "bobs"),
        sign_in(server, personas.bob.agent, "bob's agent", "bobs"),
        sign_in(server, personas.stranger, "the stranger"),
    ]
    tokens = [
        Caller("a token of bob's shop", token=world.bobs.token),
        Caller("another acme conversation's token", token=world.other_acme.token),
    ]
    dead = dead_sessions(api, server, runtime, personas)
    walked: set[tuple[str, str]] = set()
    for endpoint in routes:
        if endpoint.key in PUBLIC:
            continue
        walked.add(endpoint.key)
        if endpoint.method == WS:
            walk_socket(walk, endpoint, no_one, outsiders + dead, tokens)
            continue
        walk.refuse(endpoint, no_one)
        for caller in dead:  # acme's own people, but their sessions are over
            walk.refuse(endpoint, caller, tenant="acme")
        if endpoint.visitor:
            walk.token_looks_like_no_conversation(endpoint, tokens)
        else:
            for caller in tokens:
                walk.refuse(endpoint, caller)
        for caller in outsiders:
            if endpoint.key in OWN_ACCOUNT:
                if endpoint.method == "GET":  # their own page, with nothing of acme's on it
                    walk.no_leak(endpoint, caller, walk.call(endpoint, caller, "acme"))
                continue
            if endpoint.visitor:  # a console session opens no conversation, whatever tenant
                walk.refuse(endpoint, caller)
                continue
            walk.refuse(endpoint, caller, tenant="acme")
            if caller.tenant is None:
                continue  # no tenant of their own to try acme's ids in
            if OWNED_PARAMS & set(endpoint.params):
                walk.refuse(endpoint, caller)  # in their own tenant, with acme's ids
            elif endpoint.method == "GET" or endpoint.key in SEARCHES:
                # Their own tenant's page: theirs to see, but nothing of acme's may be on it.
                walk.no_leak(endpoint, caller, walk.call(endpoint, caller))

    assert walk.failures == [], "isolation holes:\n" + "\n".join(walk.failures)
    everything = {e.key for e in routes}
    assert walked | set(PUBLIC) == everything
    assert set(OWN_ACCOUNT) <= walked, set(OWN_ACCOUNT) - walked
    # The walk is not vacuous: enough routes, and each non-public one had a probe per caller.
    assert len(walked) >= 40 and walk.probes >= 4 * len(walked), (len(walked), walk.probes)
    positive_controls(walk, world)


def walk_socket(
    walk: Walk, endpoint: Endpoint, no_one: Caller, outsiders: list[Caller], tokens: list[Caller]
) -> None:
    walk.refuse_socket(endpoint, no_one)
    for caller in tokens:
        walk.refuse_socket(endpoint, caller, token=caller.token)
    for caller in outsiders:
        walk.refuse_socket(endpoint, caller, tenant="acme")
        if endpoint.visitor:
            walk.refuse_socket(endpoint, caller)
        elif caller.tenant is not None:
            own_stream_shows_nothing_of_acme(walk, endpoint, caller)


def own_stream_shows_nothing_of_acme(walk: Walk, endpoint: Endpoint, caller: Caller) -> None:
    """The caller's own tenant stream: acme's events must not reach it.

    An event of acme's is published first, then one of the caller's own tenant; the stream
    must deliver the second without the first (events of one broker arrive in order).
    """
    url = walk.server.url.replace("http://", "ws://") + walk.url(endpoint)
    headers = {"Cookie": caller.headers()["Cookie"]}
    origin = Origin(walk.server.url)
    with connect(url, origin=origin, additional_headers=headers, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        note = walk.api.post(
            f"/console/api/conversations/{walk.world.chat.id}/notes",
            params={"tenant": "acme"},
            json={"text": "while bob listens"},
            headers=walk.world.alice_agent.headers(),
        )
        assert note.status_code == 201, note.text
        own = walk.api.post(
            "/console/api/presence",
            params={"tenant": caller.tenant},
            json={"status": "away"},
            headers=caller.headers(),
        )
        assert own.status_code == 200, own.text
        for _ in range(20):
            frame = str(ws.recv(timeout=10))
            if leaked := walk.leaked(url, frame):
                walk.fail(endpoint, caller, f"own stream carried acme's {leaked}: {frame[:200]}")
            event = json.loads(frame).get("event") or {}
            if event.get("payload", {}).get("user_id") == caller.user_id:
                break
        else:
            walk.fail(endpoint, caller, "own stream never delivered its own presence event")


def positive_controls(walk: Walk, world: World) -> None:
    """acme's own people get in with the same requests, so the refusals are not broken fixtures."""
    own_token = Caller("acme's shopper", token=world.chat.token)
    checks: list[tuple[str, str, Caller, int, str | None]] = [
        ("GET", "/api/v1/conversations/{conversation_id}/messages", own_token, 200, "said-"),
        ("POST", "/api/v1/conversations/{conversation_id}/messages", own_token, 201, None),
        ("GET", "/api/v1/conversations/{conversation_id}/handover", own_token, 200, None),
        ("GET", "/console/api/conversations/{conversation_id}", world.alice_agent, 200, "noted-"),
        (
            "POST",
            "/console/api/conversations/{conversation_id}/notes",
            world.alice_agent,
            201,
            None,
        ),
        ("GET", "/console/conversations/{conversation_id}", world.alice_admin, 200, "said-"),
        ("GET", "/console/api/canned", world.alice_agent, 200, "canned-"),
        ("POST", "/console/canned/{reply_id}", world.alice_admin, 303, None),
        ("GET", "/console/settings", world.alice_admin, 200, None),
        ("GET", "/console/orders", world.alice_admin, 200, None),
        ("POST", "/console/orders/test", world.alice_admin, 303, None),  # nothing to test yet
        ("GET", "/console/api/state", world.alice_agent, 200, None),
    ]
    for method, path, caller, status, shows in checks:
        endpoint = Endpoint(method, path)
        response = walk.call(endpoint, caller, tenant=None if caller.token else "acme")
        assert response.status_code == status, (str(endpoint), caller.name, response.text[:300])
        assert response.headers.get("location") != SIGN_IN, endpoint
        assert shows is None or shows in response.text, (str(endpoint), caller.name)
    kind, frame = walk.socket(
        Endpoint(WS, "/api/v1/conversations/{conversation_id}/stream"),
        own_token,
        token=own_token.token,
    )
    assert (kind, frame.get("type")) == ("frame", "message"), (kind, frame)
    kind, frame = walk.socket(Endpoint(WS, "/console/stream"), world.alice_agent, tenant="acme")
    assert (kind, frame.get("type")) == ("frame", "ready"), (kind, frame)


def test_every_public_route_still_exists_and_answers_anyone(
    api: httpx.Client, server: LiveServer, personas: Personas
) -> None:
    app = server.server.config.app
    assert isinstance(app, FastAPI)
    served = {e.key: e for e in endpoints(app)}
    assert set(PUBLIC) <= set(served), (
        f"PUBLIC names routes that are gone: {set(PUBLIC) - set(served)}"
    )
    assert set(OWN_ACCOUNT) <= set(served), set(OWN_ACCOUNT) - set(served)
    assert all(reason.strip() for reason in PUBLIC.values())
    for key, endpoint in served.items():
        if key in PUBLIC and endpoint.method == "GET":  # (the POSTs run in every chat test)
            values = {"slug": "acme"} | PUBLIC_VALUES.get(key, {})
            response = api.get(fill(endpoint, values), follow_redirects=True)
            assert response.status_code == 200, (key, response.status_code)


FOREIGN = "https://evil.example"  # a site no tenant allows


def test_a_site_acme_has_not_allowed_cannot_tell_its_conversations_from_missing_ones(
    api: httpx.Client, server: LiveServer, personas: Personas
) -> None:
    """From another site, with a wrong token, a real conversation answers like a missing one.

    Otherwise the origin check is an oracle: anyone holding a conversation id (from a log, a
    referrer, a screenshot) learns that it exists and which shop the shopper talked to.
    """
    app = server.server.config.app
    assert isinstance(app, FastAPI)
    chat, stranger = start_chat(api, "acme", "en"), start_chat(api, "bobs", "en")
    caller = Caller("a token of bob's shop, from another site", token=stranger.token)
    differ: list[str] = []
    for endpoint in endpoints(app):
        if not endpoint.visitor:
            continue
        answers: list[object] = []
        for conversation_id in (chat.id, str(uuid.uuid4())):
            path = fill(endpoint, {"conversation_id": conversation_id})
            if endpoint.method == WS:
                answers.append(open_socket(server, path, FOREIGN, {}, stranger.token))
                continue
            body = BODIES.get(endpoint.key)
            response = api.request(
                endpoint.method,
                path,
                headers=caller.headers() | {"Origin": FOREIGN},
                **(body(caller) if body else {}),
            )
            answers.append((response.status_code, response.text))
        if answers[0] != answers[1]:
            differ.append(f"{endpoint}: acme's {answers[0]} but missing {answers[1]}")
    assert differ == [], (
        "a foreign site tells acme's conversations from missing ones (and learns the shop):\n"
        + "\n".join(differ)
    )


@dataclass
class Canaries:
    """A third shop whose every piece of data carries a canary no one else may ever be shown."""

    slug: str
    chat: VisitorChat
    other: VisitorChat  # another shopper of the same shop
    admin: Caller
    reply_id: str
    texts: tuple[str, ...]

    def params(self) -> dict[str, str]:
        return {
            "conversation_id": self.chat.id,
            "reply_id": self.reply_id,
            "slug": "acme",  # a shop's widget settings (its name too) are public by design
            "number": "40012345",
            "user_id": self.admin.user_id,
            "section": "privacy",
            "language": "fi",
        }


@pytest.fixture
def canaries(
    api: httpx.Client, server: LiveServer, runtime: Runtime, personas: Personas
) -> Canaries:
    from botdesk import access
    from botdesk.actions.agents import set_presence
    from botdesk.actions.audit import Actor
    from botdesk.actions.tenants import create_tenant
    from botdesk.actions.users import create_user
    from botdesk.models import Presence, Role

    bird = uuid.uuid4().hex[:10]
    names = {
        what: f"{what}{bird}"
        for what in ("shop", "agent", "said", "typed", "noted", "canned", "mail")
    }
    slug = f"canary-{bird}"
    with runtime.db.session() as session:
        tenant = create_tenant(
            session,
            runtime.keyring,
            Actor.operator(),
            slug=slug,
            name=names["shop"],
            languages=["en"],
        )
        user = create_user(
            session,
            Actor.operator(),
            email=f"{names['mail']}@example.com",
            display_name=names["agent"],
            password=PASSWORD,
            tenant=tenant,
            role=Role.ADMIN,
        )
    with runtime.db.session() as session:
        staff = access.staff_context(session, session.merge(user), slug)
        set_presence(session, staff, Presence.ONLINE)
    admin = sign_in(server, user, "the canary shop's admin", slug)
    chat = start_chat(api, slug, "en")
    assert chat.send(f"where is my parcel {names['said']}").status_code == 201
    assert api.post(f"/api/v1/conversations/{chat.id}/handover", headers=chat.auth).is_success
    form = {"email": f"{names['typed']}@example.com", "topic": "order"}
    sent = api.post(f"/api/v1/conversations/{chat.id}/handover/form", json=form, headers=chat.auth)
    assert sent.status_code == 200, sent.text
    console, own = f"/console/api/conversations/{chat.id}", {"tenant": slug}
    assert api.post(f"{console}/accept", params=own, headers=admin.headers()).status_code == 200
    note = api.post(
        f"{console}/notes", params=own, headers=admin.headers(), json={"text": names["noted"]}
    )
    assert note.status_code == 201, note.text
    added = api.post(
        "/console/canned",
        params=own,
        data={"csrf": admin.csrf, "shortcut": "bird", "language": "en", "text": names["canned"]},
        headers=admin.headers(),
    )
    assert added.status_code == 303, added.text
    replies = api.get("/console/api/canned", params=own, headers=admin.headers()).json()
    # Each canary is where the shop keeps it: the console shows the shop's own people all of it.
    shown = api.get(console, params=own, headers=admin.headers()).text
    assert all(names[k] in shown for k in ("said", "typed", "noted", "agent")), shown[:500]
    return Canaries(
        slug,
        chat,
        start_chat(api, slug, "en"),
        admin,
        next(r["id"] for r in replies if r["text"] == names["canned"]),
        tuple(names.values()),
    )


def test_no_one_else_is_ever_shown_another_shops_canaries(
    api: httpx.Client, server: LiveServer, personas: Personas, canaries: Canaries
) -> None:
    """Every route, with the canary shop's ids, as acme's people (in acme and asking for the
    canary shop), as no one, as acme's shopper and as the canary shop's other shopper: no
    answer carries a canary (its message, form, note, canned reply, name or agent's name)."""
    app = server.server.config.app
    assert isinstance(app, FastAPI)
    alice_admin = sign_in(server, personas.alice.admin, "acme's admin", "acme")
    alice_agent = sign_in(server, personas.alice.agent, "acme's agent", "acme")
    anyone = [
        Caller("no one"),
        Caller("acme's shopper", token=start_chat(api, "acme", "en").token),
        Caller("the canary shop's other shopper", token=canaries.other.token),
    ]
    shown: list[str] = []
    probes = 0

    def look(endpoint: Endpoint, caller: Caller, tenant: str | None) -> None:
        nonlocal probes
        body = BODIES.get(endpoint.key)
        probes += 1
        response = api.request(
            endpoint.method,
            fill(endpoint, canaries.params()),
            params={"tenant": tenant} if tenant else None,
            headers=caller.headers(),
            **(body(caller) if body else {}),
        )
        if seen := [c for c in canaries.texts if c in response.text]:
            shown.append(f"{endpoint} as {caller.name} (?tenant={tenant}): {seen}")

    for endpoint in endpoints(app):
        if endpoint.method == WS or (endpoint.key in OWN_ACCOUNT and endpoint.method != "GET"):
            continue
        for caller in anyone:
            look(endpoint, caller, None)
        for caller in (alice_admin, alice_agent):
            look(endpoint, caller, canaries.slug)  # asking for the canary shop outright
            # In acme, with the canary shop's ids; acme's own pages and searches, looked at.
            if (
                OWNED_PARAMS & set(endpoint.params)
                or endpoint.method == "GET"
                or endpoint.key in SEARCHES
            ):
                look(endpoint, caller, "acme")
    assert shown == [], "canaries shown to the wrong people:\n" + "\n".join(shown)
    assert probes >= 200, probes

"""Ending a console session ends it everywhere at once: its live sockets close, and only a
form of our own can start or end one (issue #13, findings 8 and 10)."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from botdesk.actions.audit import Actor
from botdesk.actions.staff_access import disable_user, enable_user, revoke_role
from botdesk.actions.users import grant_role
from botdesk.models import Role, Tenant, User
from botdesk.runtime import Runtime
from tests.conftest import PASSWORD, LiveServer, Personas, console_sign_in, start_chat


@pytest.fixture
def browsers(server: LiveServer) -> Iterator[list[httpx.Client]]:
    made: list[httpx.Client] = []
    yield made
    for client in made:
        client.close()


def signed_in(server: LiveServer, browsers: list[httpx.Client], user: User) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=10)
    browsers.append(client)
    assert console_sign_in(client, user.email).status_code == 303
    return client


@contextlib.contextmanager
def stream(server: LiveServer, client: httpx.Client) -> Iterator[ClientConnection]:
    url = server.url.replace("http://", "ws://") + "/console/stream?tenant=acme"
    with connect(
        url,
        origin=server.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": f"botdesk_console={client.cookies['botdesk_console']}"},
        open_timeout=10,
    ) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        yield ws


def closed_with(ws: ClientConnection, within: float = 5.0) -> int:
    """The close code, waiting no longer than `within` (no ping is sent meanwhile)."""
    deadline = time.monotonic() + within
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=max(0.1, deadline - time.monotonic()))
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def still_open(ws: ClientConnection) -> bool:
    ws.send(json.dumps({"type": "ping"}))
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame["type"] == "pong":
            return True


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/console")
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def test_signing_out_closes_that_sessions_sockets_at_once(
    server: LiveServer, browsers: list[httpx.Client], personas: Personas
) -> None:
    desk, laptop = (signed_in(server, browsers, personas.alice.agent) for _ in range(2))
    with stream(server, desk) as on_desk, stream(server, laptop) as on_laptop:
        response = desk.post("/console/logout", data={"csrf": csrf_of(desk)})
        assert response.status_code == 303
        assert closed_with(on_desk) == 4401
        # The same person's other session is not signed out.
        assert still_open(on_laptop)


def test_a_password_change_closes_the_other_sessions_sockets(
    server: LiveServer, browsers: list[httpx.Client], runtime: Runtime, personas: Personas
) -> None:
    from botdesk.passwords import hash_password

    user = personas.alice.agent
    desk, laptop = (signed_in(server, browsers, user) for _ in range(2))
    new = "an entirely new passphrase 42"
    try:
        with stream(server, desk) as on_desk, stream(server, laptop) as on_laptop:
            changed = laptop.post(
                "/console/account/password",
                data={"csrf": csrf_of(laptop), "current": PASSWORD, "new": new, "repeat": new},
            )
            assert changed.status_code in (200, 303), changed.text[:300]
            assert closed_with(on_desk) == 4401
            assert still_open(on_laptop)
    finally:
        with runtime.db.session() as session:
            session.get_one(User, user.id).password_hash = hash_password(PASSWORD)


def test_revoking_the_role_or_disabling_the_account_closes_the_sockets(
    server: LiveServer, browsers: list[httpx.Client], runtime: Runtime, personas: Personas
) -> None:
    user = personas.alice.agent
    try:
        with stream(server, signed_in(server, browsers, user)) as ws:
            with runtime.db.session() as session:
                tenant = session.get_one(Tenant, personas.alice.tenant.id)
                revoke_role(
                    session, Actor.operator(), tenant=tenant, user=session.get_one(User, user.id)
                )
            assert closed_with(ws) == 4401
    finally:
        with runtime.db.session() as session:
            tenant = session.get_one(Tenant, personas.alice.tenant.id)
            grant_role(
                session,
                Actor.operator(),
                tenant=tenant,
                user=session.get_one(User, user.id),
                role=Role.AGENT,
            )
    client = signed_in(server, browsers, user)
    try:
        with stream(server, client) as ws:
            with runtime.db.session() as session:
                disable_user(session, Actor.operator(), session.get_one(User, user.id))
            assert closed_with(ws) == 4401
        assert client.get("/console").status_code == 303  # its session is gone too
        with httpx.Client(base_url=server.url, timeout=10) as again:
            assert console_sign_in(again, user.email).status_code == 401
    finally:
        with runtime.db.session() as session:
            enable_user(session, Actor.operator(), session.get_one(User, user.id))


def test_signing_out_needs_the_sessions_own_token(
    server: LiveServer, browsers: list[httpx.Client], personas: Personas
) -> None:
    client = signed_in(server, browsers, personas.alice.agent)
    forged = client.post("/console/logout", data={"csrf": "0" * 64})
    assert forged.status_code == 403
    # Nothing changed: the cookie is kept and the session still works on the server.
    assert "botdesk_console" in client.cookies
    assert client.get("/console").status_code == 200
    assert client.post("/console/logout", data={"csrf": csrf_of(client)}).status_code == 303
    assert client.get("/console").status_code == 303


def test_the_sign_in_form_refuses_a_post_it_did_not_serve(
    server: LiveServer, browsers: list[httpx.Client], personas: Personas
) -> None:
    """Login CSRF: another site cannot sign a visitor's browser into its own account."""
    user = personas.alice.agent
    attacker = httpx.Client(base_url=server.url, timeout=10)
    browsers.append(attacker)
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', attacker.get("/console/login").text)
    assert token is not None
    victim = httpx.Client(base_url=server.url, timeout=10)
    browsers.append(victim)
    for data in (
        {"email": user.email, "password": PASSWORD},  # a cross-site form: no token at all
        {"email": user.email, "password": PASSWORD, "csrf": token.group(1)},  # someone else's
    ):
        refused = victim.post("/console/login", data=data)
        assert refused.status_code == 403
        assert "This sign-in form has expired" in refused.text
        assert "botdesk_console" not in victim.cookies
    # The refusal served a fresh form, which works.
    assert console_sign_in(victim, user.email).status_code == 303


def test_another_site_cannot_use_a_staff_members_cookie(
    server: LiveServer, browsers: list[httpx.Client], personas: Personas, api: httpx.Client
) -> None:
    """Cross-site WebSocket hijacking and CSRF: the browser sends the cookie along, but a page
    on another site gets neither the live stream nor a write."""
    client = signed_in(server, browsers, personas.alice.agent)
    url = server.url.replace("http://", "ws://") + "/console/stream?tenant=acme"
    cookie = {"Cookie": f"botdesk_console={client.cookies['botdesk_console']}"}
    evil = Origin("https://evil.example")
    # Refused before the handshake completes: the browser's page never gets a socket.
    with (
        pytest.raises(InvalidStatus) as refused,
        connect(url, origin=evil, additional_headers=cookie),
    ):
        pass
    assert refused.value.response.status_code == 403
    chat = start_chat(api, "acme", "en")
    # A cross-site form post or fetch carries the cookie but cannot know the CSRF token.
    for headers in ({}, {"X-CSRF-Token": "0" * 64}):
        write = client.post(
            "/console/api/presence?tenant=acme", json={"status": "online"}, headers=headers
        )
        assert write.status_code == 403, write.text
    note = client.post(
        f"/console/api/conversations/{chat.id}/notes?tenant=acme",
        data={"text": "from evil"},
    )
    assert note.status_code == 403, note.text

"""The visitor's live stream (WebSocket) and the per-tenant origin policy.

On the PostgreSQL run the broker is Redis, so this exercises the many-node path for real.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from botdesk.actions.audit import Actor
from botdesk.actions.conversations import transition
from botdesk.models import Conversation, ConversationStatus, Tenant
from botdesk.runtime import Runtime
from tests.conftest import LiveServer, Personas, VisitorChat, start_chat

SHOP = "https://shop.example"


@pytest.fixture
def shop_allowed(runtime: Runtime, personas: Personas) -> None:
    """Tenant acme allows the widget on https://shop.example."""
    with runtime.db.session() as session:
        session.execute(update(Tenant).where(Tenant.slug == "acme").values(allowed_origins=[SHOP]))


def open_stream(
    server: LiveServer, chat: VisitorChat, origin: str | None = None
) -> ClientConnection:
    url = server.url.replace("http://", "ws://") + f"/api/v1/conversations/{chat.id}/stream"
    return connect(url, origin=origin, open_timeout=10)  # type: ignore[arg-type]


def frames_until(ws: ClientConnection, kind: str, limit: int = 50) -> list[dict[str, Any]]:
    seen = []
    for _ in range(limit):
        frame = json.loads(ws.recv(timeout=10))
        seen.append(frame)
        if frame["type"] == kind:
            return seen
    raise AssertionError(f"no {kind} frame in {seen}")


def seqs(frames: list[dict[str, Any]]) -> list[int]:
    return [f["message"]["seq"] for f in frames if f["type"] == "message"]


def test_backlog_then_live_messages_each_exactly_once(
    api: httpx.Client, server: LiveServer, personas: Personas
) -> None:
    chat = start_chat(api, "acme", "en")
    chat.send("hello")  # seq 1, bot reply seq 2
    with open_stream(server, chat) as ws:
        ws.send(json.dumps({"type": "hello", "token": chat.token, "after": 1}))
        backlog = frames_until(ws, "ready")
        assert seqs(backlog) == [2]
        assert backlog[-1] == {"type": "ready", "last_seq": 2}
        chat.send("thanks")  # seq 3 and its reply seq 4 arrive live
        live = frames_until(ws, "message") + frames_until(ws, "message")
        assert seqs(live) == [3, 4]
        assert live[0]["message"]["text"] == "thanks"
    # A reconnect from the last seq seen gets nothing twice and nothing missed.
    chat.send("bye")
    with open_stream(server, chat) as ws:
        ws.send(json.dumps({"type": "hello", "token": chat.token, "after": 4}))
        assert seqs(frames_until(ws, "ready")) == [5, 6]


def test_wrong_token_or_bad_hello_closes_the_stream(
    api: httpx.Client, server: LiveServer, personas: Personas
) -> None:
    chat = start_chat(api, "acme", "en")
    with open_stream(server, chat) as ws:
        ws.send(json.dumps({"type": "hello", "token": "not-the-token", "after": 0}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
    with open_stream(server, chat) as ws:
        ws.send(json.dumps({"type": "hello", "token": chat.token, "after": 2**40}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    bad_hellos = [
        "not json",
        # Issue #13, finding 7: these crashed the handler instead of closing with 4400.
        f'{{"type": "hello", "token": "{chat.token}", "after": Infinity}}',
        f'{{"type": "hello", "token": "{chat.token}", "after": 1e400}}',
        f'{{"type": "hello", "token": "{chat.token}", "after": NaN}}',
        f'{{"type": "hello", "token": "{chat.token}", "after": 1.5}}',
        f'{{"type": "hello", "token": "{chat.token}", "after": true}}',
        '{"type": "hello", "token": 12345, "after": 0}',
        '["hello"]',
        '"hello"',
    ]
    for frame in bad_hellos:
        with open_stream(server, chat) as ws:
            ws.send(frame)
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400, frame


def test_erasure_is_announced_and_ends_the_stream(
    api: httpx.Client, server: LiveServer, personas: Personas
) -> None:
    chat = start_chat(api, "acme", "en")
    with open_stream(server, chat) as ws:
        ws.send(json.dumps({"type": "hello", "token": chat.token, "after": 0}))
        frames_until(ws, "ready")
        assert api.delete(f"/api/v1/conversations/{chat.id}", headers=chat.auth).status_code == 204
        assert frames_until(ws, "erased")[-1] == {"type": "erased"}
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404


def test_the_stream_refuses_sites_the_tenant_has_not_allowed(
    api: httpx.Client, server: LiveServer, personas: Personas, shop_allowed: None
) -> None:
    chat = start_chat(api, "acme", "en")
    # Refused like a made-up id, so the site learns nothing about the conversation.
    for conversation_id in (chat.id, str(uuid.uuid4())):
        probe = VisitorChat(api, conversation_id, chat.token)
        with open_stream(server, probe, origin="https://evil.example") as ws:
            ws.send(json.dumps({"type": "hello", "token": chat.token, "after": 0}))
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
    with open_stream(server, chat, origin=SHOP) as ws:
        ws.send(json.dumps({"type": "hello", "token": chat.token, "after": 0}))
        assert frames_until(ws, "ready")[-1]["type"] == "ready"


def test_cors_follows_the_tenants_allowed_origins(
    api: httpx.Client, personas: Personas, shop_allowed: None
) -> None:
    preflight = api.options(
        "/api/v1/tenants/acme/conversations",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    started = api.post("/api/v1/tenants/acme/conversations", headers={"Origin": SHOP})
    assert started.status_code == 201
    assert started.headers["access-control-allow-origin"] == SHOP
    body = started.json()
    chat = VisitorChat(api, body["conversation"]["id"], body["visitor_token"])
    sent = api.post(
        f"/api/v1/conversations/{chat.id}/messages",
        json={"text": "hi"},
        headers={**chat.auth, "Origin": SHOP},
    )
    assert sent.status_code == 201 and sent.headers["access-control-allow-origin"] == SHOP

    evil = {"Origin": "https://evil.example"}
    refused = api.post("/api/v1/tenants/acme/conversations", headers=evil)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in refused.headers
    foreign = api.get(f"/api/v1/conversations/{chat.id}/messages", headers={**chat.auth, **evil})
    made_up = api.get(
        f"/api/v1/conversations/{uuid.uuid4()}/messages", headers={**chat.auth, **evil}
    )
    assert foreign.status_code == made_up.status_code == 404
    assert foreign.json() == made_up.json()
    assert "access-control-allow-origin" not in foreign.headers
    # bobs allows no other site at all; curl-like callers (no Origin) are not browsers.
    assert (
        api.post("/api/v1/tenants/bobs/conversations", headers={"Origin": SHOP}).status_code == 403
    )
    assert api.post("/api/v1/tenants/bobs/conversations").status_code == 201
    unknown = api.get(
        f"/api/v1/conversations/{uuid.uuid4()}/messages", headers={**chat.auth, **evil}
    )
    assert unknown.status_code == 404


def test_widget_settings(api: httpx.Client, personas: Personas) -> None:
    config = api.get("/api/v1/tenants/bobs/widget").json()
    assert config == {
        "tenant": "bobs",
        "name": "Bob's Boots",
        "languages": ["sv", "nb", "en"],
        "default_language": "sv",
        "position": "right",
        "colors": {"primary": "#1f5f8b"},
        "privacy_policy_url": None,
        "retention_days": 60,
        "greeting": None,
        "texts": {},
        "topics": {},
        "reply_minutes": None,  # no accepted chats yet: no number is invented
        "time_zone": "UTC",
        "sound": False,
        "keep_days": 0,
    }
    assert api.get("/api/v1/tenants/nope/widget").status_code == 404


def test_the_stream_declines_per_message_compression(
    api: httpx.Client, server: LiveServer, personas: Personas
) -> None:
    """Browsers offer permessage-deflate; taking it would cost each idle socket its zlib state."""
    chat = start_chat(api, "acme", "en")
    url = server.url.replace("http://", "ws://") + f"/api/v1/conversations/{chat.id}/stream"
    with connect(url, open_timeout=10) as ws:  # the client offers permessage-deflate by default
        assert ws.request is not None and "permessage-deflate" in str(ws.request.headers)
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send(json.dumps({"type": "hello", "token": chat.token, "after": 0}))
        assert frames_until(ws, "ready")[-1]["type"] == "ready"


def test_writing_in_a_closed_conversation_reopens_it_live(
    api: httpx.Client, server: LiveServer, personas: Personas, runtime: Runtime
) -> None:
    """Issue #14, finding 3: the widget hears `bot` (after the commit), then the thread goes on."""
    chat = start_chat(api, "acme", "en")
    chat.send("hello")  # seq 1, bot reply seq 2
    with runtime.db.session() as session:
        conversation = session.get(Conversation, uuid.UUID(chat.id))
        assert conversation is not None
        transition(session, Actor.system(), conversation, ConversationStatus.CLOSED)
    with open_stream(server, chat) as ws:
        ws.send(json.dumps({"type": "hello", "token": chat.token, "after": 2}))
        frames_until(ws, "ready")
        assert chat.send("one more thing").status_code == 201
        live = frames_until(ws, "message")
        assert live[0] == {"type": "status", "status": "bot"}  # before the message it allowed
        assert seqs(live + frames_until(ws, "message")) == [3, 4]
    with open_stream(server, chat) as ws:  # coming back later: the whole thread, one conversation
        ws.send(json.dumps({"type": "hello", "token": chat.token, "after": 0}))
        assert seqs(frames_until(ws, "ready")) == [1, 2, 3, 4]

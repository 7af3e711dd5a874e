"""The visitor API v1, through a real HTTP server, on every backend."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import Personas, VisitorChat, start_chat


def test_start_conversation_returns_id_token_and_tenant_policy(
    api: httpx.Client, personas: Personas
) -> None:
    response = api.post("/api/v1/tenants/bobs/conversations", json={"language": "sv-FI"})
    assert response.status_code == 201
    body = response.json()
    conversation = body["conversation"]
    assert conversation["tenant"] == "bobs"
    assert conversation["status"] == "bot"
    assert conversation["language"] == "sv"
    assert conversation["last_seq"] == 0
    assert conversation["retention_days"] == 60
    uuid.UUID(conversation["id"])
    assert len(body["visitor_token"]) >= 40


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("nn", "nb"),
        ("EN_gb", "en"),
        ("fi", "sv"),
        ("de", "sv"),
        (None, "sv"),
    ],
)
def test_language_is_one_of_the_tenants(
    api: httpx.Client, personas: Personas, hint: str | None, expected: str
) -> None:
    # bobs speaks sv, nb, en (sv first): Finnish and German fall back to the default.
    chat = start_chat(api, "bobs", hint)
    state = api.get(f"/api/v1/conversations/{chat.id}", headers=chat.auth).json()
    assert state["language"] == expected


@pytest.mark.parametrize(
    ("slug", "language", "text", "reply"),
    [
        ("acme", "fi", "Moi!", "Hei! Miten voin auttaa?"),
        ("acme", "en", "hello there", "Hi! How can I help you today?"),
        ("bobs", "sv", "hej", "Hej! Hur kan jag hjälpa dig?"),
        ("bobs", "nb", "Tusen takk", "Bare hyggelig!"),
    ],
)
def test_bot_replies_in_the_conversation_language(
    api: httpx.Client, personas: Personas, slug: str, language: str, text: str, reply: str
) -> None:
    chat = start_chat(api, slug, language)
    response = chat.send(text)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["message"] == {**body["message"], "seq": 1, "sender": "visitor", "text": text}
    assert [(r["seq"], r["sender"], r["text"], r["reply_to_seq"]) for r in body["replies"]] == [
        (2, "bot", reply, 1)
    ]


def test_unknown_text_gets_an_honest_fallback(api: httpx.Client, personas: Personas) -> None:
    chat = start_chat(api, "acme", "en")
    reply = chat.send("What is the airspeed of an unladen swallow?").json()["replies"][0]
    assert "can't answer that yet" in reply["text"]


def test_list_messages_after_a_sequence_number(api: httpx.Client, personas: Personas) -> None:
    chat = start_chat(api, "acme", "en")
    for text in ("hi", "thanks", "bye"):
        assert chat.send(text).status_code == 201
    everything = chat.messages().json()
    assert [m["seq"] for m in everything["messages"]] == [1, 2, 3, 4, 5, 6]
    assert everything["last_seq"] == 6 and everything["has_more"] is False
    page = chat.messages(after=2, limit=3).json()
    assert [m["seq"] for m in page["messages"]] == [3, 4, 5]
    assert page["has_more"] is True
    assert page["messages"][0]["text"] == "thanks"
    assert chat.messages(after=6).json()["messages"] == []


def test_a_retried_send_is_stored_once(api: httpx.Client, personas: Personas) -> None:
    chat = start_chat(api, "acme", "en")
    first = chat.send("hello", client_message_id="c-1").json()
    again = chat.send("hello", client_message_id="c-1").json()
    assert again == first
    assert [m["seq"] for m in chat.messages().json()["messages"]] == [1, 2]


def test_concurrent_sends_get_distinct_gapless_sequence_numbers(
    api: httpx.Client, personas: Personas
) -> None:
    chat = start_chat(api, "acme", "en")
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(lambda i: chat.send(f"hello {i}").status_code, range(12)))
    assert codes == [201] * 12
    seqs = [m["seq"] for m in chat.messages(limit=500).json()["messages"]]
    assert seqs == list(range(1, 25))


def test_missing_token_is_401_and_wrong_token_looks_like_no_conversation(
    api: httpx.Client, personas: Personas
) -> None:
    chat = start_chat(api, "acme")
    missing = api.get(f"/api/v1/conversations/{chat.id}/messages")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    wrong = api.get(
        f"/api/v1/conversations/{chat.id}/messages",
        headers={"Authorization": "Bearer not-the-token"},
    )
    nonexistent = api.get(f"/api/v1/conversations/{uuid.uuid4()}/messages", headers=chat.auth)
    assert wrong.status_code == nonexistent.status_code == 404
    assert wrong.json() == nonexistent.json()
    assert (
        api.post(
            f"/api/v1/conversations/{chat.id}/messages",
            json={"text": "hi"},
            headers={"Authorization": "Basic abc"},
        ).status_code
        == 401
    )


def test_a_token_opens_only_its_own_conversation(api: httpx.Client, personas: Personas) -> None:
    mine = start_chat(api, "acme")
    theirs = start_chat(api, "bobs")
    assert theirs.send("hej").status_code == 201
    borrowed = VisitorChat(api, theirs.id, mine.token)
    assert borrowed.messages().status_code == 404
    assert borrowed.send("let me in").status_code == 404
    assert api.delete(f"/api/v1/conversations/{theirs.id}", headers=mine.auth).status_code == 404
    assert len(theirs.messages().json()["messages"]) == 2


def test_unknown_tenant_is_404(api: httpx.Client, personas: Personas) -> None:
    response = api.post("/api/v1/tenants/no-such-shop/conversations")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "no tenant 'no-such-shop'"}
    }


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": ""}, 422, "invalid"),
        ({"text": "  \n\t "}, 422, "invalid"),
        ({"text": "x" * 4001}, 413, "too_large"),
        ({"text": 42}, 422, "invalid"),
        ({}, 422, "invalid"),
        ({"text": "hi", "unexpected": 1}, 422, "invalid"),
        ({"text": "hi", "client_message_id": "has spaces"}, 422, "invalid"),
        ({"text": "hi", "client_message_id": "x" * 65}, 422, "invalid"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_stored(
    api: httpx.Client, personas: Personas, body: dict[str, object], status: int, code: str
) -> None:
    chat = start_chat(api, "acme")
    response = api.post(f"/api/v1/conversations/{chat.id}/messages", json=body, headers=chat.auth)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert chat.messages().json()["messages"] == []


def test_exactly_the_limit_is_accepted(api: httpx.Client, personas: Personas) -> None:
    chat = start_chat(api, "acme")
    assert chat.send("x" * 4000).status_code == 201


def test_malformed_json_and_oversized_bodies(api: httpx.Client, personas: Personas) -> None:
    chat = start_chat(api, "acme")
    url = f"/api/v1/conversations/{chat.id}/messages"
    headers = {**chat.auth, "Content-Type": "application/json"}
    broken = api.post(url, content=b'{"text": "unterminated', headers=headers)
    assert broken.status_code == 422
    assert broken.json()["error"]["code"] == "invalid_json"
    huge = api.post(url, content=b'{"text": "' + b"a" * 200_000 + b'"}', headers=headers)
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "too_large"

    def chunks() -> object:  # no Content-Length: the limit must hold for streamed bodies too
        yield b'{"text": "'
        for _ in range(100):
            yield b"a" * 1000
        yield b'"}'

    streamed = api.post(url, content=chunks(), headers=headers)  # type: ignore[arg-type]
    assert streamed.status_code == 413
    assert chat.messages().json()["messages"] == []


def test_bad_path_and_query_parameters(api: httpx.Client, personas: Personas) -> None:
    chat = start_chat(api, "acme")
    not_uuid = api.get("/api/v1/conversations/not-a-uuid/messages", headers=chat.auth)
    assert not_uuid.status_code == 422
    assert not_uuid.json()["error"]["details"] == [
        {"field": "path.conversation_id", "problem": "must be a UUID"}
    ]
    assert chat.messages(after=-1).status_code == 422
    assert chat.messages(after=2**40).status_code == 422  # beyond PostgreSQL's integer
    assert chat.messages(limit=501).status_code == 422
    assert (
        api.post("/api/v1/tenants/acme/conversations", json={"language": "x" * 50}).status_code
        == 422
    )


def test_unknown_routes_and_methods_use_the_error_shape(api: httpx.Client) -> None:
    assert api.get("/api/v1/nothing-here").json()["error"]["code"] == "not_found"
    wrong_method = api.put("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_visitor_deletes_their_conversation(api: httpx.Client, personas: Personas) -> None:
    chat = start_chat(api, "acme")
    chat.send("hello")
    assert api.delete(f"/api/v1/conversations/{chat.id}", headers=chat.auth).status_code == 204
    assert chat.messages().status_code == 404
    assert chat.send("still there?").status_code == 404
    assert api.delete(f"/api/v1/conversations/{chat.id}", headers=chat.auth).status_code == 404

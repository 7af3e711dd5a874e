"""Input that must get a clear 4xx, never a 500: lone surrogates, NUL bytes (#13)."""

from __future__ import annotations

import httpx

from tests.conftest import start_chat


def test_a_lone_surrogate_in_a_message_is_refused_and_nothing_is_stored(
    api: httpx.Client, bot: None
) -> None:
    chat = start_chat(api, "acme", "en")
    # A JSON escape for half a UTF-16 pair: valid JSON, but no character.
    sent = api.post(
        f"/api/v1/conversations/{chat.id}/messages",
        content=b'{"text": "x\\ud800"}',
        headers={**chat.auth, "Content-Type": "application/json"},
    )
    assert sent.status_code == 422, sent.text
    assert "surrogate" in sent.text
    assert chat.messages().json()["messages"] == []
    assert chat.send("how much is shipping").status_code == 201  # the chat goes on


def test_a_nul_byte_in_a_message_is_refused(api: httpx.Client, bot: None) -> None:
    chat = start_chat(api, "acme", "en")
    sent = chat.send("where is\x00 my parcel")
    assert sent.status_code == 422, sent.text
    assert "NUL" in sent.text


def test_a_nul_byte_in_a_tenant_slug_is_not_found(api: httpx.Client) -> None:
    for path in ("/api/v1/tenants/de%00mo/widget", "/api/v1/tenants/de%00mo/conversations"):
        response = api.request("GET" if path.endswith("widget") else "POST", path)
        assert response.status_code == 404, (path, response.status_code, response.text)


def test_a_message_of_only_invisible_characters_is_empty(api: httpx.Client, bot: None) -> None:
    chat = start_chat(api, "acme", "en")
    for text in ("\u200b\u200b", "\u200d \u2060", "\ufeff", "\u200e\u200f\u00ad"):
        sent = chat.send(text)
        assert sent.status_code == 422, (text.encode("unicode_escape"), sent.text)
        # The document's pattern says so too, so the request is refused as not valid.
        assert sent.json()["error"]["details"] == [
            {"field": "body.text", "problem": "cannot be empty: nothing in it shows"}
        ]
    assert chat.messages().json()["messages"] == []
    # An emoji with a zero-width joiner is a real message.
    assert chat.send("\U0001f469\u200d\U0001f4bb").status_code == 201

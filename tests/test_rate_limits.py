"""Rate limits: the attacks of issue #13 (an open mail relay, floods of conversations and
messages) replayed against the shipped defaults, through the HTTP API."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from limits import parse_many

from botdesk.rate_limits import Check, Limit, RateLimits
from botdesk.runtime import Runtime
from botdesk.settings import Settings
from tests.conftest import REDIS_URL, Inbox, LiveServer, Personas, make_settings, start_chat
from tests.waits import wait_until

# The most each shipped limit may allow in its shortest window: what a test of the limits
# themselves checks first, so that a default loosened by accident turns the suite red.
SAFE = {
    Limit.CONVERSATIONS_PER_ADDRESS: "20/minute",
    Limit.CONVERSATIONS_PER_TENANT: "600/minute",
    Limit.MESSAGES_PER_ADDRESS: "120/minute",
    Limit.MESSAGES_PER_CONVERSATION: "30/minute",
    Limit.TRANSCRIPT_EMAILS_PER_CONVERSATION: "3/hour",
    Limit.TRANSCRIPT_EMAILS_PER_ADDRESS: "5/hour",
    Limit.TRANSCRIPT_EMAILS_PER_RECIPIENT: "3/day",
    Limit.TRANSCRIPT_EMAILS_PER_TENANT: "60/hour",
    Limit.EXPORTS_PER_STAFF: "30/hour",
    Limit.SIGN_IN_FAILURES_PER_ADDRESS: "20/15minutes",
}


def test_the_shipped_defaults_are_the_safe_ones() -> None:
    defaults = Settings.model_fields
    assert set(SAFE) == set(Limit)
    for limit, safe in SAFE.items():
        (ceiling,) = parse_many(safe)
        shortest = parse_many(str(defaults[limit.setting].default))[0]
        assert shortest.get_expiry() == ceiling.get_expiry(), limit
        assert shortest.amount <= ceiling.amount, limit


def test_a_rate_that_is_not_one_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not a rate limit"):
        make_settings("sqlite://", tmp_path, rate_limit_messages_per_address="lots")


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 24 * 3600


def test_one_address_cannot_open_a_flood_of_conversations(
    api: httpx.Client, personas: Personas, strict_limits: RateLimits
) -> None:
    # The attack opened 300 conversations in 15 s, every one a 201.
    codes = [api.post("/api/v1/tenants/acme/conversations").status_code for _ in range(25)]
    assert codes[:20] == [201] * 20
    assert set(codes[20:]) == {429}
    _refused(api.post("/api/v1/tenants/acme/conversations"))
    # The full window counted none of the refused ones: the wait is still its first, not longer.
    assert int(api.post("/api/v1/tenants/acme/conversations").headers["retry-after"]) <= 60


def test_a_flood_of_messages_is_refused_per_conversation_and_per_address(
    api: httpx.Client, personas: Personas, strict_limits: RateLimits
) -> None:
    chats = [start_chat(api, "acme", "en") for _ in range(5)]
    first = chats[0]
    codes = [first.send(f"hello {n}").status_code for n in range(32)]
    assert codes[:30] == [201] * 30 and codes[30:] == [429, 429]
    _refused(first.send("still here"))
    # Another conversation from the same address still has its own allowance...
    assert chats[1].send("hello").status_code == 201
    # ...until the address has made 120 requests in the minute, over all its conversations
    # (those refused for their conversation count too: the address made them).
    sent = 31
    for chat in chats[1:]:
        while (response := chat.send("x")).status_code == 201:
            sent += 1
        _refused(response)
    assert "from this network" in response.json()["error"]["message"]
    assert sent == 120 - 2 - 1 - 2  # first's three refusals, and chats 1 and 2 ran out first
    fresh = start_chat(api, "acme", "en")
    assert "from this network" in fresh.send("hi").json()["error"]["message"]


def test_a_stranger_cannot_spend_someone_elses_conversation(
    api: httpx.Client, personas: Personas, strict_limits: RateLimits
) -> None:
    chat = start_chat(api, "acme", "en")
    url = f"/api/v1/conversations/{chat.id}/messages"
    for _ in range(40):  # wrong token: refused before the conversation's allowance is touched
        response = api.post(url, json={"text": "x"}, headers={"Authorization": "Bearer nope"})
        assert response.status_code == 404
    assert chat.send("hello").status_code == 201


@pytest.fixture
def mailing_api(mailing_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mailing_server.url, timeout=10) as client:
        yield client


def test_the_transcript_mail_is_not_an_open_relay(
    mailing_api: httpx.Client, inbox: Inbox, personas: Personas
) -> None:
    # The attack: 40 fresh conversations, each posting a phishing line and mailing its
    # transcript to one victim. Now the victim gets 3, and the address is cut off after 5 (and
    # could not open more than 20 conversations a minute anyway).
    codes = []
    for _ in range(15):
        chat = start_chat(mailing_api, "acme", "en")
        assert chat.send("visit https://phish.example/login now").status_code == 201
        response = mailing_api.post(
            f"/api/v1/conversations/{chat.id}/transcript/email",
            json={"email": "victim@example.com"},
            headers=chat.auth,
        )
        codes.append(response.status_code)
        if response.status_code != 202:
            _refused(response)
    assert codes[:3] == [202] * 3 and set(codes[3:]) == {429}
    wait_until(lambda: len(inbox.messages) >= 3, 5, "the three mails")
    assert len(inbox.messages) == 3
    body = inbox.messages[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    # It says where it came from, asks nothing, and the visitor's link is inert.
    assert "This is a copy of a chat on the website of Acme Outdoor" in body
    assert "If you did not ask for it, you can ignore this email" in body
    assert "https://phish.example" not in body and "phish[.]example" in body
    assert "You: visit https[:]//phish[.]example/login now" in body


def test_transcript_mail_is_limited_per_client_address_and_per_tenant(
    runtime: Runtime, inbox: Inbox, personas: Personas, tmp_path: Path
) -> None:
    from botdesk.runtime import build_runtime

    assert runtime.settings.master_key is not None
    settings = make_settings(
        runtime.settings.database_url,
        tmp_path,
        master_key=runtime.settings.master_key.get_secret_value(),
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,  # type: ignore[attr-defined]
        smtp_starttls=False,
        rate_limit_transcript_emails_per_tenant="4/hour",
        rate_limit_transcript_emails_per_address="6/hour",
    )
    mailing = build_runtime(settings)
    try:
        with LiveServer(mailing) as live, httpx.Client(base_url=live.url, timeout=10) as client:

            def mail(slug: str, n: int) -> httpx.Response:
                chat = start_chat(client, slug, "en")
                return client.post(
                    f"/api/v1/conversations/{chat.id}/transcript/email",
                    json={"email": f"someone{n}@example.com"},
                    headers=chat.auth,
                )

            assert [mail("acme", n).status_code for n in range(5)] == [202] * 4 + [429]
            # The shop's allowance is spent; another shop's is not, until the address's is.
            assert [mail("bobs", n).status_code for n in range(3)] == [202, 429, 429]
    finally:
        mailing.close()


def test_refusals_are_localised_in_the_widget_texts() -> None:
    widget = (Path(__file__).parents[1] / "src/botdesk/web/static/widget.js").read_text()
    assert widget.count("busy: ") == 4  # en, fi, sv, nb
    assert "e.status === 429 ? t.busy" in widget


@pytest.mark.skipif(REDIS_URL is None, reason="needs BOTDESK_TEST_REDIS_URL")
def test_nodes_share_one_allowance_through_redis(runtime: Runtime, tmp_path: Path) -> None:
    settings = make_settings("sqlite://", tmp_path, redis_url=REDIS_URL)
    settings = settings.model_copy(update={Limit.MESSAGES_PER_CONVERSATION.setting: "3/minute"})
    key = b"k" * 32
    prefix = f"test-{tmp_path.name}"
    node_a, node_b = (RateLimits(settings, key, key_prefix=prefix) for _ in range(2))
    check = Check(Limit.MESSAGES_PER_CONVERSATION, "c1")
    for node in (node_a, node_b, node_a):
        node.take(check)
    with pytest.raises(Exception, match="too many messages in this conversation"):
        node_b.take(check)
    node_a.reset()


def test_with_redis_gone_each_node_still_limits(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = make_settings("sqlite://", tmp_path, redis_url=f"redis://127.0.0.1:{port}/0")
    settings = settings.model_copy(update={Limit.MESSAGES_PER_CONVERSATION.setting: "2/minute"})
    limits = RateLimits(settings, b"k" * 32)
    check = Check(Limit.MESSAGES_PER_CONVERSATION, "c1")
    with caplog.at_level(logging.WARNING, logger="botdesk.rate_limits"):
        limits.take(check)
        limits.take(check)
        with pytest.raises(Exception, match="too many messages"):
            limits.take(check)
    assert "rate limits fall back to this node" in caplog.text


def test_keys_hold_no_address_or_email(tmp_path: Path) -> None:
    limits = RateLimits(make_settings("sqlite://", tmp_path), b"k" * 32)
    assert "203.0.113.9" not in limits.address("203.0.113.9")
    assert "victim" not in limits.recipient("victim@example.com")
    # An IPv6 client is one client per /64.
    assert limits.address("2001:db8::1") == limits.address("2001:db8::ffff:1")
    assert limits.address("2001:db8::1") != limits.address("2001:db8:0:1::1")

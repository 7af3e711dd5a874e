"""Emailing a transcript to the shopper, through a real SMTP server run by the test."""

from __future__ import annotations

import email
import socket
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from botdesk.models import AuditEntry
from botdesk.runtime import Runtime, build_runtime
from tests.conftest import LiveServer, Personas, make_settings, start_chat


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def mailing_api(
    runtime: Runtime, inbox: tuple[Inbox, int], tmp_path: Path
) -> Iterator[httpx.Client]:
    """The app on the same database, configured with the test's SMTP server."""
    assert runtime.settings.master_key is not None
    settings = make_settings(
        runtime.settings.database_url,
        tmp_path,
        master_key=runtime.settings.master_key.get_secret_value(),
        smtp_host="127.0.0.1",
        smtp_port=inbox[1],
        smtp_starttls=False,
        smtp_from="Nordkapp Wear <chat@shop.example>",
    )
    mailing = build_runtime(settings)
    with LiveServer(mailing) as live, httpx.Client(base_url=live.url, timeout=10) as client:
        yield client
    mailing.close()


def test_the_transcript_is_mailed_once_per_request_and_rate_limited(
    mailing_api: httpx.Client, inbox: tuple[Inbox, int], personas: Personas, runtime: Runtime
) -> None:
    chat = start_chat(mailing_api, "acme", "fi")
    chat.send("Moi!")
    url = f"/api/v1/conversations/{chat.id}/transcript/email"
    sent = mailing_api.post(url, json={"email": "Shopper@Example.com"}, headers=chat.auth)
    assert sent.status_code == 202 and sent.json() == {"sent": True}
    deadline = time.monotonic() + 5
    while not inbox[0].messages and time.monotonic() < deadline:
        time.sleep(0.05)
    (message,) = inbox[0].messages
    assert message["To"] == "shopper@example.com"
    assert message["Subject"] == "Keskustelusi: Acme Outdoor"
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Sinä: Moi!" in body and "Botti: Hei! Miten voin auttaa?" in body
    for _ in range(2):
        assert (
            mailing_api.post(url, json={"email": "a@example.com"}, headers=chat.auth).status_code
            == 202
        )
    limited = mailing_api.post(url, json={"email": "a@example.com"}, headers=chat.auth)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    with runtime.db.session() as session:
        details = session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "transcript.emailed")
        ).all()
    assert len(details) == 3 and all("@" not in str(d) for d in details)


def test_bad_requests_to_mail_a_transcript(
    mailing_api: httpx.Client, api: httpx.Client, personas: Personas
) -> None:
    chat = start_chat(mailing_api, "acme", "en")
    url = f"/api/v1/conversations/{chat.id}/transcript/email"
    assert (
        mailing_api.post(url, json={"email": "not-an-email"}, headers=chat.auth).status_code == 422
    )
    assert (
        mailing_api.post(
            url, json={"email": "a@example.com"}, headers={"Authorization": "Bearer wrong"}
        ).status_code
        == 404
    )
    # The session's own server has no SMTP configured: a clear 503, not a 500.
    unavailable = api.post(url, json={"email": "a@example.com"}, headers=chat.auth)
    assert unavailable.status_code == 503
    assert "download the chat instead" in unavailable.json()["error"]["message"]

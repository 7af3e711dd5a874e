"""Emailing a transcript to the shopper, through a real SMTP server run by the test."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from botdesk.models import AuditEntry
from botdesk.runtime import Runtime
from tests.conftest import Inbox, LiveServer, Personas, start_chat


@pytest.fixture
def mailing_api(mailing_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mailing_server.url, timeout=10) as client:
        yield client


def test_the_transcript_is_mailed_once_per_request_and_rate_limited(
    mailing_api: httpx.Client, inbox: Inbox, personas: Personas, runtime: Runtime
) -> None:
    chat = start_chat(mailing_api, "acme", "fi")
    chat.send("Moi!")
    url = f"/api/v1/conversations/{chat.id}/transcript/email"
    sent = mailing_api.post(url, json={"email": "Shopper@Example.com"}, headers=chat.auth)
    assert sent.status_code == 202 and sent.json() == {"sent": True}
    deadline = time.monotonic() + 5
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    (message,) = inbox.messages
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

"""Emailing a transcript to the shopper, through a real SMTP server run by the test."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from botdesk.models import AuditEntry
from botdesk.runtime import Runtime, build_runtime
from tests.conftest import Inbox, LiveServer, Personas, make_settings, start_chat
from tests.waits import wait_until


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
    wait_until(lambda: inbox.messages, 5, "the mail")
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


def test_bad_requests_to_mail_a_transcript(mailing_api: httpx.Client, personas: Personas) -> None:
    chat = start_chat(mailing_api, "acme", "en")
    url = f"/api/v1/conversations/{chat.id}/transcript/email"
    assert (
        mailing_api.post(url, json={"email": "not-an-email"}, headers=chat.auth).status_code == 422
    )
    # Found by Schemathesis: addresses the mail headers could not hold were a 500.
    literal = mailing_api.post(url, json={"email": "a@[\U0001f3fb.mn.fi"}, headers=chat.auth)
    assert literal.status_code == 422, literal.text
    quoted = mailing_api.post(url, json={"email": 'x"y,z@b.cc'}, headers=chat.auth)
    assert quoted.status_code == 202, quoted.text
    assert (
        mailing_api.post(
            url, json={"email": "a@example.com"}, headers={"Authorization": "Bearer wrong"}
        ).status_code
        == 404
    )


def test_without_a_mail_server_development_writes_an_outbox_and_production_refuses(
    runtime: Runtime, personas: Personas, tmp_path: Path
) -> None:
    assert runtime.settings.master_key is not None
    key = runtime.settings.master_key.get_secret_value()
    for environment in ("development", "production"):
        settings = make_settings(
            runtime.settings.database_url,
            tmp_path / environment,
            master_key=key,
            environment=environment,
        )
        other = build_runtime(settings)
        with LiveServer(other) as live, httpx.Client(base_url=live.url, timeout=10) as client:
            chat = start_chat(client, "acme", "en")
            chat.send("hello")
            answer = client.post(
                f"/api/v1/conversations/{chat.id}/transcript/email",
                json={"email": "a@example.com"},
                headers=chat.auth,
            )
        other.close()
        outbox = tmp_path / environment / "outbox"
        if environment == "development":
            assert answer.status_code == 202
            (mail,) = outbox.iterdir()
            assert stat.S_IMODE(mail.stat().st_mode) == 0o600
            assert "You: hello" in mail.read_text()
        else:  # a clear 503, not a 500, and nothing written anywhere
            assert answer.status_code == 503
            assert "download the chat instead" in answer.json()["error"]["message"]
            assert not outbox.exists()

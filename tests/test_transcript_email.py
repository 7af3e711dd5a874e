"""Emailing a transcript to the shopper, through a real SMTP server run by the test."""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update

from botdesk.actions.audit import Actor
from botdesk.actions.tenants import create_tenant
from botdesk.actions.transcripts import transcript_text
from botdesk.models import AuditEntry, Message, SenderKind, Tenant
from botdesk.runtime import Runtime, build_runtime
from botdesk.transcripts import Button, MessageContent, StoredMessage
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


@pytest.fixture
def helsinki(runtime: Runtime, personas: Personas) -> Iterator[None]:
    """Acme's opening hours are in Helsinki time (tenant rows outlive a test: put it back)."""
    tenant = Tenant.id == personas.alice.tenant.id
    with runtime.db.session() as session:
        before = session.scalar(select(Tenant.handover).where(tenant))
        session.execute(
            update(Tenant).where(tenant).values(handover={"timezone": "Europe/Helsinki"})
        )
    yield
    with runtime.db.session() as session:
        session.execute(update(Tenant).where(tenant).values(handover=before))
    runtime.tenants.clear()


def test_the_mailed_transcript_is_clean_text_with_options_and_dates_in_the_shops_zone(
    mailing_api: httpx.Client, inbox: Inbox, runtime: Runtime, bot: None, helsinki: None
) -> None:
    chat = start_chat(mailing_api, "acme", "fi")
    chat.send("Moi!")
    chat.send("paljonko toimitus maksaa **nyt**")
    url = f"/api/v1/conversations/{chat.id}/transcript/email"
    assert mailing_api.post(url, json={"email": "s@example.com"}, headers=chat.auth).is_success
    wait_until(lambda: inbox.messages, 5, "the mail")
    mail = inbox.messages[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    body = mail.replace("\r\n", "\n")
    # The bot's Markdown is clean text; the shopper's own text is left exactly as typed.
    assert "Botti: Toimitus Suomeen maksaa 4,90 €, yli 50 €:n tilaukset ilmaiseksi." in body
    assert "Sinä: paljonko toimitus maksaa **nyt**" in body
    assert body.count("**") == 2
    # The greeting's quick reply is an option, on the line under its message.
    assert "Botti: Hei! Miten voin auttaa?\n    Vaihtoehdot: Toimituskulut\n" in body
    # Full dates, in the shop's zone, as Finnish writes them ("8.12.2026 14.05").
    with runtime.db.session() as session:
        first = session.scalar(select(Message.created_at).order_by(Message.seq).limit(1))
    assert first is not None
    local = first.replace(tzinfo=dt.UTC).astimezone(ZoneInfo("Europe/Helsinki"))
    assert f"{local.day}.{local.month}.{local.year} {local.hour}.{local:%M}  Sinä: Moi!" in body
    assert "Ajat ovat kaupan aikavyöhykkeellä (Europe/Helsinki)." in body
    assert "UTC" not in body


def _message(seq: int, sender: SenderKind, text: str, *buttons: Button) -> StoredMessage:
    when = dt.datetime(2026, 12, 8, 12, 5, tzinfo=dt.UTC)
    return StoredMessage(seq, sender, MessageContent(text, buttons), when, None)


def test_transcript_text_writes_links_as_text_and_address(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        tenant = create_tenant(
            session, runtime.keyring, Actor.operator(), slug="nk", name="Nordkapp", languages=["en"]
        )
        tenant.handover = {"timezone": "Europe/Helsinki"}
    messages = [
        _message(1, SenderKind.VISITOR, "see evil.example/login"),
        _message(
            2,
            SenderKind.BOT,
            "Returns are **free**: use the [returns page](/returns).\n\n"
            "- keep the *tags*\n- pack it",
            Button("Size guide", "url:/size-guide"),
            Button("Track an order", "intent:track_order"),
            Button("Invoice", "intent:invoice"),
        ),
        _message(
            3,
            SenderKind.AGENT,
            "Write to [us](mailto:help@shop.example) or [x](javascript:alert(1))",
        ),
    ]
    text = transcript_text(tenant, "en", messages, "https://shop.example")
    assert "8 Dec 2026 14:05  You: see evil[.]example/login" in text
    assert (
        "8 Dec 2026 14:05  Bot: Returns are free: use the returns page"
        " (https://shop.example/returns).\n"
        "    - keep the tags\n"
        "    - pack it\n"
        "    Options: Track an order | Invoice\n"
        "    Size guide (https://shop.example/size-guide)\n"
    ) in text
    assert "Customer service: Write to us (help@shop.example) or [x](javascript:alert(1))" in text
    assert "Times are in the shop's time zone, Europe/Helsinki." in text
    # Without the shop's origin a relative link has nowhere to lead: its text only.
    bare = transcript_text(tenant, "en", messages[1:2])
    assert "use the returns page.\n" in bare and "/returns" not in bare
    assert "Size guide" not in bare

"""The staff console over HTTP: sign-in, tenant isolation, roles, audited transcript reads."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select, update

from botdesk.models import AuditEntry, StaffSession, User
from botdesk.runtime import Runtime
from tests.conftest import PASSWORD, LiveServer, Personas, console_sign_in, start_chat


@pytest.fixture
def browser(server: LiveServer) -> Iterator[httpx.Client]:
    """A cookie-keeping client, like a staff member's browser."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def sign_in(client: httpx.Client, user: User, password: str = PASSWORD) -> httpx.Response:
    return console_sign_in(client, user.email, password)


def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def test_signed_out_visitors_are_sent_to_the_login_page(browser: httpx.Client) -> None:
    response = browser.get("/console")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"
    assert browser.get(f"/console/conversations/{uuid.uuid4()}").status_code == 303


def test_wrong_credentials_are_refused_and_audited_without_the_email(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    wrong = sign_in(browser, personas.alice.agent, "not the password")
    assert wrong.status_code == 401
    assert "Wrong email or password." in wrong.text
    unknown = console_sign_in(browser, "nobody@example.com")
    assert unknown.status_code == 401
    assert "botdesk_console" not in browser.cookies
    failures = audit(runtime, "staff.sign_in_failed")
    assert [f.target_id for f in failures] == [str(personas.alice.agent.id), None]
    assert all("@" not in str(f.details) for f in failures)
    browser.get("/console/login")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', browser.get("/console/login").text)
    assert token is not None
    empty = browser.post("/console/login", data={"csrf": token.group(1)})
    assert empty.status_code == 422 and "Enter your email and password." in empty.text


def test_agent_signs_in_and_sees_only_their_tenants_conversations(
    api: httpx.Client, browser: httpx.Client, personas: Personas
) -> None:
    ours = start_chat(api, "acme", "en")
    ours.send("hello")
    theirs = start_chat(api, "bobs", "sv")
    response = sign_in(browser, personas.alice.agent)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    home = browser.get("/console")
    assert home.status_code == 200
    assert "Acme Outdoor" in home.text
    assert home.headers["content-security-policy"].startswith("default-src 'self'")
    # The desk's Recent list (filled by console.js) holds this tenant's conversations only.
    listed = browser.get("/console/api/recent", params={"show": "all"}).json()["items"]
    assert [c["id"] for c in listed] == [ours.id]
    assert theirs.id not in browser.get("/console/api/recent", params={"show": "all"}).text


def test_reading_a_transcript_is_audited_and_escaped(
    api: httpx.Client, browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    chat.send("<script>alert('x')</script> hello")
    sign_in(browser, personas.alice.agent)
    page = browser.get(f"/console/conversations/{chat.id}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; hello" in page.text
    assert "<script>alert" not in page.text
    reads = audit(runtime, "transcript.read")
    assert [(r.actor_id, r.target_id, r.tenant_id) for r in reads] == [
        (personas.alice.agent.id, chat.id, personas.alice.tenant.id)
    ]


def test_another_tenants_conversation_is_not_found(
    api: httpx.Client, browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    theirs = start_chat(api, "bobs", "sv")
    theirs.send("hej")
    sign_in(browser, personas.alice.admin)
    page = browser.get(f"/console/conversations/{theirs.id}")
    assert page.status_code == 404
    assert "hej" not in page.text
    assert browser.get(f"/console/conversations/{theirs.id}?tenant=bobs").status_code == 403
    assert browser.get("/console?tenant=bobs").status_code == 403
    assert audit(runtime, "transcript.read") == []


def test_analysts_see_figures_but_never_transcripts(
    api: httpx.Client, browser: httpx.Client, personas: Personas
) -> None:
    chat = start_chat(api, "acme", "en")
    chat.send("hello")
    sign_in(browser, personas.alice.analyst)
    home = browser.get("/console")
    assert home.status_code == 200
    assert chat.id[:8] not in home.text
    assert "figures only" in home.text
    assert browser.get(f"/console/conversations/{chat.id}").status_code == 403


def test_staff_without_a_role_get_nothing(
    api: httpx.Client, browser: httpx.Client, personas: Personas
) -> None:
    chat = start_chat(api, "acme", "en")
    sign_in(browser, personas.stranger)
    assert browser.get("/console").status_code == 403
    assert browser.get(f"/console/conversations/{chat.id}").status_code == 403


def test_sign_out_needs_the_csrf_token_and_ends_the_session(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    sign_in(browser, personas.bob.agent)
    home = browser.get("/console")
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', home.text)
    assert match
    token = browser.cookies["botdesk_console"]
    browser.post("/console/logout", data={"csrf": "forged"})
    browser.cookies.set("botdesk_console", token, path="/console")
    assert browser.get("/console").status_code == 200  # a forged sign-out changed nothing
    browser.post("/console/logout", data={"csrf": match.group(1)})
    browser.cookies.set("botdesk_console", token, path="/console")  # replaying the old cookie
    assert browser.get("/console").status_code == 303
    assert [e.actor_id for e in audit(runtime, "staff.signed_out")] == [personas.bob.agent.id]


def test_expired_sessions_are_refused(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    sign_in(browser, personas.bob.admin)
    assert browser.get("/console").status_code == 200
    with runtime.db.session() as session:
        session.execute(
            update(StaffSession).values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
    assert browser.get("/console").status_code == 303


def test_bot_markdown_is_rendered_but_visitor_text_never_is(
    api: httpx.Client, browser: httpx.Client, personas: Personas, bot: None
) -> None:
    chat = start_chat(api, "acme", "en")
    chat.send("how much is **shipping** <b>now</b>?")
    sign_in(browser, personas.alice.agent)
    page = browser.get(f"/console/conversations/{chat.id}").text
    assert "how much is **shipping** &lt;b&gt;now&lt;/b&gt;?" in page
    assert "Delivery to Finland is <strong>4.90 €</strong>, free over 50 €." in page

"""Security headers on every response (issue #13, finding 9 and "Headers"): a strict CSP, nosniff,
a Referrer-Policy, no-store on anything that can carry conversation content, HSTS over https."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from botdesk.runtime import Runtime, build_runtime
from tests.conftest import LiveServer, Personas, console_sign_in, make_settings, start_chat


def assert_strict(response: httpx.Response, *, cached: bool = False) -> None:
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp, csp
    assert "frame-ancestors 'none'" in csp, csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    if not cached:
        assert headers["cache-control"] == "no-store", (response.url, headers.get("cache-control"))
    assert "strict-transport-security" not in headers  # served over http here


def test_conversation_content_is_never_cached(
    api: httpx.Client, server: LiveServer, personas: Personas
) -> None:
    chat = start_chat(api, "acme", "en")
    sent = chat.send("my order 4001234")
    assert_strict(sent)
    listed = chat.messages()
    assert listed.status_code == 200 and "4001234" in listed.text
    assert_strict(listed)
    assert listed.headers["content-security-policy"].startswith("default-src 'none'")
    assert_strict(api.get(f"/api/v1/conversations/{chat.id}", headers=chat.auth))
    # Errors too, and even a 413 refused before the app saw the body.
    assert_strict(api.get("/api/v1/tenants/nope/widget"))
    assert_strict(api.post("/api/v1/tenants/acme/conversations", content=b"x" * 200_000))
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        assert console_sign_in(browser, personas.alice.agent.email).status_code == 303
        home = browser.get("/console?tenant=acme")
        assert_strict(home)
        assert home.headers["content-security-policy"].startswith("default-src 'self'")
        transcript = browser.get(f"/console/conversations/{chat.id}?tenant=acme")
        assert transcript.status_code == 200 and "4001234" in transcript.text
        assert_strict(transcript)
        api_view = browser.get(f"/console/api/conversations/{chat.id}?tenant=acme")
        assert api_view.status_code == 200
        assert_strict(api_view)


def test_static_files_may_be_cached_and_keep_the_other_headers(api: httpx.Client) -> None:
    css = api.get("/static/console.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")
    assert_strict(css, cached=True)
    widget = api.get("/widget.js")
    assert widget.headers["cache-control"] == "public, max-age=300"
    assert_strict(widget, cached=True)


def test_https_deployments_send_hsts(runtime: Runtime, personas: Personas, tmp_path: Path) -> None:
    assert runtime.settings.master_key is not None
    secure = build_runtime(
        make_settings(
            runtime.settings.database_url,
            tmp_path,
            master_key=runtime.settings.master_key.get_secret_value(),
            base_url="https://chat.example",
        )
    )
    try:
        with LiveServer(secure) as live, httpx.Client(base_url=live.url, timeout=10) as client:
            for path in ("/healthz", "/console/login", "/static/console.css"):
                hsts = client.get(path).headers["strict-transport-security"]
                assert hsts == "max-age=31536000; includeSubDomains", path
    finally:
        secure.close()


@pytest.mark.browser
def test_the_api_docs_page_runs_under_its_policy(chromium: Any, server: LiveServer) -> None:
    """Swagger UI's one inline script is allowed by its hash: the page renders, with no
    violation reported."""
    context = chromium.new_context(base_url=server.url)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    try:
        page.goto("/api/v1/docs")
        page.get_by_text("Start a conversation").first.wait_for(timeout=15_000)
        assert violations == []
    finally:
        context.close()

"""The demo shop and the console in headless Chromium (Debian's, driven by Playwright).

Screenshots of each state land in ./screenshots/ for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from botdesk.actions.audit import Actor
from botdesk.actions.tenants import create_tenant
from botdesk.runtime import Runtime
from tests.conftest import PASSWORD, LiveServer, Personas, start_chat

SHOTS = Path(__file__).resolve().parent.parent / "screenshots"
pytestmark = pytest.mark.browser


@pytest.fixture
def page(chromium: Any, server: LiveServer) -> Iterator[Any]:
    context = chromium.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.unexpected_errors = errors  # a test expecting an error response removes it here
    yield page
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_demo_shop_page_embeds_the_chat(page: Any, personas: Personas, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        create_tenant(
            session,
            runtime.keyring,
            Actor.operator(),
            slug="demo",
            name="Nordkapp Wear",
            languages=["fi", "sv", "nb", "en"],
        )
    page.goto("/")
    assert page.title() == "Nordkapp Wear · demo shop"
    assert page.locator(".product").count() == 6
    assert page.get_by_role("link", name="/console").is_visible()
    launcher = page.get_by_role("button", name="Open chat")
    launcher.wait_for()
    shot(page, "shop")
    launcher.click()
    box = page.get_by_role("textbox")
    box.fill("hello")
    box.press("Enter")
    page.get_by_text("Hi! How can I help you today?").wait_for()
    shot(page, "shop-chat")


def test_agent_signs_in_reads_a_transcript_and_signs_out(
    page: Any, personas: Personas, api: httpx.Client
) -> None:
    chat = start_chat(api, "acme", "fi")
    chat.send("Moi! Missä tilaukseni on?")
    page.goto("/console")
    assert page.url.endswith("/console/login")
    shot(page, "console-login")
    # Keyboard only: the email field has focus; tab to the password; Enter submits.
    page.keyboard.type(personas.alice.agent.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    assert page.get_by_role("heading", name="Acme Outdoor").is_visible()
    shot(page, "console-home")
    # A bot-only chat is not among the handled ones the Recent list starts with: show them all.
    page.get_by_label("Show").select_option("all")
    page.get_by_role("link", name=f"Transcript of {chat.id[:8]}").click()
    page.wait_for_url(f"**/console/conversations/{chat.id}*")
    assert page.get_by_text("Moi! Missä tilaukseni on?").is_visible()
    assert page.get_by_text("Hei! Miten voin auttaa?").is_visible()
    shot(page, "console-transcript")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/login")


def test_wrong_password_shows_an_inline_error(page: Any, personas: Personas) -> None:
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto("/console/login")
    page.get_by_label("Email").fill(personas.bob.agent.email)
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text() == (
        "Wrong email or password. Repeated failures lock an account for a while."
    )
    # The refused sign-in is a 401 page, which Chromium reports as a failed load.
    page.unexpected_errors.remove(
        "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    )
    shot(page, "console-login-error-phone")

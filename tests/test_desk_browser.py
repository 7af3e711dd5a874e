"""The agent desk in headless Chromium (issue #14): bot Markdown rendered, live counters, the
Recent list, the "/" canned-reply menu with a preview, and answering an offline message in chat.

Shoppers and colleagues act over HTTP (fast); the agent under test uses the real console page.
Screenshots land in ./screenshots/desk-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from botdesk.actions.audit import Actor
from botdesk.actions.canned_replies import create_canned_reply
from botdesk.models import User
from botdesk.runtime import Runtime
from tests.conftest import PASSWORD, LiveServer, Personas, console_sign_in, start_chat
from tests.test_handover import Agent, ask_for_person, queued_chat, send_form
from tests.test_widget import SHOTS

pytestmark = pytest.mark.browser
TIMEOUT = 15_000


@pytest.fixture
def desk(chromium: Any, server: LiveServer) -> Iterator[Callable[[User], Any]]:
    """Opens a signed-in console page; every page must log no errors."""
    pages: list[tuple[Any, list[str]]] = []

    def open_desk(user: User) -> Any:
        context = chromium.new_context(base_url=server.url, viewport={"width": 1320, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/console/login")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("sign in", re.I)).click()
        page.locator("#desk").wait_for()
        pages.append((page, errors))
        return page

    yield open_desk
    for page, errors in pages:
        page.context.close()
        assert errors == [], errors


@pytest.fixture
def colleague(server: LiveServer, personas: Personas) -> Iterator[Agent]:
    """Alice's admin at work over the console's JSON API."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert console_sign_in(client, personas.alice.admin.email).status_code == 303
        admin = Agent(client, personas.alice.admin, "acme")
        admin.online()
        yield admin


def _online(page: Any) -> None:
    # The desk's script has drawn the team from its first state (so its handlers are on): a
    # choice made before that would change the select and nothing else.
    page.locator("li.agent", has_text="(you)").wait_for(timeout=TIMEOUT)
    page.locator("#presence").select_option("online")
    page.get_by_text("Shoppers can reach a person now.").wait_for(timeout=TIMEOUT)


def test_the_desk_renders_bot_markdown_and_keeps_shopper_text_plain(
    desk: Callable[[User], Any], personas: Personas, api: httpx.Client, bot: None
) -> None:
    page = desk(personas.alice.agent)
    _online(page)
    chat = start_chat(api, "acme", "en")
    chat.send("how much is **shipping** <b>now</b>?")  # the bot answers in Markdown
    assert ask_for_person(chat).status_code == 200
    assert send_form(chat, email="maija@example.fi", topic="order").is_success
    page.locator("#queue").get_by_role("button", name="Accept").click(timeout=TIMEOUT)
    log = page.locator("#log")
    log.get_by_text("how much is **shipping** <b>now</b>?").wait_for(timeout=TIMEOUT)
    strong = log.locator(".msg-bot strong", has_text="4.90 €")
    strong.wait_for(timeout=TIMEOUT)
    assert "**" not in log.locator(".msg-bot").last.inner_text()
    assert log.locator(".msg-visitor b").count() == 0  # the shopper's "<b>" is text

    reply = page.get_by_label("Reply to the shopper")
    reply.fill(
        "See [the guide](https://shop.example/size-guide), [returns](/returns)"
        " or [this](javascript:alert(1))"
    )
    reply.press("Enter")
    link = log.get_by_role("link", name="the guide")
    link.wait_for(timeout=TIMEOUT)
    assert link.get_attribute("href") == "https://shop.example/size-guide"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    assert link.get_attribute("target") == "_blank"
    # No shop origin is known for acme: a relative link is text; javascript: never a link.
    assert log.locator("a").count() == 1
    assert "returns or [this](javascript:alert(1))" in log.locator(".msg-agent").last.inner_text()
    page.screenshot(path=str(SHOTS / "desk-markdown.png"))


def test_the_counters_follow_the_queue_without_a_reload(
    desk: Callable[[User], Any], personas: Personas, api: httpx.Client
) -> None:
    page = desk(personas.alice.agent)
    _online(page)
    queued = page.locator("#stat-queued")
    start = int(queued.inner_text())
    queued_chat(api, "first@example.com")
    page.wait_for_function(
        "n => document.getElementById('stat-queued').textContent == n",
        arg=str(start + 1),
        timeout=10_000,
    )
    # The counters bar is drawn from the same events, in its own step.
    page.wait_for_function(
        "() => document.getElementById('count-queue').textContent == '1'", timeout=10_000
    )
    queued_chat(api, "second@example.com")
    page.wait_for_function(
        "() => document.getElementById('count-queue').textContent == '2'", timeout=10_000
    )
    page.wait_for_function(
        "n => document.getElementById('stat-queued').textContent == n",
        arg=str(start + 2),
        timeout=10_000,
    )
    assert page.locator("#count-online").inner_text() == "1"


def test_the_recent_list_finds_closed_conversations_and_opens_them(
    desk: Callable[[User], Any], personas: Personas, api: httpx.Client, colleague: Agent
) -> None:
    page = desk(personas.alice.agent)
    chats = []
    for email in ("maija@example.fi", "pekka@example.fi"):
        chat = queued_chat(api, email)
        assert colleague.post(f"/conversations/{chat.id}/accept").status_code == 200
        chat.send(f"this is {email.split('@')[0]}")
        outcome = {"outcome": "resolved" if email.startswith("m") else "follow_up"}
        assert colleague.post(f"/conversations/{chat.id}/close", outcome).status_code == 200
        chats.append(chat)
    recent = page.locator("#recent")
    # Closed while the page was open: the list catches up from the stream, newest first.
    recent.locator(f"[data-id='{chats[1].id}']").wait_for(timeout=TIMEOUT)
    assert recent.locator(".item").count() == 2
    assert "Needs follow-up" in recent.locator(".item").first.inner_text()

    page.get_by_label("Search by email, order or phone number").fill("maija@example.fi")
    page.get_by_role("button", name="Search").click()
    page.wait_for_function("() => document.querySelectorAll('#recent .item').length == 1")
    recent.locator(f"[data-id='{chats[0].id}'] button.open").click()
    pane = page.locator("#pane")
    pane.get_by_text("this is maija").wait_for(timeout=TIMEOUT)
    assert pane.locator("#pane-outcome").inner_text() == "Outcome: Resolved"
    page.get_by_label("Outcome").select_option("follow_up")
    page.wait_for_function("() => document.querySelectorAll('#recent .item').length == 0")
    page.screenshot(path=str(SHOTS / "desk-recent.png"))


def test_slash_opens_the_canned_replies_and_the_preview_shows_the_shoppers_view(
    desk: Callable[[User], Any], personas: Personas, api: httpx.Client, runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        tenant = session.merge(personas.alice.tenant)
        for shortcut, text in [
            ("returns", "Returns are **free** for 30 days."),
            ("refund", "Refunds take *5 days*."),
            ("hello", "Hello! How can I help?"),
        ]:
            create_canned_reply(
                session, Actor.operator(), tenant, shortcut=shortcut, language="en", text=text
            )
    page = desk(personas.alice.agent)
    _online(page)
    queued_chat(api)
    page.locator("#queue").get_by_role("button", name="Accept").click(timeout=TIMEOUT)
    box = page.get_by_label("Reply to the shopper")
    box.wait_for(timeout=TIMEOUT)
    menu = page.get_by_role("listbox", name="Canned replies")
    box.press("/")
    menu.wait_for(timeout=TIMEOUT)
    assert menu.get_by_role("option").count() == 3
    box.press_sequentially("re")
    assert [o.inner_text().split()[0] for o in menu.get_by_role("option").all()] == [
        "/refund",
        "/returns",
    ]
    box.press("ArrowDown")
    assert menu.get_by_role("option", selected=True).inner_text().startswith("/returns")
    box.press("Enter")
    assert box.input_value() == "Returns are **free** for 30 days."
    assert menu.is_hidden()
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#reply-preview")
    assert preview.locator("strong").inner_text() == "free"
    box.fill("/zz")
    menu.get_by_text("No canned reply matches.").wait_for()
    box.press("Escape")
    assert menu.is_hidden() and box.input_value() == "/zz"
    box.fill("Hi **there**")
    assert preview.locator("strong").inner_text() == "there"
    page.screenshot(path=str(SHOTS / "desk-composer.png"))


def test_an_offline_message_can_be_answered_in_chat_while_the_shopper_talks_to_the_bot(
    desk: Callable[[User], Any], personas: Personas, api: httpx.Client
) -> None:
    """The acknowledged message is back with the bot but still waits: email or chat answers it."""
    chat = start_chat(api, "acme", "en")
    assert ask_for_person(chat).json()["form"]["kind"] == "offline"
    assert send_form(chat, email="late@example.com", message="Do you ship to Iceland?").is_success
    page = desk(personas.alice.agent)
    _online(page)
    item = page.locator(f"#offline [data-id='{chat.id}']")
    # Opened, the pending message offers both answers although its status is `bot` again.
    item.locator("button.open").click(timeout=TIMEOUT)
    page.locator("#pane").get_by_label("Email reply").wait_for(timeout=TIMEOUT)
    page.locator("#answer-in-chat").wait_for(timeout=TIMEOUT)
    item.get_by_role("button", name="Answer in chat").click(timeout=TIMEOUT)
    page.locator("#pane .badge-with_agent").wait_for(timeout=TIMEOUT)
    page.get_by_label("Reply to the shopper").fill("Hello! Yes, we ship to Iceland.")
    page.get_by_label("Reply to the shopper").press("Enter")
    page.locator("#log").get_by_text("Hello! Yes, we ship to Iceland.").wait_for(timeout=TIMEOUT)
    assert any(
        m["text"] == "Hello! Yes, we ship to Iceland." for m in chat.messages().json()["messages"]
    )

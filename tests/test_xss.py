"""XSS (#13): a corpus of payloads in everything a shopper, an agent or an admin can write, shown
in the widget (the demo shop page that embeds it) and in the console, in headless Chromium.

The payloads (tests/data/xss.txt) go in as a shopper's messages, an agent's replies and note,
an agent's display name, bot answers and their quick replies, a canned reply, the shop's name
and its widget greeting. Each payload calls __xss(N) (or opens a dialog) if it ever runs. The
pages are loaded with the Content-Security-Policy switched off: the rendering itself must be
safe, the CSP is a second wall. A payload has run if __xss was called or a dialog opened; one
has got into the page if any element carries an event handler attribute, a script, or a
javascript:/data:/vbscript: URL (the DOM is walked, shadow roots included).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from botdesk import access
from botdesk.actions.agents import set_presence
from botdesk.actions.audit import Actor
from botdesk.actions.bot_content import save_content
from botdesk.actions.tenants import configure_tenant, create_tenant
from botdesk.actions.users import create_user
from botdesk.content.loader import TenantContent, load_directory
from botdesk.models import Presence, Role, User
from botdesk.runtime import Runtime
from tests.app_log import app_log, assert_clean
from tests.conftest import MINI_CONTENT, PASSWORD, LiveServer, VisitorChat, start_chat
from tests.test_route_isolation import sign_in

pytestmark = pytest.mark.browser
CORPUS = Path(__file__).resolve().parent / "data" / "xss.txt"
SLUG = "demo"  # the tenant the demo shop page embeds

# Records a run payload (or a dialog) before any page script; `XSS` catches payloads that
# reach it by another spelling (an entity, a base64 string).
WATCH = """
window.__hits = [];
window.__xss = function (n) { window.__hits.push(n); };
window.XSS = function () { window.__hits.push("XSS"); };
"""
# Everything in the page that would run if the page were acted on (hovered, clicked, focused).
SCAN = r"""
() => {
  const found = [];
  const walk = (root) => {
    for (const node of root.querySelectorAll("*")) {
      const tag = node.tagName.toLowerCase();
      // The pages' own scripts are files of ours: /static/console.js, /widget.js.
      const src = node.getAttribute("src") || "";
      const ours = tag === "script" && /^\/(static\/|widget\.js)/.test(src);
      if (["script", "iframe", "object", "embed", "base", "meta", "frame", "portal"]
          .includes(tag) && !node.closest("head") && !ours) {
        found.push(tag + " element");
      }
      for (const attr of node.attributes) {
        const value = attr.value.replace(/[\s\u0000-\u001f]/g, "").toLowerCase();
        if (attr.name.startsWith("on")) found.push(tag + " " + attr.name);
        if (/^(javascript|data|vbscript):/.test(value) && attr.name !== "content") {
          found.push(tag + " " + attr.name + "=" + value.slice(0, 40));
        }
      }
      if (node.shadowRoot) walk(node.shadowRoot);
    }
  };
  walk(document);
  return found;
}
"""


def payloads() -> list[str]:
    lines = [line for line in CORPUS.read_text().splitlines() if line and line[0] != "#"]
    assert len(lines) >= 100, len(lines)
    return [line.replace("XSS", f"__xss({n})") for n, line in enumerate(lines)]


def batches(items: list[str], size: int) -> Iterator[str]:
    """The items joined a line each, in texts of at most `size` characters."""
    batch: list[str] = []
    for item in items:
        if batch and len("\n".join([*batch, item])) > size:
            yield "\n".join(batch)
            batch = []
        batch.append(item)
    if batch:
        yield "\n".join(batch)


def armed_content(armed: list[str]) -> TenantContent:
    """The mini bot, its greeting answered with payloads (those the loader takes: a link there
    must point at http(s):// or a /path) and payload quick replies and link button."""
    document = load_directory(MINI_CONTENT).to_document()
    greeting = next(i for i in document["intents"] if i["intent"] == "greeting")
    plain = [p for p in armed if "](" not in p and "]:" not in p]
    greeting["answer"] = {
        "text": {"en": "\n".join(plain[:40]), "fi": "Hei!"},
        "buttons": [
            {"label": {"en": armed[10][:80], "fi": "x"}, "intent": "delivery_cost"},
            {"label": {"en": armed[18][:80], "fi": "x"}, "intent": "human_agent"},
            {
                "label": {"en": armed[0][:80], "fi": "x"},
                "url": 'https://x.example/"onmouseover="__xss(0)',
            },
            {"label": {"en": armed[42][:80], "fi": "x"}, "url": "/'><img/src=x/onerror=__xss(42)>"},
        ],
    }
    return TenantContent.from_document(document)


def seed(api: httpx.Client, runtime: Runtime) -> tuple[VisitorChat, User]:
    """The demo shop with payloads everywhere; returns its conversation and its admin."""
    armed = payloads()
    admin_email = f"xss-{uuid.uuid4().hex[:8]}@example.com"
    with runtime.db.session() as session:
        tenant = create_tenant(
            session,
            runtime.keyring,
            Actor.operator(),
            slug=SLUG,
            name=("Shop " + " ".join(armed[:4]))[:200],
            languages=["en", "fi"],
        )
        configure_tenant(
            session,
            Actor.operator(),
            tenant,
            greeting={"en": " ".join(armed[10:16])[:300], "fi": "Hei"},
        )
        save_content(session, Actor.operator(), tenant, armed_content(armed))
        admin = create_user(
            session,
            Actor.operator(),
            email=admin_email,
            display_name=armed[18][:100],
            password=PASSWORD,
            tenant=tenant,
            role=Role.ADMIN,
        )
    with runtime.db.session() as session:
        staff = access.staff_context(session, session.merge(admin), SLUG)
        set_presence(session, staff, Presence.ONLINE)
    chat = start_chat(api, SLUG, "en")
    for text in batches(armed, 3500):
        assert chat.send(text).status_code == 201
    assert chat.send("hi").status_code == 201  # the greeting's payload answer
    return chat, admin


def agent_side(api: httpx.Client, server: LiveServer, chat: VisitorChat, user: User) -> None:
    """The chat goes to the admin, who answers, notes and keeps a canned reply in payloads."""
    armed = payloads()
    assert api.post(f"/api/v1/conversations/{chat.id}/handover", headers=chat.auth).is_success
    form = {"email": "shopper@example.com", "message": "\n".join(armed[:20])[:1000]}
    queued = api.post(
        f"/api/v1/conversations/{chat.id}/handover/form", json=form, headers=chat.auth
    )
    assert queued.status_code == 200, queued.text
    admin = sign_in(server, user, "the demo shop's admin", SLUG)
    console, own = f"/console/api/conversations/{chat.id}", {"tenant": SLUG}
    assert api.post(f"{console}/accept", params=own, headers=admin.headers()).status_code == 200
    for text in batches(armed, 3500):
        sent = api.post(
            f"{console}/messages", params=own, headers=admin.headers(), json={"text": text}
        )
        assert sent.status_code == 201, sent.text
    note = api.post(
        f"{console}/notes",
        params=own,
        headers=admin.headers(),
        json={"text": "\n".join(armed)[:3500]},
    )
    assert note.status_code == 201, note.text
    for n, text in enumerate(batches(armed, 1900)):
        canned = api.post(
            "/console/canned",
            params=own,
            data={"csrf": admin.csrf, "shortcut": f"x{n}", "language": "en", "text": text},
            headers=admin.headers(),
        )
        assert canned.status_code == 303, canned.text


@pytest.fixture
def watched(chromium: Any, server: LiveServer) -> Iterator[tuple[Any, list[str]]]:
    """A page with the CSP off, recording every payload that runs and every dialog."""
    context = chromium.new_context(base_url=server.url, bypass_csp=True)
    context.add_init_script(WATCH)
    page = context.new_page()
    dialogs: list[str] = []

    def dialog(d: Any) -> None:
        dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    yield page, dialogs
    context.close()


def check(page: Any, dialogs: list[str], where: str) -> None:
    page.wait_for_timeout(300)  # onerror and onload handlers fire once loads fail or finish
    assert page.evaluate("window.__hits") == [], f"payloads ran in {where}"
    assert dialogs == [], f"dialogs opened in {where}: {dialogs}"
    assert page.evaluate(SCAN) == [], f"payloads got into {where}'s DOM"


def test_no_payload_runs_in_the_widget_or_the_console(
    api: httpx.Client, server: LiveServer, runtime: Runtime, watched: tuple[Any, list[str]]
) -> None:
    page, dialogs = watched
    with app_log() as log:
        chat, admin = seed(api, runtime)
        agent_side(api, server, chat, admin)
        the_pages(page, dialogs, chat, admin)
    assert_clean(log, [admin.email, "shopper@example.com", PASSWORD])


def the_pages(page: Any, dialogs: list[str], chat: VisitorChat, admin: User) -> None:
    armed = payloads()

    # The widget on the shop page, resuming the shopper's conversation: every message of it.
    stored = json.dumps({"id": chat.id, "token": chat.token, "seq": 0})
    page.add_init_script(f"sessionStorage.setItem('botdesk:{SLUG}', {json.dumps(stored)})")
    page.goto("/")
    page.get_by_role("button", name="Open chat").click()
    page.get_by_text(armed[-1]).last.wait_for()  # the agent's last reply ends with the last one
    check(page, dialogs, "the widget")

    # A new shopper's widget: the shop's name and greeting before any message.
    page.evaluate("sessionStorage.clear()")
    page.context.clear_cookies()
    fresh = page.context.new_page()
    fresh.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    fresh.goto("/")
    fresh.get_by_role("button", name="Open chat").click()
    fresh.get_by_text(armed[10][:20]).first.wait_for()
    check(fresh, dialogs, "a new shopper's widget")

    # The console: sign in, the inbox and the live conversation, the transcript, canned replies.
    page.goto("/console/login")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console")
    page.locator("button.open").first.click()
    page.get_by_text(armed[-1]).first.wait_for()
    check(page, dialogs, "the console's inbox and conversation")
    page.goto(f"/console/conversations/{chat.id}?tenant={SLUG}")
    page.get_by_text(armed[-1]).first.wait_for()
    check(page, dialogs, "the transcript page")
    page.goto(f"/console/canned?tenant={SLUG}")
    check(page, dialogs, "the canned replies page")

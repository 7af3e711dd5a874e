"""The embeddable chat widget (src/botdesk/web/static/widget.js, served at /widget.js) on a test
shop page in headless Chromium, against the live app: widget settings, the visitor API, the
WebSocket stream and its polling fallback.

Screenshots land in ./screenshots/widget-*.png for people to look at.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from botdesk.actions.audit import Actor
from botdesk.actions.tenants import create_tenant
from botdesk.models import Conversation
from botdesk.rate_limits import Check, Limit, RateLimits
from botdesk.runtime import Runtime
from tests.conftest import Inbox, LiveServer, Personas, VisitorChat
from tests.waits import wait_until

SHOTS = Path(__file__).resolve().parent.parent / "screenshots"
# The launcher in any language or the tenant's wording, not the skip link before it.
LAUNCHER = re.compile(
    r"^(?!Skip to chat|Siirry chattiin|Hoppa till chatten|Hopp til chatten).*chat", re.I
)
pytestmark = pytest.mark.browser


HOSTILE_CSS = (
    "* { font-size: 40px !important; display: block !important; color: lime !important; "
    "font-family: 'Comic Sans MS', cursive !important } "
    "button { background: red !important; display: none !important } "
    "div { transform: rotate(3deg) !important; opacity: .2 !important } "
    "textarea { width: 5px !important }"
)
ACME_PRIMARY = "rgb(31, 95, 139)"  # the widget's default colour while no config is served


# Chromium's Local Network Access checks refuse WebSockets from pages that Playwright fulfils
# itself (they have no address space), so the shop page is built on top of a real page of the
# app: /healthz?shop=1&lang=..&tenant=..&hostile=1&bare=1 is rewritten into a small shop.
SHOP_SCRIPT = """
(() => {
  if (location.pathname !== '/healthz' || !location.search.includes('shop=1')) return;
  const q = new URLSearchParams(location.search);
  document.addEventListener('DOMContentLoaded', () => {
    document.documentElement.lang = q.get('lang') || 'fi';
    document.head.innerHTML = '<meta charset="utf-8"><meta name="viewport" '
      + 'content="width=device-width, initial-scale=1"><title>Test shop</title>';
    if (q.has('hostile')) {
      const style = document.createElement('style');
      style.textContent = HOSTILE;
      document.head.append(style);
    }
    document.body.setAttribute('style', 'margin:0;font-family:serif;background:#fafafa');
    document.body.innerHTML = '<header style="padding:16px"><a href="/healthz?shop=1">Test '
      + 'shop</a></header><main style="padding:16px"><h1>Winter boots</h1>'
      + '<p>Warm and waterproof.</p></main>';
    if (q.has('wide')) {  // a page wider than a phone, as careless shop headers make them
      document.body.insertAdjacentHTML('afterbegin',
        '<div style="width:1200px;height:60px;background:#ccd">A very wide header</div>');
    }
    if (q.has('chat-link')) {  // the shop's own early "chat with us" link (docs/widget.md)
      document.body.insertAdjacentHTML('afterbegin',
        '<a href="#chat" id="chat-link" data-botdesk-open>Chat with us</a>');
    }
    if (q.has('bare')) return;
    const script = document.createElement('script');
    script.src = SRC;
    script.dataset.tenant = q.get('tenant') || 'acme';
    document.body.append(script);
  });
})();
"""


class Shop:
    """A browser context whose shop page (see SHOP_SCRIPT) embeds the widget."""

    def __init__(self, browser: Any, server: LiveServer, **context: Any) -> None:
        self.server = server
        self.context = browser.new_context(
            base_url=server.url,
            viewport=context.pop("viewport", {"width": 1280, "height": 800}),
            accept_downloads=True,
            # The carrier page stands for a merchant's page, whose policy is the merchant's
            # (docs/widget.md); our /healthz answer itself allows nothing to run.
            bypass_csp=True,
            **context,
        )
        self.errors: list[str] = []
        self.allowed: list[str] = []  # substrings of console errors a test expects
        self.context.add_init_script(
            SHOP_SCRIPT.replace("HOSTILE", json.dumps(HOSTILE_CSS)).replace(
                "SRC", json.dumps(f"{server.url}/widget.js")
            )
        )

    def open(self, query: str = "lang=fi") -> Any:
        page = self.context.new_page()
        page.on("console", lambda msg: self._console(msg))
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.goto(f"/healthz?shop=1&{query}")
        page.get_by_role("button", name=LAUNCHER).first.wait_for()
        return page

    def _console(self, msg: Any) -> None:
        url = (msg.location or {}).get("url", "")
        if url.endswith("/favicon.ico"):  # the carrier page (/healthz) has no icon
            return
        if msg.type == "error" and not any(a in msg.text for a in self.allowed):
            self.errors.append(f"{msg.text} ({url})")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def shop(chromium: Any, server: LiveServer, personas: Personas) -> Iterator[Callable[..., Shop]]:
    shops: list[Shop] = []

    def make(**context: Any) -> Shop:
        shops.append(Shop(chromium, server, **context))
        return shops[-1]

    yield make
    for s in shops:
        s.close()
    for s in shops:
        assert s.errors == [], f"the page logged errors: {s.errors}"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"widget-{name}.png"))


def seqs(page: Any) -> list[int]:
    return [
        int(s) for s in page.locator("[data-seq]").evaluate_all("ns => ns.map(n => n.dataset.seq)")
    ]


def stored(page: Any, slug: str = "acme") -> Any:
    """The widget's sessionStorage entry, parsed (None when there is none)."""
    value = page.evaluate(f"sessionStorage.getItem('botdesk:{slug}')")
    return json.loads(value) if value else None


def focused(page: Any) -> dict[str, Any]:
    """What has focus inside the widget's shadow root (tag and accessible label)."""
    return dict(
        page.evaluate(
            """() => {
        const host = document.querySelector('[data-botdesk]');
        const el = host && document.activeElement === host ? host.shadowRoot.activeElement : null;
        return el ? {tag: el.tagName, label: el.getAttribute('aria-label') || el.textContent} : {};
    }"""
        )
    )


def send(page: Any, text: str) -> None:
    box = page.get_by_role("textbox")
    box.fill(text)
    box.press("Enter")


def bubbles(page: Any) -> Any:
    return page.locator("[data-seq]")


# 1 ------------------------------------------------------------------------------------------
def test_launcher_sits_bottom_right_and_opening_focuses_the_input(
    shop: Callable[..., Shop],
) -> None:
    page = shop().open("lang=fi")
    shot(page, "closed")
    launcher = page.get_by_role("button", name="Avaa chat")
    box = launcher.bounding_box()
    assert (
        1280 - 100 < box["x"] + box["width"] <= 1280 and 800 - 100 < box["y"] + box["height"] <= 800
    )
    assert box["width"] >= 44 and box["height"] >= 44  # a comfortable touch target
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == ACME_PRIMARY
    assert page.get_by_role("dialog").count() == 0  # closed: hidden from everyone

    launcher.click()
    panel = page.get_by_role("dialog")
    assert panel.is_visible()
    p = panel.bounding_box()
    assert 360 <= p["width"] <= 380 and 540 <= p["height"] <= 570
    assert p["x"] + p["width"] > 1200 and p["y"] + p["height"] < box["y"]  # above the launcher
    assert focused(page)["tag"] == "TEXTAREA"
    assert page.get_by_role("log").get_attribute("aria-live") == "polite"
    # Nothing is started or stored before the shopper writes.
    assert stored(page) is None

    # One global, nothing else leaks into the page.
    plain = page.context.new_page()
    plain.goto("/healthz?shop=1&bare=1")  # the same page without the widget
    baseline = set(plain.evaluate("Object.getOwnPropertyNames(window)"))
    leaked = set(page.evaluate("Object.getOwnPropertyNames(window)")) - baseline
    assert leaked == {"Botdesk"}
    assert page.evaluate("Object.keys(window.Botdesk).sort()") == ["close", "open", "version"]
    assert page.evaluate("document.cookie") == ""
    page.evaluate("Botdesk.close()")
    assert not panel.is_visible()


# 2 ------------------------------------------------------------------------------------------
def test_chat_in_finnish_and_english_with_a_quick_reply(
    shop: Callable[..., Shop], bot: None, api: httpx.Client
) -> None:
    s = shop()
    page = s.open("lang=fi")
    page.get_by_role("button", name="Avaa chat").click()
    send(page, "paljonko toimitus maksaa")
    reply = page.locator(".them[data-seq]").filter(has_text="4,90")
    reply.wait_for()
    assert reply.locator("strong").inner_text() == "4,90 €"  # the bot's **bold**, rendered
    assert page.locator(".me[data-seq]").inner_text().endswith("paljonko toimitus maksaa")
    assert page.get_by_text("Tämä keskustelu säilytetään 90 päivää.").is_visible()
    assert page.get_by_role("textbox").input_value() == ""
    conversation = stored(page)
    assert conversation is not None
    assert set(conversation) == {"id", "token", "seq", "lang"}
    assert (
        api.get(
            f"/api/v1/conversations/{conversation['id']}",
            headers={"Authorization": f"Bearer {conversation['token']}"},
        ).json()["language"]
        == "fi"
    )
    # Visitor text is text, never markup.
    send(page, '<img src=x onerror="window.pwned=1"> **not bold**')
    mine = page.locator(".me[data-seq]").nth(1)
    mine.wait_for()
    assert mine.inner_text().endswith('<img src=x onerror="window.pwned=1"> **not bold**')
    assert mine.locator("img, strong").count() == 0
    assert page.evaluate("window.pwned") is None

    english = shop().open("lang=en")  # another browser: its own conversation
    english.get_by_role("button", name="Open chat").click()
    send(english, "hello")
    quick = english.get_by_role("button", name="Delivery cost")
    quick.wait_for()
    assert english.get_by_text("Hi! How can I help?").is_visible()
    shot(english, "open-conversation")
    quick.press("Enter")  # keyboard accessible
    english.locator(".them[data-seq]").filter(has_text="4.90").wait_for()
    assert english.locator(".me[data-seq]").nth(1).inner_text().endswith("Delivery cost")
    assert english.get_by_role("button", name="Delivery cost").count() == 0  # the row is gone
    assert stored(english)["id"] != conversation["id"]
    assert page.locator("[data-seq]").count() == 4  # the Finnish tab is unaffected


# 3 ------------------------------------------------------------------------------------------
def test_history_survives_navigation_without_duplicates(
    shop: Callable[..., Shop], bot: None
) -> None:
    s = shop()
    page = s.open("lang=fi")
    page.get_by_role("button", name="Avaa chat").click()
    send(page, "moi")
    page.get_by_role("button", name="Toimituskulut").click()
    page.locator(".them[data-seq]").filter(has_text="4,90").wait_for()
    before = seqs(page)
    assert before == sorted(before) and len(before) == 4
    texts = bubbles(page).all_inner_texts()

    page.reload()
    page.get_by_role("button", name="Avaa chat").click()
    page.wait_for_function(
        "document.querySelector('[data-botdesk]').shadowRoot"
        ".querySelectorAll('[data-seq]').length >= 4"
    )
    page.wait_for_timeout(500)  # let the poll or socket catch-up land too
    assert seqs(page) == before
    assert bubbles(page).all_inner_texts() == texts
    # The answered quick reply is not offered again.
    assert page.get_by_role("button", name="Toimituskulut").count() == 0
    assert stored(page)["seq"] == before[-1]

    # A stored conversation the server does not know is dropped silently (the browser itself
    # logs the 404 response).
    s.allowed.append("the server responded with a status of 404")
    page.evaluate(
        "sessionStorage.setItem('botdesk:acme', JSON.stringify("
        "{id: '00000000-0000-4000-8000-000000000000', token: 'nope', seq: 3}))"
    )
    page.goto("/healthz?shop=1&lang=fi")
    page.wait_for_function("sessionStorage.getItem('botdesk:acme') === null")
    page.get_by_role("button", name="Avaa chat").click()
    assert bubbles(page).count() == 0


# 4 ------------------------------------------------------------------------------------------
def test_reconnect_after_a_network_drop_loses_nothing(
    shop: Callable[..., Shop], bot: None, api: httpx.Client
) -> None:
    s = shop()
    s.allowed.append("net::ERR_INTERNET_DISCONNECTED")
    page = s.open("lang=fi")
    page.get_by_role("button", name="Avaa chat").click()
    send(page, "moi")
    page.get_by_text("Hei! Miten voin auttaa?").wait_for()
    conversation = stored(page)
    assert conversation is not None

    s.context.set_offline(True)
    # The shop's connection is down; meanwhile the conversation moves on elsewhere.
    other = VisitorChat(api, conversation["id"], conversation["token"])
    assert other.send("paljonko toimitus maksaa").status_code == 201
    # A send while offline fails visibly and keeps the text for a retry.
    send(page, "kiitos")
    alert = page.get_by_role("alert")
    alert.filter(has_text="yhteyttä").wait_for()
    assert page.get_by_role("textbox").input_value() == "kiitos"
    page.wait_for_timeout(3500)  # a poll fails meanwhile

    s.context.set_offline(False)
    page.locator(".them[data-seq]").filter(has_text="4,90").wait_for(timeout=15000)
    page.get_by_role("button", name="Lähetä").click()  # the retry
    page.locator(".me[data-seq]").filter(has_text="kiitos").wait_for()
    assert not alert.is_visible()
    page.wait_for_timeout(3500)  # one more poll: nothing may appear twice
    server_side = [m["seq"] for m in other.messages().json()["messages"]]
    assert seqs(page) == server_side
    texts = [m["text"] for m in other.messages().json()["messages"]]
    assert texts.count("kiitos") == 1  # the retry reused its client_message_id
    assert stored(page)["seq"] == server_side[-1]


def test_server_errors_show_inline(shop: Callable[..., Shop], bot: None) -> None:
    s = shop()
    s.allowed.append("the server responded with a status of 413")
    page = s.open("lang=en")
    page.get_by_role("button", name="Open chat").click()
    send(page, "hi")
    page.get_by_text("Hi! How can I help?").wait_for()
    page.route(
        "**/messages",
        lambda route: route.fulfill(
            status=413,
            json={"error": {"code": "too_large", "message": "a message can have at most 4000"}},
        ),
    )
    send(page, "x" * 100)
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == "A message can have at most 4000 characters."
    assert page.get_by_role("textbox").input_value() == "x" * 100
    assert page.get_by_role("textbox").get_attribute("maxlength") == "4000"


def test_a_rate_limit_is_explained_in_the_shoppers_language(
    shop: Callable[..., Shop], bot: None, strict_limits: RateLimits
) -> None:
    """The real server refuses (this address opened its 20 conversations this minute): the
    shopper reads why, in Finnish, and their text stays in the box to send later."""
    address = strict_limits.address("127.0.0.1")
    for _ in range(20):
        strict_limits.take(Check(Limit.CONVERSATIONS_PER_ADDRESS, address))
    s = shop()
    s.allowed.append("the server responded with a status of 429")
    page = s.open("lang=fi")
    page.get_by_role("button", name="Avaa chat").click()
    send(page, "missä tilaukseni on")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == "Lähetät paljon viestejä nopeasti. Odota hetki ja yritä uudelleen."
    assert page.get_by_role("textbox").input_value() == "missä tilaukseni on"
    shot(page, "rate-limited")


def test_bot_markdown_is_a_safe_subset(shop: Callable[..., Shop]) -> None:
    s = shop()
    fake = "11111111-1111-4111-8111-111111111111"
    bot_text = (
        "**Bold** and *italic* <b>not html</b> <script>window.pwned=1</script>\n"
        "[Returns](/returns) [Site](https://example.com/x) [bad](javascript:alert(1)) "
        "[sneaky](//evil.test) [data](data:text/html,hi)\n- one\n- **two**"
    )
    messages: list[dict[str, Any]] = [
        {
            "seq": 1,
            "sender": "visitor",
            "text": "**hi**",
            "buttons": [],
            "created_at": "2024-05-01T10:00:00Z",
            "reply_to_seq": None,
        },
        {
            "seq": 2,
            "sender": "bot",
            "text": bot_text,
            "buttons": [
                {"label": "Returns page", "payload": "url:/returns"},
                {"label": "Evil", "payload": "url:javascript:alert(1)"},
            ],
            "created_at": "2024-05-01T10:00:01Z",
            "reply_to_seq": 1,
        },
    ]

    def api(route: Any) -> None:
        after = int(parse_qs(urlparse(route.request.url).query).get("after", ["0"])[0])
        body = {
            "messages": [m for m in messages if m["seq"] > after],
            "status": "bot",
            "last_seq": 2,
            "has_more": False,
        }
        route.fulfill(json=body)

    s.context.route(f"**/api/v1/conversations/{fake}/messages*", api)
    s.context.route(
        f"**/api/v1/conversations/{fake}",
        lambda route: route.fulfill(json={"id": fake, "language": "en", "status": "bot"}),
    )
    hellos: list[Any] = []
    s.context.route_web_socket(
        f"**/api/v1/conversations/{fake}/stream",
        lambda ws: ws.on_message(lambda frame: hellos.append(json.loads(frame))),
    )
    page = s.context.new_page()
    page.on("console", s._console)
    page.on("pageerror", lambda exc: s.errors.append(str(exc)))
    page.add_init_script(
        "sessionStorage.setItem('botdesk:acme', "
        f"JSON.stringify({{id: '{fake}', token: 't', seq: 2}}))"
    )
    page.goto("/healthz?shop=1&lang=en")
    page.get_by_role("button", name="Open chat").click()
    reply = page.locator(".them[data-seq='2'] .b")
    reply.wait_for()
    assert reply.locator("strong").first.inner_text() == "Bold"
    assert reply.locator("em").inner_text() == "italic"
    assert reply.locator("b, script, img").count() == 0
    assert "<b>not html</b>" in reply.inner_text()
    links = reply.locator("a").evaluate_all(
        "as => as.map(a => [a.textContent, a.getAttribute('href'), a.target, a.rel])"
    )
    assert links == [
        ["Returns", "/returns", "_blank", "noopener noreferrer"],
        ["Site", "https://example.com/x", "_blank", "noopener noreferrer"],
    ]
    assert "[bad](javascript:alert(1))" in reply.inner_text()
    assert reply.locator("li").all_inner_texts() == ["one", "two"]
    assert page.locator(".them[data-seq='2'] .qr a").evaluate_all(
        "as => as.map(a => a.getAttribute('href'))"
    ) == ["/returns"]
    assert page.locator(".me[data-seq='1'] strong").count() == 0
    assert page.evaluate("window.pwned") is None
    assert hellos == [{"type": "hello", "token": "t", "after": 2}]


# 5 ------------------------------------------------------------------------------------------
def test_download_and_delete(shop: Callable[..., Shop], bot: None, api: httpx.Client) -> None:
    page = shop().open("lang=fi")
    page.get_by_role("button", name="Avaa chat").click()
    send(page, "paljonko toimitus maksaa")
    page.locator(".them[data-seq]").filter(has_text="4,90").wait_for()
    conversation = stored(page)

    gear = page.get_by_role("button", name="Chatin asetukset")
    gear.click()
    menu = page.get_by_role("menu")
    assert menu.is_visible()
    assert menu.get_by_role("menuitem").all_inner_texts() == [
        "Lataa tekstinä",
        "Lataa JSON-muodossa",
        "Lähetä keskustelu sähköpostiin",
        "Keskustele asiakaspalvelijan kanssa",
        "Uusi keskustelu",
        "Poista keskustelu",
    ]
    assert focused(page)["label"] == "Lataa tekstinä"
    shot(page, "gear-menu")
    page.keyboard.press("ArrowDown")
    assert focused(page)["label"] == "Lataa JSON-muodossa"
    page.keyboard.press("Escape")
    assert not menu.is_visible() and focused(page)["label"] == "Chatin asetukset"
    assert page.get_by_role("dialog").is_visible()  # Escape closed only the menu

    gear.click()
    with page.expect_download() as download:
        page.get_by_role("menuitem", name="Lataa tekstinä").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".txt")
    lines = text.strip().split("\n")
    assert len(lines) == 4 and lines[1] == ""
    # A header with the shop and the dates; full dates (fi: 1.5.2024 klo 10.00); no Markdown.
    stamp = r"\d+\.\d+\.\d{4} klo \d+\.\d\d"
    assert re.fullmatch(rf"Keskustelu: Acme Outdoor · {stamp} \N{{EN DASH}} .*", lines[0])
    assert re.fullmatch(r"\d+\.\d+\.\d{4} klo \d+\.\d\d Sinä: paljonko toimitus maksaa", lines[2])
    assert re.fullmatch(r".* Botti: Toimitus Suomeen maksaa 4,90 €.*", lines[3])
    assert "**" not in text

    gear.click()
    with page.expect_download() as download:
        page.get_by_role("menuitem", name="Lataa JSON-muodossa").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["conversation"] == conversation["id"]
    assert [m["seq"] for m in exported["messages"]] == seqs(page)
    assert exported["messages"][0]["text"] == "paljonko toimitus maksaa"
    assert "token" not in json.dumps(exported)

    # Delete: a confirm step inside the panel; Cancel keeps everything.
    gear.click()
    page.get_by_role("menuitem", name="Poista keskustelu").click()
    assert page.get_by_text("Poistetaanko keskustelu pysyvästi?").is_visible()
    page.get_by_role("button", name="Peruuta").click()
    assert bubbles(page).count() == 2 and stored(page) is not None

    gear.click()
    page.get_by_role("menuitem", name="Poista keskustelu").click()
    page.get_by_role("button", name="Poista", exact=True).click()
    page.get_by_text("Keskustelusi on poistettu.").wait_for()
    assert bubbles(page).count() == 0
    assert stored(page) is None
    gone = VisitorChat(api, conversation["id"], conversation["token"]).messages()
    assert gone.status_code == 404

    # Writing again starts a new conversation.
    send(page, "moi")
    page.get_by_text("Hei! Miten voin auttaa?").wait_for()
    assert stored(page)["id"] != conversation["id"]
    assert page.get_by_text("Keskustelusi on poistettu.").count() == 0


# 6 ------------------------------------------------------------------------------------------
def test_keyboard_only(shop: Callable[..., Shop], bot: None) -> None:
    page = shop().open("lang=fi")
    for _ in range(5):
        page.keyboard.press("Tab")
        if focused(page).get("label") == "Avaa chat":
            break
    assert focused(page)["label"] == "Avaa chat"
    page.keyboard.press("Enter")
    assert page.get_by_role("dialog").is_visible()
    assert focused(page)["tag"] == "TEXTAREA"
    page.keyboard.type("moi")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("botti")
    assert page.get_by_role("textbox").input_value() == "moi\nbotti"
    page.keyboard.press("Enter")
    page.locator(".them[data-seq]").first.wait_for()
    assert page.locator(".me[data-seq]").inner_text().endswith("moi\nbotti")
    assert focused(page)["tag"] == "TEXTAREA"
    page.keyboard.press("Escape")
    assert not page.get_by_role("dialog").is_visible()
    assert focused(page)["label"] == "Avaa chat"
    # The close button works too and also hands focus back.
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Sulje chat").last.click()
    assert not page.get_by_role("dialog").is_visible()
    assert focused(page)["label"] == "Avaa chat"


# 7 ------------------------------------------------------------------------------------------
def test_phone_viewport_is_full_screen(shop: Callable[..., Shop]) -> None:
    page = shop(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).open(
        "lang=en"
    )
    launcher = page.get_by_role("button", name="Open chat")
    box = launcher.bounding_box()
    assert box["x"] + box["width"] > 330 and box["y"] + box["height"] > 780
    launcher.click()
    p = page.get_by_role("dialog").bounding_box()
    assert (p["x"], p["y"], p["width"], p["height"]) == (0, 0, 390, 844)
    assert page.get_by_role("button", name="Close chat").is_visible()
    shot(page, "phone")


# 8 ------------------------------------------------------------------------------------------
def test_hostile_shop_css_does_not_break_the_widget(shop: Callable[..., Shop], bot: None) -> None:
    page = shop().open("lang=fi&hostile=1")
    launcher = page.get_by_role("button", name="Avaa chat")
    assert launcher.is_visible()
    box = launcher.bounding_box()
    assert box["width"] == 56 and box["height"] == 56
    assert 1280 - 100 < box["x"] + box["width"] <= 1280 and box["y"] + box["height"] <= 800
    style = launcher.evaluate(
        "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.display] }"
    )
    assert style == [ACME_PRIMARY, "flex"]
    launcher.click()
    panel = page.get_by_role("dialog")
    assert panel.is_visible()
    assert panel.evaluate("p => getComputedStyle(p).opacity") == "1"
    textbox = page.get_by_role("textbox")
    assert textbox.evaluate("t => getComputedStyle(t).fontSize") == "15px"
    assert textbox.bounding_box()["width"] > 200
    send_button = page.get_by_role("button", name="Lähetä")
    assert send_button.is_visible()
    assert send_button.evaluate("b => getComputedStyle(b).backgroundColor") == ACME_PRIMARY
    send(page, "paljonko toimitus maksaa")
    reply = page.locator(".them[data-seq]").filter(has_text="4,90")
    reply.wait_for()
    assert reply.evaluate("r => getComputedStyle(r.querySelector('.b')).fontSize") == "15px"
    shot(page, "hostile-css")


# 9 ------------------------------------------------------------------------------------------
def test_tenant_settings_colour_corner_language_and_privacy_note(
    shop: Callable[..., Shop], runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        tenant = create_tenant(
            session,
            runtime.keyring,
            Actor.operator(),
            slug="fjord",
            name="Fjord Sko",
            languages=["sv", "nb"],
            retention_bot_days=30,
            privacy_policy_url="https://fjord.example/privacy",
        )
        tenant.widget = {"position": "left", "primary_color": "#ffd400"}  # a light yellow
    page = shop().open("lang=no&tenant=fjord")  # 'no' is Norwegian: the widget speaks nb
    launcher = page.get_by_role("button", name="Åpne chat")
    box = launcher.bounding_box()
    assert box["x"] < 100 and box["y"] + box["height"] > 700  # lower-left
    colours = launcher.evaluate(
        "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.color] }"
    )
    assert colours == ["rgb(255, 212, 0)", "rgb(17, 17, 17)"]  # near-black reads on yellow
    launcher.click()
    assert page.get_by_role("dialog", name="Fjord Sko").is_visible()
    assert page.get_by_role("textbox").get_attribute("placeholder") == "Skriv en melding…"
    note = page.locator(".note")
    assert note.inner_text() == "Denne chatten lagres i 30 dager. Personvernerklæring"
    policy = note.get_by_role("link", name="Personvernerklæring")
    assert policy.get_attribute("href") == "https://fjord.example/privacy"
    assert policy.get_attribute("rel") == "noopener noreferrer"
    # Quick replies and links on white use dark ink when the brand colour is too light.
    assert (
        page.get_by_role("button", name="Send").evaluate("b => getComputedStyle(b).color")
        == "rgb(17, 17, 17)"
    )
    send(page, "hei")
    page.locator(".me[data-seq]").wait_for()
    conversation = stored(page, "fjord")
    with runtime.db.session() as session:
        row = session.get(Conversation, uuid.UUID(conversation["id"]))
        assert row is not None and row.language == "nb"


def test_email_the_conversation_from_the_gear_menu(
    chromium: Any, mailing_server: LiveServer, inbox: Inbox, personas: Personas, bot: None
) -> None:
    mail_shop = Shop(chromium, mailing_server)
    page = mail_shop.open("lang=en")
    page.get_by_role("button", name="Open chat").click()
    send(page, "hello")
    page.get_by_text("Hi! How can I help?").wait_for()
    page.get_by_role("button", name="Chat options").click()
    page.get_by_role("menuitem", name="Email the conversation").click()
    address = page.get_by_label("Your email address")
    address.fill("not-an-email")
    address.press("Enter")
    assert page.get_by_role("alert").inner_text() == "Check the email address."
    address.fill("shopper@example.com")
    shot(page, "email-form")
    page.get_by_role("button", name="Send", exact=True).first.click()
    page.get_by_text("The conversation was sent to your email.").wait_for()
    wait_until(lambda: inbox.messages, 5, "the mail")
    (message,) = inbox.messages
    assert message["To"] == "shopper@example.com"
    body = message.get_payload(decode=True).decode()
    assert "You: hello" in body and "Bot: Hi! How can I help?" in body
    # The address was not kept in the browser either.
    assert set(stored(page)) == {"id", "token", "seq", "lang"}
    assert page.evaluate("localStorage.length") == 0
    mail_shop.close()
    assert mail_shop.errors == []


def test_an_unknown_tenant_shows_no_chat(shop: Callable[..., Shop]) -> None:
    visit = shop()
    visit.allowed.append("404")  # the settings request for the unknown tenant
    page = visit.context.new_page()
    # The widget warns once it has its answer for the tenant, and decides then not to show.
    with page.expect_console_message(
        lambda msg: msg.type == "warning" and msg.text.startswith("botdesk:")
    ) as warning:
        page.goto("/healthz?shop=1&lang=en&tenant=no-such-shop")
    assert warning.value.text == 'botdesk: no tenant "no-such-shop"'
    assert page.locator("[data-botdesk]").count() == 0


def test_the_tenants_greeting_and_wording(
    shop: Callable[..., Shop], runtime: Runtime, personas: Personas
) -> None:
    from botdesk.actions.tenants import configure_tenant

    with runtime.db.session() as session:
        tenant = session.merge(personas.alice.tenant)
        widget_before = dict(tenant.widget or {})
        configure_tenant(
            session,
            Actor.operator(),
            tenant,
            greeting={"fi": "Tervetuloa **Acmeen**!", "en": "Welcome to Acme!"},
            texts={"fi": {"open": "Kysy meiltä chatissa", "placeholder": "Kysy jotain…"}},
        )
    try:
        page = shop().open("lang=fi")
        page.get_by_role("button", name="Kysy meiltä chatissa").click()  # the tenant's wording
        assert page.get_by_role("textbox").get_attribute("placeholder") == "Kysy jotain…"
        greeting = page.locator(".greet")
        assert greeting.inner_text().endswith("Tervetuloa Acmeen!")
        assert greeting.locator("strong").inner_text() == "Acmeen"
        assert seqs(page) == []  # shown, not a message of record
    finally:
        with runtime.db.session() as session:  # personas are shared: put the settings back
            session.merge(personas.alice.tenant).widget = widget_before

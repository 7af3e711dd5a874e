"""The widget's smoke set in Firefox: the main paths of tests/test_widget.py (Chromium), in a
second engine, on a merchant's page of another origin, through real mouse and keyboard input.

Small on purpose (the whole set takes seconds): Chromium has the full suite; this catches what
only another engine shows (shadow DOM, CORS and WebSocket origins, downloads, layout).
The browser does not depend on the database, so the set runs on SQLite only.
Screenshots land in ./screenshots/firefox-*.png for people to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import VisitorChat
from tests.firefox.conftest import Shopper
from tests.waits import wait_until

SHOTS = Path(__file__).resolve().parent.parent.parent / "screenshots"
pytestmark = [
    pytest.mark.firefox,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]


# Keeps the page's WebSockets where a test can look at them (set before the widget loads).
SOCKETS = """() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    window.__sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
}"""


def shot(page: Shopper, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / f"firefox-{name}.png").write_bytes(page.tab.screenshot())


def on_screen(box: dict[str, Any], width: int, height: int) -> bool:
    return bool(
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width
        and box["y"] + box["height"] <= height
    )


def test_the_launcher_opens_the_panel(shopper: Callable[[], Shopper]) -> None:
    page = shopper()
    page.open("lang=fi")
    launcher = page.box(page.wait_for("button", "Avaa chat"))
    assert 1280 - 100 < launcher["x"] + launcher["width"] <= 1280
    assert 800 - 100 < launcher["y"] + launcher["height"] <= 800
    assert page.find("dialog") is None  # closed: hidden from everyone

    page.click("button", "Avaa chat")
    panel = page.box(page.wait_for("dialog"))
    assert panel["y"] + panel["height"] <= launcher["y"]  # above the launcher
    assert panel["x"] + panel["width"] > 1200
    assert page.focused()["tag"] == "TEXTAREA"
    log = page.wait_for("log")
    assert page.tab.call("n => n.getAttribute('aria-live')", log) == "polite"
    shot(page, "open")

    page.tab.press("Escape")
    page.gone("dialog")
    assert "Avaa chat" in page.focused()["label"]


def test_a_message_gets_a_bot_reply(
    shopper: Callable[[], Shopper], bot: None, api: httpx.Client
) -> None:
    page = shopper()
    page.tab.add_preload(SOCKETS)
    page.open("lang=fi")
    page.click("button", "Avaa chat")
    page.send("paljonko toimitus maksaa")  # Enter sends
    page.wait_for_bubble("4,90")
    assert "4,90 €" in page.bubbles(".them[data-seq] strong")  # the bot's **bold**, rendered
    assert page.bubbles(".me[data-seq]")[0].endswith("paljonko toimitus maksaa")

    page.fill("textbox", page.placeholder(), "moi")
    page.click("button", "Lähetä", exact=True)  # so does the Send button
    page.wait_for_bubble("Hei! Miten voin auttaa?")
    assert page.tab.call("n => n.value", page.wait_for("textbox")) == ""
    stored = page.stored()
    server_side = VisitorChat(api, stored["id"], stored["token"]).messages().json()["messages"]
    assert [m["text"] for m in server_side if m["sender"] == "visitor"] == [
        "paljonko toimitus maksaa",
        "moi",
    ]
    # The live stream is a WebSocket to the other origin, open (not the polling fallback).
    sockets = page.tab.evaluate(
        "window.__sockets.map(s => [new URL(s.url).pathname, s.readyState])"
    )
    assert sockets == [[f"/api/v1/conversations/{stored['id']}/stream", 1]]


def test_the_gear_menu_downloads_and_deletes(
    shopper: Callable[[], Shopper], bot: None, api: httpx.Client
) -> None:
    page = shopper()
    page.open("lang=fi")
    page.click("button", "Avaa chat")
    page.send("paljonko toimitus maksaa")
    page.wait_for_bubble("4,90")
    conversation = page.stored()

    page.click("button", "Chatin asetukset")
    page.wait_for("menu")
    shot(page, "gear-menu")
    text = page.download(lambda: page.click("menuitem", "Lataa tekstinä"))
    assert text.suffix == ".txt"
    transcript = text.read_text(encoding="utf-8")
    assert "paljonko toimitus maksaa" in transcript and "4,90 €" in transcript

    page.click("button", "Chatin asetukset")
    page.click("menuitem", "Poista keskustelu")
    page.click("button", "Poista", exact=True)
    page.wait_for("status", "Keskustelusi on poistettu")
    assert page.bubbles() == []
    assert page.stored() is None
    gone = VisitorChat(api, conversation["id"], conversation["token"]).messages()
    assert gone.status_code == 404


def test_the_pre_chat_form_joins_the_queue(
    shopper: Callable[[], Shopper], bot: None, agent_online: None
) -> None:
    page = shopper()
    page.open("lang=en")
    page.click("button", "Open chat")
    page.send("Can I talk to a person?")
    page.wait_for("region", "Talk to a person")
    page.fill("textbox", "Email", "not an email", exact=True)
    page.click("button", "Join the queue")
    email = page.wait_for("textbox", "Email", exact=True)
    wait_until(
        lambda: page.tab.call("n => n.getAttribute('aria-invalid')", email) == "true",
        10,
        "the email field to be marked invalid",
    )
    page.fill("textbox", "Email", "maija@example.fi", exact=True)
    page.click("button", "Join the queue")
    page.wait_for("status", "You are number 1 in the queue")
    shot(page, "queue")


def test_no_script_errors_and_the_chat_survives_a_reload(
    shopper: Callable[[], Shopper], bot: None
) -> None:
    page = shopper()
    page.open("lang=fi")
    # The teardown's "no errors" check hears both kinds in this Firefox (or it could not fail).
    page.tab.evaluate(
        "console.error('probe: logged'); setTimeout(() => { throw new Error('probe: thrown') })"
    )

    def heard(probe: str) -> bool:
        return any(probe in e for e in page.errors)

    for probe in ("probe: logged", "probe: thrown"):
        wait_until(partial(heard, probe), 5, f"the error {probe!r}")
    page.allowed.append("probe: ")

    page.click("button", "Avaa chat")
    page.send("moi")
    page.wait_for_bubble("Hei! Miten voin auttaa?")
    before = page.bubbles()
    page.open("lang=fi")  # the same tab again: its sessionStorage brings the chat back
    page.click("button", "Avaa chat")
    wait_until(lambda: page.bubbles() == before, 10, f"the messages {before} again")
    assert page.errors == []


def test_the_panel_fits_a_phone(shopper: Callable[[], Shopper]) -> None:
    page = shopper()
    page.tab.set_viewport(390, 844, scale=3)
    page.open("lang=en")
    page.click("button", "Open chat")
    dialog = page.wait_for("dialog")
    assert on_screen(page.box(dialog), 390, 844)
    # Everything the shopper needs is inside the screen and not covered by anything.
    for role, name in [("button", "Close chat"), ("textbox", None), ("button", "Send")]:
        control = page.box(page.wait_for(role, name, exact=name == "Send", inside=dialog))
        assert control["onTop"] and on_screen(control, 390, 844), (role, name, control)
    shot(page, "phone")

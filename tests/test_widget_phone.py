"""The widget on a phone and from the keyboard (issue 14, findings 1 and 11), in Chromium.

A shop page wider than the phone widens the layout viewport; the widget must still sit on the
visual viewport, what the screen shows, with its controls there and clickable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests import test_widget
from tests.test_widget import Shop, focused, send, shot

shop = test_widget.shop  # the fixture: a browser context on the test shop page

pytestmark = pytest.mark.browser
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}

# For each named control: is it wholly inside the visual viewport, and is it what a tap at its
# centre hits (not covered, not clipped)?
ON_SCREEN = """(labels) => {
    const root = document.querySelector('[data-botdesk]').shadowRoot;
    const v = window.visualViewport;
    const find = (label) => label === 'HEAD' ? root.querySelector('.head')
        : label === 'INPUT' ? root.querySelector('textarea')
        : [...root.querySelectorAll('button')].find((b) => b.getClientRects().length
            && (b.getAttribute('aria-label') === label || b.textContent === label));
    return labels.map((label) => {
        const el = find(label);
        if (!el) return {label, missing: true};
        const r = el.getBoundingClientRect();
        const inside = r.width > 0 && r.left >= v.offsetLeft - 0.5 && r.top >= v.offsetTop - 0.5
            && r.right <= v.offsetLeft + v.width + 0.5 && r.bottom <= v.offsetTop + v.height + 0.5;
        const hit = root.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return {label, inside, hit: !!hit && (hit === el || el.contains(hit))};
    });
}"""


def on_screen(page: Any, *labels: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate(ON_SCREEN, list(labels))
    return result


def all_fine(rows: list[dict[str, Any]]) -> bool:
    return all(row.get("inside") and row.get("hit") for row in rows)


def test_an_overflowing_page_cannot_push_the_widget_off_a_phone_screen(
    shop: Callable[..., Shop], bot: None
) -> None:
    page = shop(**PHONE).open("lang=en&wide=1")
    # The page really is wider than the screen (else this test proves nothing).
    assert page.evaluate("document.documentElement.scrollWidth") >= 1200
    launcher = on_screen(page, "Open chat")
    assert all_fine(launcher), launcher
    page.get_by_role("button", name="Open chat").tap()
    page.get_by_role("textbox", name="Write a message…").wait_for()
    rows = on_screen(page, "HEAD", "Chat options", "Close chat", "INPUT", "Send")
    assert all_fine(rows), rows
    # Full screen: the panel is the visual viewport.
    size = page.evaluate(
        """() => { const r = document.querySelector('[data-botdesk]').shadowRoot
            .querySelector('.panel').getBoundingClientRect();
            return [r.width, r.height, visualViewport.width, visualViewport.height]; }"""
    )
    assert abs(size[0] - size[2]) < 1 and abs(size[1] - size[3]) < 1, size
    send(page, "hello")
    page.locator(".them[data-seq]").first.wait_for()
    shot(page, "phone")  # docs/images/widget-phone.png
    page.get_by_role("button", name="Send").tap()  # tappable, not merely visible
    # The on-screen keyboard shrinks the visual viewport: the panel follows it.
    page.set_viewport_size({"width": 390, "height": 480})
    page.wait_for_function(
        "() => Math.abs(document.querySelector('[data-botdesk]').shadowRoot"
        ".querySelector('.panel').getBoundingClientRect().height - visualViewport.height) < 1"
    )
    rows = on_screen(page, "HEAD", "Close chat", "INPUT", "Send")
    assert all_fine(rows), rows
    page.get_by_role("button", name="Close chat").first.tap()
    assert all_fine(on_screen(page, "Open chat"))


def test_keyboard_tab_cycles_the_panel_escape_returns_to_the_launcher(
    shop: Callable[..., Shop], bot: None
) -> None:
    page = shop().open("lang=en&chat-link=1")
    # The launcher is the page's last tab stop; the widget's skip link is its first, shown
    # while it has focus, and Enter on it opens the chat.
    page.keyboard.press("Tab")
    skip = page.evaluate(
        """() => {
            const host = document.activeElement;
            const b = host.shadowRoot && host.shadowRoot.activeElement;
            const r = b ? b.getBoundingClientRect() : null;
            return {skip: host.hasAttribute('data-botdesk-skip'), text: b && b.textContent,
                    shown: !!r && r.top >= 0 && r.bottom <= window.innerHeight && r.width > 0};
        }"""
    )
    assert skip == {"skip": True, "text": "Skip to chat", "shown": True}
    page.keyboard.press("Enter")
    page.get_by_role("dialog").wait_for()
    assert focused(page) == {"tag": "TEXTAREA", "label": "Write a message…"}
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(focused(page).get("label"))
    # Send, (the privacy note has no link here), then round to the header: gear and close
    # are reachable with Tab, then the log and the message box again.
    assert order == ["Send", "Chat options", "Close chat", "Messages", "Write a message…", "Send"]
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").is_hidden()
    assert focused(page) == {"tag": "BUTTON", "label": "Open chat"}
    # A shop's own "Chat with us" link (data-botdesk-open) opens it too.
    page.focus("#chat-link")
    page.keyboard.press("Enter")
    page.get_by_role("dialog").wait_for()


def test_the_full_screen_phone_panel_keeps_focus_inside(
    shop: Callable[..., Shop], bot: None
) -> None:
    page = shop(**PHONE).open("lang=en&wide=1")
    page.get_by_role("button", name="Open chat").tap()
    page.get_by_role("textbox").wait_for()
    page.get_by_role("textbox").focus()
    seen = set()
    for _ in range(8):
        page.keyboard.press("Tab")
        where = focused(page)
        assert where, "focus left the panel"
        seen.add(where["label"])
    assert {"Chat options", "Close chat", "Send", "Write a message…"} <= seen
    page.get_by_role("button", name="Chat options").focus()
    page.keyboard.press("Shift+Tab")
    assert focused(page)["label"] == "Send"  # backwards from the first: the last, not the page
    shot(page, "phone-keyboard")

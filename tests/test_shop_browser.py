"""The demo shop on phones, in headless Chromium: nothing is wider than the screen (#14, finding 1).

A page wider than the phone's screen lets the shopper scroll sideways, and drags what is fixed to
the viewport (the chat launcher) with it. Before #14 the shop's header alone was 609 px wide at
390 px. Each page is loaded with mobile emulation (a phone's viewport, touch, device pixels).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from botdesk.help_pages import demo_help
from tests.conftest import LiveServer

SHOTS = Path(__file__).resolve().parent.parent / "screenshots"
pytestmark = pytest.mark.browser

PHONE = {"is_mobile": True, "has_touch": True, "device_scale_factor": 3}
SIZES = [
    pytest.param({"viewport": {"width": 390, "height": 844}, **PHONE}, id="phone-390"),
    pytest.param({"viewport": {"width": 320, "height": 640}, **PHONE}, id="phone-320"),
    pytest.param({"viewport": {"width": 768, "height": 1024}, **PHONE}, id="tablet-768"),
    pytest.param({"viewport": {"width": 1440, "height": 900}}, id="desktop-1440"),
]


@pytest.fixture(params=SIZES)
def screen(request: pytest.FixtureRequest, chromium: Any, server: LiveServer) -> Iterator[Any]:
    context = chromium.new_context(base_url=server.url, **request.param)
    yield context.new_page()
    context.close()


def _pages() -> list[str]:
    # The front page, a help index, and the pages with the widest content: tables, long words.
    centre = demo_help()
    return [
        "/",
        "/help/fi",
        centre.translation("sizes", "fi").path,
        centre.translation("shipping", "nb").path,
        centre.translation("privacy", "fi").path,
        centre.translation("care", "sv").path,
    ]


def test_no_page_is_wider_than_the_screen(screen: Any) -> None:
    width = screen.viewport_size["width"]
    for path in _pages():
        screen.goto(path)
        wide = screen.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert wide[0] <= wide[1] == width, f"{path} at {width} px: {wide[0]} px wide"
        # Every link of the header's nav can be seen and tapped: on screen, not clipped.
        for link in screen.locator(".shop-nav a").all():
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, path
        # A wide table scrolls inside itself, never the page.
        for table in screen.locator("table").all():
            box = table.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, path
    if width == 390:
        SHOTS.mkdir(exist_ok=True)
        screen.goto("/")
        screen.screenshot(path=str(SHOTS / "shop-phone.png"))

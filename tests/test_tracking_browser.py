"""Tracking an order in the chat widget, in headless Chromium, against the demo merchant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.test_tracking import SLUG, nordkapp  # noqa: F401 (the fixture)
from tests.test_widget import SHOTS, Shop, send

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(chromium: Any, server: LiveServer, nordkapp: None) -> Iterator[Shop]:  # noqa: F811
    shops: list[Shop] = []
    yield lambda **context: shops.append(Shop(chromium, server, **context)) or shops[-1]  # type: ignore[misc]
    for s in shops:
        s.close()
    for s in shops:
        assert s.errors == [], f"the page logged errors: {s.errors}"


def track(page: Any, opener: str, question: str, proof: str) -> Any:
    page.get_by_role("button", name=opener).click()
    send(page, question)
    page.locator(".them[data-seq]").first.wait_for()  # the bot asks for the proof
    send(page, proof)
    answer = page.locator(".them[data-seq]").nth(1)
    answer.wait_for()
    return answer


def test_a_shopper_tracks_an_order_in_the_widget(shop: Any) -> None:
    page = shop().open(f"lang=fi&tenant={SLUG}")
    answer = track(page, "Avaa chat", "missä on tilaus 40012345", "aino.virtanen@example.fi")
    assert "on matkalla" in answer.inner_text()
    link = answer.locator("a[href^='https://www.posti.fi/']")
    assert link.inner_text() == "JJFI60012300000012345"
    assert link.get_attribute("rel") == "noopener noreferrer"
    items = answer.locator("li")
    assert items.count() >= 4  # carrier, tracking, expected delivery, events
    assert "Arrived at the sorting centre, Vantaa" in answer.inner_text()
    assert "\\" not in answer.inner_text()  # escapes are undone, not shown
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "widget-tracking.png"))


def test_tracking_on_a_phone(shop: Any, chromium: Any) -> None:
    phone = shop(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    page = phone.open(f"lang=sv&tenant={SLUG}")
    answer = track(page, "Öppna chatten", "var är order 40023456", "114 53")
    assert "ute för utkörning" in answer.inner_text()
    assert answer.locator("a[href^='https://tracking.postnord.com/se/']").count() == 1
    page.screenshot(path=str(SHOTS / "widget-tracking-phone.png"))

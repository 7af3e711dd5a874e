"""Fixtures of the Firefox smoke set: one headless Firefox per module and xdist worker (each on
its own profile and a kernel-chosen port), and per test a user context of its own (storage,
cookies) with its tabs.

Locally the set skips when Debian's firefox-esr is not installed; with
BOTDESK_TEST_REQUIRE_FIREFOX=1 (as `.ci/run` sets) a missing Firefox fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import update

from botdesk.models import Tenant
from botdesk.runtime import Runtime
from tests.conftest import LiveServer, Personas
from tests.firefox.bidi import Connection, Json, Tab
from tests.firefox.launch import FIREFOX, Firefox
from tests.firefox.shop import ShopServer, WidgetTab
from tests.waits import wait_until


@dataclass
class Browser:
    """A Firefox with its BiDi session, and what it reported per tab (browsing context)."""

    firefox: Firefox
    bidi: Connection
    errors: dict[str, list[str]] = field(default_factory=dict)
    downloads: dict[str, list[Path]] = field(default_factory=dict)

    def record(self, event: str, params: Json) -> None:
        if event == "log.entryAdded" and params.get("level") == "error":
            where = params.get("source", {}).get("context", "")
            self.errors.setdefault(where, []).append(f"{params.get('type')}: {params['text']}")
        elif event == "browsingContext.downloadEnd" and params.get("status") == "complete":
            self.downloads.setdefault(params["context"], []).append(Path(params["filepath"]))


@pytest.fixture(scope="module")
def firefox() -> Iterator[Browser]:
    """Debian's Firefox ESR over WebDriver BiDi (no geckodriver, no downloaded browser)."""
    if not FIREFOX.exists():
        if os.environ.get("BOTDESK_TEST_REQUIRE_FIREFOX"):
            pytest.fail(f"Firefox tests are required here but {FIREFOX} is missing")
        pytest.skip("Debian's firefox-esr is not installed")
    process = Firefox()
    try:
        bidi = Connection(f"{process.url}/session")
        browser = Browser(process, bidi)
        bidi.command("session.new", {"capabilities": {}})
        events = ["log.entryAdded", "browsingContext.downloadEnd"]
        for event in events:
            bidi.on(event, partial(browser.record, event))
        bidi.subscribe(events)
        yield browser
        bidi.close()
    finally:
        process.stop()


@pytest.fixture(scope="module")
def shop_server(server: LiveServer) -> Iterator[ShopServer]:
    shop = ShopServer(server.url)
    yield shop
    shop.close()


class Shopper(WidgetTab):
    """A tab of its own user context (storage of its own) that keeps the page's errors."""

    def __init__(self, tab: Tab, shop_origin: str, browser: Browser) -> None:
        super().__init__(tab, shop_origin)
        self.browser = browser
        self.allowed: list[str] = []  # substrings of errors a test expects

    @property
    def errors(self) -> list[str]:
        seen = self.browser.errors.get(self.tab.context, [])
        return [e for e in seen if not any(a in e for a in self.allowed)]

    def download(self, click: Callable[[], None]) -> Path:
        """Do what starts a download and return the file once Firefox has written it."""
        before = len(self.browser.downloads.get(self.tab.context, []))
        click()
        return wait_until(
            lambda: self.browser.downloads.get(self.tab.context, [])[before:],
            10,
            "the download to finish",
        )[0]


def _allow_origins(runtime: Runtime, tenant: Tenant, origins: list[str]) -> None:
    with runtime.db.session() as session:
        session.execute(
            update(Tenant).where(Tenant.id == tenant.id).values(allowed_origins=origins)
        )
    # The persona object too: a fixture that merges it into a session (`bot`) writes it back.
    tenant.allowed_origins = origins
    runtime.tenants.clear()  # a bulk UPDATE is not seen by the tenant cache's own invalidation


@pytest.fixture
def shopper(
    firefox: Browser, shop_server: ShopServer, runtime: Runtime, personas: Personas
) -> Iterator[Callable[[], Shopper]]:
    """Shoppers on the merchant's page; acme allows that page's origin for the test."""
    acme = personas.alice.tenant
    before = list(acme.allowed_origins)
    _allow_origins(runtime, acme, [*before, shop_server.origin])
    bidi = firefox.bidi
    made: list[tuple[str, Shopper]] = []

    def make() -> Shopper:
        user_context = bidi.command("browser.createUserContext")["userContext"]
        context = bidi.command(
            "browsingContext.create", {"type": "tab", "userContext": user_context}
        )["context"]
        tab = Tab(bidi, context)
        tab.set_viewport(1280, 800)  # the Chromium tests' desktop
        made.append((user_context, Shopper(tab, shop_server.origin, firefox)))
        return made[-1][1]

    yield make
    try:
        for user_context, _ in made:
            bidi.command("browser.removeUserContext", {"userContext": user_context})
    finally:
        _allow_origins(runtime, acme, before)  # personas are shared: put the setting back
    for _, s in made:
        assert s.errors == [], f"the page logged errors: {s.errors}"

"""The admin's Orders page: the order connector over HTTP, against stand-ins, and in Chromium.

Tests go through the real server as signed-in personas; the merchant's system is the generic
stand-in (tests/standins/generic.py) over real HTTP on loopback, which the session's runtime
allows (`outbound_allowed_networks`), so `http://127.0.0.1:PORT` is an accepted address here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from botdesk import access
from botdesk.models import AuditEntry, OrderConnector, User
from botdesk.orders.connectors import ConnectorConfig
from botdesk.runtime import Runtime
from tests.conftest import PASSWORD, LiveServer, Personas, console_sign_in
from tests.standins.generic import GenericOrder, GenericStandIn
from tests.standins.server import serve
from tests.waits import wait_until

SHOTS = Path(__file__).resolve().parent.parent / "screenshots"
TOKEN = "tok-Zq81-merchant-bearer-secret"
SHOP_TOKEN = "shpat_0123456789abcdef0123456789abcdef"
WOO_KEY, WOO_SECRET = "ck_7d1e0c5a9b3f41b2a6c8e0f1d2c3b4a5", "cs_4f2b8a1c6e9d0b3a5c7e1f2d4b6a8c0e"
ALL_SECRETS = (TOKEN, SHOP_TOKEN, WOO_KEY, WOO_SECRET)
MAPPING = {
    "state": "order.status",
    "email": "order.customer.email",
    "postcode": "order.customer.zip",
    "carrier": "order.shipping.carrierName",
    "tracking_number": "order.shipping.trackingCode",
    "tracking_url": "order.shipping.trackingUrl",
    "expected_delivery": "order.shipping.eta",
    "events": "order.history",
    "event_at": "at",
    "event_text": "text",
    "event_place": "",  # the merchant's events have no place: left empty, stored as none
}


@pytest.fixture
def browser(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def sign_in(client: httpx.Client, user: User) -> str:
    """Sign in; the session's form token (from the account page, which everyone can open)."""
    response = console_sign_in(client, user.email)
    assert response.status_code == 303, response.text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/console/account").text)
    assert match
    return match.group(1)


def generic_form(csrf: str, base_url: str, **extra: str) -> dict[str, str]:
    form = {
        "csrf": csrf,
        "kind": "generic",
        "base_url": base_url,
        "auth": "bearer",
        "token": TOKEN,
        "path": "/orders/{number}",
        "states": "in_transit = shipped\n\n# new orders\nnew = received\n",
    }
    return form | {f"map-{name}": path for name, path in MAPPING.items()} | extra


def stored(runtime: Runtime, personas: Personas) -> tuple[OrderConnector, ConnectorConfig] | None:
    """acme's connector row and its config with the secrets opened, or None."""
    tenant_id = personas.alice.tenant.id
    with runtime.db.read() as session:
        row = access.connector_row(session, tenant_id)
        if row is None:
            return None
        return row, access.config_of(row, runtime.tenants.get(tenant_id).key)


def audit(runtime: Runtime) -> list[tuple[str, dict[str, Any]]]:
    with runtime.db.read() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.startswith("connector."))
            .order_by(AuditEntry.id)
        )
        return [(row.action, dict(row.details)) for row in rows]


def text_of(response: httpx.Response) -> str:
    page = html.unescape(response.text)
    assert not any(secret in page for secret in ALL_SECRETS), "a secret was rendered"
    return page


def test_the_admin_sees_the_empty_page_from_the_navigation(
    browser: httpx.Client, personas: Personas
) -> None:
    sign_in(browser, personas.alice.admin)
    assert 'href="/console/orders?tenant=acme"' in browser.get("/console/settings").text
    page = browser.get("/console/orders?tenant=acme")
    assert page.status_code == 200
    shown = text_of(page)
    assert "No order system connected" in shown
    assert "Connect your order system" in shown
    assert 'name="kind" value="shopify" checked' in page.text  # the default kind
    assert 'id="map-state" name="map-state" value="state"' in page.text


@pytest.mark.parametrize("role", ["agent", "analyst"])
def test_agents_and_analysts_cannot_open_or_post_the_page(
    browser: httpx.Client, personas: Personas, runtime: Runtime, role: str
) -> None:
    csrf = sign_in(browser, getattr(personas.alice, role))
    assert browser.get("/console/orders").status_code == 403
    assert "/console/orders" not in browser.get("/console/account").text  # no nav link
    save = browser.post("/console/orders", data=generic_form(csrf, "https://shop.example"))
    assert save.status_code == 403
    for action in ("test", "remove"):
        refused = browser.post(f"/console/orders/{action}", data={"csrf": csrf, "confirm": "yes"})
        assert refused.status_code == 403, action
        assert "only the tenant" in html.unescape(refused.text)
    assert stored(runtime, personas) is None
    assert audit(runtime) == []


def test_another_tenants_admin_strangers_and_no_one_are_refused(
    browser: httpx.Client, server: LiveServer, personas: Personas, runtime: Runtime
) -> None:
    assert browser.get("/console/orders").status_code == 303  # signed out: to sign-in
    for path in ("/console/orders", "/console/orders/test", "/console/orders/remove"):
        signed_out = browser.post(path, data={"confirm": "yes"})
        assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/console/login")
    csrf = sign_in(browser, personas.bob.admin)
    assert "Bob's Boots" in text_of(browser.get("/console/orders"))  # their own page
    assert browser.get("/console/orders?tenant=acme").status_code == 403
    form = generic_form(csrf, "https://evil.example")
    assert browser.post("/console/orders?tenant=acme", data=form).status_code == 403
    for action in ("test", "remove"):
        data = {"csrf": csrf, "confirm": "yes"}
        assert browser.post(f"/console/orders/{action}?tenant=acme", data=data).status_code == 403
    with httpx.Client(base_url=server.url, timeout=10) as stranger:
        csrf = sign_in(stranger, personas.stranger)
        assert stranger.get("/console/orders").status_code == 403
        form = generic_form(csrf, "https://evil.example")
        assert stranger.post("/console/orders?tenant=acme", data=form).status_code == 403
        assert stranger.post("/console/orders/test", data={"csrf": csrf}).status_code == 403
    assert stored(runtime, personas) is None
    assert audit(runtime) == []


def test_forms_without_the_sessions_token_are_refused(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    save = browser.post("/console/orders", data=generic_form(csrf, "https://shop.example"))
    assert save.status_code == 303
    for token in ({}, {"csrf": "0" * 64}):
        form = generic_form("", "https://other.example") | token
        for path, data in [
            ("/console/orders", form),
            ("/console/orders/test", token),
            ("/console/orders/remove", token | {"confirm": "yes"}),
        ]:
            refused = browser.post(path, data=data)
            assert refused.status_code == 403, path
            assert "reload the page" in refused.text
    found = stored(runtime, personas)
    assert found is not None and found[0].base_url == "https://shop.example"
    assert [action for action, _ in audit(runtime)] == ["connector.saved"]


def test_the_admin_saves_each_kind_and_no_secret_reaches_a_page(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    saved = browser.post("/console/orders", data=generic_form(csrf, "https://shop.example/api/"))
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/console/orders?tenant=acme&saved=saved#health"
    page = text_of(browser.get(saved.headers["location"]))
    assert "Connector saved." in page and "Not tested yet" in page
    assert "https://shop.example/api" in page
    assert page.count("saved — leave empty to keep") == 1  # the token's field, and only it
    found = stored(runtime, personas)
    assert found is not None
    row, config = found
    assert (row.kind, row.base_url) == ("generic", "https://shop.example/api")
    assert row.options == {
        "auth": "bearer",
        "path": "/orders/{number}",
        "mapping": {name: path or None for name, path in MAPPING.items()},
        "states": {"in_transit": "shipped", "new": "received"},
    }
    assert config.secrets == {"token": TOKEN}
    assert TOKEN.encode() not in row.sealed_secrets
    # What the form shows is what it saves: stored again unchanged, no setting differs.
    assert 'value="order.shipping.trackingCode"' in page
    assert "in_transit = shipped\nnew = received</textarea>" in page

    shopify = {"csrf": csrf, "kind": "shopify", "base_url": "https://acme.myshopify.com"}
    shopify |= {"access_token": SHOP_TOKEN, "name_prefix": "ACME-", "token": "ignored"}
    assert browser.post("/console/orders", data=shopify).status_code == 303
    found = stored(runtime, personas)
    assert found is not None
    assert (found[0].kind, found[0].options) == ("shopify", {"name_prefix": "ACME-"})
    assert found[1].secrets == {"access_token": SHOP_TOKEN}
    page = text_of(browser.get("/console/orders"))
    assert 'name="kind" value="shopify" checked' in page and 'value="ACME-"' in page

    woo = {"csrf": csrf, "kind": "woocommerce", "base_url": "https://shop.example"}
    woo |= {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET}
    woo |= {"woo_states": "awaiting-pickup = out_for_delivery"}
    assert browser.post("/console/orders", data=woo).status_code == 303
    found = stored(runtime, personas)
    assert found is not None
    assert found[0].options == {"states": {"awaiting-pickup": "out_for_delivery"}}
    assert found[1].secrets == {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET}
    page = text_of(browser.get("/console/orders"))
    assert page.count("saved — leave empty to keep") == 2
    assert ">awaiting-pickup = out_for_delivery</textarea>" in page

    assert audit(runtime) == [
        ("connector.saved", {"kind": kind, "settings": ["kind", "base_url", "options", "secrets"]})
        for kind in ("generic", "shopify", "woocommerce")
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"base_url": "http://shop.example"}, "Address: use https://"),
        ({"base_url": "https://u:p@shop.example"}, "Address: must not carry credentials"),
        ({"token": ""}, "Enter the bearer token"),
        ({"auth": "hmac"}, "Enter the signing secret"),
        ({"kind": "magento"}, "Order system: must be one of"),
        ({"path": "/orders"}, "Path: start with / and include {number}"),
        ({"map-state": ""}, "Field mapping: Order state needs a path"),
        ({"map-carrier": "shipping carrier"}, "Field mapping, Carrier: write a dotted path"),
        ({"states": "in_transit shipped"}, "Order states, line 1: write it as"),
        ({"states": "a = shipped\nb = posted"}, "line 2: 'posted' is not one of ours"),
    ],
)
def test_invalid_input_is_explained_next_to_the_form_and_nothing_is_stored(
    browser: httpx.Client,
    personas: Personas,
    runtime: Runtime,
    data: dict[str, str],
    message: str,
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    form = generic_form(csrf, "https://typed.example") | {"map-carrier": "typed.carrier"} | data
    refused = browser.post("/console/orders", data=form)
    assert refused.status_code == 422
    page = text_of(refused)  # the typed token is not sent back either
    assert message in page
    assert f'value="{form["base_url"]}"' in page  # what the admin typed is kept
    assert f'value="{form["map-carrier"]}"' in page
    assert stored(runtime, personas) is None
    assert audit(runtime) == []


def test_an_empty_secret_keeps_the_saved_one_only_at_the_same_address(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    assert browser.post(
        "/console/orders", data=generic_form(csrf, "https://shop.example")
    ).is_redirect
    again = generic_form(csrf, "https://shop.example/", token="", path="/v2/orders/{number}")
    kept = browser.post("/console/orders", data=again)
    assert kept.status_code == 303, kept.text
    found = stored(runtime, personas)
    assert found is not None
    assert found[1].secrets == {"token": TOKEN}
    assert found[0].options["path"] == "/v2/orders/{number}"
    assert audit(runtime)[-1] == ("connector.saved", {"kind": "generic", "settings": ["options"]})

    # Elsewhere, a saved token would be handed to whoever runs that server: it must be typed.
    for changed in ({"base_url": "https://collector.example"}, {"auth": "hmac"}):
        refused = browser.post("/console/orders", data=again | changed)
        assert refused.status_code == 422
        assert re.search(r"Enter the (bearer token|signing secret)", text_of(refused))
    found = stored(runtime, personas)
    assert found is not None
    assert (found[0].base_url, found[1].secrets) == ("https://shop.example", {"token": TOKEN})


def test_the_connection_test_says_whether_the_merchants_system_answers(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    merchant = GenericStandIn([GenericOrder("1001")], token=TOKEN)
    with serve(merchant) as api:
        save = browser.post("/console/orders", data=generic_form(csrf, api.url))
        assert save.status_code == 303, save.text
        tested = browser.post("/console/orders/test", data={"csrf": csrf})
        assert tested.status_code == 303
        assert tested.headers["location"] == "/console/orders?tenant=acme&tested=ok#health"
        page = text_of(browser.get(tested.headers["location"]))
        assert "Connection works" in page and "Working" in page
        assert [r.path for r in merchant.received] == ["/orders/botdesk-connection-test"]
        assert merchant.received[0].headers["authorization"] == f"Bearer {TOKEN}"

        wrong = generic_form(csrf, api.url, token="not-the-merchants-token")
        assert browser.post("/console/orders", data=wrong).status_code == 303
        tested = browser.post("/console/orders/test", data={"csrf": csrf})
        assert tested.headers["location"].endswith("&tested=unauthorised#health")
        page = text_of(browser.get(tested.headers["location"]))
        assert "The test failed. The system refused the credentials." in re.sub("<[^>]+>", "", page)
        assert "Failing" in page
        assert re.search(r"<dt>Last error</dt><dd><code>unauthorised</code> · \d{4}-", page)
        assert "Circuit breaker" in page and "closed" in page
        assert "not-the-merchants-token" not in page

    def persisted() -> str | None:
        found = stored(runtime, personas)
        return found[0].last_error_kind if found else None

    wait_until(lambda: persisted() == "unauthorised", 5, "the health to be written")
    assert [details for action, details in audit(runtime) if action == "connector.tested"] == [
        {"outcome": "ok"},
        {"outcome": "unauthorised"},
    ]


def test_signed_requests_are_tested_with_the_signing_secret(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    merchant = GenericStandIn([], hmac_secret=TOKEN)
    with serve(merchant) as api:
        form = generic_form(csrf, api.url, auth="hmac", token="", hmac_secret=TOKEN)
        assert browser.post("/console/orders", data=form).status_code == 303
        tested = browser.post("/console/orders/test", data={"csrf": csrf})
    assert tested.headers["location"].endswith("&tested=ok#health")
    assert "x-botdesk-signature" in merchant.received[0].headers
    found = stored(runtime, personas)
    assert found is not None and found[1].secrets == {"hmac_secret": TOKEN}


def test_a_test_without_a_connector_says_there_is_nothing_to_test(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    tested = browser.post("/console/orders/test", data={"csrf": csrf})
    assert tested.headers["location"].endswith("&tested=not_configured#health")
    assert "There is no connector to test yet." in text_of(browser.get(tested.headers["location"]))
    # A made-up outcome in the address shows nothing.
    assert "The test failed" not in browser.get("/console/orders?tested=<b>x</b>").text
    assert audit(runtime) == []


def test_the_admin_removes_the_connector_after_confirming(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    assert browser.post(
        "/console/orders", data=generic_form(csrf, "https://shop.example")
    ).is_redirect
    unconfirmed = browser.post("/console/orders/remove", data={"csrf": csrf})
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm" in text_of(unconfirmed)
    assert stored(runtime, personas) is not None
    removed = browser.post("/console/orders/remove", data={"csrf": csrf, "confirm": "yes"})
    assert removed.headers["location"] == "/console/orders?tenant=acme&saved=removed"
    page = text_of(browser.get(removed.headers["location"]))
    assert "Connector removed." in page and "No order system connected" in page
    assert stored(runtime, personas) is None
    again = browser.post("/console/orders/remove", data={"csrf": csrf, "confirm": "yes"})
    assert "There was no connector to remove." in text_of(browser.get(again.headers["location"]))
    assert [action for action, _ in audit(runtime)] == ["connector.saved", "connector.removed"]


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def test_the_admin_connects_and_tests_in_chromium_at_desktop_and_phone_size(
    chromium: Any, server: LiveServer, personas: Personas, runtime: Runtime
) -> None:
    SHOTS.mkdir(exist_ok=True)
    errors: list[str] = []

    def open_page(size: dict[str, Any]) -> Any:
        context = chromium.new_context(base_url=server.url, **size)
        page = context.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/console/login")
        page.get_by_label("Email").fill(personas.alice.admin.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")
        return page

    desktop = open_page({"viewport": {"width": 1280, "height": 900}})
    phone = open_page(PHONE)
    merchant = GenericStandIn([GenericOrder("1001")], token=TOKEN)
    try:
        phone.goto("/console/orders?tenant=acme")
        phone.screenshot(path=str(SHOTS / "console-orders-phone-empty.png"), full_page=True)
        desktop.get_by_role("link", name="Orders").click()
        desktop.wait_for_url("**/console/orders?tenant=acme")
        desktop.screenshot(path=str(SHOTS / "console-orders-empty.png"), full_page=True)
        # Only the chosen kind's fields are shown.
        assert desktop.get_by_label("Admin API access token").is_visible()
        assert not desktop.get_by_label("Bearer token", exact=True).is_visible()
        desktop.get_by_label("Your own order API").check()
        assert not desktop.get_by_label("Admin API access token").is_visible()
        assert not desktop.get_by_label("Signing secret").is_visible()
        with serve(merchant) as api:
            desktop.get_by_label("Address").fill(api.url)
            desktop.get_by_label("Bearer token", exact=True).fill("an-old-token")
            for name, path in MAPPING.items():
                desktop.locator(f"#map-{name}").fill(path)
            desktop.get_by_label("Order states").fill("in_transit = shipped")
            desktop.get_by_role("button", name="Save connector").click()
            desktop.wait_for_url("**/console/orders?tenant=acme&saved=saved#health")
            assert desktop.locator("#token").input_value() == ""
            desktop.get_by_role("button", name="Test connection").click()
            desktop.wait_for_url("**&tested=unauthorised#health")
        alert = desktop.get_by_role("alert").inner_text()
        assert "The system refused the credentials" in alert
        desktop.screenshot(path=str(SHOTS / "console-orders-generic.png"), full_page=True)
        phone.goto(desktop.url)
        assert phone.get_by_role("alert").is_visible()
        # Nothing sticks out sideways at phone size.
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.screenshot(path=str(SHOTS / "console-orders-phone-generic.png"), full_page=True)
        desktop.get_by_text("Remove the connector").click()
        desktop.get_by_label("Yes, remove the connection").check()
        desktop.get_by_role("button", name="Remove connector").click()
        desktop.wait_for_url("**&saved=removed")
    finally:
        desktop.context.close()
        phone.context.close()
    assert errors == []
    assert stored(runtime, personas) is None

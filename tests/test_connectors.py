"""Order connectors against stand-ins of Shopify, WooCommerce, a merchant's own API and a faulty
endpoint, each over real HTTP, reached through the visitor API like a shopper would.

Tenant acme answers with the mini content (tests/content/mini): `{reference}`, `{carrier}` and
`{details}` in one line per state.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from botdesk import access
from botdesk.actions.audit import Actor
from botdesk.actions.connectors import save_connector
from botdesk.models import OrderConnector
from botdesk.orders.connectors import ConfigInvalid, validate_config
from botdesk.orders.outbound import FailureKind, LookupFailed, Outbound, OutboundPolicy, new_client
from botdesk.runtime import Runtime
from tests.conftest import Personas, start_chat
from tests.standins.faulty import FaultyStandIn
from tests.standins.generic import GenericEvent, GenericOrder, GenericStandIn
from tests.standins.server import serve
from tests.standins.shopify import (
    TOKEN,
    ShopifyEvent,
    ShopifyFulfillment,
    ShopifyOrder,
    ShopifyStandIn,
    ShopifyTracking,
)
from tests.standins.woocommerce import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    WooCommerceStandIn,
    WooOrder,
    WooTracking,
)
from tests.test_tracking import fresh_address
from tests.waits import wait_until

EMAIL = "shopper@example.com"
UNAVAILABLE = "I can't check order"
NOW = dt.datetime.now(dt.UTC)
GENERIC_OPTIONS: dict[str, Any] = {
    "auth": "bearer",
    "mapping": {
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
        "event_place": "place",
    },
    "states": {"in_transit": "shipped", "new": "received"},
}


def connect(runtime: Runtime, kind: str, url: str, options: dict[str, Any], **secrets: str) -> None:
    config = validate_config(kind, url, options, secrets, runtime.orders.policy)
    with runtime.db.session() as session:
        tenant = access.tenant_by_slug(session, "acme")
        key = runtime.tenants.get(tenant.id).key
        save_connector(session, Actor.operator(), tenant, key, config)


def ask(api: httpx.Client, *texts: str) -> str:
    """One conversation; the bot's replies to the last message."""
    chat = start_chat(api, "acme", "en")
    headers = {**chat.auth, "X-Forwarded-For": fresh_address()}
    body: dict[str, Any] = {}
    for text in texts:
        response = api.post(
            f"/api/v1/conversations/{chat.id}/messages", json={"text": text}, headers=headers
        )
        assert response.status_code == 201, response.text
        body = response.json()
    return "\n".join(reply["text"] for reply in body["replies"])


def health(runtime: Runtime) -> OrderConnector:
    with runtime.db.read() as session:
        return session.scalars(select(OrderConnector)).one()


# ---- Shopify -------------------------------------------------------------------------------


@pytest.fixture
def shopify(runtime: Runtime, bot: None) -> Iterator[ShopifyStandIn]:
    in_transit = ShopifyOrder(
        "#40012345",
        email=EMAIL,
        zip="00100",
        fulfillment_status="FULFILLED",
        fulfillments=[
            ShopifyFulfillment(
                display_status="IN_TRANSIT",
                tracking=[ShopifyTracking("UA526018152SE", "PostNord")],
                events=[
                    ShopifyEvent("CONFIRMED", NOW - dt.timedelta(hours=30), "Label created"),
                    ShopifyEvent(
                        "IN_TRANSIT", NOW - dt.timedelta(hours=3), "At the terminal", "Malmö"
                    ),
                ],
                estimated_delivery_at=NOW + dt.timedelta(days=2),
            )
        ],
    )
    cancelled = ShopifyOrder("#40012346", email=EMAIL, cancelled_at=NOW)
    unfulfilled = ShopifyOrder("#40012347", email=EMAIL, financial_status="PAID")
    stand_in = ShopifyStandIn([in_transit, cancelled, unfulfilled])
    with serve(stand_in) as server:
        connect(runtime, "shopify", server.url, {}, access_token=TOKEN)
        yield stand_in


def test_shopify_order_with_fulfilment_tracking_and_events(
    shopify: ShopifyStandIn, api: httpx.Client
) -> None:
    text = ask(api, f"where is my order 40012345 {EMAIL}")
    assert "Order 40012345 is on its way with PostNord" in text
    assert "https://tracking.postnord.com/" in text  # the carrier's page, from the number
    assert "At the terminal, Malmö" in text and text.index("At the terminal") < text.index(
        "Label created"
    )
    sent = shopify.received[-1]
    assert sent.headers["x-shopify-access-token"] == TOKEN
    assert "reverse: true" in sent.body.decode()


def test_shopify_states_and_verification(shopify: ShopifyStandIn, api: httpx.Client) -> None:
    assert "was cancelled" in ask(api, f"where is order 40012346 {EMAIL}")
    assert "is paid" in ask(api, f"where is order 40012347 {EMAIL}")
    assert "could not find order 40012345" in ask(api, "where is order 40012345 x@example.com")
    # The postcode on the shipping address proves it too, when asked for.
    assert "on its way" in ask(api, "where is order 40012345", "00100")


def test_shopify_throttling_is_retried(shopify: ShopifyStandIn, api: httpx.Client) -> None:
    shopify.throttle_next = 1
    assert "on its way" in ask(api, f"where is order 40012345 {EMAIL}")
    assert shopify.requests == 2


def test_a_wrong_shopify_token_is_reported_as_unauthorised(
    runtime: Runtime, bot: None, api: httpx.Client
) -> None:
    stand_in = ShopifyStandIn([])
    with serve(stand_in) as server:
        connect(runtime, "shopify", server.url, {}, access_token="shpat_wrong")
        assert UNAVAILABLE in ask(api, f"where is order 40012345 {EMAIL}")
    wait_until(lambda: health(runtime).last_error_kind == "unauthorised", 5, "health")
    assert stand_in.requests == 1  # a refusal is not retried


# ---- WooCommerce ---------------------------------------------------------------------------


@pytest.fixture
def woo(runtime: Runtime, bot: None) -> Iterator[WooCommerceStandIn]:
    orders = [
        WooOrder(
            40012345,
            status="completed",
            email=EMAIL,
            postcode="00100",
            trackings=[WooTracking("JJFI60012300000012345", provider="Posti")],
        ),
        WooOrder(40012346, status="processing", email=EMAIL),
        WooOrder(40012347, status="refunded", email=EMAIL),
    ]
    stand_in = WooCommerceStandIn(orders)
    with serve(stand_in) as server:
        connect(
            runtime,
            "woocommerce",
            server.url,
            {},
            consumer_key=CONSUMER_KEY,
            consumer_secret=CONSUMER_SECRET,
        )
        yield stand_in


def test_woocommerce_order_with_shipment_tracking(
    woo: WooCommerceStandIn, api: httpx.Client
) -> None:
    text = ask(api, f"where is order 40012345 {EMAIL}")
    assert "on its way with Posti" in text
    assert "posti.fi" in text and "JJFI60012300000012345" in text
    assert [r.path for r in woo.received] == [
        "/wp-json/wc/v3/orders/40012345",
        "/wp-json/wc-shipment-tracking/v3/orders/40012345/shipment-trackings",
    ]


def test_woocommerce_states_postcode_and_unknown(
    woo: WooCommerceStandIn, api: httpx.Client
) -> None:
    assert "is paid" in ask(api, f"where is order 40012346 {EMAIL}")
    assert "was returned" in ask(api, f"where is order 40012347 {EMAIL}")
    assert "is on its way" in ask(api, "where is order 40012345", "00100")
    assert "could not find order 40099999" in ask(api, f"where is order 40099999 {EMAIL}")


def test_woocommerce_wrong_keys(runtime: Runtime, bot: None, api: httpx.Client) -> None:
    stand_in = WooCommerceStandIn([WooOrder(40012345, email=EMAIL)])
    with serve(stand_in) as server:
        connect(runtime, "woocommerce", server.url, {}, consumer_key="ck_x", consumer_secret="cs_x")
        assert UNAVAILABLE in ask(api, f"where is order 40012345 {EMAIL}")
    wait_until(lambda: health(runtime).last_error_kind == "unauthorised", 5, "health")


# ---- the generic connector -----------------------------------------------------------------


def generic_orders() -> list[GenericOrder]:
    return [
        GenericOrder(
            "40012345",
            email=EMAIL,
            history=[
                GenericEvent(NOW - dt.timedelta(hours=1), "Sorted [click](https://x.test)", "Umeå")
            ],
        ),
        GenericOrder("40012346", email=EMAIL, status="new", carrier=None),
    ]


def test_generic_connector_with_hmac_signed_requests(
    runtime: Runtime, bot: None, api: httpx.Client
) -> None:
    stand_in = GenericStandIn(generic_orders(), hmac_secret="s3cret", base_path="/api")
    options = {**GENERIC_OPTIONS, "auth": "hmac"}
    with serve(stand_in) as server:
        connect(runtime, "generic", server.url + "/api", options, hmac_secret="s3cret")
        text = ask(api, f"where are my orders 40012345 and 40012346? {EMAIL}")
        # Two orders, one answer each; merchant text is escaped, never a link of its own.
        assert "on its way with PostNord" in text and "awaiting payment" in text
        assert "Sorted \\[click\\]\\(https://x.test\\), Umeå" in text
        assert stand_in.requests == 2
        connect(runtime, "generic", server.url + "/api", options, hmac_secret="wrong")
        assert UNAVAILABLE in ask(api, f"where is 40012345 {EMAIL}")
    wait_until(lambda: health(runtime).last_error_kind == "unauthorised", 5, "health")


def test_answers_are_cached_per_conversation(
    runtime: Runtime, bot: None, api: httpx.Client
) -> None:
    stand_in = GenericStandIn(generic_orders(), token="t0ken")
    with serve(stand_in) as server:
        connect(runtime, "generic", server.url, GENERIC_OPTIONS, token="t0ken")
        text = ask(api, f"where is 40012345 {EMAIL}", "where is 40012345 again?")
        assert "on its way" in text
        assert stand_in.requests == 1
        assert stand_in.received[0].headers["authorization"] == "Bearer t0ken"


def test_a_tracking_number_alone_never_asks_the_merchant(
    runtime: Runtime, bot: None, api: httpx.Client
) -> None:
    stand_in = GenericStandIn(generic_orders(), token="t0ken")
    with serve(stand_in) as server:
        connect(runtime, "generic", server.url, GENERIC_OPTIONS, token="t0ken")
        text = ask(api, "track RR123456785FI")
    assert "Follow your Posti parcel" in text and "posti.fi" in text
    assert stand_in.requests == 0


# ---- failures --------------------------------------------------------------------------------


@pytest.fixture
def faulty(runtime: Runtime, bot: None) -> Iterator[FaultyStandIn]:
    stand_in = FaultyStandIn(GenericOrder("40012345", email=EMAIL))
    with serve(stand_in) as server:
        connect(runtime, "generic", server.url, GENERIC_OPTIONS, token="t")
        yield stand_in


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        ("slow", "timeout"),
        ("error500", "server_error"),
        ("error401", "unauthorised"),
        ("garbage", "invalid_response"),
        ("wrong_shape", "invalid_response"),
        ("redirect_other_host", "redirect"),
        ("huge", "too_large"),
        ("drop", "unreachable"),
    ],
)
def test_a_faulty_merchant_gets_an_honest_answer_and_a_health_entry(
    faulty: FaultyStandIn, runtime: Runtime, api: httpx.Client, mode: str, kind: str
) -> None:
    faulty.mode = mode  # type: ignore[assignment]
    faulty.delay = 30
    with serve(FaultyStandIn()) as other:
        faulty.redirect_to = other.url
        text = ask(api, f"where is 40012345 {EMAIL}")
    assert UNAVAILABLE in text
    wait_until(lambda: health(runtime).last_error_kind == kind, 5, f"health to say {kind}")


def test_transient_failures_are_retried_and_same_host_redirects_followed(
    faulty: FaultyStandIn, api: httpx.Client
) -> None:
    faulty.mode = "flaky"
    faulty.fail_times = 2
    assert "on its way" in ask(api, f"where is 40012345 {EMAIL}")
    assert faulty.requests == 3
    faulty.mode = "redirect_same_host"
    assert "on its way" in ask(api, f"where is 40012345 {EMAIL}")


def test_the_circuit_opens_fails_fast_and_closes_again(
    faulty: FaultyStandIn, runtime: Runtime, personas: Personas, api: httpx.Client
) -> None:
    breaker = runtime.orders.breaker(personas.alice.tenant.id)
    breaker.threshold, breaker.cool_down = 2, 0.5
    faulty.mode = "error401"  # not retried: one request per look-up
    for _ in range(2):
        assert UNAVAILABLE in ask(api, f"where is 40012345 {EMAIL}")
    assert runtime.orders.health(personas.alice.tenant.id).circuit == "open"
    seen = faulty.requests
    faulty.mode = "ok"
    assert UNAVAILABLE in ask(api, f"where is 40012345 {EMAIL}")
    assert faulty.requests == seen  # open: the merchant is not asked at all
    wait_until(lambda: breaker.state == "half_open", 5, "the cool-down")
    assert "on its way" in ask(api, f"where is 40012345 {EMAIL}")
    assert runtime.orders.health(personas.alice.tenant.id).circuit == "closed"


# ---- outbound safety -------------------------------------------------------------------------


def _read(policy: OutboundPolicy, url: str) -> FailureKind | int:
    async def attempt() -> FailureKind | int:
        async with new_client(policy) as client:
            try:
                return (await Outbound(client, policy).read("GET", url)).status
            except LookupFailed as failure:
                return failure.kind

    return asyncio.run(attempt())


def test_private_loopback_and_link_local_addresses_are_refused_after_resolution() -> None:
    stand_in = GenericStandIn([], token="t")
    strict = OutboundPolicy(total_timeout=2)
    with serve(stand_in) as server:
        assert _read(strict, server.url + "/orders/1") == FailureKind.BLOCKED_ADDRESS
        # A name that resolves to loopback is refused the same way.
        assert _read(strict, f"http://localhost:{server.port}/orders/1") == "blocked_address"
        allowed = OutboundPolicy.of(["127.0.0.1/32", "::1/128"], total_timeout=2)
        # Allowed: it connects, and the merchant refuses the missing token.
        assert _read(allowed, server.url + "/orders/1") == FailureKind.UNAUTHORISED
    for url in ("http://169.254.169.254/latest/meta-data", "http://10.1.2.3/", "http://[::1]/"):
        assert _read(strict, url) == FailureKind.BLOCKED_ADDRESS
    assert stand_in.requests == 1


def test_connector_settings_are_validated(runtime: Runtime) -> None:
    policy = runtime.orders.policy
    with pytest.raises(ConfigInvalid, match="https"):
        validate_config("generic", "http://shop.example", {}, {"token": "t"}, policy)
    with pytest.raises(ConfigInvalid, match="missing secret: hmac_secret"):
        validate_config("generic", "https://shop.example", {"auth": "hmac"}, {}, policy)
    with pytest.raises(ConfigInvalid, match="kind"):
        validate_config("magento", "https://shop.example", {}, {}, policy)
    with pytest.raises(ConfigInvalid, match="mapping"):
        validate_config(
            "generic", "https://shop.example", {"mapping": {"state": "a b"}}, {"token": "t"}, policy
        )
    with pytest.raises(ConfigInvalid, match="credentials"):
        validate_config("shopify", "https://u:p@x.example", {}, {"access_token": "t"}, policy)
    config = validate_config("generic", "https://shop.example/api/", {}, {"token": "t"}, policy)
    assert config.base_url == "https://shop.example/api"


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 to 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 to 10.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:10.0.0.1",  # IPv4-mapped
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "fe80::1",
        "fc00::1",
        "169.254.169.254",
        "100.64.0.1",  # carrier-grade NAT
    ],
)
def test_addresses_that_lead_to_private_networks_are_refused(address: str) -> None:
    assert not OutboundPolicy().allows(address)


def test_public_addresses_in_any_form_are_allowed() -> None:
    for address in ("8.8.8.8", "64:ff9b::808:808", "2002:808:808::", "2606:4700::1111"):
        assert OutboundPolicy().allows(address), address


def test_garbage_that_would_crash_a_parser_is_an_invalid_response() -> None:
    from botdesk.orders import fields
    from botdesk.orders.outbound import Answer

    with pytest.raises(LookupFailed):
        Answer(200, b"[" * 100_000).json()
    for moment in ("9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+14:00", 10**12):
        with pytest.raises(LookupFailed):
            fields.moment(moment)


def test_shopify_garbage_errors_are_an_honest_answer(
    runtime: Runtime, bot: None, api: httpx.Client
) -> None:
    stand_in = FaultyStandIn(mode="wrong_shape")
    stand_in.wrong_shape = {"errors": 1}
    with serve(stand_in) as server:
        connect(runtime, "shopify", server.url, {}, access_token="t")
        assert UNAVAILABLE in ask(api, f"where is order 40012345 {EMAIL}")
        stand_in.wrong_shape = {
            "data": {
                "orders": {
                    "nodes": [
                        {
                            "name": "#40012345",
                            "email": EMAIL,
                            "fulfillments": [
                                {
                                    "displayStatus": "IN_TRANSIT",
                                    "events": {
                                        "nodes": [
                                            {
                                                "happenedAt": "9999-12-31T23:00:00-05:00",
                                                "status": "IN_TRANSIT",
                                            }
                                        ]
                                    },
                                }
                            ],
                        }
                    ]
                }
            }
        }
        assert UNAVAILABLE in ask(api, f"where is order 40012345 {EMAIL}")


def test_woocommerce_asks_for_tracking_only_after_the_shopper_is_verified(
    woo: WooCommerceStandIn, api: httpx.Client
) -> None:
    assert "could not find order 40012345" in ask(api, "where is order 40012345 x@example.com")
    # A wrong proof costs the merchant one request, like an unknown order: no timing tells.
    assert [r.path for r in woo.received] == ["/wp-json/wc/v3/orders/40012345"]


def test_a_connector_changed_where_no_event_reaches_gets_a_fresh_breaker(
    runtime: Runtime, personas: Personas
) -> None:
    tenant_id = personas.alice.tenant.id
    broken = validate_config(
        "generic", "http://127.0.0.1:9", {}, {"token": "t"}, runtime.orders.policy
    )

    async def look_up(config: Any) -> FailureKind | None:
        try:
            await runtime.orders.call(tenant_id, config, lambda c: c.find("40012345"))
        except LookupFailed as failure:
            return failure.kind
        return None

    runtime.orders.breaker(tenant_id).threshold = 1
    assert asyncio.run(look_up(broken)) == FailureKind.UNREACHABLE
    assert asyncio.run(look_up(broken)) == FailureKind.CIRCUIT_OPEN
    stand_in = GenericStandIn(generic_orders(), token="t0ken")
    with serve(stand_in) as server:
        # As the CLI on another process would leave it: a new config, and no event.
        fixed = validate_config(
            "generic", server.url, GENERIC_OPTIONS, {"token": "t0ken"}, runtime.orders.policy
        )
        assert asyncio.run(look_up(fixed)) is None
    assert stand_in.requests == 1


def test_shopify_tells_the_newest_of_several_shipments(
    runtime: Runtime, bot: None, api: httpx.Client
) -> None:
    older = ShopifyFulfillment(
        display_status="DELIVERED",
        tracking=[ShopifyTracking("RR123456785FI", "Posti")],
        created_at=NOW - dt.timedelta(days=5),
    )
    newer = ShopifyFulfillment(
        display_status="IN_TRANSIT",
        tracking=[ShopifyTracking("UA526018152SE", "PostNord")],
        created_at=NOW - dt.timedelta(days=1),
    )
    order = ShopifyOrder(
        "#40012345",
        email=EMAIL,
        fulfillment_status="PARTIALLY_FULFILLED",
        fulfillments=[newer, older],
    )
    stand_in = ShopifyStandIn([order])
    with serve(stand_in) as server:
        connect(runtime, "shopify", server.url, {}, access_token=TOKEN)
        text = ask(api, f"where is order 40012345 {EMAIL}")
    assert "on its way with PostNord" in text and "UA526018152SE" in text

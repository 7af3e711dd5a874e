"""The stand-in order systems (tests/standins) speak their protocols over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.standins.faulty import FaultyStandIn, Mode
from tests.standins.generic import GenericEvent, GenericOrder, GenericStandIn, signature
from tests.standins.server import Plug, serve
from tests.standins.shopify import (
    GRAPHQL_PATH,
    INVALID_TOKEN,
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

SEP = datetime(2025, 9, 1, tzinfo=UTC)
CANNOT_VIEW = "Sorry, you cannot view this resource."
SECRET_INVALID = "Consumer secret is invalid."


def at(day: int, hour: int) -> datetime:
    return SEP.replace(day=day, hour=hour)


# -- server.py ------------------------------------------------------------------------------


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


def test_serve_runs_any_asgi_app_on_loopback_and_stops() -> None:
    with serve(hello) as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(server.url + "/anything").text == "hello"
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url)


class Shared:
    """The module's one server (see `Plug`) and a client for each test's stand-in."""

    def __init__(self, plug: Plug, url: str) -> None:
        self.plug, self.url = plug, url

    def client(self, app: ASGIApp, **options: Any) -> httpx.Client:
        self.plug.app = app
        return httpx.Client(base_url=self.url, timeout=5, **options)


@pytest.fixture(scope="module")
def plug() -> Iterator[Shared]:
    plug = Plug()
    with serve(plug) as server:
        yield Shared(plug, server.url)


# -- shopify.py -----------------------------------------------------------------------------

ORDER_QUERY = """
query OrderByName($search: String!) {
  orders(first: 1, query: $search) {
    nodes {
      name email cancelledAt displayFinancialStatus displayFulfillmentStatus returnStatus
      shippingAddress { zip }
      fulfillments(first: 5) {
        status displayStatus estimatedDeliveryAt deliveredAt
        trackingInfo(first: 5) { company number url }
        events(first: 10, sortKey: HAPPENED_AT, reverse: true) {
          nodes { status happenedAt message city country }
        }
      }
    }
  }
}
"""


def shopify_orders() -> list[ShopifyOrder]:
    shipped = ShopifyFulfillment(
        display_status="IN_TRANSIT",
        tracking=[ShopifyTracking("00370712345678901234", "PostNord", "https://t.example/1")],
        events=[
            ShopifyEvent("CONFIRMED", at(1, 10), "Label created", "Stockholm", "Sweden"),
            ShopifyEvent("IN_TRANSIT", at(2, 8), "On its way", "Jönköping", "Sweden"),
        ],
        estimated_delivery_at=at(4, 12),
    )
    return [
        ShopifyOrder("#1001", "astrid@example.com", "114 55", fulfillments=[shipped]),
        ShopifyOrder("#1002", "bo@example.com", None, "REFUNDED", cancelled_at=at(3, 9)),
    ]


@pytest.fixture
def shopify(plug: Shared) -> Iterator[tuple[ShopifyStandIn, httpx.Client]]:
    standin = ShopifyStandIn(shopify_orders())
    with plug.client(standin, headers={"X-Shopify-Access-Token": TOKEN}) as client:
        yield standin, client


def graphql(client: httpx.Client, document: str, **variables: object) -> httpx.Response:
    return client.post(GRAPHQL_PATH, json={"query": document, "variables": variables})


@pytest.mark.parametrize("search", ["name:#1001", 'name:"#1001"', "name:1001"])
def test_shopify_finds_an_order_by_name(
    shopify: tuple[ShopifyStandIn, httpx.Client], search: str
) -> None:
    standin, client = shopify
    response = graphql(client, ORDER_QUERY, search=search)
    assert response.status_code == 200
    assert response.headers["x-shopify-api-version"] == "2025-07"
    body = response.json()
    assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 2000.0
    [order] = body["data"]["orders"]["nodes"]
    assert order["name"] == "#1001"
    assert order["email"] == "astrid@example.com"
    assert order["cancelledAt"] is None
    assert order["displayFinancialStatus"] == "PAID"
    assert order["displayFulfillmentStatus"] == "UNFULFILLED"
    assert order["returnStatus"] == "NO_RETURN"
    assert order["shippingAddress"] == {"zip": "114 55"}
    [fulfillment] = order["fulfillments"]
    assert fulfillment["displayStatus"] == "IN_TRANSIT"
    assert fulfillment["estimatedDeliveryAt"] == "2025-09-04T12:00:00Z"
    assert fulfillment["deliveredAt"] is None
    assert fulfillment["trackingInfo"] == [
        {"company": "PostNord", "number": "00370712345678901234", "url": "https://t.example/1"}
    ]
    events = fulfillment["events"]["nodes"]  # reverse: true, so newest first
    assert [event["status"] for event in events] == ["IN_TRANSIT", "CONFIRMED"]
    assert events[0] == {
        "status": "IN_TRANSIT",
        "happenedAt": "2025-09-02T08:00:00Z",
        "message": "On its way",
        "city": "Jönköping",
        "country": "Sweden",
    }
    assert standin.requests == 1
    assert json.loads(standin.received[0].body)["variables"] == {"search": search}


def test_shopify_answers_only_what_the_document_selects(
    shopify: tuple[ShopifyStandIn, httpx.Client],
) -> None:
    _standin, client = shopify
    document = "query($q: String) { orders(first: 5, query: $q) { edges { node { name } } } }"
    body = graphql(client, document, q="name:#1002").json()
    assert body["data"] == {"orders": {"edges": [{"node": {"name": "#1002"}}]}}
    # Without reverse: true, events come in Shopify's default order (by ID): oldest first.
    events = (
        "{ orders(first: 1) { nodes { fulfillments { events(first: 5) { nodes { city } } } } } }"
    )
    [order] = graphql(client, events).json()["data"]["orders"]["nodes"]
    cities = [{"city": "Stockholm"}, {"city": "Jönköping"}]
    assert order == {"fulfillments": [{"events": {"nodes": cities}}]}


def test_shopify_without_a_search_lists_the_stores_first_orders(
    shopify: tuple[ShopifyStandIn, httpx.Client],
) -> None:
    _standin, client = shopify
    body = graphql(client, ORDER_QUERY).json()  # the variable forgotten: anyone's orders
    assert [order["name"] for order in body["data"]["orders"]["nodes"]] == ["#1001"]


def test_shopify_not_found_and_other_orders(shopify: tuple[ShopifyStandIn, httpx.Client]) -> None:
    _standin, client = shopify
    assert graphql(client, ORDER_QUERY, search="name:#9999").json()["data"] == {
        "orders": {"nodes": []}
    }
    [refunded] = graphql(client, ORDER_QUERY, search="name:#1002").json()["data"]["orders"]["nodes"]
    assert refunded["shippingAddress"] is None
    assert refunded["cancelledAt"] == "2025-09-03T09:00:00Z"
    assert refunded["displayFinancialStatus"] == "REFUNDED"
    assert refunded["fulfillments"] == []
    email_too = "name:#1001 AND email:someone.else@example.com"
    assert graphql(client, ORDER_QUERY, search=email_too).json()["data"]["orders"]["nodes"] == []


@pytest.mark.parametrize("token", [None, "shpat_wrong"])
def test_shopify_refuses_a_wrong_token(
    shopify: tuple[ShopifyStandIn, httpx.Client], token: str | None
) -> None:
    standin, client = shopify
    headers = {} if token is None else {"X-Shopify-Access-Token": token}
    client.headers.pop("X-Shopify-Access-Token")
    response = client.post(GRAPHQL_PATH, json={"query": ORDER_QUERY}, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"errors": INVALID_TOKEN}
    assert standin.requests == 1


@pytest.mark.parametrize(
    "document",
    [
        'mutation { orderCancel(orderId: "gid://shopify/Order/1") { job { id } } }',
        "{ shop { name } }",
        "{ orders(query: $s) { nodes { name } } }",
    ],
)
def test_shopify_refuses_what_is_not_an_orders_query(
    shopify: tuple[ShopifyStandIn, httpx.Client], document: str
) -> None:
    _standin, client = shopify
    response = graphql(client, document, s="name:#1001")
    assert response.status_code == 200
    assert "data" not in response.json()
    assert response.json()["errors"][0]["message"]


def test_shopify_throttles_when_told(shopify: tuple[ShopifyStandIn, httpx.Client]) -> None:
    standin, client = shopify
    standin.throttle_next = 1
    throttled = graphql(client, ORDER_QUERY, search="name:#1001")
    assert throttled.status_code == 200
    assert throttled.json()["errors"][0]["message"] == "Throttled"
    assert throttled.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert throttled.json()["extensions"]["cost"]["actualQueryCost"] is None
    again = graphql(client, ORDER_QUERY, search="name:#1001")
    assert again.json()["data"]["orders"]["nodes"][0]["name"] == "#1001"
    assert standin.requests == 2


def test_shopify_orders_take_only_the_versions_enum_values() -> None:
    with pytest.raises(ValueError, match="FulfillmentEventStatus"):
        ShopifyEvent("CARRIER_PICKED_UP", at(1, 1))  # arrives in 2025-10
    with pytest.raises(ValueError, match="OrderReturnStatus"):
        ShopifyOrder("#1", return_status="RETURN")


# -- woocommerce.py -------------------------------------------------------------------------


def woo_orders() -> list[WooOrder]:
    tracking = WooTracking("00370712345678901234", "PostNord Sverige AB", "https://t.example/1")
    return [
        WooOrder(727, "completed", completed=at(2, 14), trackings=[tracking]),
        WooOrder(728, "on-hold", paid=None, shipping_postcode="411 01"),
    ]


@pytest.fixture
def woo(plug: Shared) -> Iterator[tuple[WooCommerceStandIn, httpx.Client]]:
    standin = WooCommerceStandIn(woo_orders())
    with plug.client(standin, auth=(CONSUMER_KEY, CONSUMER_SECRET)) as client:
        yield standin, client


def test_woocommerce_order_with_basic_auth(woo: tuple[WooCommerceStandIn, httpx.Client]) -> None:
    standin, client = woo
    order = client.get("/wp-json/wc/v3/orders/727").json()
    assert order["id"] == 727
    assert order["number"] == "727"
    assert order["status"] == "completed"
    assert order["date_created"] == "2025-09-01T11:30:00"  # Stockholm, summer time, no zone
    assert order["date_created_gmt"] == "2025-09-01T09:30:00"
    assert order["date_completed_gmt"] == "2025-09-02T14:00:00"
    assert order["billing"]["email"] == "shopper@example.com"
    assert order["billing"]["postcode"] == order["shipping"]["postcode"] == "114 55"
    assert order["line_items"][0]["name"] == "Wool socks"
    assert order["total"] == "248.00"
    assert order["_links"]["self"][0]["href"].endswith("/wp-json/wc/v3/orders/727")
    other = client.get("/wp-json/wc/v3/orders/728").json()
    assert other["status"] == "on-hold"
    assert other["date_paid"] is other["date_completed_gmt"] is None
    assert other["shipping"]["postcode"] == "411 01"
    assert standin.requests == 2


def test_woocommerce_shipment_trackings(woo: tuple[WooCommerceStandIn, httpx.Client]) -> None:
    _standin, client = woo
    [item] = client.get("/wp-json/wc-shipment-tracking/v3/orders/727/shipment-trackings").json()
    links = item.pop("_links")
    assert item == {
        "tracking_id": item["tracking_id"],
        "tracking_provider": "PostNord Sverige AB",
        "tracking_link": "https://t.example/1",
        "tracking_number": "00370712345678901234",
        "date_shipped": "2025-09-02",
    }
    assert len(item["tracking_id"]) == 32
    assert links["self"][0]["href"].endswith(f"/shipment-trackings/{item['tracking_id']}")
    assert links["up"][0]["href"].endswith("/wp-json/wc-shipment-tracking/v3/orders/727")
    assert client.get("/wp-json/wc-shipment-tracking/v3/orders/728/shipment-trackings").json() == []
    missing = client.get("/wp-json/wc-shipment-tracking/v3/orders/1/shipment-trackings")
    assert missing.status_code == 404
    assert missing.json()["code"] == "woocommerce_rest_order_invalid_id"


def test_woocommerce_unknown_order(woo: tuple[WooCommerceStandIn, httpx.Client]) -> None:
    _standin, client = woo
    response = client.get("/wp-json/wc/v3/orders/999")
    assert response.status_code == 404
    assert response.json() == {
        "code": "woocommerce_rest_shop_order_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 404},
    }


@pytest.mark.parametrize(
    ("auth", "code", "message"),
    [
        (None, "woocommerce_rest_cannot_view", CANNOT_VIEW),
        (("ck_unknown", "cs_x"), "woocommerce_rest_cannot_view", CANNOT_VIEW),
        ((CONSUMER_KEY, "cs_x"), "woocommerce_rest_authentication_error", SECRET_INVALID),
    ],
)
def test_woocommerce_refuses_wrong_credentials(
    woo: tuple[WooCommerceStandIn, httpx.Client],
    auth: tuple[str, str] | None,
    code: str,
    message: str,
) -> None:
    standin, client = woo
    client.auth = auth  # type: ignore[assignment]
    response = client.get("/wp-json/wc/v3/orders/727")
    assert response.status_code == 401
    assert response.json() == {"code": code, "message": message, "data": {"status": 401}}
    listing = client.get("/wp-json/wc-shipment-tracking/v3/orders/727/shipment-trackings")
    assert listing.status_code == 401
    assert standin.requests == 2


def test_woocommerce_without_the_tracking_extension(plug: Shared) -> None:
    standin = WooCommerceStandIn(woo_orders(), shipment_tracking=False)
    with plug.client(standin, auth=(CONSUMER_KEY, CONSUMER_SECRET)) as client:
        response = client.get("/wp-json/wc-shipment-tracking/v3/orders/727/shipment-trackings")
    assert response.status_code == 404
    assert response.json()["code"] == "rest_no_route"


# -- generic.py -----------------------------------------------------------------------------


def generic_orders() -> list[GenericOrder]:
    events = [GenericEvent(at(1, 10), "Packed", "Stockholm"), GenericEvent(at(2, 7), "Sent")]
    return [
        GenericOrder("1001", history=events),
        GenericOrder("1002", status="received", carrier=None),
    ]


def test_generic_order_with_a_bearer_token(plug: Shared) -> None:
    standin = GenericStandIn(generic_orders(), token="t0ken", base_path="/api/v2")
    good, wrong = {"Authorization": "Bearer t0ken"}, {"Authorization": "Bearer nope"}
    with plug.client(standin) as client:
        order = client.get("/api/v2/orders/1001", headers=good).json()["order"]
        assert order["no"] == "1001"
        assert order["placedAt"] == "2025-09-01T11:30:00+02:00"
        assert order["status"] == "in_transit"
        assert order["customer"] == {"email": "shopper@example.com", "zip": "114 55"}
        assert order["shipping"]["carrierName"] == "PostNord"
        assert order["shipping"]["eta"] == "2025-09-04"
        assert order["history"][0] == {
            "at": "2025-09-01T12:00:00+02:00",
            "text": "Packed",
            "place": "Stockholm",
        }
        assert client.get("/api/v2/orders/1002", headers=good).json()["order"]["shipping"] is None
        assert client.get("/api/v2/orders/4040", headers=good).status_code == 404
        assert client.get("/api/v2/orders/1001").status_code == 401
        assert client.get("/api/v2/orders/1001", headers=wrong).status_code == 401
    assert standin.requests == 5


def signed(secret: str, path: str, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Botdesk-Timestamp": stamp,
        "X-Botdesk-Signature": signature(secret, stamp, "GET", path),
    }


def test_generic_order_with_hmac_signed_requests(plug: Shared) -> None:
    standin = GenericStandIn(generic_orders(), hmac_secret="s3cret")
    with plug.client(standin) as client:
        ok = client.get("/orders/1001", headers=signed("s3cret", "/orders/1001"))
        assert ok.status_code == 200, ok.text
        query = "/orders/1001?lang=sv&x=%C3%A5"
        assert client.get(query, headers=signed("s3cret", query)).status_code == 200
        # The query is signed too, and the scheme's exact bytes: a hand-made signature agrees.
        stamp = "1700000000"
        by_hand = hmac.new(b"s3cret", b"1700000000\nGET\n/orders/1\n", hashlib.sha256)
        assert signature("s3cret", stamp, "GET", "/orders/1") == "v1=" + by_hand.hexdigest()
        refused = {
            "no signature": {},
            "wrong secret": signed("other", "/orders/1001"),
            "another path": signed("s3cret", "/orders/1002"),
            "stale": signed("s3cret", "/orders/1001", int(time.time()) - 301),
            "future": signed("s3cret", "/orders/1001", int(time.time()) + 301),
        }
        for why, headers in refused.items():
            response = client.get("/orders/1001", headers=headers)
            assert response.status_code == 401, why
        again = client.get("/orders/1001", headers=signed("s3cret", "/orders/1001"))
        assert again.status_code == 200
        unknown = client.get("/orders/9", headers=signed("s3cret", "/orders/9"))
        assert unknown.status_code == 404
    assert standin.requests == 9
    assert standin.received[0].headers["x-botdesk-signature"].startswith("v1=")


def test_generic_takes_one_way_of_authenticating() -> None:
    with pytest.raises(ValueError):
        GenericStandIn([])
    with pytest.raises(ValueError):
        GenericStandIn([], token="t", hmac_secret="s")


# -- faulty.py ------------------------------------------------------------------------------


@pytest.fixture
def faulty(plug: Shared) -> Iterator[tuple[FaultyStandIn, httpx.Client]]:
    standin = FaultyStandIn()
    with plug.client(standin) as client:
        yield standin, client


@pytest.mark.parametrize(
    ("mode", "status", "content_type"),
    [
        ("ok", 200, "application/json"),
        ("error500", 500, "text/html"),
        ("error503", 503, "text/html"),
        ("error404", 404, "application/json"),
        ("error401", 401, "application/json"),
        ("wrong_shape", 200, "application/json"),
    ],
)
def test_faulty_answers_as_its_mode_says(
    faulty: tuple[FaultyStandIn, httpx.Client], mode: Mode, status: int, content_type: str
) -> None:
    standin, client = faulty
    standin.mode = mode
    response = client.get("/orders/1001")
    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    if mode == "ok":
        assert response.json()["order"]["no"] == "1001"
    if mode == "wrong_shape":
        assert response.json() == {"order": {"status": 12345, "history": "x"}}
    assert standin.requests == 1


def test_faulty_garbage_is_not_json(faulty: tuple[FaultyStandIn, httpx.Client]) -> None:
    standin, client = faulty
    standin.mode = "garbage"
    response = client.get("/orders/1001")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_faulty_slow(faulty: tuple[FaultyStandIn, httpx.Client]) -> None:
    standin, client = faulty
    standin.mode, standin.delay = "slow", 0.3
    started = time.monotonic()
    assert client.get("/orders/1001").status_code == 200
    assert time.monotonic() - started >= 0.3
    standin.delay = 30  # a client that gives up does not hold the server's shutdown
    with pytest.raises(httpx.ReadTimeout):
        client.get("/orders/1001", timeout=0.2)


def test_faulty_slow_server_stops_without_waiting_out_its_delay() -> None:
    standin = FaultyStandIn(mode="slow")
    started = time.monotonic()
    with serve(standin) as server, pytest.raises(httpx.ReadTimeout):
        httpx.get(server.url + "/orders/1", timeout=0.2)
    assert time.monotonic() - started < 5


def test_faulty_redirects(faulty: tuple[FaultyStandIn, httpx.Client]) -> None:
    standin, client = faulty
    other = FaultyStandIn()
    with serve(other) as elsewhere:
        standin.mode, standin.redirect_to = "redirect_other_host", elsewhere.url
        away = client.get("/orders/1001?x=1")
        assert away.status_code == 302
        assert away.headers["location"] == elsewhere.url + "/orders/1001?x=1"
        assert other.requests == 0
        assert client.get("/orders/1001", follow_redirects=True).json()["order"]["no"] == "1001"
        assert other.requests == 1
    standin.mode = "redirect_same_host"
    here = client.get("/orders/1001")
    assert here.status_code == 302
    assert here.headers["location"] == f"{client.base_url}".rstrip("/") + "/moved/orders/1001"
    assert client.get("/orders/1001", follow_redirects=True).json()["order"]["no"] == "1001"


def test_faulty_huge_body_is_streamed_without_a_length(
    faulty: tuple[FaultyStandIn, httpx.Client],
) -> None:
    standin, client = faulty
    standin.mode = "huge"
    with client.stream("GET", "/orders/1001") as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        size = sum(len(chunk) for chunk in response.iter_bytes())
    assert size == standin.huge_bytes == 20 * 1024 * 1024
    standin.huge_bytes = 100_000
    assert len(client.get("/orders/1001").json()["order"]["history"]) > 100


def test_faulty_drop_closes_without_an_answer(faulty: tuple[FaultyStandIn, httpx.Client]) -> None:
    standin, client = faulty
    standin.mode = "drop"
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.get("/orders/1001")
    standin.mode = "ok"
    assert client.get("/orders/1001").status_code == 200
    assert standin.requests == 2


def test_faulty_flaky_fails_then_recovers(faulty: tuple[FaultyStandIn, httpx.Client]) -> None:
    standin, client = faulty
    standin.mode, standin.fail_times = "flaky", 2
    statuses = [client.get("/orders/1001").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert standin.requests == 3


def test_faulty_refuses_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="no such mode"):
        FaultyStandIn().mode = "sometimes"  # type: ignore[assignment]


def test_stand_ins_count_every_request(plug: Shared) -> None:
    standin = FaultyStandIn(mode="error404")
    with plug.client(standin) as client:
        for path in ["/a", "/b?c=d"]:
            client.get(path)
    assert [seen.path_with_query for seen in standin.received] == ["/a", "/b?c=d"]
    assert standin.requests == 2

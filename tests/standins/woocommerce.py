"""A WooCommerce store's orders over the WooCommerce REST API v3, with Shipment Tracking.

Follows woocommerce.github.io/woocommerce-rest-api-docs for REST API v3 (`wc/v3`): "Retrieve
an order" (`GET /wp-json/wc/v3/orders/<id>`, the order properties), "Authentication" (HTTP
Basic with the consumer key and secret) and "Errors" (`{"code", "message", "data": {"status"}}`);
and woocommerce.com/document/shipment-tracking's REST API for the Shipment Tracking extension
(`GET /wp-json/wc-shipment-tracking/v3/orders/<id>/shipment-trackings`), with the field list
its controller (`WC_Shipment_Tracking_Order_REST_API_Controller`) actually returns.

Woo's ways, kept on purpose because a connector must cope with them:
- dates are strings without a zone: `date_created` in the site's zone (here `site_timezone`),
  `date_created_gmt` in UTC; unset dates are null;
- money is strings ("199.00"); `number` is a string and is what the shopper sees, while the URL
  takes the post `id` (the same by default, not with sequential-number plugins);
- a tracking item's `tracking_provider` is the name shown to shoppers and `tracking_link` the
  link already expanded, for a predefined and a custom provider alike: the REST API never
  returns `custom_tracking_provider` or `custom_tracking_link` (they are input-only fields);
- a store without the extension answers its path with WordPress's `rest_no_route` 404.

Real WooCommerce accepts HTTP Basic only over HTTPS (plain HTTP needs OAuth 1.0a); the stand-in
takes Basic on loopback HTTP, like a store behind TLS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.standins.server import StandIn

API = "/wp-json/wc/v3"
TRACKING_API = "/wp-json/wc-shipment-tracking/v3"
CONSUMER_KEY = "ck_0123456789abcdef0123456789abcdef01234567"
CONSUMER_SECRET = "cs_0123456789abcdef0123456789abcdef01234567"
STATUSES = {"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"}
PLACED = datetime(2025, 9, 1, 9, 30, tzinfo=UTC)
NO_ROUTE = "No route was found matching the URL and request method."


@dataclass
class WooTracking:
    """A Shipment Tracking item: `provider` as shown to shoppers, `link` already expanded."""

    tracking_number: str
    provider: str = "PostNord Sverige AB"
    link: str = ""
    date_shipped: date = date(2025, 9, 2)
    tracking_id: str = ""  # 32 hex digits; made from the number when left empty

    def __post_init__(self) -> None:
        if not self.tracking_id:
            self.tracking_id = hashlib.md5(
                self.tracking_number.encode(), usedforsecurity=False
            ).hexdigest()


@dataclass
class WooLineItem:
    name: str
    quantity: int = 1
    total: str = "199.00"
    sku: str = ""


@dataclass
class WooOrder:
    """A shop_order; the shipping postcode is the billing one unless given."""

    id: int
    status: str = "processing"
    email: str = "shopper@example.com"
    first_name: str = "Astrid"
    last_name: str = "Lindqvist"
    postcode: str = "114 55"
    shipping_postcode: str | None = None
    country: str = "SE"
    created: datetime = PLACED
    paid: datetime | None = PLACED
    completed: datetime | None = None
    line_items: list[WooLineItem] = field(default_factory=lambda: [WooLineItem("Wool socks")])
    trackings: list[WooTracking] = field(default_factory=list)
    shipping_total: str = "49.00"
    currency: str = "SEK"
    number: str = ""  # what the shopper sees; the id unless a plugin renumbers

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"{self.status!r} is not a WooCommerce order status")
        self.number = self.number or str(self.id)


def _error(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": {"status": status}}, status)


class WooCommerceStandIn(StandIn):
    """A WooCommerce store with REST API keys and (unless told not) Shipment Tracking."""

    def __init__(
        self,
        orders: list[WooOrder],
        *,
        consumer_key: str = CONSUMER_KEY,
        consumer_secret: str = CONSUMER_SECRET,
        shipment_tracking: bool = True,
        site_timezone: str = "Europe/Stockholm",
    ) -> None:
        super().__init__()
        self.orders = orders
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.zone = ZoneInfo(site_timezone)
        routes = [Route(API + "/orders/{id:int}", self._order)]
        if shipment_tracking:
            path = TRACKING_API + "/orders/{id:int}/shipment-trackings"
            routes.append(Route(path, self._trackings))
        self.app = Starlette(routes=routes, exception_handlers={HTTPException: self._no_route})

    async def _no_route(self, _request: Request, exc: Exception) -> Response:
        """WordPress answers an unknown path, and a known one with a wrong method, alike."""
        assert isinstance(exc, HTTPException)
        if exc.status_code in {404, 405}:
            return _error("rest_no_route", NO_ROUTE, 404)
        return Response(status_code=exc.status_code)

    def _refusal(self, request: Request, listing: bool) -> JSONResponse | None:
        """Woo's answer to wrong credentials, None for the right ones."""
        key, secret = _basic(request.headers.get("authorization", ""))
        if key == self.consumer_key and secret != self.consumer_secret:
            # A known key with the wrong secret fails authentication itself; an unknown key
            # leaves the request anonymous, and the permission check refuses it.
            code = "woocommerce_rest_authentication_error"
            return _error(code, "Consumer secret is invalid.", 401)
        if key != self.consumer_key:
            what = "list resources" if listing else "view this resource"
            return _error("woocommerce_rest_cannot_view", f"Sorry, you cannot {what}.", 401)
        return None

    def _find(self, order_id: int) -> WooOrder | None:
        return next((order for order in self.orders if order.id == order_id), None)

    async def _order(self, request: Request) -> JSONResponse:
        refusal = self._refusal(request, listing=False)
        if refusal is not None:
            return refusal
        order = self._find(request.path_params["id"])
        if order is None:
            return _error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        return JSONResponse(self._order_json(order, str(request.base_url).rstrip("/")))

    async def _trackings(self, request: Request) -> JSONResponse:
        refusal = self._refusal(request, listing=True)
        if refusal is not None:
            return refusal
        order = self._find(request.path_params["id"])
        if order is None:
            return _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
        site = str(request.base_url).rstrip("/")
        base = f"{site}{TRACKING_API}/orders/{order.id}/shipment-trackings"
        return JSONResponse(
            [
                {
                    "tracking_id": item.tracking_id,
                    "tracking_provider": item.provider,
                    "tracking_link": item.link,
                    "tracking_number": item.tracking_number,
                    "date_shipped": item.date_shipped.isoformat(),
                    "_links": {
                        "self": [{"href": f"{base}/{item.tracking_id}"}],
                        "collection": [{"href": base}],
                        # The extension's own quirk: "up" names its namespace, not wc/v3.
                        "up": [{"href": f"{site}{TRACKING_API}/orders/{order.id}"}],
                    },
                }
                for item in order.trackings
            ]
        )

    def _dates(self, name: str, value: datetime | None) -> dict[str, str | None]:
        """Woo's pair of zone-less timestamps: the site's local time and GMT."""
        if value is None:
            return {name: None, f"{name}_gmt": None}
        local = value.astimezone(self.zone).replace(tzinfo=None)
        gmt = value.astimezone(UTC).replace(tzinfo=None)
        return {
            name: local.isoformat(timespec="seconds"),
            f"{name}_gmt": gmt.isoformat(timespec="seconds"),
        }

    def _order_json(self, order: WooOrder, site: str) -> dict[str, Any]:
        person = {"first_name": order.first_name, "last_name": order.last_name, "company": ""}
        place = {"address_1": "Storgatan 1", "address_2": "", "city": "Stockholm", "state": ""}
        place["country"] = order.country
        email, shipping_postcode = order.email, order.shipping_postcode or order.postcode
        items_total = sum(float(item.total) for item in order.line_items)
        return {
            "id": order.id,
            "parent_id": 0,
            "number": order.number,
            "order_key": f"wc_order_{order.id:013x}",
            "created_via": "checkout",
            "version": "9.8.5",
            "status": order.status,
            "currency": order.currency,
            **self._dates("date_created", order.created),
            **self._dates("date_modified", order.completed or order.paid or order.created),
            "discount_total": "0.00",
            "shipping_total": order.shipping_total,
            "total": f"{items_total + float(order.shipping_total):.2f}",
            "total_tax": "0.00",
            "prices_include_tax": True,
            "customer_id": 0,
            "customer_note": "",
            "billing": person | place | {"postcode": order.postcode, "email": email, "phone": ""},
            "shipping": person | place | {"postcode": shipping_postcode, "phone": ""},
            "payment_method": "kco",
            "payment_method_title": "Klarna",
            "transaction_id": "",
            **self._dates("date_paid", order.paid),
            **self._dates("date_completed", order.completed),
            "meta_data": [],
            "line_items": [
                {
                    "id": order.id * 10 + n,
                    "name": item.name,
                    "product_id": 100 + n,
                    "variation_id": 0,
                    "quantity": item.quantity,
                    "subtotal": item.total,
                    "total": item.total,
                    "sku": item.sku,
                    "price": float(item.total) / item.quantity,
                    "meta_data": [],
                }
                for n, item in enumerate(order.line_items, 1)
            ],
            "tax_lines": [],
            "shipping_lines": [
                {
                    "id": order.id * 10,
                    "method_title": "PostNord MyPack Collect",
                    "method_id": "flat_rate",
                    "total": order.shipping_total,
                }
            ],
            "fee_lines": [],
            "coupon_lines": [],
            "refunds": [],
            "needs_payment": order.status in {"pending", "failed"},
            "needs_processing": True,
            "_links": {
                "self": [{"href": f"{site}{API}/orders/{order.id}"}],
                "collection": [{"href": f"{site}{API}/orders"}],
            },
        }


def _basic(header: str) -> tuple[str | None, str | None]:
    """The (key, secret) of an HTTP Basic Authorization header; (None, None) for anything else."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        key, colon, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return (key, secret) if colon else (None, None)

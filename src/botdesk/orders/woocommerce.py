"""WooCommerce: the REST API v3, and tracking from the Shipment Tracking extension.

`GET /wp-json/wc/v3/orders/{number}` (HTTP Basic with the REST API consumer key and secret, so
HTTPS only) gives the state, billing email and postcodes; `GET
/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings` gives the carrier, number, link
and ship date. A store without the extension answers that one 404: the order is then told
without tracking. Woo knows nothing after "completed" (sent), so delivery is the carrier's page.
"""

from __future__ import annotations

import base64
import urllib.parse
from typing import Any

from botdesk.orders import fields
from botdesk.orders.connectors import ConnectorConfig, WooCommerceOptions
from botdesk.orders.model import Order, OrderState
from botdesk.orders.outbound import Outbound

_STATES = {
    "pending": OrderState.RECEIVED,
    "on-hold": OrderState.RECEIVED,
    "checkout-draft": OrderState.RECEIVED,
    "processing": OrderState.PAID,
    "completed": OrderState.SHIPPED,
    "cancelled": OrderState.CANCELLED,
    "failed": OrderState.CANCELLED,
    "refunded": OrderState.RETURNED,
}


class WooCommerceConnector:
    def __init__(self, config: ConnectorConfig, options: WooCommerceOptions, outbound: Outbound):
        self._base = config.base_url
        pair = f"{config.secrets['consumer_key']}:{config.secrets['consumer_secret']}"
        self._auth = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        self._states = _STATES | options.states
        self._outbound = outbound

    async def find(self, number: str) -> Order | None:
        if not number.isdigit():
            return None  # Woo's order numbers are its post ids
        answer = await self._outbound.read(
            "GET", f"{self._base}/wp-json/wc/v3/orders/{number}", headers=self._auth
        )
        if answer.status == 404:
            return None
        data = answer.json()
        if not isinstance(data, dict) or fields.text(data.get("number")) != number:
            raise fields.invalid()
        state = self._states.get(fields.text(data.get("status")))
        if state is None:
            raise fields.invalid()
        postcodes = tuple(
            dict.fromkeys(
                p
                for p in (
                    fields.text(fields.pluck(data, "billing.postcode")),
                    fields.text(fields.pluck(data, "shipping.postcode")),
                )
                if p
            )
        )
        return Order(
            number=number,
            state=state,
            email=fields.text(fields.pluck(data, "billing.email")),
            postcodes=postcodes,
            source_id=fields.text(data.get("id")),
        )

    async def details(self, order: Order) -> Order:
        """Tracking from the Shipment Tracking extension, for an order that has left."""
        if order.state is not OrderState.SHIPPED or not order.source_id:
            return order
        return await self._with_tracking(order, order.source_id)

    async def check(self) -> None:
        await self._outbound.read("GET", f"{self._base}/wp-json/wc/v3/orders/0", headers=self._auth)

    async def _with_tracking(self, order: Order, order_id: str) -> Order:
        answer = await self._outbound.read(
            "GET",
            f"{self._base}/wp-json/wc-shipment-tracking/v3/orders/"
            f"{urllib.parse.quote(order_id, safe='')}/shipment-trackings",
            headers=self._auth,
        )
        if answer.status == 404:
            return order
        items = answer.json()
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise fields.invalid()
        if not items:
            return order
        latest: dict[str, Any] = items[-1]
        return Order(
            number=order.number,
            state=order.state,
            email=order.email,
            postcodes=order.postcodes,
            source_id=order.source_id,
            carrier=fields.text(latest.get("tracking_provider"))
            or fields.text(latest.get("custom_tracking_provider")),
            tracking_number=fields.text(latest.get("tracking_number")),
            tracking_url=fields.link(latest.get("tracking_link"))
            or fields.link(latest.get("custom_tracking_link")),
            shipped_on=fields.day(latest.get("date_shipped")),
        )

"""Shopify: the Admin GraphQL API at a pinned version, read with an app's access token.

One query finds the order by name (`orders(first: 1, query: "name:#1001")`) with the email and
shipping postcode to verify against, and its fulfilments with tracking company, number and URL,
estimated delivery and the carrier's events. Shopify's states map onto ours below. The app needs
the `read_orders` scope (and `read_fulfillments`); see docs/orders.md.
"""

from __future__ import annotations

import json
from typing import Any

from botdesk.orders import fields
from botdesk.orders.connectors import ConnectorConfig, ShopifyOptions
from botdesk.orders.model import Order, OrderState, TrackingEvent
from botdesk.orders.outbound import Answer, FailureKind, LookupFailed, Outbound

# Pinned: Shopify supports each version for a year; moving on is a tested change.
API_VERSION = "2025-07"

ORDER_QUERY = """
query OrderByName($search: String!) {
  orders(first: 1, query: $search) {
    nodes {
      name
      email
      cancelledAt
      displayFinancialStatus
      displayFulfillmentStatus
      returnStatus
      shippingAddress { zip }
      fulfillments(first: 20) {
        createdAt
        status
        displayStatus
        estimatedDeliveryAt
        deliveredAt
        trackingInfo(first: 3) { company number url }
        events(first: 10, sortKey: HAPPENED_AT, reverse: true) {
          nodes { status happenedAt message city country }
        }
      }
    }
  }
}
"""
# The connection test reads one order's name: it proves the token works and may read orders.
CHECK_QUERY = "query { orders(first: 1) { nodes { name } } }"

# FulfillmentDisplayStatus → ours. Cancelled and voided fulfilments are skipped.
_FULFILMENT_STATES = {
    "LABEL_PRINTED": OrderState.PACKED,
    "LABEL_PURCHASED": OrderState.PACKED,
    "SUBMITTED": OrderState.PACKED,
    "CONFIRMED": OrderState.SHIPPED,
    "FULFILLED": OrderState.SHIPPED,
    "MARKED_AS_FULFILLED": OrderState.SHIPPED,
    "IN_TRANSIT": OrderState.SHIPPED,
    "PICKED_UP": OrderState.SHIPPED,
    "READY_FOR_PICKUP": OrderState.OUT_FOR_DELIVERY,
    "OUT_FOR_DELIVERY": OrderState.OUT_FOR_DELIVERY,
    "ATTEMPTED_DELIVERY": OrderState.DELIVERY_FAILED,
    "NOT_DELIVERED": OrderState.DELIVERY_FAILED,
    "FAILURE": OrderState.DELIVERY_FAILED,
    "DELIVERED": OrderState.DELIVERED,
}
_SKIPPED = frozenset({"CANCELED", "LABEL_VOIDED"})
_RETURNED = frozenset({"RETURNED", "IN_PROGRESS", "INSPECTION_COMPLETE"})
_PAID = frozenset({"PAID", "PARTIALLY_PAID", "AUTHORIZED", "PARTIALLY_REFUNDED"})
# Never fulfilled and the money gone back or never taken: as good as cancelled.
_UNPAID_ENDS = frozenset({"REFUNDED", "VOIDED", "EXPIRED"})


class ShopifyConnector:
    def __init__(self, config: ConnectorConfig, options: ShopifyOptions, outbound: Outbound):
        self._url = f"{config.base_url}/admin/api/{API_VERSION}/graphql.json"
        self._token = config.secrets["access_token"]
        self._prefix = options.name_prefix
        self._outbound = outbound

    async def find(self, number: str) -> Order | None:
        search = f"name:{json.dumps(self._prefix + number)}"
        data = await self._query(ORDER_QUERY, {"search": search})
        nodes = fields.pluck(data, "orders.nodes")
        if not isinstance(nodes, list):
            raise fields.invalid()
        if not nodes:
            return None
        order = nodes[0]
        if not isinstance(order, dict) or fields.text(order.get("name")) != self._prefix + number:
            return None  # Shopify's search is fuzzy; only the exact name is this order
        return _order(number, order)

    async def details(self, order: Order) -> Order:
        return order  # one query gives everything

    async def check(self) -> None:
        await self._query(CHECK_QUERY, {})

    async def _query(self, query: str, variables: dict[str, Any]) -> Any:
        # A GraphQL query is a read, so it may be retried like a GET, throttling included.
        answer = await self._outbound.read(
            "POST",
            self._url,
            headers={"X-Shopify-Access-Token": self._token, "Content-Type": "application/json"},
            content=json.dumps({"query": query, "variables": variables}).encode(),
            ok=(200,),
            check=_data,
        )
        return _data(answer)


def _data(answer: Answer) -> dict[str, Any]:
    """The `data` of a GraphQL answer; its `errors` as the matching failure."""
    body = answer.json()
    if not isinstance(body, dict):
        raise fields.invalid()
    errors = body.get("errors")
    if errors:
        if not isinstance(errors, list):  # Shopify's 401 body has a string here
            raise fields.invalid()
        codes = [fields.pluck(e, "extensions.code") for e in errors if isinstance(e, dict)]
        if "THROTTLED" in codes:
            raise LookupFailed(FailureKind.RATE_LIMITED)
        if "ACCESS_DENIED" in codes:
            raise LookupFailed(FailureKind.UNAUTHORISED)
        raise fields.invalid()
    data = body.get("data")
    if not isinstance(data, dict):
        raise fields.invalid()
    return data


def _order(number: str, order: dict[str, Any]) -> Order:
    fulfilments = order.get("fulfillments") or []
    if not isinstance(fulfilments, list):
        raise fields.invalid()
    live = [
        f
        for f in fulfilments
        if isinstance(f, dict) and fields.text(f.get("displayStatus")) not in _SKIPPED
    ]
    # The newest shipment is the one the shopper waits for (Shopify lists oldest first).
    live.sort(key=lambda f: str(f.get("createdAt") or ""))
    latest = live[-1] if live else None
    state = _state(order, latest)
    zip_code = fields.text(fields.pluck(order, "shippingAddress.zip"))
    found = Order(
        number=number,
        state=state,
        email=fields.text(order.get("email")),
        postcodes=(zip_code,) if zip_code else (),
    )
    if latest is None:
        return found
    tracking = latest.get("trackingInfo") or []
    if not isinstance(tracking, list) or not all(isinstance(t, dict) for t in tracking):
        raise fields.invalid()
    first = tracking[0] if tracking else {}
    events_raw = fields.pluck(latest, "events.nodes") or []
    if not isinstance(events_raw, list):
        raise fields.invalid()
    events = tuple(
        TrackingEvent(
            at=fields.moment(e.get("happenedAt")),
            text=fields.text(e.get("message")) or _humane(fields.text(e.get("status"))),
            place=fields.text(e.get("city")),
        )
        for e in events_raw[: fields.MAX_EVENTS]
        if isinstance(e, dict)
    )
    return Order(
        number=found.number,
        state=state,
        email=found.email,
        postcodes=found.postcodes,
        carrier=fields.text(first.get("company")),
        tracking_number=fields.text(first.get("number")),
        tracking_url=fields.link(first.get("url")),
        expected_delivery=fields.day(latest.get("estimatedDeliveryAt")),
        events=tuple(sorted(events, key=lambda e: e.at, reverse=True)),
    )


def _state(order: dict[str, Any], latest: dict[str, Any] | None) -> OrderState:
    if order.get("cancelledAt"):
        return OrderState.CANCELLED
    if fields.text(order.get("returnStatus")) in _RETURNED:
        return OrderState.RETURNED
    if latest is not None:
        return _FULFILMENT_STATES.get(fields.text(latest.get("displayStatus")), OrderState.SHIPPED)
    if fields.text(order.get("displayFulfillmentStatus")) in ("IN_PROGRESS", "PARTIALLY_FULFILLED"):
        return OrderState.PACKED
    if fields.text(order.get("displayFinancialStatus")) in _UNPAID_ENDS:
        return OrderState.CANCELLED
    if fields.text(order.get("displayFinancialStatus")) in _PAID:
        return OrderState.PAID
    return OrderState.RECEIVED


def _humane(status: str) -> str:
    """IN_TRANSIT → "In transit", for an event the carrier sent without a message."""
    return status.replace("_", " ").capitalize()

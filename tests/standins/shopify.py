"""A Shopify store's orders, over the Shopify Admin GraphQL API, version 2025-07.

Follows shopify.dev/docs/api/admin-graphql/2025-07: the `orders` query (with Shopify's search
syntax in `query`), the objects `Order`, `MailingAddress`, `Fulfillment`,
`FulfillmentTrackingInfo` and `FulfillmentEvent`, their enums (`OrderDisplayFinancialStatus`,
`OrderDisplayFulfillmentStatus`, `OrderReturnStatus`, `FulfillmentStatus`,
`FulfillmentDisplayStatus`, `FulfillmentEventStatus`), and shopify.dev/docs/api/usage/limits
for `extensions.cost` and the THROTTLED error (HTTP 200, as Shopify answers GraphQL).

    POST /admin/api/2025-07/graphql.json
    X-Shopify-Access-Token: <token>
    {"query": "query($search: String!) { orders(first: 1, query: $search) { nodes { ... } } }",
     "variables": {"search": "name:#1001"}}

It does not implement GraphQL. It checks that the document is a query over
`orders(first: …, query: …)`, filters by the search's `name:` (and `email:`) terms, and answers
with every field it knows, less those whose names the document never mentions: a connector
that forgets to select a field finds it missing, as on Shopify. Where Shopify would refuse a
query (an unknown field, a connection without `first`), the stand-in may answer instead.

Two behaviours are Shopify's and deliberate: without a search (variable missing or null) the
orders connection lists the *first orders of the store*, whoever they belong to; and a
fulfillment's `events` come oldest first (sort key ID) unless the document asks `reverse: true`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins.server import StandIn

API_VERSION = "2025-07"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
TOKEN = "shpat_standin"  # an Admin API access token's shape
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"

# The enums' values in 2025-07 (CARRIER_PICKED_UP only arrives in 2025-10).
FINANCIAL_STATUSES = {"AUTHORIZED", "EXPIRED", "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED"}
FINANCIAL_STATUSES |= {"PENDING", "REFUNDED", "VOIDED"}
ORDER_FULFILLMENT_STATUSES = {"FULFILLED", "IN_PROGRESS", "ON_HOLD", "OPEN", "PARTIALLY_FULFILLED"}
ORDER_FULFILLMENT_STATUSES |= {"PENDING_FULFILLMENT", "REQUEST_DECLINED", "RESTOCKED"}
ORDER_FULFILLMENT_STATUSES |= {"SCHEDULED", "UNFULFILLED"}
RETURN_STATUSES = {"IN_PROGRESS", "INSPECTION_COMPLETE", "NO_RETURN", "RETURN_FAILED"}
RETURN_STATUSES |= {"RETURN_REQUESTED", "RETURNED"}
FULFILLMENT_STATUSES = {"CANCELLED", "ERROR", "FAILURE", "OPEN", "PENDING", "SUCCESS"}
EVENT_STATUSES = {"ATTEMPTED_DELIVERY", "CONFIRMED", "DELAYED", "DELIVERED", "FAILURE"}
EVENT_STATUSES |= {"IN_TRANSIT", "LABEL_PRINTED", "LABEL_PURCHASED", "OUT_FOR_DELIVERY"}
EVENT_STATUSES |= {"READY_FOR_PICKUP"}
DISPLAY_STATUSES = EVENT_STATUSES | {"CANCELED", "FULFILLED", "LABEL_VOIDED"}
DISPLAY_STATUSES |= {"MARKED_AS_FULFILLED", "NOT_DELIVERED", "PICKED_UP", "SUBMITTED"}

PLACED = datetime(2025, 9, 1, 9, 30, tzinfo=UTC)


def _check(value: str | None, allowed: set[str], enum: str) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{value!r} is not a {enum} value in {API_VERSION}")


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("Shopify DateTimes are UTC: give an aware datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ShopifyEvent:
    """A FulfillmentEvent: a carrier's scan or the merchant's update."""

    status: str
    happened_at: datetime
    message: str | None = None
    city: str | None = None
    country: str | None = None

    def __post_init__(self) -> None:
        _check(self.status, EVENT_STATUSES, "FulfillmentEventStatus")


@dataclass
class ShopifyTracking:
    """A FulfillmentTrackingInfo: carrier name (`company`), number and tracking page."""

    number: str
    company: str | None = None
    url: str | None = None


@dataclass
class ShopifyFulfillment:
    """A Fulfillment: one shipment, its tracking and its events (in any order; served sorted)."""

    display_status: str | None = "IN_TRANSIT"
    status: str = "SUCCESS"
    tracking: list[ShopifyTracking] = field(default_factory=list)
    events: list[ShopifyEvent] = field(default_factory=list)
    estimated_delivery_at: datetime | None = None
    in_transit_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime = PLACED

    def __post_init__(self) -> None:
        _check(self.display_status, DISPLAY_STATUSES, "FulfillmentDisplayStatus")
        _check(self.status, FULFILLMENT_STATUSES, "FulfillmentStatus")


@dataclass
class ShopifyOrder:
    """An Order as the 2025-07 schema gives it; `zip=None` means no shipping address."""

    name: str
    email: str | None = None
    zip: str | None = None
    financial_status: str | None = "PAID"
    fulfillment_status: str = "UNFULFILLED"
    return_status: str = "NO_RETURN"
    cancelled_at: datetime | None = None
    created_at: datetime = PLACED
    fulfillments: list[ShopifyFulfillment] = field(default_factory=list)
    id: int = 0  # the REST id; 0 takes a made-up one from the name's digits

    def __post_init__(self) -> None:
        _check(self.financial_status, FINANCIAL_STATUSES, "OrderDisplayFinancialStatus")
        _check(self.fulfillment_status, ORDER_FULFILLMENT_STATUSES, "OrderDisplayFulfillmentStatus")
        _check(self.return_status, RETURN_STATUSES, "OrderReturnStatus")
        if not self.id:
            self.id = 5_600_000_000_000 + int(re.sub(r"\D", "", self.name) or 0)


def _connection(nodes: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """A Relay connection carrying both `nodes` and `edges`; the document picks."""
    edges = [{"cursor": f"{kind}:{n}", "node": node} for n, node in enumerate(nodes)]
    page = {"hasNextPage": False, "hasPreviousPage": False}
    return {"nodes": nodes, "edges": edges, "pageInfo": page}


def _fulfillment(
    order: ShopifyOrder, n: int, item: ShopifyFulfillment, query: Query
) -> dict[str, Any]:
    events = sorted(item.events, key=lambda event: event.happened_at, reverse=query.newest_first)
    return {
        "id": f"gid://shopify/Fulfillment/{order.id * 10 + n}",
        "name": f"{order.name}-F{n}",
        "status": item.status,
        "displayStatus": item.display_status,
        "createdAt": _time(item.created_at),
        "inTransitAt": _time(item.in_transit_at),
        "estimatedDeliveryAt": _time(item.estimated_delivery_at),
        "deliveredAt": _time(item.delivered_at),
        "trackingInfo": [
            {"company": t.company, "number": t.number, "url": t.url} for t in item.tracking
        ],
        "events": _connection(
            [
                {
                    "id": f"gid://shopify/FulfillmentEvent/{order.id * 100 + n * 10 + k}",
                    "status": event.status,
                    "happenedAt": _time(event.happened_at),
                    "message": event.message,
                    "city": event.city,
                    "country": event.country,
                }
                for k, event in enumerate(events[: query.events_first])
            ],
            "FulfillmentEvent",
        ),
    }


def _order(order: ShopifyOrder, query: Query) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/Order/{order.id}",
        "legacyResourceId": str(order.id),
        "name": order.name,
        "email": order.email,
        "createdAt": _time(order.created_at),
        "cancelledAt": _time(order.cancelled_at),
        "displayFinancialStatus": order.financial_status,
        "displayFulfillmentStatus": order.fulfillment_status,
        "returnStatus": order.return_status,
        "shippingAddress": None if order.zip is None else {"zip": order.zip},
        "fulfillments": [
            _fulfillment(order, n, item, query) for n, item in enumerate(order.fulfillments, 1)
        ],
    }


def _selected(value: Any, names: set[str]) -> Any:
    """`value` less the object fields the document never names (GraphQL returns only those)."""
    if isinstance(value, dict):
        return {k: _selected(v, names) for k, v in value.items() if k in names}
    if isinstance(value, list):
        return [_selected(v, names) for v in value]
    return value


class QueryError(Exception):
    """A document the stand-in refuses, answered as a GraphQL error (HTTP 200)."""


SEARCH_TERM = r'(\w+):(?:"([^"]*)"|(\S+))'


@dataclass
class Query:
    """What the stand-in understands of a document: the orders search and its limits."""

    names: set[str]
    first: int
    terms: list[tuple[str, str]] | None
    events_first: int
    newest_first: bool

    @classmethod
    def parse(cls, document: str, variables: dict[str, Any]) -> Query:
        if re.search(r"\b(mutation|subscription)\b\s*(\w+\s*)?[({]", document):
            raise QueryError("the stand-in answers queries only, and botdesk only reads")
        orders = re.search(r"\borders\s*\(([^)]*)\)", document)
        if orders is None:
            raise QueryError("the stand-in answers only the orders(first: …, query: …) query")
        names = set(re.findall(r"[A-Za-z_]\w*", document))
        events = re.search(r"\bevents\s*\(([^)]*)\)", document)
        if "events" in names and events is None:
            raise QueryError("you must provide one of first or last")  # a connection, on events
        return cls(
            names=names,
            first=_first(orders[1], variables),
            terms=_terms(_argument(orders[1], "query", variables)),
            events_first=_first(events[1], variables) if events else 0,
            newest_first=bool(events and re.search(r"\breverse\s*:\s*true\b", events[1])),
        )

    def matches(self, order: ShopifyOrder) -> bool:
        if self.terms is None:
            return True  # as on Shopify: no search, the store's first orders, anyone's
        for key, value in self.terms:
            if key == "name" and value.lstrip("#") != order.name.lower().lstrip("#"):
                return False
            if key == "email" and value != (order.email or "").lower():
                return False
        return True


def _terms(search: object) -> list[tuple[str, str]] | None:
    """The search's `key:value` terms (lower case), which must be name: and email: only."""
    if search is None:
        return None
    if not isinstance(search, str):
        raise QueryError("Variable for orders(query:) must be a String")
    if not re.fullmatch(rf"\s*({SEARCH_TERM}\s*(AND\s+)?)*", search):
        raise QueryError(f"the stand-in understands only key:value terms: {search!r}")
    terms = [
        (key, (quoted or bare).lower()) for key, quoted, bare in re.findall(SEARCH_TERM, search)
    ]
    for key, _value in terms:
        if key not in {"name", "email"}:
            raise QueryError(f"the stand-in does not search orders by {key!r}")
    return terms


def _argument(arguments: str, name: str, variables: dict[str, Any]) -> Any:
    found = re.search(rf'\b{name}\s*:\s*(?:\$(\w+)|(-?\d+)|"((?:[^"\\]|\\.)*)")', arguments)
    if found is None:
        return None
    variable, number, text = found.groups()
    if variable is not None:
        return variables.get(variable)
    return int(number) if number is not None else text


def _first(arguments: str, variables: dict[str, Any]) -> int:
    first = _argument(arguments, "first", variables)
    if not isinstance(first, int) or isinstance(first, bool):
        raise QueryError("you must provide one of first or last")
    if not 0 <= first <= 250:
        raise QueryError("first cannot exceed 250")
    return first


def _cost(*, throttled: bool = False) -> dict[str, Any]:
    """Shopify's `extensions.cost`: a small query's figures on the Standard plan's bucket."""
    available = 3 if throttled else 1988
    return {
        "requestedQueryCost": 12,
        "actualQueryCost": None if throttled else 12,
        "throttleStatus": {
            "maximumAvailable": 2000.0,
            "currentlyAvailable": available,
            "restoreRate": 100.0,
        },
    }


class ShopifyStandIn(StandIn):
    """A Shopify store answering the orders query at `GRAPHQL_PATH` for the right token.

    `throttle_next`: the next this many requests are answered THROTTLED (then it counts down).
    """

    def __init__(self, orders: list[ShopifyOrder], *, token: str = TOKEN) -> None:
        super().__init__()
        self.orders = orders
        self.token = token
        self.throttle_next = 0
        self.app = Starlette(routes=[Route(GRAPHQL_PATH, self._graphql, methods=["POST"])])

    async def _graphql(self, request: Request) -> JSONResponse:
        headers = {"X-Shopify-API-Version": API_VERSION}
        if request.headers.get("x-shopify-access-token") != self.token:
            return JSONResponse({"errors": INVALID_TOKEN}, 401, headers)
        try:
            body = await request.json()
            document, variables = body["query"], body.get("variables") or {}
            if not isinstance(document, str) or not isinstance(variables, dict):
                raise TypeError(document)
        except (ValueError, TypeError, KeyError):
            missing = {"query": "Required parameter missing or invalid"}
            return JSONResponse({"errors": missing}, 400, headers)
        if self.throttle_next > 0:
            self.throttle_next -= 1
            code = {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/limits"}
            errors = [{"message": "Throttled", "extensions": code}]
            answer = {"errors": errors, "extensions": {"cost": _cost(throttled=True)}}
            return JSONResponse(answer, 200, headers)
        try:
            query = Query.parse(document, variables)
            found = [_order(order, query) for order in self.orders if query.matches(order)]
        except QueryError as error:
            return JSONResponse({"errors": [{"message": str(error)}]}, 200, headers)
        data = {"orders": _connection(found[: query.first], "Order")}
        answer = {"data": _selected(data, query.names), "extensions": {"cost": _cost()}}
        return JSONResponse(answer, 200, headers)

"""A merchant's own order API over generic HTTP JSON, for botdesk's generic connector.

No platform's documentation: this is the kind of API a merchant's developer writes, with names
deliberately unlike botdesk's, nested, and timestamps in the shop's own zone (ISO 8601 with an
offset, as most such APIs give them):

    GET /orders/1001
    {"order": {"no": "1001", "placedAt": "2025-09-01T11:30:00+02:00",
               "customer": {"email": "…", "zip": "114 55"},
               "status": "in_transit",
               "shipping": {"carrierName": "PostNord", "trackingCode": "…",
                            "trackingUrl": "…", "eta": "2025-09-04"},
               "history": [{"at": "…", "text": "Handed to carrier", "place": "Stockholm"}]}}

`shipping` is null until the order ships; an unknown number is a 404 with `{"error": …}`.

The merchant takes one of two ways of authenticating botdesk, whichever it was given:
- a bearer token: `Authorization: Bearer <token>`;
- botdesk's signed requests, version 1 (botdesk signs, the merchant verifies):
  `X-Botdesk-Timestamp: <unix seconds>` and `X-Botdesk-Signature: v1=<hex>`, where <hex> is
  the lowercase hex HMAC-SHA256, keyed with the secret, of "<timestamp>\\n<METHOD>\\n<path>\\n"
  and <path> is the request's path as sent, with `?query` when there is one. A signature that
  is missing or wrong, or a timestamp more than 300 s from the merchant's clock, is refused (401).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins.server import StandIn

MAX_SKEW_S = 300
SHOP_ZONE = ZoneInfo("Europe/Stockholm")
PLACED = datetime(2025, 9, 1, 9, 30, tzinfo=UTC)


def signature(secret: str, timestamp: str, method: str, path_with_query: str) -> str:
    """The `X-Botdesk-Signature` value of a request: "v1=" and the lowercase hex HMAC."""
    message = f"{timestamp}\n{method.upper()}\n{path_with_query}\n".encode()
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class GenericEvent:
    at: datetime
    text: str
    place: str | None = None


@dataclass
class GenericOrder:
    """An order in the merchant's own words; `carrier=None` means not shipped yet."""

    no: str
    email: str = "shopper@example.com"
    zip: str = "114 55"
    status: str = "in_transit"  # the merchant's vocabulary, not botdesk's
    carrier: str | None = "PostNord"
    tracking_code: str | None = "00370712345678901234"
    tracking_url: str | None = "https://tracking.postnord.com/se/?id=00370712345678901234"
    eta: date | None = date(2025, 9, 4)
    placed: datetime = PLACED
    history: list[GenericEvent] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        shipping = None
        if self.carrier is not None:
            shipping = {
                "carrierName": self.carrier,
                "trackingCode": self.tracking_code,
                "trackingUrl": self.tracking_url,
                "eta": self.eta.isoformat() if self.eta else None,
            }
        return {
            "order": {
                "no": self.no,
                "placedAt": _local(self.placed),
                "customer": {"email": self.email, "zip": self.zip},
                "status": self.status,
                "shipping": shipping,
                "history": [
                    {"at": _local(event.at), "text": event.text, "place": event.place}
                    for event in self.history
                ],
            }
        }


def _local(moment: datetime) -> str:
    return moment.astimezone(SHOP_ZONE).isoformat(timespec="seconds")


class GenericStandIn(StandIn):
    """The merchant's API at `{base_path}/orders/{number}`, with a token or a signing secret."""

    def __init__(
        self,
        orders: list[GenericOrder],
        *,
        token: str | None = None,
        hmac_secret: str | None = None,
        base_path: str = "",
    ) -> None:
        if (token is None) == (hmac_secret is None):
            raise ValueError("the merchant takes either a bearer token or an HMAC secret")
        super().__init__()
        self.orders = orders
        self.token = token
        self.hmac_secret = hmac_secret
        self.app = Starlette(routes=[Route(base_path + "/orders/{number}", self._order)])

    def _refusal(self, request: Request) -> str | None:
        """Why the request is not authenticated, None when it is."""
        if self.token is not None:
            bearer = request.headers.get("authorization", "").encode()
            return (
                None
                if hmac.compare_digest(bearer, f"Bearer {self.token}".encode())
                else "invalid token"
            )
        assert self.hmac_secret is not None
        timestamp = request.headers.get("x-botdesk-timestamp", "")
        given = request.headers.get("x-botdesk-signature", "")
        if not timestamp.isascii() or not timestamp.isdigit() or not given:
            return "missing signature"
        if abs(time.time() - int(timestamp)) > MAX_SKEW_S:
            return "stale timestamp"
        path = request.scope["raw_path"].decode("ascii")
        if request.scope["query_string"]:
            path += "?" + request.scope["query_string"].decode("ascii")
        expected = signature(self.hmac_secret, timestamp, request.method, path)
        return None if hmac.compare_digest(given.encode(), expected.encode()) else "bad signature"

    async def _order(self, request: Request) -> JSONResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            return JSONResponse({"error": refusal}, 401)
        number = request.path_params["number"]
        order = next((order for order in self.orders if order.no == number), None)
        if order is None:
            return JSONResponse({"error": "order not found"}, 404)
        return JSONResponse(order.to_json())

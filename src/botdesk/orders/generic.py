"""The generic HTTP JSON connector: a merchant's own API, described by a field mapping.

`GET {base_url}{path}` with the order number in the path, authenticated by a bearer token or by
an HMAC signature over the request (docs/orders.md, "Signed requests"): `X-Botdesk-Timestamp`
(Unix seconds) and `X-Botdesk-Signature: v1=<hex HMAC-SHA256(secret,
"{timestamp}\\n{METHOD}\\n{path with query}\\n")>`. The timestamp lets the merchant refuse a
replayed request. 404 means no such order; the answer's fields are found by the mapping.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.parse
from typing import Any

import httpx

from botdesk.orders import fields
from botdesk.orders.connectors import ConnectorConfig, GenericOptions
from botdesk.orders.model import Order, OrderState, TrackingEvent
from botdesk.orders.outbound import Outbound

# Never a real order number, so a working connection answers 404 (or an order, which is fine).
PROBE_NUMBER = "botdesk-connection-test"


def signature(secret: str, timestamp: str, method: str, target: str) -> str:
    message = f"{timestamp}\n{method.upper()}\n{target}\n".encode()
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class GenericConnector:
    def __init__(self, config: ConnectorConfig, options: GenericOptions, outbound: Outbound):
        self._base = config.base_url
        self._options = options
        self._secrets = config.secrets
        self._outbound = outbound
        self._states = {state.value: state for state in OrderState} | options.states

    async def find(self, number: str) -> Order | None:
        answer = await self._get(number)
        if answer.status == 404:
            return None
        return self._order(number, answer.json())

    async def details(self, order: Order) -> Order:
        return order  # one request gives everything

    async def check(self) -> None:
        await self._get(PROBE_NUMBER)

    async def _get(self, number: str) -> Any:
        path = self._options.path.replace("{number}", urllib.parse.quote(number, safe=""))
        url = self._base + path
        headers: dict[str, str] = {}
        sign = None
        if self._options.auth == "bearer":
            headers["Authorization"] = f"Bearer {self._secrets['token']}"
        else:
            secret = self._secrets["hmac_secret"]

            def sign(request: httpx.Request) -> None:
                stamp = str(int(time.time()))
                target = request.url.raw_path.decode()
                request.headers["X-Botdesk-Timestamp"] = stamp
                request.headers["X-Botdesk-Signature"] = signature(
                    secret, stamp, request.method, target
                )

        return await self._outbound.read("GET", url, headers=headers, sign=sign)

    def _order(self, number: str, data: Any) -> Order:
        mapping = self._options.mapping
        if not isinstance(data, dict):
            raise fields.invalid()
        state = self._states.get(fields.text(fields.pluck(data, mapping.state)))
        if state is None:
            raise fields.invalid()
        raw_events = fields.pluck(data, mapping.events) or []
        if not isinstance(raw_events, list):
            raise fields.invalid()
        events = []
        for raw in raw_events[: fields.MAX_EVENTS]:
            if not isinstance(raw, dict):
                raise fields.invalid()
            events.append(
                TrackingEvent(
                    at=fields.moment(fields.pluck(raw, mapping.event_at)),
                    text=fields.text(fields.pluck(raw, mapping.event_text)),
                    place=fields.text(fields.pluck(raw, mapping.event_place)),
                )
            )
        postcode = fields.text(fields.pluck(data, mapping.postcode))
        return Order(
            number=number,
            state=state,
            email=fields.text(fields.pluck(data, mapping.email)),
            postcodes=(postcode,) if postcode else (),
            carrier=fields.text(fields.pluck(data, mapping.carrier)),
            tracking_number=fields.text(fields.pluck(data, mapping.tracking_number)),
            tracking_url=fields.link(fields.pluck(data, mapping.tracking_url)),
            expected_delivery=fields.day(fields.pluck(data, mapping.expected_delivery)),
            events=tuple(sorted(events, key=lambda e: e.at, reverse=True)),
        )

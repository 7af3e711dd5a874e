"""The demo merchant: a made-up shop's own order system, served by botdesk for `make run`.

It answers the way a merchant's own API would (its own field names, a bearer token), and the
demo tenant reaches it through the generic HTTP JSON connector with a field mapping, exactly as
a real shop would be connected. `botdesk demo` seeds its orders with dates relative to today, so
the demo always has a parcel out for delivery today and one expected the day after tomorrow.
The people are made up; docs/orders.md lists the orders so anyone can try them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from botdesk.keys import KeyRing

PATH = "/demo-merchant/{slug}"


def token(keyring: KeyRing, tenant_id: uuid.UUID) -> str:
    """The demo merchant's API token for one tenant, derived: nothing to store or leak."""
    key = keyring.derive("botdesk/demo-merchant/v1")
    return hmac.new(key, tenant_id.bytes, hashlib.sha256).hexdigest()


# How the demo tenant's generic connector reads the demo merchant's JSON.
MAPPING = {
    "state": "order.status",
    "email": "order.customer.email",
    "postcode": "order.customer.postalCode",
    "carrier": "order.delivery.carrier",
    "tracking_number": "order.delivery.trackingCode",
    "tracking_url": "order.delivery.trackingUrl",
    "expected_delivery": "order.delivery.estimatedDelivery",
    "events": "order.trackingEvents",
    "event_at": "time",
    "event_text": "description",
    "event_place": "location",
}
STATES = {
    "awaiting_payment": "received",
    "paid": "paid",
    "packed": "packed",
    "in_transit": "shipped",
    "out_for_delivery": "out_for_delivery",
    "delivery_failed": "delivery_failed",
    "delivered": "delivered",
    "returned": "returned",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class DemoOrderSpec:
    number: str
    email: str
    postcode: str
    status: str  # the demo merchant's own word (a key of STATES)
    carrier: str = ""
    tracking: str = ""
    # Days from today; None: not known.
    expected_in: int | None = None
    # (hours ago, what happened, where), newest first.
    events: tuple[tuple[int, str, str], ...] = ()


DEMO_ORDERS = (
    DemoOrderSpec(
        "40012345",
        "aino.virtanen@example.fi",
        "00100",
        "in_transit",
        "Posti",
        "JJFI60012300000012345",
        2,
        ((5, "Arrived at the sorting centre", "Vantaa"), (20, "Received by Posti", "Tampere")),
    ),
    DemoOrderSpec(
        "40023456",
        "erik.lindqvist@example.se",
        "114 53",
        "out_for_delivery",
        "PostNord",
        "UA526018152SE",
        0,
        (
            (2, "Out for delivery", "Stockholm"),
            (14, "Arrived at the delivery terminal", "Stockholm"),
            (40, "Handed over to PostNord", "Borås"),
        ),
    ),
    DemoOrderSpec(
        "40034567",
        "ingrid.hansen@example.no",
        "0150",
        "delivered",
        "Bring",
        "LX131860912NO",
        None,
        (
            (26, "Delivered to the parcel locker", "Oslo"),
            (50, "In transit", "Oslo"),
        ),
    ),
    DemoOrderSpec("40045678", "mikko.korhonen@example.fi", "33100", "packed", expected_in=3),
    DemoOrderSpec("40056789", "sara.nilsson@example.se", "411 03", "paid", expected_in=4),
    DemoOrderSpec("40067890", "ole.berg@example.no", "5003", "cancelled"),
    DemoOrderSpec(
        "40078901",
        "emma.smith@example.com",
        "00180",
        "returned",
        "DHL",
        "JVGL0312345678901234",
        None,
        (
            (30, "Returned to the sender", "Vantaa"),
            (120, "Not collected from the service point", "Helsinki"),
        ),
    ),
    DemoOrderSpec("40089012", "lauri.nieminen@example.fi", "90100", "awaiting_payment"),
    DemoOrderSpec(
        "40090123",
        "kaisa.laine@example.fi",
        "20100",
        "delivery_failed",
        "Posti",
        "RR123456785FI",
        None,
        ((8, "Delivery attempt failed: the parcel locker was full", "Turku"),),
    ),
    DemoOrderSpec(
        "40001234",
        "johan.berg@example.se",
        "753 20",
        "in_transit",
        "DHL",
        "1234567891",
        1,
        ((10, "Departed the DHL hub", "Leipzig"), (30, "Shipment picked up", "Helsinki")),
    ),
)


def order_document(spec: DemoOrderSpec, now: dt.datetime) -> dict[str, Any]:
    """The demo merchant's JSON for one order, dated relative to `now`."""
    delivery: dict[str, Any] = {
        "carrier": spec.carrier or None,
        "trackingCode": spec.tracking or None,
        "trackingUrl": None,  # the carrier's page is botdesk's to link
        "estimatedDelivery": (
            (now.date() + dt.timedelta(days=spec.expected_in)).isoformat()
            if spec.expected_in is not None
            else None
        ),
    }
    return {
        "order": {
            "number": spec.number,
            "status": spec.status,
            "customer": {"email": spec.email, "postalCode": spec.postcode},
            "delivery": delivery,
            "trackingEvents": [
                {
                    "time": (now - dt.timedelta(hours=hours)).isoformat(timespec="seconds"),
                    "description": text,
                    "location": place,
                }
                for hours, text, place in spec.events
            ],
        }
    }

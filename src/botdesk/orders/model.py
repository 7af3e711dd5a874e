"""An order as botdesk understands it, whichever system the merchant runs.

Each connector maps its platform's states onto `OrderState`; the bot's content has one answer per
state. `email` and `postcodes` are there only to verify the shopper (verification.py): they are
never shown, logged or stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class OrderState(StrEnum):
    """Where an order is, in the words the bot answers with (one content outcome each)."""

    RECEIVED = "received"  # placed; payment not yet confirmed
    PAID = "paid"  # paid, waiting to be picked
    PACKED = "packed"  # packed, label printed, not yet with the carrier
    SHIPPED = "shipped"  # with the carrier
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_FAILED = "delivery_failed"  # an attempt failed, or the carrier reports a problem
    DELIVERED = "delivered"
    RETURNED = "returned"  # sent back (refused, returned by the shopper, or uncollected)
    CANCELLED = "cancelled"


# States where the shopper may need a person: the answer offers one.
PROBLEM_STATES = frozenset(
    {OrderState.DELIVERY_FAILED, OrderState.DELIVERED, OrderState.RETURNED, OrderState.CANCELLED}
)


@dataclass(frozen=True)
class TrackingEvent:
    """One scan or status change the carrier reported, as the merchant's system relays it."""

    at: dt.datetime
    text: str
    place: str = ""


@dataclass(frozen=True)
class Order:
    number: str
    state: OrderState
    # For verification only (never shown): the email and postcodes (billing, delivery) on it.
    email: str = ""
    postcodes: tuple[str, ...] = ()
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    # The order's id in the merchant's system, where it differs from the number (WooCommerce).
    source_id: str = ""
    shipped_on: dt.date | None = None
    expected_delivery: dt.date | None = None
    # Newest first.
    events: tuple[TrackingEvent, ...] = field(default=())

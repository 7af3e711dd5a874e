"""The actions a flow ends in: what content may rely on, and how a flow hands one over.

The bot itself never does I/O. When a flow has its slots, `ContentResponder.respond` returns
the `ActionRequest` in `BotTurn.action`; the host runs it (the order look-up is an async HTTP
call, orders/tracking.py) and calls `ContentResponder.resume` with the results, which renders
each result's outcome from the content. An action may report several results (several orders
in one message), one reply each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ActionSpec:
    """What content authors may rely on: an action's outcomes and the values it reports."""

    name: str
    outcomes: tuple[str, ...]
    values: tuple[str, ...]


TRACK_ORDER = ActionSpec(
    name="track_order",
    outcomes=(
        # The order's state, once the shopper proved it is theirs (orders/model.py).
        "received",
        "paid",
        "packed",
        "shipped",
        "out_for_delivery",
        "delivery_failed",
        "delivered",
        "returned",
        "cancelled",
        # A tracking number alone: the carrier's page (known carrier) or a general pointer.
        "tracking_link",
        "tracking_unknown",
        # No such order, or the email/postcode given does not match it: one answer for both.
        "not_found",
        # Too many failed attempts in this conversation or from this address.
        "too_many_attempts",
        # No connector, or the merchant's system did not answer usably.
        "unavailable",
    ),
    values=("reference", "carrier", "tracking_number", "tracking_url", "details"),
)
ACTIONS: dict[str, ActionSpec] = {TRACK_ORDER.name: TRACK_ORDER}


@dataclass(frozen=True)
class ActionRequest:
    action: str
    tenant_slug: str
    language: str
    slots: Mapping[str, str]
    # The entity type that filled each slot (ORDER_NUMBER or TRACKING_NUMBER for a reference).
    slot_types: Mapping[str, str] = field(default_factory=dict)
    # Slots filled from memory (an earlier flow's proof), not from this conversation's flow.
    remembered: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ActionResult:
    outcome: str
    values: Mapping[str, str] = field(default_factory=dict)
    # Slot values worth keeping for the next flow in this conversation (a proof that matched).
    remember: Mapping[str, str] = field(default_factory=dict)
    # Ask this slot again instead of answering (a remembered proof did not fit this order).
    ask: str | None = None

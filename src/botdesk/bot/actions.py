"""Actions a flow runs once its slots are filled, and the order look-up seam they use.

An action reports an *outcome* (which answer the content gives) and *values* (filled into that
answer's `{placeholders}`). The order system itself is reached through `OrderLookup`, which the
integrations work implements as an HTTP connector to the merchant's backend; a tenant without one
gets the `unavailable` outcome, never an invented status.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

log = logging.getLogger(__name__)

OrderState = Literal["processing", "shipped", "delivered", "cancelled"]


@dataclass(frozen=True)
class ActionSpec:
    """What content authors may rely on: an action's outcomes and the values it reports."""

    name: str
    outcomes: tuple[str, ...]
    values: tuple[str, ...]


TRACK_ORDER = ActionSpec(
    name="track_order",
    outcomes=("processing", "shipped", "delivered", "cancelled", "not_found", "unavailable"),
    values=("reference", "carrier", "tracking_number", "tracking_url", "estimated_delivery"),
)
ACTIONS: dict[str, ActionSpec] = {TRACK_ORDER.name: TRACK_ORDER}


@dataclass(frozen=True)
class ActionRequest:
    tenant_slug: str
    language: str
    slots: Mapping[str, str]
    # The entity type that filled each slot (ORDER_NUMBER or TRACKING_NUMBER for a reference).
    slot_types: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionResult:
    outcome: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderStatus:
    state: OrderState
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    estimated_delivery: str = ""


class LookupFailed(Exception):
    """The order system could not be asked (down, timed out, refused)."""


class OrderLookup(Protocol):
    def find(self, tenant_slug: str, reference: str, kind: str) -> OrderStatus | None:
        """The order for an ORDER_NUMBER or TRACKING_NUMBER reference, None if there is none."""


class Action(Protocol):
    spec: ActionSpec

    def run(self, request: ActionRequest) -> ActionResult: ...


class TrackOrder:
    """Looks an order up by order or tracking number."""

    spec = TRACK_ORDER

    def __init__(self, lookup: OrderLookup | None) -> None:
        self._lookup = lookup

    def run(self, request: ActionRequest) -> ActionResult:
        reference = request.slots.get("reference", "")
        base = {"reference": reference}
        if self._lookup is None:
            return ActionResult("unavailable", base)
        try:
            status = self._lookup.find(
                request.tenant_slug, reference, request.slot_types.get("reference", "ORDER_NUMBER")
            )
        except LookupFailed as exc:
            log.warning(
                "order look-up failed for tenant %s: %s", request.tenant_slug, type(exc).__name__
            )
            return ActionResult("unavailable", base)
        if status is None:
            return ActionResult("not_found", base)
        return ActionResult(
            status.state,
            {
                **base,
                "carrier": status.carrier,
                "tracking_number": status.tracking_number,
                "tracking_url": status.tracking_url,
                "estimated_delivery": status.estimated_delivery,
            },
        )


def build_actions(lookup: OrderLookup | None) -> dict[str, Action]:
    return {TRACK_ORDER.name: TrackOrder(lookup)}

"""Connectors: how one tenant's order system is reached, and the settings each kind takes.

A tenant has at most one connector. Its non-secret settings are stored as JSON and validated
here on the way in and on the way out; its secrets (tokens, HMAC keys, API keys) are sealed
under the tenant key (see models/orders.py) and opened only in memory, on the node that calls.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from botdesk.orders.model import Order, OrderState
from botdesk.orders.outbound import Outbound, OutboundPolicy

# A merchant's state value → ours (`{"in_transit": "shipped"}`); the JSON path syntax of the
# generic connector is dotted keys and list indices: `order.shipping.trackingCode`, `items.0`.
StateMap = dict[Annotated[str, Field(min_length=1, max_length=100)], OrderState]
JsonPath = Annotated[str, Field(pattern=r"^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$", max_length=200)]


class ConnectorKind(StrEnum):
    GENERIC = "generic"
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"


class ConfigInvalid(ValueError):
    """A connector's settings cannot be used; the message says which and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GenericMapping(_Strict):
    """Where each of our fields sits in the merchant's JSON (dotted paths)."""

    state: JsonPath = "state"
    email: JsonPath | None = "email"
    postcode: JsonPath | None = "postcode"
    carrier: JsonPath | None = "carrier"
    tracking_number: JsonPath | None = "tracking_number"
    tracking_url: JsonPath | None = "tracking_url"
    expected_delivery: JsonPath | None = "expected_delivery"
    events: JsonPath | None = "events"
    # Inside each event.
    event_at: JsonPath = "at"
    event_text: JsonPath = "text"
    event_place: JsonPath | None = "place"


class GenericOptions(_Strict):
    auth: Literal["bearer", "hmac"] = "bearer"
    # Appended to the base URL; {number} is the order number, URL-quoted.
    path: Annotated[str, Field(pattern=r"^/\S*\{number\}\S*$", max_length=200)] = "/orders/{number}"
    mapping: GenericMapping = Field(default_factory=GenericMapping)
    # The merchant's state values; ours are always understood as themselves.
    states: StateMap = Field(default_factory=dict)


class ShopifyOptions(_Strict):
    # Shopify names orders "#1001" by default; a shop may set another prefix.
    name_prefix: Annotated[str, Field(max_length=20)] = "#"


class WooCommerceOptions(_Strict):
    # Custom order statuses from plugins ("wc-shipped" → shipped); Woo's own are built in.
    states: StateMap = Field(default_factory=dict)


OPTIONS: dict[ConnectorKind, type[_Strict]] = {
    ConnectorKind.GENERIC: GenericOptions,
    ConnectorKind.SHOPIFY: ShopifyOptions,
    ConnectorKind.WOOCOMMERCE: WooCommerceOptions,
}
# The secrets each kind needs (generic: one of the two, by its `auth`).
SECRETS: dict[ConnectorKind, tuple[str, ...]] = {
    ConnectorKind.GENERIC: ("token", "hmac_secret"),
    ConnectorKind.SHOPIFY: ("access_token",),
    ConnectorKind.WOOCOMMERCE: ("consumer_key", "consumer_secret"),
}


class ConnectorConfig(_Strict):
    """Everything needed to call one tenant's order system, secrets opened."""

    kind: ConnectorKind
    base_url: Annotated[str, Field(max_length=500)]
    options: dict[str, Any] = Field(default_factory=dict)
    # repr=False: a config inside a logged or printed object never shows its secrets.
    secrets: dict[str, Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=dict, repr=False
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            url = httpx.URL(value)
        except httpx.InvalidURL:
            raise ValueError("not a URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("must be an http(s):// URL with a host")
        if url.userinfo or url.query or url.fragment:
            raise ValueError("must not carry credentials, a query or a fragment")
        return value.rstrip("/")

    def parsed_options(self) -> Any:
        return OPTIONS[self.kind].model_validate(self.options)


def validate_config(
    kind: str,
    base_url: str,
    options: Mapping[str, Any],
    secrets: Mapping[str, str],
    policy: OutboundPolicy,
) -> ConnectorConfig:
    """A checked config, or ConfigInvalid saying what to fix (no secret values in it)."""
    if kind not in set(ConnectorKind):
        raise ConfigInvalid(f"kind: must be one of {', '.join(k.value for k in ConnectorKind)}")
    try:
        config = ConnectorConfig(
            kind=ConnectorKind(kind),
            base_url=base_url,
            options=dict(options),
            secrets=dict(secrets),
        )
        parsed = config.parsed_options()
    except ValueError as exc:
        raise ConfigInvalid(_describe(exc)) from None
    wanted = SECRETS[config.kind]
    if config.kind is ConnectorKind.GENERIC:
        wanted = ("token",) if parsed.auth == "bearer" else ("hmac_secret",)
    missing = [name for name in wanted if not config.secrets.get(name)]
    if missing:
        raise ConfigInvalid(f"missing secret: {', '.join(missing)}")
    extra = sorted(set(config.secrets) - set(wanted))
    if extra:
        raise ConfigInvalid(f"unexpected secret: {', '.join(extra)}")
    # Tokens travel in HTTP headers, which carry ASCII only: anything else is a paste gone wrong
    # (and made every look-up fail with an encoding error, #13).
    garbled = sorted(name for name, value in config.secrets.items() if not _TOKEN.fullmatch(value))
    if garbled:
        raise ConfigInvalid(f"unreadable secret: {', '.join(garbled)}")
    url = httpx.URL(config.base_url)
    if url.scheme == "http" and not _allowed_literal(url.host, policy):
        # Secrets in clear text over the internet: only to a network the operator allowed.
        raise ConfigInvalid("base_url: use https:// (http:// only for an allowed network)")
    return config


_TOKEN = re.compile(r"[\x21-\x7e]+")  # visible ASCII, as systems issue them


def _allowed_literal(host: str, policy: OutboundPolicy) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" and any(
            ipaddress.ip_address("127.0.0.1") in n for n in policy.allowed_networks
        )
    return any(address in network for network in policy.allowed_networks)


def _describe(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'value'}: "
            f"{str(err['msg']).removeprefix('Value error, ')}"
            for err in exc.errors()
        )
    return str(exc)


class Connector(Protocol):
    async def find(self, number: str) -> Order | None:
        """The order with this number, None if there is none; raises LookupFailed."""

    async def details(self, order: Order) -> Order:
        """The order with what costs another request (asked only once the shopper is verified)."""

    async def check(self) -> None:
        """Prove the connection and credentials work; raises LookupFailed if not."""


def build_connector(config: ConnectorConfig, outbound: Outbound) -> Connector:
    from botdesk.orders.generic import GenericConnector
    from botdesk.orders.shopify import ShopifyConnector
    from botdesk.orders.woocommerce import WooCommerceConnector

    options = config.parsed_options()
    if config.kind is ConnectorKind.SHOPIFY:
        return ShopifyConnector(config, options, outbound)
    if config.kind is ConnectorKind.WOOCOMMERCE:
        return WooCommerceConnector(config, options, outbound)
    return GenericConnector(config, options, outbound)

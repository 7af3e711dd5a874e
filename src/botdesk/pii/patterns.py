"""Tenant-configured entity patterns: order-number regex, tracking formats and phone regions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from botdesk.pii.shipments import TRACKING_FORMATS, compile_order_pattern

_KEYS = ("order_number", "tracking_numbers", "phone_regions")
_ANCHORED_RE = re.compile(r"\A(?:\^|\\A)|(?<!\\)(?:\$|\\Z)\Z")


@dataclass(frozen=True)
class EntityPatterns:
    """What one tenant's shoppers type: validated on construction, regex compiled once."""

    order_number: str | None = None
    tracking_numbers: tuple[str, ...] = ()
    phone_regions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Reject bad settings here, so a broken tenant config fails at load, not per message."""
        unknown = [name for name in self.tracking_numbers if name not in TRACKING_FORMATS]
        if unknown:
            raise ValueError(
                f"tracking_numbers: unknown format(s) {', '.join(map(repr, unknown))}; "
                f"known formats: {', '.join(sorted(TRACKING_FORMATS))}"
            )
        bad_regions = [r for r in self.phone_regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if bad_regions:
            raise ValueError(
                f"phone_regions: unknown region(s) {', '.join(map(repr, bad_regions))}; "
                "use ISO 3166 alpha-2 codes in upper case, e.g. 'FI'"
            )
        if self.order_number is not None:
            _compile_order_number(self.order_number)

    @property
    def order_regex(self) -> re.Pattern[str] | None:
        """The compiled order-number regex (cached per pattern, so per tenant)."""
        return None if self.order_number is None else _compile_order_number(self.order_number)

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> EntityPatterns:
        """Build from a tenant config mapping (parsed YAML/JSON), raising ValueError if invalid."""
        extra = sorted(set(config) - set(_KEYS))
        if extra:
            raise ValueError(
                f"unknown entity pattern setting(s) {', '.join(map(repr, extra))}; "
                f"expected: {', '.join(_KEYS)}"
            )
        order_number = config.get("order_number")
        if order_number is not None and not isinstance(order_number, str):
            raise ValueError(
                f"order_number: expected a regular expression string or null, "
                f"got {type(order_number).__name__}"
            )
        return cls(
            order_number=order_number,
            tracking_numbers=_names(config, "tracking_numbers"),
            # Region codes are upper-cased so that "fi" in a hand-written config just works.
            phone_regions=tuple(r.upper() for r in _names(config, "phone_regions")),
        )


def _names(config: Mapping[str, object], key: str) -> tuple[str, ...]:
    """Read a list of strings; a bare string is refused since it would iterate as characters."""
    value = config.get(key, ())
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f"{key}: expected a list of strings, got {type(value).__name__}")
    if not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key}: expected a list of strings, got {value!r}")
    return tuple(value)


# Kept out of the dataclass fields so that asdict()/replace() see plain config values only.
@lru_cache(maxsize=1024)
def _compile_order_number(pattern: str) -> re.Pattern[str]:
    """Compile and sanity-check a tenant's order-number regex."""
    if not pattern.strip():
        raise ValueError("order_number: the regular expression is empty")
    # Matches are searched for inside messages, so "^4\d{7}$" would only ever find a message
    # that is nothing but the number; saying so beats silently never matching.
    if _ANCHORED_RE.search(pattern):
        raise ValueError(
            f"order_number: {pattern!r} is anchored with ^/$; describe one order number "
            "without anchors, word boundaries are added automatically"
        )
    try:
        compiled = compile_order_pattern(pattern)
    except re.error as exc:
        raise ValueError(f"order_number: invalid regular expression {pattern!r}: {exc}") from exc
    # A pattern that matches "" would tag every word gap in every message.
    if re.fullmatch(pattern, "") is not None:
        raise ValueError(f"order_number: {pattern!r} matches the empty string")
    return compiled

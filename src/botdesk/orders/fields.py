"""Checked reading of the values a merchant's system sends: anything unexpected is an error.

A merchant's answer is shown to a shopper, so each value is held to a type and a size here;
garbage becomes `LookupFailed(INVALID_RESPONSE)`, never an exception from deep in a parser.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from botdesk.orders.outbound import FailureKind, LookupFailed

MAX_TEXT = 300
MAX_EVENTS = 50
_EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def invalid() -> LookupFailed:
    return LookupFailed(FailureKind.INVALID_RESPONSE)


def pluck(data: Any, path: str | None) -> Any:
    """The value at a dotted path (`order.items.0.sku`), None where the path ends early."""
    if path is None:
        return None
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def text(value: Any, limit: int = MAX_TEXT) -> str:
    """A short display string; numbers are accepted (carriers' codes arrive as either).

    A value of the wrong type is an error; a merely long one (a chatty event description) is
    cut, since the order's state is still worth telling.
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid()
    raw = str(value)[: limit * 4]
    cleaned = " ".join(
        "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in raw).split()
    )
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def link(value: Any) -> str:
    """An http(s) URL, or nothing: a tracking link is shown to shoppers as a link.

    One the chat could not show safely (no http(s), spaces, brackets, quotes) is left out rather
    than failing the look-up: the carrier's own page is linked instead where botdesk knows it.
    """
    if value is not None and not isinstance(value, str):
        raise invalid()
    url = (value or "").strip()
    if len(url) > 2000 or not url.startswith(("https://", "http://")):
        return ""
    if any(c in url for c in " <>\"'()[]\\") or any(unicodedata.category(c)[0] == "C" for c in url):
        return ""
    return url


def moment(value: Any) -> dt.datetime:
    """An ISO 8601 date-time (naive ones are taken as UTC) or a Unix time."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(value, dt.UTC)
        if isinstance(value, str) and value.isdigit():
            return dt.datetime.fromtimestamp(int(value), dt.UTC)
        if not isinstance(value, str):
            raise invalid()
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        # Far from today, a date is garbage, and converting it to a time zone would overflow.
        if not _EARLIEST <= parsed.astimezone(dt.UTC) <= _LATEST:
            raise invalid()
    except (ValueError, OverflowError, OSError):
        raise invalid() from None
    return parsed


def day(value: Any) -> dt.date | None:
    """A date (or the date of a date-time); None for no value."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value.strip()) == 10 and not value.strip().isdigit():
        try:
            found = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise invalid() from None
        if not _EARLIEST.date() <= found <= _LATEST.date():
            raise invalid()
        return found
    return moment(value).date()

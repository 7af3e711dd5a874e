"""An order's details as the bot shows them: a short list, in the shopper's language.

The content's answer for each state says what the state means ("on its way"); this adds what
the merchant's system knows (carrier, tracking link, dates, the latest events) as a Markdown
list, leaving out what it does not know. Everything that came from the merchant is escaped, so
an event text cannot turn itself into a link or formatting in the chat.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time

from botdesk.orders.model import Order

LATEST_EVENTS = 3
_LOCALES = {"fi": "fi_FI", "sv": "sv_SE", "nb": "nb_NO", "en": "en_GB"}
_LABELS = {
    "carrier": {"fi": "Kuljetusyhtiö", "sv": "Transportör", "nb": "Transportør", "en": "Carrier"},
    "tracking": {
        "fi": "Seurantatunnus",
        "sv": "Spårningsnummer",
        "nb": "Sporingsnummer",
        "en": "Tracking number",
    },
    "shipped": {"fi": "Lähetetty", "sv": "Skickad", "nb": "Sendt", "en": "Sent"},
    "expected": {
        "fi": "Arvioitu toimitus",
        "sv": "Beräknad leverans",
        "nb": "Forventet levering",
        "en": "Expected delivery",
    },
}
_MARKDOWN = re.compile(r"([\\`*_\[\]()<>#!|~])")


def escape(text: str) -> str:
    """Text from outside, made inert in our Markdown subset."""
    return _MARKDOWN.sub(r"\\\1", text)


def label(name: str, language: str) -> str:
    return _LABELS[name].get(language, _LABELS[name]["en"])


def day(value: dt.date, language: str) -> str:
    return format_skeleton("MMMMEd", value, locale=_LOCALES.get(language, "en_GB"))


def moment(value: dt.datetime, language: str, zone: str) -> str:
    locale = _LOCALES.get(language, "en_GB")
    tz = ZoneInfo(zone)
    return (
        f"{format_skeleton('MMMd', value, locale=locale, tzinfo=tz)} "
        f"{format_time(value, 'short', locale=locale, tzinfo=tz)}"
    )


def tracking_line(number: str, url: str, language: str) -> str:
    shown = escape(number) if number else ""
    if url:
        shown = f"[{shown or escape(url)}]({url})"
    return f"- {label('tracking', language)}: {shown}"


def details(order: Order, language: str, tracking_url: str, zone: str = "UTC") -> str:
    """The Markdown list for `order` (empty when there is nothing to add)."""
    lines = []
    if order.carrier:
        lines.append(f"- {label('carrier', language)}: {escape(order.carrier)}")
    if order.tracking_number or tracking_url:
        lines.append(tracking_line(order.tracking_number, tracking_url, language))
    if order.shipped_on is not None:
        lines.append(f"- {label('shipped', language)}: {day(order.shipped_on, language)}")
    if order.expected_delivery is not None:
        lines.append(f"- {label('expected', language)}: {day(order.expected_delivery, language)}")
    # The latest events as items of the same list: the widget's Markdown has no nesting.
    for event in order.events[:LATEST_EVENTS]:
        place = f", {escape(event.place)}" if event.place else ""
        lines.append(f"- {moment(event.at, language, zone)}: {escape(event.text)}{place}")
    return "\n".join(lines)

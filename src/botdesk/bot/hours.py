"""A tenant's opening hours in words, in the shopper's language, for answers that quote them.

Content writes `{opening_hours}` where the hours belong ("our customer service is in the chat
**{opening_hours}**"); the bot fills in the hours the handover actually uses, so the answer and
the queue never disagree. Day and time formats and the time zone's name come from Babel's
locale data; the wording for "no set hours" is ours.
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_time, get_day_names, get_timezone_name

from botdesk.handover import WEEKDAYS, OpeningHours

# A shop with no hours is open whenever an agent is online.
_WHENEVER_ONLINE = {
    "fi": "aina kun asiakaspalvelija on paikalla",
    "sv": "när någon i kundtjänsten är på plats",
    "nb": "når noen i kundeservice er på plass",
    "en": "whenever an agent is online",
}
DASH = "\u2013"  # an en dash, as ranges are written in all four languages
_LOCALES = {"fi": "fi", "sv": "sv", "nb": "nb", "en": "en_GB"}


def describe(hours: OpeningHours, language: str) -> str:
    """The weekly hours as a phrase, e.g. "Mon-Fri 09:00-16:00 (Eastern European Time)"."""
    if not hours.week:
        return _WHENEVER_ONLINE.get(language, _WHENEVER_ONLINE["en"])
    locale = _LOCALES.get(language, "en_GB")
    names = get_day_names("abbreviated", locale=locale)
    groups: list[tuple[int, int, tuple[tuple[str, str], ...]]] = []
    for index, day in enumerate(WEEKDAYS):
        ranges = hours.week.get(day, ())
        if not ranges:
            continue
        if groups and groups[-1][1] == index - 1 and groups[-1][2] == ranges:
            groups[-1] = (groups[-1][0], index, ranges)
        else:
            groups.append((index, index, ranges))
    parts = []
    for first, last, ranges in groups:
        days = names[first] if first == last else f"{names[first]}{DASH}{names[last]}"
        times = ", ".join(f"{_clock(a, locale)}{DASH}{_clock(b, locale)}" for a, b in ranges)
        parts.append(f"{days} {times}")
    zone = get_timezone_name(hours.zone, width="long", locale=locale)
    return f"{'; '.join(parts)} ({zone})"


def _clock(value: str, locale: str) -> str:
    if value == "24:00":  # the end of the day, which no clock time names
        return value
    hour, minute = (int(part) for part in value.split(":"))
    return format_time(dt.time(hour, minute), "short", locale=locale)

"""A tenant's handover policy: opening hours, the pre-chat form, queue capacity, wait estimates.

The policy is stored as JSON on the tenant (`Tenant.handover`) and parsed here, once, into a
typed object; everything that decides whether a person can be offered, which fields the form
asks for and what the shopper is told about the wait reads it from here. Parsing is strict
(unknown keys and bad values are refused with a message naming the key), so an admin's typo
never silently turns a shop's opening hours into "always closed".
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botdesk.errors import Invalid

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
_E = TypeVar("_E", bound=StrEnum)
# A console that has not checked in for this long no longer counts as an online agent.
PRESENCE_TIMEOUT = dt.timedelta(seconds=90)
# The allowed ranges of a tenant's `queue_grace_seconds` and `idle_minutes`.
QUEUE_GRACE_RANGE = (15, 3600)
IDLE_RANGE = (5, 1440)
_KEYS = frozenset(
    {
        "timezone",
        "hours",
        "fields",
        "topics",
        "consent",
        "max_chats",
        "queue_grace_seconds",
        "idle_minutes",
    }
)


class FormKind(StrEnum):
    QUEUE = "queue"  # agents are available: the form leads into the queue
    OFFLINE = "offline"  # nobody is: the form leaves a message answered later by email


class FieldRule(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    HIDDEN = "hidden"


class ConsentMode(StrEnum):
    NOTICE = "notice"  # a line linking the privacy policy
    CHECKBOX = "checkbox"  # the same line, as a box the shopper must tick
    NONE = "none"


DEFAULT_TOPICS: dict[str, dict[str, str]] = {
    "order": {"fi": "Tilaus", "sv": "Beställning", "nb": "Bestilling", "en": "My order"},
    "delivery": {"fi": "Toimitus", "sv": "Leverans", "nb": "Levering", "en": "Delivery"},
    "returns": {"fi": "Palautus", "sv": "Retur", "nb": "Retur", "en": "Returns"},
    "payment": {"fi": "Maksaminen", "sv": "Betalning", "nb": "Betaling", "en": "Payment"},
    "product": {"fi": "Tuote", "sv": "Produkt", "nb": "Produkt", "en": "A product"},
    "other": {"fi": "Muu asia", "sv": "Annat", "nb": "Annet", "en": "Something else"},
}
FORM_FIELDS = ("email", "order_number", "topic", "message")
_DEFAULT_RULES = {
    "email": FieldRule.REQUIRED,
    "order_number": FieldRule.OPTIONAL,
    "topic": FieldRule.OPTIONAL,
    "message": FieldRule.OPTIONAL,
}


@dataclass(frozen=True)
class OpeningHours:
    """Weekly hours in the tenant's time zone; no hours at all means always open."""

    zone: str = "UTC"
    week: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def is_open(self, now: dt.datetime) -> bool:
        if not self.week:
            return True
        local = now.astimezone(ZoneInfo(self.zone))
        clock = local.strftime("%H:%M")
        ranges = self.week.get(WEEKDAYS[local.weekday()], ())
        return any(start <= clock < end for start, end in ranges)


@dataclass(frozen=True)
class HandoverPolicy:
    hours: OpeningHours = field(default_factory=OpeningHours)
    fields: Mapping[str, FieldRule] = field(default_factory=lambda: dict(_DEFAULT_RULES))
    topics: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_TOPICS)
    consent: ConsentMode = ConsentMode.NOTICE
    # How many conversations one agent handles at once; the wait estimate divides by it.
    max_chats_per_agent: int = 3
    # How long a queued shopper may be away (widget closed, no poll) before leaving the queue.
    queue_grace_seconds: int = 90
    # A conversation with the bot that nobody has written in for this long is closed.
    idle_minutes: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> HandoverPolicy:
        """Parse a tenant's stored or submitted policy; Invalid names the first bad key."""
        config = dict(config or {})
        unknown = set(config) - _KEYS
        if unknown:
            raise Invalid(f"unknown handover setting {sorted(unknown)[0]!r}")
        return cls(
            hours=_parse_hours(config.get("timezone", "UTC"), config.get("hours") or {}),
            fields=_parse_fields(config.get("fields") or {}),
            topics=_parse_topics(config.get("topics")),
            consent=_enum(ConsentMode, config.get("consent", "notice"), "consent"),
            max_chats_per_agent=_int_in(config.get("max_chats", 3), "max_chats", 1, 20),
            queue_grace_seconds=_int_in(
                config.get("queue_grace_seconds", 90), "queue_grace_seconds", *QUEUE_GRACE_RANGE
            ),
            idle_minutes=_int_in(config.get("idle_minutes", 30), "idle_minutes", *IDLE_RANGE),
        )

    def to_config(self) -> dict[str, Any]:
        return {
            "timezone": self.hours.zone,
            "hours": {day: [list(r) for r in ranges] for day, ranges in self.hours.week.items()},
            "fields": {name: rule.value for name, rule in self.fields.items()},
            "topics": {key: dict(labels) for key, labels in self.topics.items()},
            "consent": self.consent.value,
            "max_chats": self.max_chats_per_agent,
            "queue_grace_seconds": self.queue_grace_seconds,
            "idle_minutes": self.idle_minutes,
        }

    @property
    def queue_grace(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.queue_grace_seconds)

    @property
    def idle_timeout(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.idle_minutes)

    def rule(self, name: str, kind: FormKind) -> FieldRule:
        # An offline message is answered by email and is pointless without the message itself.
        if kind is FormKind.OFFLINE and name in ("email", "message"):
            return FieldRule.REQUIRED
        return self.fields.get(name, FieldRule.HIDDEN)

    def topic_label(self, topic: str, language: str) -> str:
        labels = self.topics.get(topic, {})
        return labels.get(language) or labels.get("en") or next(iter(labels.values()), topic)


def _parse_hours(zone: object, hours: object) -> OpeningHours:
    if not isinstance(zone, str):
        raise Invalid("timezone must be a name such as 'Europe/Helsinki'")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {zone[:60]!r}") from None
    if not isinstance(hours, Mapping):
        raise Invalid("hours must map weekdays (mon…sun) to lists of ['HH:MM', 'HH:MM']")
    week: dict[str, tuple[tuple[str, str], ...]] = {}
    for day, ranges in hours.items():
        if day not in WEEKDAYS:
            raise Invalid(f"hours: {str(day)[:20]!r} is not one of {', '.join(WEEKDAYS)}")
        if not isinstance(ranges, Sequence) or isinstance(ranges, str):
            raise Invalid(f"hours.{day} must be a list of ['HH:MM', 'HH:MM'] pairs")
        parsed = []
        for pair in ranges:
            if (
                not isinstance(pair, Sequence)
                or isinstance(pair, str)
                or len(pair) != 2
                or not all(isinstance(t, str) and _TIME.match(t) for t in pair)
            ):
                raise Invalid(
                    f"hours.{day}: each range is ['HH:MM', 'HH:MM'], e.g. ['09:00', '17:00']"
                )
            start, end = str(pair[0]), str(pair[1])
            if start >= end:
                raise Invalid(f"hours.{day}: {start}-{end} ends before it starts")
            parsed.append((start, end))
        week[day] = tuple(sorted(parsed))
    if week and not any(week.values()):
        raise Invalid("hours: every day is closed; remove 'hours' to be open whenever agents are")
    return OpeningHours(zone, week)


def _parse_fields(fields: object) -> dict[str, FieldRule]:
    if not isinstance(fields, Mapping):
        raise Invalid("fields must map field names to required/optional/hidden")
    rules = dict(_DEFAULT_RULES)
    for name, rule in fields.items():
        if name not in FORM_FIELDS:
            raise Invalid(
                f"fields: unknown field {str(name)[:40]!r}; known: {', '.join(FORM_FIELDS)}"
            )
        rules[name] = _enum(FieldRule, rule, f"fields.{name}")
    return rules


def _parse_topics(topics: object) -> dict[str, dict[str, str]]:
    if topics is None:
        return dict(DEFAULT_TOPICS)
    if not isinstance(topics, Mapping) or not topics:
        raise Invalid("topics must map topic ids to labels per language")
    parsed: dict[str, dict[str, str]] = {}
    for key, labels in topics.items():
        if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9_-]{1,40}", key):
            raise Invalid("topics: ids are 1 to 40 lowercase letters, digits, '-' or '_'")
        if isinstance(labels, str):
            labels = {"en": labels}
        if (
            not isinstance(labels, Mapping)
            or not labels
            or not all(isinstance(v, str) and 0 < len(v) <= 60 for v in labels.values())
        ):
            raise Invalid(f"topics.{key}: labels are 1 to 60 characters per language")
        parsed[key] = {str(lang): str(text) for lang, text in labels.items()}
    return parsed


def _enum(enum: type[_E], value: object, name: str) -> _E:
    try:
        return enum(str(value))
    except ValueError:
        raise Invalid(f"{name} must be one of {', '.join(m.value for m in enum)}") from None


def _int_in(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"{name} must be a whole number from {low} to {high}")
    return value


@dataclass(frozen=True)
class WaitEstimate:
    position: int
    agents_online: int
    # None when there is nothing honest to say (no agent online, or no recent handling data).
    seconds: int | None


def estimate_wait(
    position: int,
    agents_online: int,
    active_chats: int,
    max_chats_per_agent: int,
    recent_handling_seconds: Sequence[float],
    recent_accept_seconds: Sequence[float],
) -> WaitEstimate:
    """How long the shopper at `position` (1-based) will probably wait.

    If a free slot exists for them, the wait is the typical time agents take to accept. Otherwise
    slots free up at `capacity / median handling time`, and the shopper waits for the ones
    ahead of them beyond the free slots. Medians, not means: one two-hour chat must not make
    everyone's estimate absurd. With no recent history we say nothing rather than guess.
    """
    if agents_online <= 0:
        return WaitEstimate(position, agents_online, None)
    capacity = agents_online * max_chats_per_agent
    free = max(0, capacity - active_chats)
    accept = statistics.median(recent_accept_seconds) if recent_accept_seconds else None
    if position <= free:
        # A free slot, but no accept times yet: no number, rather than a made-up minute.
        return WaitEstimate(position, agents_online, None if accept is None else math.ceil(accept))
    if not recent_handling_seconds:
        return WaitEstimate(position, agents_online, None)
    handling = statistics.median(recent_handling_seconds)
    ahead = position - free
    seconds = ahead * handling / capacity + (accept or 0.0)
    return WaitEstimate(position, agents_online, math.ceil(seconds))

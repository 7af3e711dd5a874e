"""Rate limits on what anyone on the internet can ask of botdesk.

Design: every limit is a named `Limit` whose rates are a setting in `limits` notation
("20/minute;200/hour"); a request names the limits it is subject to, each with the key it is
counted under (a client address, a conversation, a tenant, a mail recipient, a staff member),
and is refused with `RateLimited` (429 with Retry-After) if any of them is spent. A full window
counts nothing, so a flood cannot push a key's window further and further out.

The counts live in Redis when it is configured, so every node shares one allowance, and in
process memory otherwise. When Redis fails mid-flight the node counts on its own until it is
back: a limit that lapses to per-node is better than a chat that stops.

Keys hold no personal data: addresses and mail recipients are counted only as keyed hashes
(HMAC with a key derived from the master key), and only as long as their window. An IPv6
client holds a whole /64, so that is the unit it is counted by.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter, RateLimiter
from limits.util import WindowStats

from botdesk.clients import counted_as
from botdesk.errors import RateLimited
from botdesk.settings import Settings

log = logging.getLogger(__name__)


class Limit(StrEnum):
    """Every limit, named after what it counts and per what; the value is its setting's suffix."""

    CONVERSATIONS_PER_ADDRESS = "conversations_per_address"
    CONVERSATIONS_PER_TENANT = "conversations_per_tenant"
    MESSAGES_PER_ADDRESS = "messages_per_address"
    MESSAGES_PER_CONVERSATION = "messages_per_conversation"
    TRANSCRIPT_EMAILS_PER_CONVERSATION = "transcript_emails_per_conversation"
    TRANSCRIPT_EMAILS_PER_ADDRESS = "transcript_emails_per_address"
    TRANSCRIPT_EMAILS_PER_RECIPIENT = "transcript_emails_per_recipient"
    TRANSCRIPT_EMAILS_PER_TENANT = "transcript_emails_per_tenant"
    EXPORTS_PER_STAFF = "exports_per_staff"
    SIGN_IN_FAILURES_PER_ADDRESS = "sign_in_failures_per_address"

    @property
    def setting(self) -> str:
        return f"rate_limit_{self.value}"


# What the shopper or staff member is told, per limit (no counts: they would help a prober).
_REFUSALS = {
    Limit.CONVERSATIONS_PER_ADDRESS: "too many new conversations from this network",
    Limit.CONVERSATIONS_PER_TENANT: "this shop's chat is very busy",
    Limit.MESSAGES_PER_ADDRESS: "too many messages from this network",
    Limit.MESSAGES_PER_CONVERSATION: "too many messages in this conversation",
    Limit.TRANSCRIPT_EMAILS_PER_CONVERSATION: "this conversation was emailed too often",
    Limit.TRANSCRIPT_EMAILS_PER_ADDRESS: "too many transcript emails from this network",
    Limit.TRANSCRIPT_EMAILS_PER_RECIPIENT: "too many transcript emails to this address today",
    Limit.TRANSCRIPT_EMAILS_PER_TENANT: "this shop has sent too many transcript emails",
    Limit.EXPORTS_PER_STAFF: "too many exports",
    Limit.SIGN_IN_FAILURES_PER_ADDRESS: "too many failed sign-ins from this network",
}


@dataclass(frozen=True)
class Check:
    """One limit applied to one key (already hashed where it names a person or an address)."""

    limit: Limit
    key: str


class SweptMemoryStorage(MemoryStorage):
    """`limits`' in-process storage, swept for expired entries once a second.

    The library sweeps every key every 10 ms while requests come in, taking each key's lock:
    with thousands of keys (every open conversation, every client address) that loop alone
    held the interpreter for much of a core and showed as tail latency on a busy node. The
    counts are unchanged by a slower sweep: a moving window is read by time, not by what the
    sweep has removed yet; the sweep only returns the memory.
    """

    SWEEP_SECONDS = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # the library's private hook, by name
        if not self.timer.is_alive():
            sweep = self._MemoryStorage__expire_events  # type: ignore[attr-defined]
            self.timer = threading.Timer(self.SWEEP_SECONDS, sweep)
            self.timer.daemon = True
            self.timer.start()


class RateLimits:
    """The limits of one process, counted in Redis when configured and in memory otherwise."""

    def __init__(self, settings: Settings, hash_key: bytes, *, key_prefix: str = "botdesk-rate"):
        self._rates: dict[Limit, list[RateLimitItem]] = {
            limit: parse_many(getattr(settings, limit.setting)) for limit in Limit
        }
        self._hash_key = hash_key
        self._memory = MovingWindowRateLimiter(SweptMemoryStorage())
        self._shared: RateLimiter | None = None
        if settings.redis_url is not None:
            # The blocking client: limits are checked on worker threads, never on the loop.
            storage: Storage = RedisStorage(
                settings.redis_url,
                key_prefix=key_prefix,
                socket_timeout=1.0,
                socket_connect_timeout=1.0,
            )
            self._shared = MovingWindowRateLimiter(storage)

    # ---- keys ----------------------------------------------------------------------------

    def address(self, address: str) -> str:
        """The key a client address is counted under (a keyed hash; IPv6 by its /64)."""
        return "a:" + self._hash(counted_as(address))

    def recipient(self, normalised_email: str) -> str:
        """The key a mail recipient is counted under (a keyed hash, never the address)."""
        return "r:" + self._hash(normalised_email)

    def _hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()[:32]

    # ---- counting ------------------------------------------------------------------------

    def take(self, *checks: Check) -> None:
        """Count one request against every check, or raise RateLimited.

        Each window is taken with one atomic test-and-count (one Redis round trip): a window
        that is full counts nothing, and neither do the windows after it. Windows before it
        keep the count, which can only make a caller at its limit wait a little longer.
        """
        for check in checks:
            for item in self._rates[check.limit]:
                if not self._hit(item, check):
                    self._refuse_if_spent((check,))
                    # The window emptied between the two calls: refused all the same.
                    raise RateLimited(f"{_REFUSALS[check.limit]}; try again later", retry_after=1)

    def refuse_if_spent(self, *checks: Check) -> None:
        """Raise RateLimited if any check is spent, without counting (count failures later)."""
        self._refuse_if_spent(checks)

    def count(self, *checks: Check) -> None:
        """Count one event (a failure) against every check."""
        for check in checks:
            for item in self._rates[check.limit]:
                self._hit(item, check)

    def _refuse_if_spent(self, checks: tuple[Check, ...]) -> None:
        wait = 0.0
        spent: Limit | None = None
        now = time.time()
        for check in checks:
            for item in self._rates[check.limit]:
                stats = self._stats(item, check)
                if stats.remaining <= 0 and stats.reset_time - now >= wait:
                    wait, spent = stats.reset_time - now, check.limit
        if spent is not None:
            raise RateLimited(
                f"{_REFUSALS[spent]}; try again later", retry_after=max(1, math.ceil(wait))
            )

    def _hit(self, item: RateLimitItem, check: Check) -> bool:
        return bool(self._where("hit", item, check))

    def _stats(self, item: RateLimitItem, check: Check) -> WindowStats:
        return cast(WindowStats, self._where("get_window_stats", item, check))

    def _where(self, method: str, item: RateLimitItem, check: Check) -> object:
        """The limiter's `method` on the shared counts; on this node's own while Redis is away."""
        for limiter in (self._shared, self._memory):
            if limiter is None:
                continue
            try:
                return getattr(limiter, method)(item, check.limit.value, check.key)
            except Exception as exc:
                if limiter is self._memory:
                    raise
                log.warning("rate limits fall back to this node: %s", type(exc).__name__)
        raise AssertionError("unreachable: the memory limiter answers or raises")

    def reset(self) -> None:
        """Forget every count (tests, between cases)."""
        self._memory.storage.reset()
        if self._shared is not None:
            self._shared.storage.reset()

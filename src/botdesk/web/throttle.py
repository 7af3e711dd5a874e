"""Per-client-address throttling of failed console sign-ins.

Design: the per-account lock (users.failed_logins / locked_until, in the database) is what stops
guessing one account's password or code, on any number of nodes. This limiter adds a brake on
one address trying many accounts (password spraying), which the per-account lock cannot see.
It lives in process memory: on N nodes an address gets N times the allowance, which is
acceptable for a brake whose real work the database lock does, and it needs no shared store.

Only failures count, so an office of agents behind one NAT address is not slowed down by its
own successful sign-ins. Behind a reverse proxy, set BOTDESK_TRUSTED_PROXIES so that each client
is told apart by its own address (clients.py); otherwise all share the proxy's one allowance.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import OrderedDict, deque

WINDOW_SECONDS = 15 * 60
# Bounds memory under a flood from many addresses: the oldest-touched addresses are forgotten.
MAX_ADDRESSES = 10_000


class AddressThrottle:
    """At most `limit` failed sign-ins per address within a sliding window."""

    def __init__(self, limit: int, window_seconds: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window_seconds
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # sync routes run in a thread pool

    def retry_after(self, address: str) -> int:
        """Seconds until `address` may try again; 0 when it may now."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(address)
            if failures is None:
                return 0
            self._expire(failures, now)
            if len(failures) < self.limit:
                return 0
            return max(1, math.ceil(failures[0] + self.window - now))

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            failures = self._failures.setdefault(address, deque())
            self._failures.move_to_end(address)
            self._expire(failures, now)
            failures.append(now)
            # Nothing older than the window matters, and more than `limit` entries add nothing.
            while len(failures) > self.limit:
                failures.popleft()
            while len(self._failures) > MAX_ADDRESSES:
                self._failures.popitem(last=False)

    def _expire(self, failures: deque[float], now: float) -> None:
        while failures and failures[0] <= now - self.window:
            failures.popleft()


_BY_APP: weakref.WeakKeyDictionary[object, AddressThrottle] = weakref.WeakKeyDictionary()
_BY_APP_LOCK = threading.Lock()


def throttle_for(app: object, limit: int) -> AddressThrottle:
    """The throttle of one application instance (each app, and each test server, has its own)."""
    with _BY_APP_LOCK:
        throttle = _BY_APP.get(app)
        if throttle is None:
            throttle = _BY_APP[app] = AddressThrottle(limit)
        return throttle

"""A circuit breaker per tenant, so a broken merchant API costs one quick answer, not a wait.

    closed ──(FAILURES in a row)──▶ open ──(COOL_DOWN passed)──▶ half_open
      ▲                               ▲                              │
      └────────(the trial succeeds)───┼──────────────────────────────┤
                                      └──────(the trial fails)───────┘

While open, look-ups fail at once with `circuit_open` (the shopper is offered a person). Half
open lets one trial look-up through; others still fail fast until it has answered. The state is
per node: each node learns by itself that a merchant is down, after a few failures of its own.
"""

from __future__ import annotations

import threading
import time
from enum import StrEnum

FAILURES = 5
COOL_DOWN_SECONDS = 30.0


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, failures: int = FAILURES, cool_down: float = COOL_DOWN_SECONDS) -> None:
        self.threshold = failures
        self.cool_down = cool_down
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False
        self._lock = threading.Lock()

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._current(time.monotonic())

    def _current(self, now: float) -> CircuitState:
        if self._state is CircuitState.OPEN and now - self._opened_at >= self.cool_down:
            self._state = CircuitState.HALF_OPEN
            self._trial_running = False
        return self._state

    def allow(self) -> bool:
        """May a look-up go out now? (In half-open state, only the one trial may.)"""
        with self._lock:
            state = self._current(time.monotonic())
            if state is CircuitState.CLOSED:
                return True
            if state is CircuitState.HALF_OPEN and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def succeeded(self) -> None:
        with self._lock:
            self._state = CircuitState.CLOSED
            self._failures = 0
            self._trial_running = False

    def failed(self) -> None:
        with self._lock:
            now = time.monotonic()
            state = self._current(now)
            self._failures += 1
            if state is CircuitState.HALF_OPEN or self._failures >= self.threshold:
                self._state = CircuitState.OPEN
                self._opened_at = now
                self._trial_running = False

"""A token bucket per account: at most N requests a second, attempts and retries alike."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    """Spaces requests of each account ``1 / per_second`` apart (a bucket holding one token).

    A bucket of one keeps every one-second window at or under the rate,
    which is what a provider's speed limit counts. ``None`` disables it.
    ``acquire`` returns False, without waiting out the slot, once ``stop`` is set.
    """

    per_second: float | None
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic
    _next: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self, account: str) -> bool:
        if self.per_second is None:
            return not self.stop.is_set()
        interval = 1.0 / self.per_second
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(account, now))
            self._next[account] = slot + interval
        delay = slot - now
        if delay > 0:
            return not self.stop.wait(delay)
        return not self.stop.is_set()


def parse_rate(text: str) -> float:
    """``10``, ``10/s``, ``600/min``, ``36000/h`` -> requests per second."""
    units = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}
    number, _, unit = text.strip().partition("/")
    seconds = units.get(unit.strip().lower() or "s")
    try:
        count = float(number)
    except ValueError:
        count = -1.0
    if seconds is None or not count > 0 or count == float("inf"):
        raise ValueError(f"{text!r} is not a rate like 10/s, 600/min or 5")
    return count / seconds

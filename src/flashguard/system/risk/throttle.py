"""Integer token buckets: message throttles per venue session and runaway detectors.

A bucket holds up to `burst` messages and refills `rate` messages per `period_ns`. Levels are
kept in message x nanosecond units (one message costs `period_ns`), so refill is exact integer
arithmetic with no float drift, whatever the rate.
"""

from __future__ import annotations

from flashguard.core.clock import NS_PER_SECOND


def _positive(**values: int) -> None:
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{name}={value} must be > 0")


class TokenBucket:
    __slots__ = ("capacity", "cost", "level", "rate", "t_ns")

    def __init__(
        self, rate: int, burst: int, period_ns: int = NS_PER_SECOND, t_ns: int = 0
    ) -> None:
        _positive(rate=rate, burst=burst, period_ns=period_ns)
        self.rate = rate
        self.cost = period_ns
        self.capacity = burst * period_ns
        self.level = self.capacity  # a session starts with its full burst
        self.t_ns = t_ns

    def level_at(self, t_ns: int) -> int:
        """The level at t_ns, without changing the bucket (time never refills backwards)."""
        dt = t_ns - self.t_ns
        if dt <= 0:
            return self.level
        level = self.level + dt * self.rate
        return level if level < self.capacity else self.capacity

    def available(self, t_ns: int) -> int:
        """Whole messages that may be sent at t_ns."""
        return self.level_at(t_ns) // self.cost

    def take(self, t_ns: int) -> bool:
        """Spend one message. Returns False (and spends nothing) when the bucket is empty."""
        level = self.level
        dt = t_ns - self.t_ns
        if dt > 0:  # level_at, inlined: this runs for every order that leaves
            level += dt * self.rate
            if level > self.capacity:
                level = self.capacity
            self.t_ns = t_ns
        if level < self.cost:
            self.level = level
            return False
        self.level = level - self.cost
        return True


class RateWindow:
    """Messages counted in tumbling windows aligned to multiples of window_ns: a runaway
    detector cheap enough to count every message inline (`count += 1` after `roll` when
    `t >= end`). It trips when one window holds more than `limit` messages."""

    __slots__ = ("count", "end", "limit", "window_ns")

    def __init__(self, limit: int, window_ns: int) -> None:
        _positive(limit=limit, window_ns=window_ns)
        self.limit = limit
        self.window_ns = window_ns
        self.count = 0
        self.end = 0

    def roll(self, t_ns: int) -> None:
        self.count = 0
        self.end = (t_ns // self.window_ns + 1) * self.window_ns

    def add(self, t_ns: int) -> bool:
        """Count one message; False when its window now holds more than the limit."""
        if t_ns >= self.end:
            self.roll(t_ns)
        self.count += 1
        return self.count <= self.limit

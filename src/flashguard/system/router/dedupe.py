"""Children the router sent recently, so it never sends one the risk gate would refuse as a
duplicate (the same side, price and size on the same venue within the window).

Splitting a large allocation into equal children, or re-hitting one price round after
round, would otherwise trip that rule; instead the planner shaves a lot off a child that
would repeat one still inside the window.
"""

from __future__ import annotations

Key = tuple[str, str, str, int, int]  # strategy, venue, instrument, price, signed qty


class RecentChildren:
    __slots__ = ("_sent", "_sweep_at", "_window")

    def __init__(self) -> None:
        self._sent: dict[Key, int] = {}
        self._sweep_at = 1024
        self._window = 0  # the longest window seen: a sweep keeps what any window needs

    def clear(self, key: Key, t_ns: int, window_ns: int) -> bool:
        """True if a child with this key may be sent at t_ns."""
        t0 = self._sent.get(key)
        return t0 is None or t_ns - t0 >= window_ns

    def remember(self, key: Key, t_ns: int, window_ns: int) -> None:
        if not window_ns:
            return
        self._sent[key] = t_ns
        self._window = max(self._window, window_ns)
        if len(self._sent) > self._sweep_at:
            # amortised O(1): sweep at most each time the memory doubles
            horizon = t_ns - self._window
            self._sent = {k: t for k, t in self._sent.items() if t > horizon}
            self._sweep_at = max(1024, 2 * len(self._sent))

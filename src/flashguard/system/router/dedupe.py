"""Children the router sent recently, so that one parent's child never repeats, within the
risk gate's duplicate window, a child another parent sent (the same side, price and size on
the same venue): the gate would refuse it as a duplicate.

Children of one parent are never duplicates of each other (the gate judges what the strategy
sent, not the router's slices of it), so a parent fragments into equal children freely; only
a child that would repeat another parent's is shaved, a lot at a time, by the planner.
"""

from __future__ import annotations

Key = tuple[str, str, str, int, int]  # strategy, venue, instrument, price, signed qty


class RecentChildren:
    __slots__ = ("_sent", "_sweep_at", "_window")

    def __init__(self) -> None:
        self._sent: dict[Key, tuple[int, str]] = {}  # -> (when, parent id)
        self._sweep_at = 1024
        self._window = 0  # the longest window seen: a sweep keeps what any window needs

    def clear(self, key: Key, t_ns: int, window_ns: int, parent_id: str) -> bool:
        """True if a child of `parent_id` with this key may be sent at t_ns."""
        last = self._sent.get(key)
        return last is None or t_ns - last[0] >= window_ns or last[1] == parent_id

    def remember(self, key: Key, t_ns: int, window_ns: int, parent_id: str) -> None:
        if not window_ns:
            return
        self._sent[key] = (t_ns, parent_id)
        self._window = max(self._window, window_ns)
        if len(self._sent) > self._sweep_at:
            # amortised O(1): sweep at most each time the memory doubles
            horizon = t_ns - self._window
            self._sent = {k: v for k, v in self._sent.items() if v[0] > horizon}
            self._sweep_at = max(1024, 2 * len(self._sent))

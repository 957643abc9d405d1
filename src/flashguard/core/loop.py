"""The discrete-event loop: one owner of time.

Callbacks are scheduled at an absolute time; ties are broken by insertion order, so a run is
deterministic. The same loop runs live on a WallClock (it sleeps until each due time) and in
simulation on a SimClock (it jumps), so components are written once for both.

A callback may be scheduled with arguments (`call_at(t, handler, event)`, as in asyncio): a
simulated market schedules one callback per message, and a closure per message would cost an
allocation and an extra call each time.

`PyEventLoop` below is the reference. `EventLoop` is its C twin from `_cloop.c` (same API, same
order, same clock moves, several times less overhead per callback) when that extension is
built, unless the environment sets FLASHGUARD_PURE=1; `IMPLEMENTATION` says which one ("c" or
"python").
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from itertools import count
from typing import TYPE_CHECKING, Any, Protocol

from flashguard.core.clock import SimClock, WallClock
from flashguard.core.native import c_twin


class _AdvancingClock(Protocol):
    def now_ns(self) -> int: ...

    def advance_to(self, t_ns: int) -> None: ...


Callback = Callable[..., object]


class PyEventLoop:
    __slots__ = ("_heap", "_seq", "_stopped", "clock", "processed")

    def __init__(self, clock: SimClock | WallClock | _AdvancingClock | None = None) -> None:
        self.clock: _AdvancingClock = clock if clock is not None else SimClock()
        # (due time, insertion number, callback, its arguments): the unique insertion number
        # settles every tie, so callbacks themselves are never compared
        self._heap: list[tuple[int, int, Callback, tuple[Any, ...]]] = []
        self._seq = count()
        self._stopped = False
        self.processed = 0

    def now_ns(self) -> int:
        return self.clock.now_ns()

    def call_at(self, t_ns: int, callback: Callback, *args: Any) -> None:
        """Run callback(*args) at t_ns (not before now: a past time runs at the current time)."""
        now = self.clock.now_ns()
        if t_ns < now:
            t_ns = now
        heapq.heappush(self._heap, (t_ns, next(self._seq), callback, args))

    def call_later(self, delay_ns: int, callback: Callback, *args: Any) -> None:
        if delay_ns < 0:
            raise ValueError(f"delay_ns must be >= 0, got {delay_ns}")
        self.call_at(self.clock.now_ns() + delay_ns, callback, *args)

    def pending(self) -> int:
        return len(self._heap)

    def next_time(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def stop(self) -> None:
        self._stopped = True

    def run(self, until_ns: int | None = None) -> int:
        """Process callbacks in (time, insertion) order until the queue is empty, stop() is
        called, or the next callback is later than until_ns. Returns callbacks processed."""
        self._stopped = False
        heap = self._heap
        advance = self.clock.advance_to
        pop = heapq.heappop
        last = until_ns if until_ns is not None else float("inf")
        current = None  # the time the clock was last advanced to by this run
        n = 0
        while heap and not self._stopped:
            if heap[0][0] > last:
                break
            t_ns, _, callback, args = pop(heap)
            if t_ns != current:  # many callbacks share an instant: the clock is already there
                advance(t_ns)
                current = t_ns
            callback(*args)
            n += 1
        if until_ns is not None and not self._stopped and self.clock.now_ns() < until_ns:
            advance(until_ns)
        self.processed += n
        return n


_C = c_twin("flashguard.core._cloop")
IMPLEMENTATION = "c" if _C is not None else "python"
if TYPE_CHECKING:
    # typed as the C loop: its API is the public one both loops share
    from flashguard.core._cloop import EventLoop as EventLoop
else:
    EventLoop = _C.EventLoop if _C is not None else PyEventLoop

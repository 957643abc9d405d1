"""Clocks. Components are handed a clock; none reads the OS clock itself.

`PySimClock` is the reference simulated clock. `SimClock` is its C twin from `_cloop.c` (the
C event loop advances it without a Python call) when that extension is built, unless the
environment sets FLASHGUARD_PURE=1.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from flashguard.core.native import c_twin

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND


class Clock(Protocol):
    def now_ns(self) -> int: ...


class PySimClock:
    """Simulated time, advanced only by the event loop. Never goes backwards."""

    __slots__ = ("_now",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def advance_to(self, t_ns: int) -> None:
        if t_ns < self._now:
            raise ValueError(f"t_ns={t_ns} is before the clock's time {self._now}")
        self._now = t_ns


class WallClock:
    """Real time in integer nanoseconds since the epoch."""

    __slots__ = ()

    def now_ns(self) -> int:
        return time.time_ns()

    def advance_to(self, t_ns: int) -> None:
        """Sleep until t_ns; live time cannot be moved, only waited for."""
        delay = t_ns - time.time_ns()
        if delay > 0:
            time.sleep(delay / NS_PER_SECOND)


if TYPE_CHECKING:
    from flashguard.core._cloop import SimClock as SimClock
else:
    _C = c_twin("flashguard.core._cloop")
    SimClock = _C.SimClock if _C is not None else PySimClock

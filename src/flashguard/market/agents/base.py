"""What every agent shares: an owner id, the world it trades in, and cheap random draws.

Agents see the market the way a participant with a direct feed does: at each wake-up they read
the venues' displayed books (`Venue.l1`) and the shared per-second `Signals`; their orders
reach a venue after their own order-entry latency, so what they saw may be gone when they
arrive. Randomness comes from one seeded numpy Generator per agent population, drawn in blocks
(one scalar draw through numpy costs about a microsecond; a block costs a few nanoseconds per
number), so a scenario and a seed give the same run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flashguard.core.loop import EventLoop
from flashguard.market.exchange import Market
from flashguard.market.signals import Signals
from flashguard.market.venue import Venue

_BLOCK = 4096


class Draws:
    """Blocks of uniform, standard-normal and standard-exponential numbers from one Generator."""

    __slots__ = ("_e", "_ei", "_n", "_ni", "_rng", "_u", "_ui")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._u: list[float] = []
        self._n: list[float] = []
        self._e: list[float] = []
        self._ui = self._ni = self._ei = 0

    def uniform(self) -> float:
        if self._ui == len(self._u):
            self._u = self._rng.random(_BLOCK).tolist()
            self._ui = 0
        self._ui += 1
        return self._u[self._ui - 1]

    def normal(self) -> float:
        if self._ni == len(self._n):
            self._n = self._rng.standard_normal(_BLOCK).tolist()
            self._ni = 0
        self._ni += 1
        return self._n[self._ni - 1]

    def exponential(self) -> float:
        if self._ei == len(self._e):
            self._e = self._rng.standard_exponential(_BLOCK).tolist()
            self._ei = 0
        self._ei += 1
        return self._e[self._ei - 1]

    def below(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        return min(int(self.uniform() * n), n - 1)


@dataclass
class World:
    """What agents act on: the loop, the market's venues, the instrument and the signals."""

    loop: EventLoop
    market: Market
    instrument: str
    signals: Signals
    lit: list[Venue] = field(default_factory=list)

    def best(self, venue: Venue) -> tuple[int | None, int, int | None, int]:
        return venue.engine.books[self.instrument].l1()

    def trading(self, venue: Venue) -> bool:
        return venue.status[self.instrument] in ("open", "limit_state")

"""What every agent shares: an owner id, the world it trades in, and cheap random draws.

Agents see the market the way a participant with a direct feed does: at each wake-up they read
the venues' displayed books (`Venue.l1`) and the shared per-second `Signals`; their orders
reach a venue after their own order-entry latency, so what they saw may be gone when they
arrive. Randomness comes from one seeded numpy Generator per agent population, drawn in blocks
(one scalar draw through numpy costs about a microsecond; a block costs a few nanoseconds per
number), so a scenario and a seed give the same run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from flashguard.core.events import Event
from flashguard.core.loop import EventLoop
from flashguard.core.native import c_twin
from flashguard.market.exchange import Market
from flashguard.market.signals import Signals
from flashguard.market.venue import TRADING_STATES, Venue

_BLOCK = 4096


class Draws:
    """Blocks of uniform, standard-normal and standard-exponential numbers from one Generator.

    `uniform`, `normal` and `exponential` are the `__next__` of an endless chain of blocks (or
    its C twin, which the C agents read without a call): a draw is then a call into C, not a
    Python method call (agents make millions of them). A block is a tuple (the C twin: the
    Generator's array itself): a tuple of floats leaves the garbage collector's watch at its
    first collection, a list of 4,096 would be walked by every collection while it lives."""

    __slots__ = ("exponential", "normal", "uniform")

    def __init__(self, rng: np.random.Generator) -> None:
        if _c is not None:
            # the C stream reads the Generator's arrays as they are: the same doubles, no
            # Python float made for a number a C agent reads
            self.uniform: Callable[[], float] = _c.DrawStream(lambda: rng.random(_BLOCK))
            self.normal: Callable[[], float] = _c.DrawStream(lambda: rng.standard_normal(_BLOCK))
            self.exponential: Callable[[], float] = _c.DrawStream(
                lambda: rng.standard_exponential(_BLOCK)
            )
            return
        self.uniform = _py_stream(lambda: tuple(rng.random(_BLOCK).tolist()))
        self.normal = _py_stream(lambda: tuple(rng.standard_normal(_BLOCK).tolist()))
        self.exponential = _py_stream(lambda: tuple(rng.standard_exponential(_BLOCK).tolist()))

    def below(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        k = int(self.uniform() * n)
        return k if k < n else n - 1


def _py_stream(block: Callable[[], tuple[float, ...]]) -> Callable[[], float]:
    """The numbers of block(), block(), ... one at a time. A new block is drawn only when one
    is needed (chain asks for the next block when the last one is used up), so the Generator
    is called in the same order whatever the mix of kinds asked for."""
    return chain.from_iterable(iter(block, None)).__next__


# The same streams in C (`_cengine.DrawStream`), which the C agents read in place (no Python
# call per number), unless FLASHGUARD_PURE=1 or the extension is not built.
_c = c_twin("flashguard.market._cengine")


@dataclass
class World:
    """What agents act on: the loop, the market's venues, the instrument and the signals."""

    loop: EventLoop
    market: Market
    instrument: str
    signals: Signals
    lit: list[Venue] = field(default_factory=list)

    def trading(self, venue: Venue) -> bool:
        return venue.status[self.instrument] in TRADING_STATES

    def best_quotes(self) -> tuple[tuple[Venue | None, int, int], tuple[Venue | None, int, int]]:
        """((venue, price, size) of the highest bid, the same for the lowest offer) across the
        trading lit venues, each read from the venue's book now; venue None for an empty side."""
        sym = self.instrument
        hi: Venue | None = None
        lo: Venue | None = None
        hi_bid = lo_ask = hi_qty = lo_qty = 0
        for venue in self.lit:
            if venue.status[sym] not in TRADING_STATES:
                continue
            bid, bid_qty, ask, ask_qty = venue.engine.books[sym].l1()
            if bid is not None and (hi is None or bid > hi_bid):
                hi, hi_bid, hi_qty = venue, bid, bid_qty
            if ask is not None and (lo is None or ask < lo_ask):
                lo, lo_ask, lo_qty = venue, ask, ask_qty
        return (hi, hi_bid, hi_qty), (lo, lo_ask, lo_qty)

    def connect(self, owner: int, on_report: Callable[[Event], None] | None, latency_ns: int) -> None:
        """Connect one participant to every lit venue with its order-entry latency."""
        for venue in self.lit:
            venue.connect(owner, on_report, latency_ns)

    def call_after(self, wait_ns: int, callback: Callable[[], None]) -> None:
        loop = self.loop
        loop.call_at(loop.clock.now_ns() + wait_ns, callback)

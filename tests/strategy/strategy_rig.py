"""Builders for the strategy tests: the router tests' market (real venues, a real event loop,
a trading system) plus a scripted liquidity provider that quotes around a price path, and a
noise taker that prints volume. (Imported by name; pytest puts this folder on the path.)"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "router"))

from sor_rig import MAKER, MS, SEC, SYMBOL, SYSTEM, US, Hands, Market, matrix

from flashguard.core.orders import Side, TimeInForce

__all__ = [
    "MAKER", "MS", "SEC", "SYMBOL", "SYSTEM", "US", "Hands", "Market", "Provider", "matrix",
    "noise",
]


class Provider:
    """Quotes `depth` lots a side, `half` ticks either side of path(t), on every venue of the
    market, refreshed every `every_ns`: a scripted book for a strategy to trade against."""

    def __init__(
        self, m: Market, path: Callable[[int], int], *, depth: int = 200, half: int = 1,
        every_ns: int = 200 * MS, owner: int = MAKER, venues: tuple[str, ...] | None = None,
    ) -> None:
        self.m = m
        self.path = path
        self.depth = depth
        self.half = half
        self.every_ns = every_ns
        self.owner = owner
        self.venues = venues or tuple(m.venues)
        self.live: list[tuple[str, int]] = []
        self.stopped = False
        m.at(m.now, self.step)

    def step(self) -> None:
        if self.stopped:
            return
        m = self.m
        for venue, oid in self.live:
            m.venues[venue].cancel(self.owner, SYMBOL, oid)
        self.live = []
        mid = self.path(m.now)
        for venue in self.venues:
            if m.venues[venue].status[SYMBOL] != "open":
                continue
            self.live.append((venue, m.rest(venue, Side.BUY, self.depth, mid - self.half, self.owner)))
            self.live.append((venue, m.rest(venue, Side.SELL, self.depth, mid + self.half, self.owner)))
        m.at(m.now + self.every_ns, self.step)


def noise(m: Market, qty: int, every_ns: int, until_ns: int, venue: str = "A",
          owner: int = 3) -> None:
    """A taker that alternately buys and sells qty lots at any price every every_ns."""
    state = {"side": 1}

    def trade() -> None:
        if m.now >= until_ns:
            return
        side = Side.BUY if state["side"] > 0 else Side.SELL
        state["side"] = -state["side"]
        price = 10**6 if side == Side.BUY else 1
        m.venues[venue].submit(owner, SYMBOL, side, qty, price, tif=TimeInForce.IOC)
        m.at(m.now + every_ns, trade)

    m.at(m.now + every_ns, trade)

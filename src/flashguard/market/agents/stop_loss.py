"""Stop-loss holders: investors with a long position and a stop below the market (and, for
balance, shorts with a stop above). A cascade source: one stop's market sell pushes the price
through the next stop.

The population holds `count` stops. Holder i has a position of `position` lots (Pareto-ish
spread around it) and a stop `distance` below (or above, for a short) the price at the start,
distance drawn uniformly in [min_distance, max_distance]; a `short_share` of holders are
short. The population watches every print (an O(1) check against the nearest stop): when the
last price reaches a stop, that holder sends a market order (an IOC limit `slippage` away,
or a true market order with `market_orders`) to close its position, on a random lit venue, with
`latency_ms` of delay. A stop fires once.
"""

from __future__ import annotations

import msgspec
import numpy as np

from flashguard.core.events import Trade
from flashguard.market.agents.base import Draws, World
from flashguard.market.venue import Venue

_IOC = 3


class StopLossParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    count: int = 40
    position: int = 40
    min_distance: float = 0.01
    max_distance: float = 0.08
    short_share: float = 0.2
    slippage: float = 0.02
    market_orders: bool = False
    latency_ms: float = 2.0


class StopLossHolders:
    def __init__(self, params: StopLossParams, world: World, first_owner: int, rng: np.random.Generator, start_price: int) -> None:
        self.p = params
        self.world = world
        self.draws = Draws(rng)
        self.first_owner = first_owner
        longs: list[tuple[int, int, int]] = []  # (stop price, owner, qty)
        shorts: list[tuple[int, int, int]] = []
        for i in range(params.count):
            d = params.min_distance + (params.max_distance - params.min_distance) * self.draws.uniform()
            qty = max(1, int(params.position * (0.5 + self.draws.exponential() * 0.5)))
            if self.draws.uniform() < params.short_share:
                shorts.append((int(start_price * (1 + d)), first_owner + i, qty))
            else:
                longs.append((int(start_price * (1 - d)), first_owner + i, qty))
            world.connect(first_owner + i, None, int(params.latency_ms * 1_000_000))
        self.longs = sorted(longs)  # fire from the highest stop down
        self.shorts = sorted(shorts, reverse=True)  # fire from the lowest stop up
        self.fired = 0
        self.fired_qty = 0

    def on_trade(self, _venue: Venue, trade: Trade) -> None:
        price = trade.price
        longs = self.longs
        while longs and price <= longs[-1][0]:
            _, owner, qty = longs.pop()
            self._fire(owner, -1, qty, price)
        shorts = self.shorts
        while shorts and price >= shorts[-1][0]:
            _, owner, qty = shorts.pop()
            self._fire(owner, 1, qty, price)

    def _fire(self, owner: int, side: int, qty: int, price: int) -> None:
        self.fired += 1
        self.fired_qty += qty
        world = self.world
        venue = world.lit[self.draws.below(len(world.lit))]
        if self.p.market_orders:
            venue.submit(owner, world.instrument, side, qty, 0, 2, _IOC)
            return
        limit = int(price * (1 + side * self.p.slippage))  # a sell's limit lies below the print
        venue.submit(owner, world.instrument, side, qty, max(1, limit), 1, _IOC)

    def remaining(self) -> int:
        return len(self.longs) + len(self.shorts)


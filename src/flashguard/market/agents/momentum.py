"""Momentum traders: they follow the move and so amplify it.

Each wakes at Poisson times (mean `wake_s`) and looks at the mid's log return over
`lookback_s`. Beyond +-`threshold` it takes a position of `size` lots in the direction of the
move (up to `max_position`) with a marketable IOC order; when the return over the lookback has
come back inside threshold / 2 it closes its position the same way.
"""

from __future__ import annotations

import msgspec
import numpy as np

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import Event, OrderFilled
from flashguard.market.agents.base import Draws, World

_IOC = 3


class MomentumParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    count: int = 20
    lookback_s: int = 60
    threshold: float = 0.004
    size: int = 20
    max_position: int = 100
    wake_s: float = 15.0
    aggression_ticks: int = 10
    latency_ms: float = 1.0


class MomentumTrader:
    def __init__(self, params: MomentumParams, world: World, owner: int, rng: np.random.Generator) -> None:
        self.p = params
        self.world = world
        self.owner = owner
        self.draws = Draws(rng)
        self.position = 0
        world.connect(owner, self._on_report, int(params.latency_ms * 1_000_000))

    def start(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        wait = int(self.draws.exponential() * self.p.wake_s * NS_PER_SECOND) + 1
        self.world.call_after(wait, self._wake)

    def _on_report(self, ev: Event) -> None:
        if type(ev) is OrderFilled:
            self.position += ev.side * ev.qty

    def _wake(self) -> None:
        self._schedule()
        p = self.p
        r = self.world.signals.ret(p.lookback_s)
        if r <= -p.threshold and self.position > -p.max_position:
            self._trade(-1, min(p.size, p.max_position + self.position))
        elif r >= p.threshold and self.position < p.max_position:
            self._trade(1, min(p.size, p.max_position - self.position))
        elif abs(r) < p.threshold / 2 and self.position:
            self._trade(-1 if self.position > 0 else 1, abs(self.position))

    def _trade(self, side: int, qty: int) -> None:
        world = self.world
        sym = world.instrument
        venue = world.lit[self.draws.below(len(world.lit))]
        if qty <= 0 or not world.trading(venue):
            return
        bid, _, ask, _ = venue.engine.books[sym].l1()
        if (bid if side == -1 else ask) is None:
            return
        price = (ask + self.p.aggression_ticks) if side == 1 else max(1, bid - self.p.aggression_ticks)  # type: ignore[operator]
        venue.submit(self.owner, sym, side, qty, price, 1, _IOC)

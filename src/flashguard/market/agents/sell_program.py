"""A large sell program: a fixed quantity sold at a participation rate of the previous
minute's volume, without regard to price or time (the May 6 algorithm).

From `start_s` (seconds after midnight), every `slice_s` seconds it sells
rate x (previous minute's consolidated volume) x slice_s / 60 lots, plus whatever earlier
slices could not place, until `quantity` is sold. Each slice is split across the lit venues in
proportion to their displayed bid size and sent as marketable orders (an IOC limit `sweep`
below the best bid, or market orders with `market_orders`). It watches nothing else: not the
price, not the time.
"""

from __future__ import annotations

import msgspec
import numpy as np

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import Event, OrderFilled
from flashguard.market.agents.base import Draws, World

_IOC = 3


class SellProgramParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    enabled: bool = False
    quantity: int = 25_000
    rate: float = 0.09
    start_s: int = 14 * 3600 + 32 * 60
    slice_s: float = 2.0
    sweep: float = 0.01
    market_orders: bool = False
    side: int = -1
    latency_ms: float = 1.0


class SellProgram:
    def __init__(self, params: SellProgramParams, world: World, owner: int, rng: np.random.Generator) -> None:
        self.p = params
        self.world = world
        self.owner = owner
        self.draws = Draws(rng)
        self.sent = 0
        self.filled = 0
        self._owed = 0.0
        self.start_ns = params.start_s * NS_PER_SECOND
        self.done_ns: int | None = None
        world.connect(owner, self._on_report, int(params.latency_ms * 1_000_000))

    def start(self) -> None:
        if self.p.enabled and self.p.quantity > 0:
            self.world.loop.call_at(max(self.start_ns, self.world.loop.now_ns()), self._slice)

    def _on_report(self, ev: Event) -> None:
        if type(ev) is OrderFilled:
            self.filled += ev.qty
            if self.filled >= self.p.quantity and self.done_ns is None:
                self.done_ns = ev.t_ns

    def _slice(self) -> None:
        p = self.p
        world = self.world
        sym = world.instrument
        remaining = p.quantity - self.filled
        if remaining <= 0:
            return
        world.loop.call_later(int(p.slice_s * NS_PER_SECOND), self._slice)
        self._owed += p.rate * world.signals.minute_volume * p.slice_s / 60
        qty = min(int(self._owed), remaining)
        if qty <= 0:
            return
        books = []
        for venue in world.lit:
            if not world.trading(venue):
                continue
            bid, bid_qty, ask, _ = venue.engine.books[sym].l1()
            books.append((venue, bid if p.side == -1 else ask, bid_qty if p.side == -1 else 1))
        books = [b for b in books if b[1] is not None]
        if not books:
            return
        total = sum(b[2] for b in books) or 1
        placed = 0
        for i, (venue, best, size) in enumerate(books):
            part = qty - placed if i == len(books) - 1 else int(qty * size / total)
            if part <= 0:
                continue
            placed += part
            if p.market_orders:
                venue.submit(self.owner, sym, p.side, part, 0, 2, _IOC)
            else:
                assert best is not None
                limit = max(1, int(best * (1 + p.side * p.sweep)))
                venue.submit(self.owner, sym, p.side, part, limit, 1, _IOC)
        self._owed -= placed
        self.sent += placed

"""HFT intermediaries: fast, tiny inventories, and they trade with each other ("hot potato").

Each HFT wakes every `wake_ms` (jittered), takes any cross-venue arbitrage (a bid on one venue
above an offer on another), and joins the best bid and offer on one lit venue with `size` lots, leaning with the order flow: when recent aggressor flow is one-sided
(toxicity above `lean_toxicity`) it quotes only the side that flow is not hitting. Whenever a
fill leaves its inventory beyond `unload_at` x `inventory_limit`, it unloads the excess at once
with an IOC order at the best opposite price on the venue that shows it, which is often
another HFT's quote: inventory is passed on within milliseconds, volume multiplies, and no
one holds much. Latency `latency_us` is co-located.
"""

from __future__ import annotations

import msgspec
import numpy as np

from flashguard.core.events import Event, OrderAccepted, OrderFilled, OrderModified
from flashguard.core.native import c_twin
from flashguard.market.agents.base import Draws, World
from flashguard.market.agents.quoting import Slots
from flashguard.market.venue import Venue

_Quotes = tuple[tuple[Venue | None, int, int], tuple[Venue | None, int, int]]

_IOC = 3
# the C twin of _wake, _schedule and _on_report (`_cengine.HftCore`), unless FLASHGUARD_PURE=1
# or not built
_c = c_twin("flashguard.market._cengine")


class HftParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    count: int = 16
    inventory_limit: int = 40
    size: int = 5
    unload_at: float = 0.5
    wake_ms: int = 400
    lean_toxicity: float = 0.35
    latency_us: int = 10


class Hft:
    def __init__(self, params: HftParams, world: World, owner: int, rng: np.random.Generator) -> None:
        self.p = params
        self.world = world
        self.owner = owner
        self.draws = Draws(rng)
        self.slots = Slots(world, owner)
        # the same agent in C: same draws, same arithmetic, same requests, these slots
        self._core = (
            _c.HftCore(params, world.lit, world.instrument, owner, self.slots, self.draws.uniform,
                       world.signals, world.loop)
            if _c is not None else None
        )
        on_report = self._core.on_report if self._core is not None else self._on_report
        world.connect(owner, on_report, params.latency_us * 1000)

    @property
    def inventory(self) -> int:
        return self.slots.inventory

    def start(self) -> None:
        if self._core is not None:
            self._core.schedule()
        else:
            self._schedule()

    def _schedule(self) -> None:
        wait = int(self.p.wake_ms * 1_000_000 * (0.5 + self.draws.uniform()))
        self.world.call_after(wait, self._wake)

    def _on_report(self, ev: Event) -> None:
        kind = type(ev)
        if kind is OrderAccepted or kind is OrderModified:
            return  # nothing for the slots to do (nearly half the reports)
        self.slots.on_report(ev)
        if kind is OrderFilled:
            self._unload()

    def _unload(self, quotes: _Quotes | None = None) -> None:
        """quotes: world.best_quotes() if the caller has just read them."""
        p = self.p
        inv = self.slots.inventory
        if abs(inv) <= p.unload_at * p.inventory_limit:
            return
        side = -1 if inv > 0 else 1
        (hi, hi_bid, _), (lo, lo_ask, _) = quotes if quotes is not None else self.world.best_quotes()
        venue, price = (hi, hi_bid) if side == -1 else (lo, lo_ask)
        if venue is None:
            return
        qty = abs(inv) - int(p.unload_at * p.inventory_limit / 2)
        venue.submit(self.owner, self.world.instrument, side, qty, price, 1, _IOC)

    def _arbitrage(self, quotes: _Quotes) -> None:
        """A bid on one venue above an offer on another is free money: take both sides."""
        sym = self.world.instrument
        (hi, hi_bid, hi_qty), (lo, lo_ask, lo_qty) = quotes
        if hi is None or lo is None or hi is lo or hi_bid <= lo_ask:
            return
        qty = min(hi_qty, lo_qty, self.p.inventory_limit)
        lo.submit(self.owner, sym, 1, qty, lo_ask, 1, _IOC)
        hi.submit(self.owner, sym, -1, qty, hi_bid, 1, _IOC)

    def _wake(self) -> None:
        self._schedule()
        p = self.p
        world = self.world
        sym = world.instrument
        lit = world.lit
        # Orders sent here only arrive later: the books read once serve the whole wake-up.
        quotes = world.best_quotes()
        self._unload(quotes)
        self._arbitrage(quotes)
        n = len(lit)
        vi = self.draws.below(n)
        venue = lit[vi]
        slots = self.slots
        if not world.trading(venue):
            slots.pull_all()
            return
        bid, _, ask, _ = venue.books[sym].l1()
        if bid is None or ask is None:
            slots.pull_all()
            return
        inv = slots.inventory
        s = world.signals
        lean = s.toxicity > p.lean_toxicity
        ret = s.ret(5) if lean else 0.0
        flow_down = lean and ret < 0
        flow_up = lean and ret > 0
        buy = p.size if inv + p.size <= p.inventory_limit and not flow_down else 0
        sell = p.size if inv - p.size >= -p.inventory_limit and not flow_up else 0
        for other in range(n):
            if other != vi:
                slots.place(other, 1, 0, 0, 0)
                slots.place(other, -1, 0, 0, 0)
        slots.place(vi, 1, 0, bid, buy)
        slots.place(vi, -1, 0, ask, sell)

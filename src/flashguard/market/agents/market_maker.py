"""Market makers: quote both sides around fair value, within an inventory limit, and step
back as the market turns violent.

Each maker wakes every `wake_ms` (jittered) and quotes `levels` price levels per side on every
lit venue, `size` lots per level scaled by the venue's depth weight. Fair value is the crowd's
flow-informed estimate (`Signals.fair`), shifted against inventory (`skew_ticks` at the limit) so a long maker
quotes lower and sells down its position. The half-spread widens with stress: x
(vol_ratio / widen_vol) once volatility is above its normal level by that factor, and
x (1 + 2 toxicity). When volatility reaches `pull_vol` x normal, toxicity `pull_toxicity`, or
the price has moved more than the maker's own move limit over the last `move_window_s` (the
internal "price move" check that paused many firms on May 6), the maker pulls every quote and
stays out for at least `cooldown_s`, and until the trigger has cleared. Move limits differ
between makers, uniform in `pull_move` x [1 - `pull_move_spread`, 1 + `pull_move_spread`], so
liquidity leaves progressively: each maker that leaves thins the book, the price moves
further, and the next maker's limit is reached. At the inventory limit a maker stops quoting
the side that would add to it.

Three switches, all off by default (calm keeps them off; may6 turns them on, see
docs/market.md):
- `post_only`: quotes never take liquidity. A quote that would cross a venue's opposite best
  is posted one tick behind it (an exchange's post-only price slide). Makers re-quoting around
  a fair value that has just moved otherwise sweep the stale side of the book, and that
  aggressive flow moves the fair value further: in may6's calm hour it tripled the 1-minute
  volatility.
- `pull_flow`: the order-flow toxicity limit. A maker also pulls when `Signals.toxicity_slow`
  (aggressor imbalance over about ten minutes, a cousin of VPIN) reaches its own limit,
  uniform in `pull_flow` x [1 - `pull_move_spread`, 1 + `pull_move_spread`] (one draw sets
  both of its limits). A one-sided seller that keeps selling raises it steadily while calm,
  balanced flow keeps it near zero: makers leave because the flow is toxic (Easley, Lopez de
  Prado and O'Hara's account of May 6), and stay out until it has cleared.
- `rearm`: the move check counts from when the maker came back from its last pull (a desk
  re-enables its price-move check from the price it resumed at), and is not applied while it
  is out; without it a maker stays out for as long as the move it left on is still in the
  window.

`_wake` and `_schedule` are the reference; `_cengine.MmCore` is their C twin (same draws, same
arithmetic, same requests in the same order, the same "nothing changed" skip), used unless
FLASHGUARD_PURE=1 or the extension is not built (tests/market/test_market_maker_core_parity.py
holds them equal).
"""

from __future__ import annotations

import math

import msgspec
import numpy as np

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.native import c_twin
from flashguard.market.agents.base import Draws, World
from flashguard.market.agents.quoting import Slots

# the C twin of _wake and _schedule (`_cengine.MmCore`), unless FLASHGUARD_PURE=1 or not built
_c = c_twin("flashguard.market._cengine")


class MarketMakerParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    count: int = 8
    inventory_limit: int = 150
    size: int = 12
    levels: int = 3
    half_spread_ticks: float = 1.0
    level_gap_ticks: int = 2
    skew_ticks: float = 6.0
    wake_ms: int = 700
    widen_vol: float = 2.0
    pull_vol: float = 5.0
    pull_toxicity: float = 0.7
    cooldown_s: float = 60.0
    pull_move: float = 0.012
    pull_move_spread: float = 0.5
    move_window_s: int = 120
    latency_us: int = 50
    post_only: bool = False
    rearm: bool = False
    pull_flow: float = 0.0  # 0: no toxicity limit


class MarketMaker:
    def __init__(self, params: MarketMakerParams, world: World, owner: int, rng: np.random.Generator, weights: list[float]) -> None:
        self.p = params
        self.world = world
        self.owner = owner
        self.draws = Draws(rng)
        self.slots = Slots(world, owner)
        self.weights = [w / max(weights) for w in weights]
        self._sizes = [max(1, int(params.size * w)) for w in self.weights]  # lots per level, by venue
        self._out_until = 0
        # when it last came back from a pull (rearm: its move check starts there); it is out
        # while out_until > _back_ns
        self._back_ns = 0
        # what the last full wake-up quoted (prices per level, inventory, trading venues) and
        # the slots' version it left
        self._quoted: object = None
        self._quoted_version = -1
        spread = 2 * self.draws.uniform() - 1
        self.move_limit = params.pull_move * (1 + params.pull_move_spread * spread)
        self.flow_limit = params.pull_flow * (1 + params.pull_move_spread * spread) if params.pull_flow > 0 else 2.0
        # the same wake-up in C: same draws, same arithmetic, same requests, these slots (it
        # keeps out_until and the time it came back)
        self._core = (
            _c.MmCore(params, world.lit, world.instrument, self.slots, self.draws.uniform,
                      world.signals, world.loop, self._sizes, self.move_limit, self.flow_limit)
            if _c is not None and isinstance(self.slots, _c.Slots) else None
        )
        world.connect(owner, self.slots.on_report, params.latency_us * 1000)

    def start(self) -> None:
        if self._core is not None:
            self._core.schedule()
        else:
            self._schedule()

    # The C twin keeps out_until and the time it came back; the reference reads and writes the
    # same state, wherever it lives.
    @property
    def out_until(self) -> int:
        """Until when (ns) it stays out after its last pull."""
        return int(self._core.out_until) if self._core is not None else self._out_until

    @out_until.setter
    def out_until(self, t_ns: int) -> None:
        if self._core is not None:
            self._core.out_until = t_ns
        else:
            self._out_until = t_ns

    @property
    def back_ns(self) -> int:
        """When it last came back from a pull (rearm: its move check starts there)."""
        return int(self._core.back_ns) if self._core is not None else self._back_ns

    @back_ns.setter
    def back_ns(self, t_ns: int) -> None:
        if self._core is not None:
            self._core.back_ns = t_ns
        else:
            self._back_ns = t_ns

    @property
    def inventory(self) -> int:
        return self.slots.inventory

    def _schedule(self) -> None:
        wait = int(self.p.wake_ms * 1_000_000 * (0.5 + self.draws.uniform()))
        self.world.call_after(wait, self._wake)

    def _wake(self) -> None:
        self._schedule()
        p = self.p
        world = self.world
        s = world.signals
        now = world.loop.clock.now_ns()
        stressed = s.vol_ratio >= p.pull_vol or s.toxicity >= p.pull_toxicity or s.toxicity_slow >= self.flow_limit
        if not stressed:
            if not p.rearm:
                stressed = abs(s.ret(p.move_window_s)) >= self.move_limit
            elif self.out_until <= self.back_ns:  # in the market
                # the move check re-arms when the maker comes back: it counts from then
                window = min(p.move_window_s, (now - self.back_ns) // NS_PER_SECOND)
                stressed = abs(s.ret(window)) >= self.move_limit
        if stressed:
            self.out_until = now + int(p.cooldown_s * NS_PER_SECOND)
        if now < self.out_until:
            if self.slots.live():
                self.slots.pull_all()
            return
        if self.out_until > self.back_ns:  # back from a pull
            self.back_ns = now
        mid = s.fair
        inv = self.slots.inventory
        limit = p.inventory_limit
        center = mid - p.skew_ticks * inv / limit
        half = p.half_spread_ticks * max(1.0, s.vol_ratio / p.widen_vol) * (1 + 2 * s.toxicity)
        # Orders sent here only arrive later: which venues trade cannot change during a wake-up.
        sizes = self._sizes
        trading = [(vi, sizes[vi]) for vi, venue in enumerate(world.lit) if world.trading(venue)]
        prices = []
        for level in range(p.levels):
            gap = half + level * p.level_gap_ticks
            b = math.floor(center - gap)
            a = math.ceil(center + gap)
            if a <= b:
                a = b + 1
            prices.append((b, a))
        caps = None
        if p.post_only:
            # a quote never takes: one that would cross a venue's opposite best is posted one
            # tick behind it (a post-only order's price slide); cap[vi] = (highest bid, lowest ask)
            sym = world.instrument
            caps = []
            top_b, top_a = prices[0]
            for vi, _ in trading:
                bid_v, _, ask_v, _ = world.lit[vi].books[sym].l1()
                cb = ask_v - 1 if ask_v is not None and ask_v - 1 < top_b else None
                ca = bid_v + 1 if bid_v is not None and bid_v + 1 > top_a else None
                caps.append((cb, ca))
        slots = self.slots
        # The quotes wanted are a function of these; if they and the slots are as they were
        # after the last wake-up, which left every slot showing what it wanted, there is
        # nothing to send (most wake-ups of a calm market).
        wanted = (prices, inv, trading, caps)
        if wanted == self._quoted and slots.version == self._quoted_version:
            return
        place = slots.place
        # Working orders count against the limit: everything showing could fill at once.
        bought = sold = 0
        for level, (b, a) in enumerate(prices):
            for k, (vi, size) in enumerate(trading):
                buy = size if inv + bought + size <= limit else 0
                sell = size if inv - sold - size >= -limit else 0
                bought += buy
                sold += sell
                bv, av = b, a
                if caps is not None:
                    cb, ca = caps[k]
                    if cb is not None and cb < bv:
                        bv = cb
                    if ca is not None and ca > av:
                        av = ca
                place(vi, 1, level, bv, buy)
                place(vi, -1, level, av, sell)
        self._quoted = wanted
        self._quoted_version = slots.version

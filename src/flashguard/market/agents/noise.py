"""Noise traders: many small participants who trade for reasons of their own.

One population object runs `count` traders. Each trader acts at Poisson times of rate
`rate_per_min` per minute (the population merges the clocks: the next action is an exponential
wait at the summed rate, and a uniformly chosen trader acts, which is the same process). The
population's pace rises with the market's short-term volatility (`vol_feedback`): activity
begets activity. With `activity_sd` > 0 the pace also wanders through busy and quiet spells
(`agents.activity`, half-life `activity_half_life_s`): volatility clustering at the scale of
minutes, where the seconds-long feedback alone leaves 1-minute returns nearly independent.

An action, on a venue chosen by its depth weight: cancel one of the trader's resting orders
(probability `cancel_prob`, if it has any); else a new order on a random side, marketable with
probability `market_prob` (an IOC at the opposite best), otherwise a limit order resting
`offset` ticks from the crowd's fair value (`Signals.fair`) on its own side, never crossing
the venue's opposite best, offset drawn from an exponential of mean `mean_offset_ticks` (it may
improve the price inside a wide spread). Under stress (volatility x normal = v > 1) the offset
is scaled by 1 + `stress_widen` (v - 1) and a floor of mean_offset_ticks x stress_widen (v - 1)
/ 4 keeps orders off the touch: patient liquidity steps back when the market turns violent. Sizes are 1 + a Pareto
draw with tail index `size_tail` scaled to `mean_size` (heavy tailed). A trader keeps at most
`max_orders` resting orders (its oldest is cancelled first). Noise traders never look at fills.
"""

from __future__ import annotations

import msgspec
import numpy as np

from flashguard.core.clock import NS_PER_MINUTE
from flashguard.core.native import c_twin
from flashguard.market.agents.activity import Activity
from flashguard.market.agents.base import Draws, World

_IOC = 3
_DAY = 1
# the C twin of _act and _schedule (`_cengine.NoiseCore`), unless FLASHGUARD_PURE=1 or not built
_c = c_twin("flashguard.market._cengine")


class NoiseParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    count: int = 900
    rate_per_min: float = 1.0
    cancel_prob: float = 0.3
    market_prob: float = 0.12
    mean_offset_ticks: float = 4.0
    mean_size: float = 4.0
    size_tail: float = 2.2
    max_orders: int = 3
    vol_feedback: float = 0.5
    latency_us: int = 500
    stress_widen: float = 1.0
    activity_sd: float = 0.0  # slow busy/quiet spells of the pace (0: a steady pace)
    activity_half_life_s: float = 1800.0


class NoiseTraders:
    def __init__(self, params: NoiseParams, world: World, first_owner: int, rng: np.random.Generator, weights: list[float]) -> None:
        self.p = params
        self.world = world
        self.first_owner = first_owner
        # its own stream, drawn only when switched on: a steady-pace scenario's draws stay as they were
        self._activity = (
            Activity(params.activity_sd, params.activity_half_life_s, np.random.default_rng(rng.integers(1 << 62)))
            if params.activity_sd > 0 else None
        )
        self.draws = Draws(rng)
        self.orders: list[list[tuple[int, int]]] = [[] for _ in range(params.count)]  # (venue idx, id)
        cum = np.cumsum(weights) / sum(weights)
        self._venue_cum = cum.tolist()
        self._mean_wait_ns = NS_PER_MINUTE / max(params.count * params.rate_per_min, 1e-9)
        # Pareto(a) has mean a/(a-1) for a > 1 (numpy's pareto is Lomax: mean 1/(a-1))
        a = params.size_tail
        self._size_scale = max(params.mean_size - 1, 0.0) * (a - 1)
        for i in range(params.count):
            world.connect(first_owner + i, None, params.latency_us * 1000)
        # the same wake-up in C: same draws, same arithmetic, same requests, this `orders`
        self._core = (
            _c.NoiseCore(
                params, world.lit, world.instrument, first_owner, self.orders, self._venue_cum,
                self.draws.uniform, self.draws.exponential, world.signals, self._activity,
                world.loop, self._size_scale, self._mean_wait_ns,
            )
            if _c is not None else None
        )

    def start(self) -> None:
        if self.p.count > 0 and self.p.rate_per_min > 0:
            if self._core is not None:
                self._core.schedule()
            else:
                self._schedule()

    def _schedule(self) -> None:
        world = self.world
        boost = min(1.0 + self.p.vol_feedback * max(0.0, world.signals.vol_ratio - 1.0), 5.0)
        if self._activity is not None:
            boost *= self._activity.level(world.loop.now_ns())
        wait = int(self.draws.exponential() * self._mean_wait_ns / boost) + 1
        world.call_after(wait, self._act)

    # The hot path of every scenario (one call per noise action): the book read and the venue
    # choice are written out here, and the draws bound to locals.
    def _act(self) -> None:
        self._schedule()
        world = self.world
        signals = world.signals
        p = self.p
        d = self.draws
        uniform = d.uniform
        i = d.below(p.count)
        owner = self.first_owner + i
        mine = self.orders[i]
        sym = world.instrument
        lit = world.lit
        if mine and uniform() < p.cancel_prob:
            vi, oid = mine.pop(d.below(len(mine)))
            lit[vi].cancel(owner, sym, oid)
            return
        # the venue: the first whose cumulative depth weight reaches a uniform draw
        u = uniform()
        cum = self._venue_cum
        last = len(cum) - 1
        vi = 0
        while vi < last and u > cum[vi]:
            vi += 1
        venue = lit[vi]
        if not world.trading(venue):
            return
        bid, _, ask, _ = venue.books[sym].l1()
        ref = int(signals.mid)
        bid = bid if bid is not None else (ask - 1 if ask is not None else ref - 1)
        ask = ask if ask is not None else bid + 1
        side = 1 if uniform() < 0.5 else -1
        a = p.size_tail
        size = 1 + int(self._size_scale * ((1.0 - uniform()) ** (-1.0 / a) - 1.0))
        if uniform() < p.market_prob:
            price = ask if side == 1 else bid
            venue.submit(owner, sym, side, size, price, 1, _IOC)
            return
        stress = max(0.0, signals.vol_ratio - 1.0)
        # under stress they post further out, and keep away from the touch altogether
        widen = p.stress_widen * stress
        offset = int(p.mean_offset_ticks * (widen / 4 + d.exponential() * (1.0 + widen))) - 1
        fair = signals.fair
        if side == 1:
            price = min(int(fair) - offset, ask - 1)
        else:
            price = max(int(fair + 0.999) + offset, bid + 1)
        if price <= 0:
            return
        if len(mine) >= p.max_orders:
            ovi, old = mine.pop(0)
            lit[ovi].cancel(owner, sym, old)
        mine.append((vi, venue.submit(owner, sym, side, size, price, 1, _DAY)))

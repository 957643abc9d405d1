"""Fundamental value traders: buy below what they think the asset is worth, sell above.
They are slow, and they bring the recovery.

Trader i believes the value is V x (1 + e_i), e_i ~ N(0, belief_sd), where V is the
scenario's fundamental value (a slow random walk of `value_vol_per_min` per minute, or fixed).
It wakes at Poisson times (mean `wake_s`) and compares its belief with the consolidated mid:
a discount beyond its threshold theta_i (uniform in [threshold_min, threshold_max]) makes it a
buyer, a premium beyond theta_i a seller. Its target position grows with the mispricing,
reaching `capacity` lots `ramp` beyond the threshold; it sends the difference to its current
position as one limit order priced at its reservation price (belief x (1 -+ theta_i / 2)),
which takes whatever the book offers up to that price and rests the rest. At each wake it
cancels its previous order first. Latency `latency_ms` (not co-located).
"""

from __future__ import annotations

import msgspec
import numpy as np

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import Event, OrderCancelled, OrderFilled, OrderRejected
from flashguard.market.agents.base import Draws, World
from flashguard.market.venue import HOLDING_STATES, TRADING_STATES

_DAY = 1
ACCEPTING = TRADING_STATES | HOLDING_STATES


class FundamentalParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    count: int = 60
    belief_sd: float = 0.002
    threshold_min: float = 0.003
    threshold_max: float = 0.02
    ramp: float = 0.03
    capacity: int = 600
    wake_s: float = 40.0
    latency_ms: float = 5.0


class FundamentalTrader:
    def __init__(self, params: FundamentalParams, world: World, owner: int, rng: np.random.Generator, value: FundamentalValue) -> None:
        self.p = params
        self.world = world
        self.owner = owner
        self.draws = Draws(rng)
        self.value = value
        self.belief = 1.0 + params.belief_sd * self.draws.normal()
        self.theta = params.threshold_min + (params.threshold_max - params.threshold_min) * self.draws.uniform()
        self.position = 0
        self.working: tuple[int, int] | None = None  # (venue index, order id)
        world.connect(owner, self._on_report, int(params.latency_ms * 1_000_000))

    def start(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        wait = int(self.draws.exponential() * self.p.wake_s * NS_PER_SECOND) + 1
        self.world.call_after(wait, self._wake)

    def _on_report(self, ev: Event) -> None:
        kind = type(ev)
        if kind is OrderFilled:
            assert isinstance(ev, OrderFilled)
            self.position += ev.side * ev.qty
            if ev.leaves_qty == 0 and self.working and self.working[1] == ev.order_id:
                self.working = None
        elif (kind is OrderCancelled or kind is OrderRejected) and self.working and self.working[1] == ev.order_id:  # type: ignore[attr-defined]
            self.working = None

    def _wake(self) -> None:
        self._schedule()
        world = self.world
        sym = world.instrument
        p = self.p
        if self.working is not None:
            vi, oid = self.working
            world.lit[vi].cancel(self.owner, sym, oid)
            self.working = None
        belief = self.value.at(world.loop.clock.now_ns()) * self.belief
        mid = world.signals.mid
        gap = (belief - mid) / belief
        excess = abs(gap) - self.theta
        if excess <= 0:
            return
        side = 1 if gap > 0 else -1
        target = side * int(p.capacity * min(1.0, excess / p.ramp + 0.1))
        qty = (target - self.position) * side
        if qty <= 0:
            return
        price = int(belief * (1 - side * self.theta / 2))
        vi = self.draws.below(len(world.lit))
        if world.lit[vi].status[sym] not in ACCEPTING:  # held for the auction while paused
            return
        oid = world.lit[vi].submit(self.owner, sym, side, qty, price, 1, _DAY)
        self.working = (vi, oid)


class FundamentalValue:
    """The scenario's fundamental value path in ticks: a seeded random walk sampled each minute
    (zero volatility keeps it fixed)."""

    def __init__(self, start: float, vol_per_min: float, origin_ns: int, minutes: int, rng: np.random.Generator) -> None:
        steps = rng.standard_normal(max(minutes, 1) + 1) * vol_per_min
        steps[0] = 0.0
        self._path: list[float] = (start * np.exp(np.cumsum(steps))).tolist()
        self._origin_ns = origin_ns

    def at(self, t_ns: int) -> float:
        i = (t_ns - self._origin_ns) // (60 * NS_PER_SECOND)
        return self._path[max(0, min(i, len(self._path) - 1))]

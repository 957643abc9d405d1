"""Market-wide signals every agent can read, updated once a simulated second.

- mid: the consolidated midpoint (or the last price when a side is empty);
- vol: an exponentially weighted standard deviation of 1-second log mid changes (half-life
  about 20 s), and vol_ratio = vol / its slow average (half-life about 30 min): 1 in a normal
  market, several times that under stress;
- toxicity: |buy - sell| / (buy + sell) of aggressor-signed volume, exponentially weighted
  (half-life about 30 s): 0 for balanced flow, 1 when every trade hits the same side. It is a
  per-second cousin of VPIN, cheap enough to drive thousands of agents; toxicity_slow is the
  same ratio with a half-life of 10 minutes, where a steady one-sided seller stands out from
  the noise of balanced flow;
- minute_volume: the consolidated volume of the previous full minute (what a participation
  algorithm keys on);
- ret(lookback_s): the log return of the mid over the last lookback_s seconds;
- fair: the crowd's common estimate of value in ticks, a propagator model of price impact.
  It is a permanent part plus a transient part. Every aggressive trade moves the permanent
  part by `impact` ticks per lot in the aggressor's direction (Kyle's lambda: order flow
  carries information) and the transient part by `transient_impact` ticks per lot times how
  thin the side being hit is: baseline depth / current depth (resting lots within 1% of the
  mid, baseline its slow average, the ratio capped at `MAX_THIN`). Impact inversely
  proportional to depth is the empirical rule; it is what turns liquidity leaving into a
  price that runs. Once a second the transient part is pulled a fraction `anchor` toward the
  traded market (a sweep through a thin book is news to everyone), and decays with half-life
  `impact_half_life_s`: price moves made by missing liquidity rather than information fade
  (the empirical decay of a metaorder's impact after it ends; on May 6, the recovery).

The EWMAs are bias-corrected (divided by 1 - (1 - a)^n), so a fresh market reads vol_ratio 1,
not a spurious spike while the slow average is still empty.
"""

from __future__ import annotations

import math
from collections import deque

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import Trade

_FAST = 1 - 0.5 ** (1 / 20)
_SLOW = 1 - 0.5 ** (1 / 1800)
_FLOW = 1 - 0.5 ** (1 / 30)
_FLOW_SLOW = 1 - 0.5 ** (1 / 600)
_HISTORY_S = 900
MAX_THIN = 10.0


class Signals:
    __slots__ = (
        "_buy",
        "_buy_slow",
        "_decay",
        "_depth_base",
        "_mids",
        "_minute_acc",
        "_n",
        "_permanent",
        "_sell",
        "_sell_slow",
        "_transient",
        "_var_fast",
        "_var_slow",
        "anchor",
        "fair",
        "impact",
        "last_price",
        "mid",
        "minute_volume",
        "second_volume",
        "t_ns",
        "thin_ask",
        "thin_bid",
        "toxicity",
        "toxicity_slow",
        "transient_impact",
        "vol",
        "vol_ratio",
    )

    def __init__(
        self,
        start_price: int,
        impact: float = 0.0,
        anchor: float = 0.2,
        transient_impact: float = 0.0,
        impact_half_life_s: float = 300.0,
    ) -> None:
        if impact_half_life_s <= 0:
            raise ValueError(f"impact_half_life_s={impact_half_life_s} must be > 0")
        self.fair = float(start_price)
        self._permanent = float(start_price)
        self._transient = 0.0
        self.impact = impact
        self.transient_impact = transient_impact
        self.anchor = anchor
        self._decay = 0.5 ** (1 / impact_half_life_s)
        self._n = 0
        self.mid = float(start_price)
        self.last_price = start_price
        self.t_ns = 0
        self.vol = 0.0
        self.vol_ratio = 1.0
        self.toxicity = 0.0
        self.toxicity_slow = 0.0
        self._buy_slow = 0.0
        self._sell_slow = 0.0
        self.minute_volume = 0
        self.second_volume = 0
        self._var_fast = 0.0
        self._var_slow = 0.0
        self._buy = 0.0
        self._sell = 0.0
        self._minute_acc = 0
        self._depth_base = [0.0, 0.0]
        self.thin_bid = 1.0  # baseline / current resting bid depth (>= 1)
        self.thin_ask = 1.0
        self._mids: deque[float] = deque([float(start_price)], maxlen=_HISTORY_S + 1)

    def on_trade(self, trade: Trade) -> None:
        # _cengine_tap.h (the simulation's C trade listener) computes this same arithmetic in
        # place: change it there too (tests/market/test_trade_tap_parity.py compares them)
        qty = trade.qty
        self.last_price = trade.price
        self.second_volume += qty
        if trade.aggressor == 1:
            self._buy += qty
            self._buy_slow += qty
            self._permanent += self.impact * qty
            self._transient += self.transient_impact * self.thin_ask * qty
            self.fair = self._permanent + self._transient
        elif trade.aggressor == -1:
            self._sell += qty
            self._sell_slow += qty
            self._permanent -= self.impact * qty
            self._transient -= self.transient_impact * self.thin_bid * qty
            self.fair = self._permanent + self._transient

    def on_second(self, t_ns: int, bid: int | None, ask: int | None, bid_depth: float = 0.0, ask_depth: float = 0.0) -> None:
        """The once-a-second update: the NBBO, and resting lots within 1% of the mid per side."""
        self.t_ns = t_ns
        if bid is not None and ask is not None and bid < ask:
            mid = (bid + ask) / 2
        else:
            mid = float(self.last_price)
        r = math.log(mid / self.mid) if self.mid > 0 and mid > 0 else 0.0
        self.mid = mid
        self._mids.append(mid)
        self._n += 1
        self._var_fast += _FAST * (r * r - self._var_fast)
        self._var_slow += _SLOW * (r * r - self._var_slow)
        fast = self._var_fast / (1 - (1 - _FAST) ** self._n)
        slow_weight = 1 - (1 - _SLOW) ** self._n  # bias correction of every slow average
        slow = self._var_slow / slow_weight
        self.vol = math.sqrt(fast)
        self.vol_ratio = math.sqrt(fast / slow) if slow > 0 else 1.0
        self._transient = (self._transient + self.anchor * (mid - self.fair)) * self._decay
        self.fair = self._permanent + self._transient
        # depth: slow baselines, bias-corrected like the variances
        base = self._depth_base
        base[0] += _SLOW * (bid_depth - base[0])
        base[1] += _SLOW * (ask_depth - base[1])
        self.thin_bid = _thinness(base[0] / slow_weight, bid_depth)
        self.thin_ask = _thinness(base[1] / slow_weight, ask_depth)
        # toxicity: EW buy and sell volume
        self._buy *= 1 - _FLOW
        self._sell *= 1 - _FLOW
        self.toxicity = _imbalance(self._buy, self._sell)
        self._buy_slow *= 1 - _FLOW_SLOW
        self._sell_slow *= 1 - _FLOW_SLOW
        self.toxicity_slow = _imbalance(self._buy_slow, self._sell_slow)
        self._minute_acc += self.second_volume
        self.second_volume = 0
        if (t_ns // NS_PER_SECOND) % 60 == 0:
            self.minute_volume = self._minute_acc
            self._minute_acc = 0

    def ret(self, lookback_s: int) -> float:
        # _cengine_mm.h (the market makers' C wake-up) computes this same formula in place:
        # change it there too (tests/market/test_market_maker_core_parity.py compares them)
        mids = self._mids
        k = min(lookback_s, len(mids) - 1)
        if k <= 0 or mids[-1 - k] <= 0:
            return 0.0
        return math.log(mids[-1] / mids[-1 - k])


def _imbalance(buy: float, sell: float) -> float:
    """|buy - sell| / (buy + sell), 0 with no volume."""
    total = buy + sell
    return abs(buy - sell) / total if total > 0 else 0.0


def _thinness(baseline: float, depth: float) -> float:
    """baseline / current depth, in [1, MAX_THIN] (an empty side is as thin as it gets)."""
    return min(MAX_THIN, max(1.0, baseline / depth)) if depth > 0 else MAX_THIN

"""Crypto-venue price collar: each order's price must lie within low..high x a rolling
average price. No halts, no pauses.

The average is volume-weighted over the trades in (t - window_ns, t] (the way Binance's
PERCENT_PRICE filter uses its 5-minute average price): sum(price x qty) / sum(qty), kept as
running sums, so O(1) amortised per trade. Trade-weighted rather than time-weighted: a burst
of large prints moves it, a quiet minute does not. When the window empties, the last average
stays in effect. Bounds are rounded inward onto the tick grid (lower up, upper down), never
below 1 tick; both are inclusive.
"""

from __future__ import annotations

import msgspec

from flashguard.core.clock import NS_PER_MINUTE
from flashguard.market.protections.checks import exact_ratio, require_int, require_time
from flashguard.market.protections.window import TradeWindow


class CollarParams(msgspec.Struct, frozen=True):
    window_ns: int = 5 * NS_PER_MINUTE
    low: float | str = "0.7"
    high: float | str = "1.3"
    enabled: bool = True

    def __post_init__(self) -> None:
        require_int("window_ns", self.window_ns, 1)
        low = exact_ratio("low", self.low)
        high = exact_ratio("high", self.high)
        if not (0 < low <= 1):
            raise ValueError(f"low={self.low!r} must be in (0, 1]")
        if high < 1:
            raise ValueError(f"high={self.high!r} must be >= 1")


class PriceCollar:
    __slots__ = ("_avg", "_high", "_low", "_now", "_window", "params")

    def __init__(self, params: CollarParams | None = None) -> None:
        self.params = params if params is not None else CollarParams()
        low = exact_ratio("low", self.params.low)
        high = exact_ratio("high", self.params.high)
        self._low = (low.numerator, low.denominator)
        self._high = (high.numerator, high.denominator)
        self._window = TradeWindow()
        self._avg: tuple[int, int] | None = None  # (sum price x qty, sum qty) in effect
        self._now: int | None = None

    def on_trade(self, t_ns: int, price_ticks: int, qty: int) -> None:
        if not self.params.enabled:
            return
        require_int("price_ticks", price_ticks, 1)
        require_int("qty", qty, 1)
        self._advance(t_ns)
        self._window.push(t_ns, price_ticks, qty)

    def average(self, t_ns: int) -> tuple[int, int] | None:
        """The average in effect as an exact fraction (numerator, denominator) in ticks."""
        if not self.params.enabled:
            return None
        self._advance(t_ns)
        window = self._window
        if window.sum_qty:
            self._avg = (window.sum_notional, window.sum_qty)
        return self._avg

    def bounds(self, t_ns: int) -> tuple[int, int] | None:
        """(lowest, highest) allowed order price in ticks, inclusive; None before any trade."""
        avg = self.average(t_ns)
        if avg is None:
            return None
        num, den = avg
        ln, ld = self._low
        hn, hd = self._high
        lower = max(1, -((-ln * num) // (ld * den)))  # ceil
        upper = (hn * num) // (hd * den)  # floor
        return lower, upper

    def allows(self, t_ns: int, price_ticks: int) -> bool:
        bounds = self.bounds(t_ns)
        return bounds is None or bounds[0] <= price_ticks <= bounds[1]

    def _advance(self, t_ns: int) -> None:
        require_time("t_ns", t_ns, self._now)
        self._now = t_ns
        window = self._window
        cutoff = t_ns - self.params.window_ns
        oldest = window.oldest_t()
        while oldest is not None and oldest <= cutoff:
            # the average just before each group of same-time trades leaves: if the window
            # empties, the last one stays in effect whatever the calling pattern
            self._avg = (window.sum_notional, window.sum_qty)
            while window.oldest_t() == oldest:
                window.pop_oldest()
            oldest = window.oldest_t()

"""Realized volatility from prices sampled at a fixed interval.

Convention: log returns r_i = ln(P_i / P_{i-1}), not demeaned (at intraday horizons the mean
is noise, and demeaning would hide a steady one-way slide, which is exactly a crash).

- realized volatility over a span: sqrt(sum r_i^2), in units of that span;
- annualised: sqrt(periods_per_year * mean(r_i^2)), the per-interval root-mean-square return
  scaled by sqrt of the number of intervals in a year (e.g. 252 * 390 for 1-minute bars of a
  US equity session, 252 * 23 * 60 for the nearly-24-hour E-mini session).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from flashguard.analytics._checks import (
    as_float_1d,
    positive_finite,
    positive_int,
)


def log_returns(prices: ArrayLike) -> NDArray[np.float64]:
    p = as_float_1d("prices", prices)
    bad = np.flatnonzero(~(p > 0))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"prices must be finite and > 0: prices[{i}]={p[i].item()!r}")
    return np.diff(np.log(p))


def realized_volatility(prices: ArrayLike, *, periods_per_year: float | None = None) -> float:
    """Over the whole series: sqrt(sum r^2), or annualised if periods_per_year is given.
    0.0 for fewer than two prices (no return, no evidence of movement)."""
    r = log_returns(prices)
    if r.size == 0:
        return 0.0
    sum_sq = float(np.dot(r, r))
    if periods_per_year is None:
        return math.sqrt(sum_sq)
    ppy = positive_finite("periods_per_year", periods_per_year)
    return math.sqrt(ppy * sum_sq / r.size)


def rolling_realized_volatility(
    prices: ArrayLike, window: int, *, periods_per_year: float | None = None
) -> NDArray[np.float64]:
    """out[i] = realized volatility of the `window` returns ending at prices[i]; NaN while
    fewer than `window` returns exist. Each window is summed afresh (no running-sum drift)."""
    window = positive_int("window", window)
    r = log_returns(prices)
    out = np.full(r.size + 1, np.nan)
    if r.size >= window:
        sum_sq = sliding_window_view(r * r, window).sum(axis=1)
        if periods_per_year is None:
            out[window:] = np.sqrt(sum_sq)
        else:
            ppy = positive_finite("periods_per_year", periods_per_year)
            out[window:] = np.sqrt(ppy * sum_sq / window)
    return out


class RealizedVol:
    """Streaming realized volatility over the last `window` returns, O(1) per price.

    The running sum of squares is recomputed exactly once per `window` updates (amortised
    O(1)) so rounding cannot accumulate, and a window of unchanged prices reads exactly 0.0:
    thresholds are compared against it, and residue like 1e-19 must not look like movement.
    """

    __slots__ = ("_moves", "_ppy", "_prev", "_returns", "_since_resum", "_sum_sq", "_window")

    def __init__(self, window: int, *, periods_per_year: float | None = None) -> None:
        self._window = positive_int("window", window)
        self._ppy = (
            None
            if periods_per_year is None
            else positive_finite("periods_per_year", periods_per_year)
        )
        self._returns: deque[float] = deque()
        self._sum_sq = 0.0
        self._moves = 0  # nonzero returns in the window
        self._since_resum = 0
        self._prev: float | None = None  # log price

    def on_price(self, price: float) -> float | None:
        """The volatility after this price, or None until `window` returns exist."""
        log_p = math.log(positive_finite("price", price))
        prev, self._prev = self._prev, log_p
        if prev is None:
            return None
        r = log_p - prev
        self._returns.append(r)
        self._sum_sq += r * r
        self._moves += r != 0.0
        if len(self._returns) > self._window:
            old = self._returns.popleft()
            self._sum_sq -= old * old
            self._moves -= old != 0.0
        self._since_resum += 1
        if self._since_resum >= self._window:
            self._sum_sq = math.fsum(x * x for x in self._returns)
            self._since_resum = 0
        if len(self._returns) < self._window:
            return None
        return self.value

    @property
    def value(self) -> float | None:
        if len(self._returns) < self._window:
            return None
        sum_sq = max(self._sum_sq, 0.0) if self._moves else 0.0
        if self._ppy is None:
            return math.sqrt(sum_sq)
        return math.sqrt(self._ppy * sum_sq / self._window)

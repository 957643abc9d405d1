"""Flash-crash metrics from a 1-second price series, in the terms REFERENCE.md uses for May 6.

Definitions (times are sample timestamps; prices are forward-filled, so a NaN second means
"no new price"):
- peak: the highest price in [shock - peak_lookback, shock], its last occurrence;
- trough: the lowest price in [shock, shock + trough_horizon], its first occurrence;
- peak_to_trough_pct = 100 (peak - trough) / peak; below `min_drop_pct` there is no crash and
  the function returns None;
- minutes_shock_to_bottom = (t_trough - shock) in minutes;
- fast_leg_minutes: the shortest interval [a, b] inside [t_peak, t_trough] over which the
  price fell by at least `fast_leg_share` (default 80%) of the peak-to-trough drop;
- recovered_pct_25min = 100 (P(t_trough + 25 min) - trough) / (peak - trough), with P the last
  price at or before that time; None if the series ends earlier;
- buy_depth_at_trough_pct_of_baseline = 100 x the median bid depth within +-`trough_window`
  of the trough / the mean bid depth over the baseline [shock - baseline, shock);
- spread_multiple_at_trough = the median spread within +-`trough_window` of the trough / the
  median spread over the baseline. A NaN spread means no two-sided quote; if every sample
  near the trough is NaN the book was one-sided there and the multiple is inf.
Depth and spread metrics are None when their series is not given or the baseline is empty
or zero. The series may be mid or last price; depth and spread must be aligned with it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from flashguard.analytics._checks import (
    as_float_1d,
    as_int_1d,
    int_value,
    positive_int,
    same_length,
    strictly_increasing,
)
from flashguard.analytics.bars import carry_forward
from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND

# Prices are floats here (a mid can be half a tick); an exact 80% fall must count as 80%.
_ROUNDING = 1e-9


@dataclass(frozen=True, slots=True)
class CrashMetrics:
    peak: float
    peak_ns: int
    trough: float
    trough_ns: int
    peak_to_trough_pct: float
    minutes_shock_to_bottom: float
    fast_leg_minutes: float
    fast_leg_start_ns: int
    fast_leg_end_ns: int
    recovered_pct_25min: float | None
    buy_depth_at_trough_pct_of_baseline: float | None
    spread_multiple_at_trough: float | None


@dataclass(frozen=True, slots=True)
class CrashWindows:
    """How the metrics look at the series; the defaults fit May 6, 2010."""

    min_drop_pct: float = 2.0
    peak_lookback_ns: int = 5 * NS_PER_MINUTE
    trough_horizon_ns: int = 60 * NS_PER_MINUTE
    fast_leg_share: float = 0.8
    recovery_ns: int = 25 * NS_PER_MINUTE
    baseline_ns: int = 30 * NS_PER_MINUTE
    trough_window_ns: int = 5 * NS_PER_SECOND

    def __post_init__(self) -> None:
        if not (math.isfinite(self.min_drop_pct) and 0 <= self.min_drop_pct < 100):
            raise ValueError(f"min_drop_pct={self.min_drop_pct!r} must be in [0, 100)")
        if not 0 < self.fast_leg_share <= 1:
            raise ValueError(f"fast_leg_share={self.fast_leg_share!r} must be in (0, 1]")
        for name in ("peak_lookback_ns", "trough_horizon_ns", "recovery_ns", "baseline_ns"):
            positive_int(name, getattr(self, name))
        if int_value("trough_window_ns", self.trough_window_ns) < 0:
            raise ValueError(f"trough_window_ns={self.trough_window_ns} must be >= 0")


def crash_metrics(
    t_ns: ArrayLike,
    price: ArrayLike,
    shock_start_ns: int,
    *,
    bid_depth: ArrayLike | None = None,
    spread: ArrayLike | None = None,
    windows: CrashWindows | None = None,
) -> CrashMetrics | None:
    w = windows if windows is not None else CrashWindows()
    t = as_int_1d("t_ns", t_ns)
    px = carry_forward(as_float_1d("price", price))
    same_length(t_ns=t, price=px)
    strictly_increasing("t_ns", t)
    shock = int_value("shock_start_ns", shock_start_ns)
    if t.size == 0 or not t[0] <= shock <= t[-1]:
        span = f"[{t[0]}, {t[-1]}]" if t.size else "(empty)"
        raise ValueError(f"shock_start_ns={shock} is outside the series' time span {span}")

    pre = _span(t, shock - w.peak_lookback_ns, shock)
    post = _span(t, shock, shock + w.trough_horizon_ns)
    if np.all(np.isnan(px[pre])) or np.all(np.isnan(px[post])):
        return None
    i_peak = pre.start + _last_argmax(px[pre])
    i_trough = post.start + int(np.nanargmin(px[post]))
    peak, trough = float(px[i_peak]), float(px[i_trough])
    drop = peak - trough
    if not peak > 0 or 100.0 * drop / peak < w.min_drop_pct or drop <= 0:
        return None

    a, b = _shortest_fall(t, px, i_peak, i_trough, w.fast_leg_share * drop)
    baseline = _span(t, shock - w.baseline_ns, shock - 1)
    near = _span(t, int(t[i_trough]) - w.trough_window_ns, int(t[i_trough]) + w.trough_window_ns)
    return CrashMetrics(
        peak=peak,
        peak_ns=int(t[i_peak]),
        trough=trough,
        trough_ns=int(t[i_trough]),
        peak_to_trough_pct=100.0 * drop / peak,
        minutes_shock_to_bottom=(int(t[i_trough]) - shock) / NS_PER_MINUTE,
        fast_leg_minutes=(int(t[b]) - int(t[a])) / NS_PER_MINUTE,
        fast_leg_start_ns=int(t[a]),
        fast_leg_end_ns=int(t[b]),
        recovered_pct_25min=_recovered_pct(t, px, i_trough, w.recovery_ns, trough, drop),
        buy_depth_at_trough_pct_of_baseline=_depth_pct(bid_depth, t.size, near, baseline),
        spread_multiple_at_trough=_spread_multiple(spread, t.size, near, baseline),
    )


def _span(t: NDArray[np.int64], lo_ns: int, hi_ns: int) -> slice:
    """Samples with lo_ns <= t <= hi_ns."""
    return slice(
        int(np.searchsorted(t, lo_ns, side="left")), int(np.searchsorted(t, hi_ns, side="right"))
    )


def _last_argmax(x: NDArray[np.float64]) -> int:
    return x.size - 1 - int(np.nanargmax(x[::-1]))


def _shortest_fall(
    t: NDArray[np.int64], px: NDArray[np.float64], start: int, end: int, need: float
) -> tuple[int, int]:
    """Shortest [a, b] within [start, end] with px[a] - px[b] >= need.

    For each b the best a is the latest earlier sample at least `need` higher. Only samples
    higher than every later one can be that a, and they form a stack of falling prices, so a
    binary search answers each b: O(n log n)."""
    tol = need * _ROUNDING
    stack: list[int] = []
    neg_px: list[float] = []  # -price of the stack, ascending, for bisect
    best = (start, end)
    for b in range(start, end + 1):
        p = float(px[b])
        j = bisect_right(neg_px, -(p + need - tol))
        if j:
            a = stack[j - 1]
            if t[b] - t[a] < t[best[1]] - t[best[0]]:
                best = (a, b)
        while neg_px and -neg_px[-1] <= p:
            stack.pop()
            neg_px.pop()
        stack.append(b)
        neg_px.append(-p)
    return best


def _recovered_pct(
    t: NDArray[np.int64],
    px: NDArray[np.float64],
    i_trough: int,
    recovery_ns: int,
    trough: float,
    drop: float,
) -> float | None:
    target = int(t[i_trough]) + recovery_ns
    if t[-1] < target:
        return None
    i = int(np.searchsorted(t, target, side="right")) - 1
    return 100.0 * (float(px[i]) - trough) / drop


def _aligned(name: str, values: ArrayLike, n: int) -> NDArray[np.float64]:
    arr = as_float_1d(name, values)
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} samples, the price series {n}")
    return arr


def _depth_pct(bid_depth: ArrayLike | None, n: int, near: slice, baseline: slice) -> float | None:
    if bid_depth is None:
        return None
    depth = _aligned("bid_depth", bid_depth, n)
    base, at = depth[baseline], depth[near]
    if np.all(np.isnan(base)) or np.all(np.isnan(at)):
        return None
    base_mean = float(np.nanmean(base))
    if not base_mean > 0:
        return None
    return 100.0 * float(np.nanmedian(at)) / base_mean


def _spread_multiple(
    spread: ArrayLike | None, n: int, near: slice, baseline: slice
) -> float | None:
    if spread is None:
        return None
    sp = _aligned("spread", spread, n)
    base = sp[baseline]
    if np.all(np.isnan(base)):
        return None
    base_median = float(np.nanmedian(base))
    if not base_median > 0:
        return None
    at = sp[near]
    if np.all(np.isnan(at)):
        return math.inf
    return float(np.nanmedian(at)) / base_median

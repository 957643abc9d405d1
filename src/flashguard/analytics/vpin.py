"""VPIN (Easley, López de Prado, O'Hara 2011/2012), computed causally.

Input: 1-minute bars of trades (volume v_i in lots, last price P_i in ticks).

1. Bucket size V (lots) = average daily volume / 50, from past days only: the caller passes V
   (`bucket_volume`) or the prior days' average daily volume (`prior_adv`), rounded to whole
   lots.
2. Bulk volume classification: buy_i = v_i * Phi(dP_i / sigma), sell_i = v_i - buy_i, where
   dP_i = P_i - P_{i-1} and sigma is the sample standard deviation (ddof=1) of the price
   changes of *earlier* bars only: all of them (`sigma_window=None`, expanding) or the last
   `sigma_window`. dP_i itself is not in its own sigma. Until `sigma_min_changes` earlier
   changes exist a bar is warm-up: it feeds sigma and is not bucketed. When sigma is 0 (all
   earlier changes equal) Phi(dP/0) takes its limit: 1 for a rise, 0 for a fall, 1/2 for none.
3. Buckets fill in bar order; a bar that overflows a bucket is split, every part classified
   with the bar's buy fraction.
4. VPIN after bucket k = sum over buckets k-n+1..k of |sell - buy| / (n V), n = `window` (50).
5. Signal: the causal empirical CDF of VPIN, cdf_k = #{j <= k : vpin_j <= vpin_k} / #{j <= k},
   over the values seen so far only (the paper's full-sample CDF looks ahead).

The batch function and the streaming class perform the same floating-point operations in the
same order, so they agree exactly, not merely to a tolerance: the CDF ranks ties, and a
rounding difference would move a rank.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr
from sortedcontainers import SortedList

from flashguard.analytics._checks import (
    as_int_1d,
    int_value,
    non_negative,
    non_negative_int,
    positive_finite,
    positive_int,
    same_length,
    strictly_increasing,
)

BUCKETS_PER_DAY = 50
WINDOW = 50
SIGMA_MIN_CHANGES = 30
TOXIC_CDF = 0.9  # the usual alarm level for the CDF


def bucket_volume_from_adv(prior_adv: float, buckets_per_day: int = BUCKETS_PER_DAY) -> int:
    """V = prior days' average daily volume / buckets_per_day, to whole lots (at least 1)."""
    adv = positive_finite("prior_adv", prior_adv)
    per_day = positive_int("buckets_per_day", buckets_per_day)
    return max(1, round(adv / per_day))


def _resolve_bucket_volume(
    bucket_volume: int | None, prior_adv: float | None, buckets_per_day: int
) -> int:
    if (bucket_volume is None) == (prior_adv is None):
        raise ValueError(
            f"pass exactly one of bucket_volume={bucket_volume!r} and prior_adv={prior_adv!r}"
        )
    if bucket_volume is not None:
        return positive_int("bucket_volume", bucket_volume)
    assert prior_adv is not None
    return bucket_volume_from_adv(prior_adv, buckets_per_day)


def _check_sigma_params(sigma_window: int | None, sigma_min_changes: int) -> None:
    if sigma_min_changes < 2:
        raise ValueError(f"sigma_min_changes={sigma_min_changes} must be >= 2 (ddof=1)")
    if sigma_window is not None and sigma_window < sigma_min_changes:
        raise ValueError(
            f"sigma_window={sigma_window} must be >= sigma_min_changes={sigma_min_changes}"
        )


@dataclass(frozen=True, slots=True, eq=False)  # arrays: compare fields, not objects
class VpinResult:
    """One row per completed bucket. vpin and cdf are NaN for the first window-1 buckets."""

    bucket_volume: int
    bar_index: NDArray[np.intp]  # the input bar that completed the bucket
    end_ns: NDArray[np.int64]  # that bar's time
    buy_volume: NDArray[np.float64]
    sell_volume: NDArray[np.float64]
    vpin: NDArray[np.float64]
    cdf: NDArray[np.float64]


def vpin(
    t_ns: ArrayLike,
    volume: ArrayLike,
    price: ArrayLike,
    *,
    bucket_volume: int | None = None,
    prior_adv: float | None = None,
    window: int = WINDOW,
    buckets_per_day: int = BUCKETS_PER_DAY,
    sigma_window: int | None = None,
    sigma_min_changes: int = SIGMA_MIN_CHANGES,
) -> VpinResult:
    """Batch VPIN over bars (t_ns strictly increasing, volume in lots, price in ticks)."""
    big_v = _resolve_bucket_volume(bucket_volume, prior_adv, buckets_per_day)
    window = positive_int("window", window)
    if sigma_window is not None:
        sigma_window = positive_int("sigma_window", sigma_window)
    sigma_min_changes = positive_int("sigma_min_changes", sigma_min_changes)
    _check_sigma_params(sigma_window, sigma_min_changes)
    t = as_int_1d("t_ns", t_ns)
    vol = as_int_1d("volume", volume)
    px = as_int_1d("price", price)
    same_length(t_ns=t, volume=vol, price=px)
    strictly_increasing("t_ns", t)
    non_negative("volume", vol)

    bars, buy_frac = _classify(px, sigma_window, sigma_min_changes)
    buy, bucket_bar = _fill_buckets(vol[bars], buy_frac, big_v)
    bar_index = bars[bucket_bar]
    sell = float(big_v) - buy
    vp = _window_vpin(np.abs(sell - buy), window, big_v)
    return VpinResult(
        bucket_volume=big_v,
        bar_index=bar_index,
        end_ns=t[bar_index],
        buy_volume=buy,
        sell_volume=sell,
        vpin=vp,
        cdf=_causal_cdf(vp),
    )


def _classify(
    px: NDArray[np.int64], sigma_window: int | None, min_changes: int
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Bars past warm-up, and each one's buy fraction Phi(dP / sigma of earlier dP)."""
    n = px.shape[0]
    if n < 2:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    dp = np.diff(px)
    # Exact integer running sums (Python ints): no overflow, no cancellation in the variance.
    dpo = dp.astype(object)
    s1 = np.concatenate(([0], np.cumsum(dpo)))
    s2 = np.concatenate(([0], np.cumsum(dpo * dpo)))
    bar = np.arange(1, n)
    hi = bar - 1  # bar i sees the changes of bars 1..i-1: dp[0 : i-1]
    lo = np.zeros_like(hi) if sigma_window is None else np.maximum(hi - sigma_window, 0)
    m = hi - lo
    keep = m >= min_changes
    bar, hi, lo, m = bar[keep], hi[keep], lo[keep], m[keep]
    if bar.size == 0:
        return bar, np.zeros(0)
    mo = m.astype(object)
    a = s1[hi] - s1[lo]
    b = s2[hi] - s2[lo]
    var = np.asarray((mo * b - a * a) / (mo * (mo - 1)), dtype=np.float64)
    sigma = np.sqrt(var)
    move = dp[bar - 1].astype(np.float64)
    flat = sigma == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = ndtr(move / np.where(flat, 1.0, sigma))
    frac = np.where(flat, 0.5 * (1.0 + np.sign(move)), frac)
    return bar.astype(np.intp), np.asarray(frac, dtype=np.float64)


def _fill_buckets(
    vol: NDArray[np.int64], frac: NDArray[np.float64], big_v: int
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Buy volume of each complete bucket and the (local) index of the bar completing it."""
    if vol.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.intp)
    cum = np.cumsum(vol)
    n_buckets = int(cum[-1]) // big_v
    if n_buckets == 0:
        return np.zeros(0), np.zeros(0, dtype=np.intp)
    edges = big_v * np.arange(1, n_buckets + 1, dtype=np.int64)
    ends = np.sort(np.concatenate((cum[cum <= edges[-1]], edges)))
    ends = ends[np.r_[True, ends[1:] != ends[:-1]] & (ends > 0)]  # distinct, non-empty pieces
    starts = np.concatenate(([0], ends[:-1]))
    # Each piece (start, end] lies inside one bar and one bucket.
    piece_bar = np.searchsorted(cum, ends, side="left")
    piece_bucket = (ends - 1) // big_v
    piece_buy = (ends - starts) * frac[piece_bar]
    buy = np.bincount(piece_bucket, weights=piece_buy, minlength=n_buckets).astype(np.float64)
    return buy, np.searchsorted(cum, edges, side="left").astype(np.intp)


def _window_vpin(imbalance: NDArray[np.float64], window: int, big_v: int) -> NDArray[np.float64]:
    # A running total and a difference: the same operations the streaming class does in O(1).
    total = np.concatenate(([0.0], np.cumsum(imbalance)))
    out = np.full(imbalance.shape[0], np.nan)
    if imbalance.shape[0] >= window:
        diff = (total[window:] - total[:-window]) / float(window * big_v)
        out[window - 1 :] = np.clip(diff, 0.0, 1.0)  # rounding guard only
    return out


def _causal_cdf(values: NDArray[np.float64]) -> NDArray[np.float64]:
    seen: SortedList = SortedList()
    out = np.full(values.shape[0], np.nan)
    for k, x in enumerate(values.tolist()):
        if not math.isnan(x):
            seen.add(x)
            out[k] = seen.bisect_right(x) / len(seen)
    return out


class Vpin:
    """Streaming VPIN: `on_bar` per 1-minute bar, O(1) amortised (plus O(log n) for the CDF).

    Same parameters and definitions as `vpin`; the outputs agree exactly.
    """

    __slots__ = (
        "_big_v",
        "_buy",
        "_changes",
        "_count",
        "_denom",
        "_filled",
        "_last_t",
        "_min_changes",
        "_prev_price",
        "_s1",
        "_s2",
        "_seen",
        "_sigma_window",
        "_total",
        "_totals",
        "_window",
        "buckets",
    )

    def __init__(
        self,
        *,
        bucket_volume: int | None = None,
        prior_adv: float | None = None,
        window: int = WINDOW,
        buckets_per_day: int = BUCKETS_PER_DAY,
        sigma_window: int | None = None,
        sigma_min_changes: int = SIGMA_MIN_CHANGES,
    ) -> None:
        self._big_v = _resolve_bucket_volume(bucket_volume, prior_adv, buckets_per_day)
        window = positive_int("window", window)
        if sigma_window is not None:
            sigma_window = positive_int("sigma_window", sigma_window)
        self._min_changes = positive_int("sigma_min_changes", sigma_min_changes)
        _check_sigma_params(sigma_window, self._min_changes)
        self._sigma_window = sigma_window
        self._window = window
        self._denom = float(window * self._big_v)
        self._changes: deque[int] = deque()
        self._count = 0  # price changes in the sigma sample
        self._s1 = 0
        self._s2 = 0
        self._prev_price: int | None = None
        self._last_t: int | None = None
        self._filled = 0
        self._buy = 0.0
        self._total = 0.0
        self._totals: deque[float] = deque([0.0], maxlen=window + 1)
        self._seen: SortedList = SortedList()
        self.buckets = 0  # completed buckets

    @property
    def bucket_volume(self) -> int:
        return self._big_v

    def on_bar(self, t_ns: int, volume: int, price: int) -> tuple[float, float] | None:
        """(vpin, cdf) of the last bucket this bar completed, or None if it completed none
        (or VPIN is still warming up)."""
        t_ns = int_value("t_ns", t_ns)
        volume = non_negative_int("volume", volume)
        price = int_value("price", price)
        if self._last_t is not None and t_ns <= self._last_t:
            raise ValueError(f"t_ns={t_ns} must be after the previous bar at {self._last_t}")
        self._last_t = t_ns
        prev, self._prev_price = self._prev_price, price
        if prev is None:
            return None
        move = price - prev
        frac = self._buy_fraction(move) if self._count >= self._min_changes else None
        self._add_change(move)
        return None if frac is None else self._fill(volume, frac)

    def _buy_fraction(self, move: int) -> float:
        m = self._count
        sigma = math.sqrt((m * self._s2 - self._s1 * self._s1) / (m * (m - 1)))
        if sigma == 0.0:
            return 1.0 if move > 0 else 0.0 if move < 0 else 0.5
        return float(ndtr(move / sigma))

    def _add_change(self, move: int) -> None:
        self._s1 += move
        self._s2 += move * move
        self._count += 1
        if self._sigma_window is not None:  # expanding needs only the count and the sums
            self._changes.append(move)
            if self._count > self._sigma_window:
                old = self._changes.popleft()
                self._s1 -= old
                self._s2 -= old * old
                self._count -= 1

    def _fill(self, volume: int, frac: float) -> tuple[float, float] | None:
        out = None
        big_v = self._big_v
        while volume > 0:
            take = min(volume, big_v - self._filled)
            self._buy += take * frac
            self._filled += take
            volume -= take
            if self._filled == big_v:
                out = self._close_bucket()
        return out

    def _close_bucket(self) -> tuple[float, float] | None:
        buy = self._buy
        sell = float(self._big_v) - buy
        self._buy, self._filled = 0.0, 0
        self.buckets += 1
        self._total += abs(sell - buy)
        self._totals.append(self._total)
        if self.buckets < self._window:
            return None
        value = min(max((self._totals[-1] - self._totals[0]) / self._denom, 0.0), 1.0)
        self._seen.add(value)
        return value, self._seen.bisect_right(value) / len(self._seen)

"""The stylized facts of returns (Cont 2001) that a background market should show.

From a price series sampled once a second: 1-minute and 5-minute log returns (every 60th and
300th sample), then
- acf_r_1min: autocorrelation of 1-minute returns at lags 1..10 (should be ~0);
- acf_abs_r_1min: autocorrelation of absolute 1-minute returns at lags 1..10 (volatility
  clustering: positive, slowly decaying);
- excess_kurtosis_1min / _5min: heavy tails (> 0), falling as the interval grows.

Estimators: the sample ACF sum_t d_t d_{t+k} / sum_t d_t^2 with d = x - mean(x) (the usual
biased form, bounded by 1 in size); excess kurtosis m4 / m2^2 - 3 with central moments
(the population form, as scipy.stats.kurtosis with bias=True).

Missing data: a NaN second means "no new price" and takes the last known price; leading NaNs
are dropped. Undefined statistics are None, never a made-up 0.0: an ACF lag needs more
returns than the lag and a non-constant series, a kurtosis at least 4 returns and nonzero
variance. A constant price series therefore gives lists of None and None kurtoses.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

from flashguard.analytics._checks import as_float_1d, positive_int, positive_or_nan
from flashguard.analytics.bars import carry_forward

SECONDS_PER_MINUTE = 60
MAX_LAG = 10


class StylizedFacts(TypedDict):
    acf_r_1min: list[float | None]
    acf_abs_r_1min: list[float | None]
    excess_kurtosis_1min: float | None
    excess_kurtosis_5min: float | None


def acf(x: ArrayLike, max_lag: int = MAX_LAG) -> list[float | None]:
    """Sample autocorrelation at lags 1..max_lag (None where undefined)."""
    max_lag = positive_int("max_lag", max_lag)
    v = as_float_1d("x", x)
    if v.size == 0 or np.ptp(v) == 0:  # exact test: a mean's rounding must not fake variance
        return [None] * max_lag
    d = v - v.mean()
    denom = float(np.dot(d, d))
    if not denom > 0:  # NaN input
        return [None] * max_lag
    return [
        float(np.dot(d[:-k], d[k:]) / denom) if k < v.size else None for k in range(1, max_lag + 1)
    ]


def excess_kurtosis(x: ArrayLike) -> float | None:
    v = as_float_1d("x", x)
    if v.size < 4 or np.ptp(v) == 0:
        return None
    d = v - v.mean()
    m2 = float(np.mean(d * d))
    if not m2 > 0:
        return None
    m4 = float(np.mean(d**4))
    return m4 / (m2 * m2) - 3.0


def _returns_every(log_p: NDArray[np.float64], step: int) -> NDArray[np.float64]:
    return np.diff(log_p[::step])


def stylized_facts(prices_1s: ArrayLike) -> StylizedFacts:
    p = as_float_1d("prices_1s", prices_1s)
    positive_or_nan("prices_1s", p)
    filled = carry_forward(p)
    log_p = np.log(filled[~np.isnan(filled)])  # only leading NaNs remain
    r1 = _returns_every(log_p, SECONDS_PER_MINUTE)
    r5 = _returns_every(log_p, 5 * SECONDS_PER_MINUTE)
    return StylizedFacts(
        acf_r_1min=acf(r1),
        acf_abs_r_1min=acf(np.abs(r1)),
        excess_kurtosis_1min=excess_kurtosis(r1),
        excess_kurtosis_5min=excess_kurtosis(r5),
    )

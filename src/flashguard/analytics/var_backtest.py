"""VaR backtests on a series of exceptions (1 where the loss exceeded the VaR, else 0).

- Kupiec proportion of failures (POF): is the exception rate x/n the expected 1 - confidence?
  LR = -2 ln[(1-p)^(n-x) p^x] + 2 ln[(1-x/n)^(n-x) (x/n)^x], chi-squared with 1 degree of
  freedom; rejected at 95% when LR > 3.841.
- Christoffersen independence: do exceptions cluster? With n_ij the count of a state i
  followed by a state j, pi_01 = n01/(n00+n01), pi_11 = n11/(n10+n11), pi = (n01+n11)/N:
  LR = -2 ln[(1-pi)^(n00+n10) pi^(n01+n11)] + 2 ln[(1-pi_01)^n00 pi_01^n01 (1-pi_11)^n10
  pi_11^n11], chi-squared with 1 degree of freedom.
- Conditional coverage: LR_pof + LR_ind, chi-squared with 2 degrees of freedom (5.991).
0 ln 0 is taken as 0 throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy
from scipy.stats import chi2

CRITICAL_1DOF_95 = 3.841
CRITICAL_2DOF_95 = 5.991


@dataclass(frozen=True)
class TestResult:
    statistic: float  # the likelihood ratio
    p_value: float
    dof: int
    reject: bool  # at 95%


@dataclass(frozen=True)
class KupiecResult(TestResult):
    n: int
    exceptions: int
    expected_rate: float
    observed_rate: float


@dataclass(frozen=True)
class ChristoffersenResult(TestResult):
    n00: int
    n01: int
    n10: int
    n11: int


def exceptions_of(pnl: ArrayLike, var: ArrayLike) -> NDArray[np.bool_]:
    """1 where the loss (-pnl) exceeded the VaR forecast for that period."""
    p = np.asarray(pnl, dtype=np.float64)
    v = np.broadcast_to(np.asarray(var, dtype=np.float64), p.shape)
    return -p > v


def _hits(exceptions: ArrayLike) -> NDArray[np.int64]:
    x = np.asarray(exceptions)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"exceptions must be a non-empty 1-d series, got shape {x.shape}")
    if not np.isin(x, (0, 1)).all():
        raise ValueError("exceptions must hold only 0/1 (or False/True)")
    return x.astype(np.int64)


def _ll(k: float, n: float, p: float) -> float:
    """log of p^k (1-p)^(n-k), with 0 ln 0 = 0."""
    return float(xlogy(k, p) + xlogy(n - k, 1.0 - p))


def kupiec_pof(exceptions: ArrayLike, coverage: float) -> KupiecResult:
    """coverage: the expected exception rate, 1 - confidence (0.01 for a 99% VaR)."""
    if not 0 < coverage < 1:
        raise ValueError(f"coverage={coverage} must be in (0, 1)")
    hits = _hits(exceptions)
    n, x = int(hits.size), int(hits.sum())
    lr = -2.0 * (_ll(x, n, coverage) - _ll(x, n, x / n))
    lr = max(lr, 0.0)
    return KupiecResult(
        statistic=lr,
        p_value=float(chi2.sf(lr, 1)),
        dof=1,
        reject=lr > CRITICAL_1DOF_95,
        n=n,
        exceptions=x,
        expected_rate=coverage,
        observed_rate=x / n,
    )


def christoffersen_independence(exceptions: ArrayLike) -> ChristoffersenResult:
    hits = _hits(exceptions)
    if hits.size < 2:
        raise ValueError("independence needs at least 2 observations")
    prev, cur = hits[:-1], hits[1:]
    n00 = int(np.sum((prev == 0) & (cur == 0)))
    n01 = int(np.sum((prev == 0) & (cur == 1)))
    n10 = int(np.sum((prev == 1) & (cur == 0)))
    n11 = int(np.sum((prev == 1) & (cur == 1)))
    from_0, from_1 = n00 + n01, n10 + n11
    pi01 = n01 / from_0 if from_0 else 0.0
    pi11 = n11 / from_1 if from_1 else 0.0
    pi = (n01 + n11) / (from_0 + from_1)
    restricted = _ll(n01 + n11, from_0 + from_1, pi)
    unrestricted = _ll(n01, from_0, pi01) + _ll(n11, from_1, pi11)
    lr = max(-2.0 * (restricted - unrestricted), 0.0)
    return ChristoffersenResult(
        statistic=lr,
        p_value=float(chi2.sf(lr, 1)),
        dof=1,
        reject=lr > CRITICAL_1DOF_95,
        n00=n00,
        n01=n01,
        n10=n10,
        n11=n11,
    )


def conditional_coverage(exceptions: ArrayLike, coverage: float) -> TestResult:
    """Kupiec and Christoffersen together: right rate and no clustering."""
    lr = kupiec_pof(exceptions, coverage).statistic
    lr += christoffersen_independence(exceptions).statistic
    return TestResult(
        statistic=lr, p_value=float(chi2.sf(lr, 2)), dof=2, reject=lr > CRITICAL_2DOF_95
    )

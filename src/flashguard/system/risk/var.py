"""Value at Risk and Expected Shortfall of a P&L (or return) series, as positive losses.

- historical: the k-th worst outcome, k = ceil(n * (1 - confidence)); ES is the mean of the
  k worst outcomes at the ES confidence;
- parametric (normal): VaR = z * sigma - mu, ES = sigma * phi(z) / (1 - confidence) - mu,
  with the sample mean and standard deviation (ddof=1);
- EWMA (RiskMetrics): zero mean, sigma^2 = sum of w_i x_i^2 with weights proportional to
  lambda^(n-1-i) over the window (lambda 0.94), normalised to one; VaR = z * sigma.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

EWMA_LAMBDA = 0.94


def _series(pnl: ArrayLike, least: int = 1) -> NDArray[np.float64]:
    x = np.asarray(pnl, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"pnl must be one-dimensional, got shape {x.shape}")
    if x.size < least:
        raise ValueError(f"pnl has {x.size} values, need at least {least}")
    if not np.all(np.isfinite(x)):
        raise ValueError("pnl must be finite")
    return x


def _check_confidence(confidence: float) -> None:
    if not 0.5 < confidence < 1:
        raise ValueError(f"confidence={confidence} must be in (0.5, 1)")


def tail_count(n: int, confidence: float) -> int:
    """How many of n outcomes lie in the tail; the small epsilon keeps 100 * 0.01 at 1."""
    return max(1, math.ceil(n * (1.0 - confidence) - 1e-9))


def historical_var(pnl: ArrayLike, confidence: float) -> float:
    _check_confidence(confidence)
    return _var_of_sorted(np.sort(_series(pnl)), confidence)


def historical_es(pnl: ArrayLike, confidence: float) -> float:
    _check_confidence(confidence)
    return _es_of_sorted(np.sort(_series(pnl)), confidence)


def _var_of_sorted(x: NDArray[np.float64], confidence: float) -> float:
    return float(-x[tail_count(x.size, confidence) - 1])


def _es_of_sorted(x: NDArray[np.float64], confidence: float) -> float:
    return float(-x[: tail_count(x.size, confidence)].mean())


def parametric_var(pnl: ArrayLike, confidence: float) -> float:
    _check_confidence(confidence)
    x = _series(pnl, 2)
    return float(norm.ppf(confidence) * x.std(ddof=1) - x.mean())


def parametric_es(pnl: ArrayLike, confidence: float) -> float:
    _check_confidence(confidence)
    x = _series(pnl, 2)
    z = norm.ppf(confidence)
    return float(x.std(ddof=1) * norm.pdf(z) / (1.0 - confidence) - x.mean())


def ewma_sigma(pnl: ArrayLike, lam: float = EWMA_LAMBDA) -> float:
    if not 0 < lam < 1:
        raise ValueError(f"lam={lam} must be in (0, 1)")
    x = _series(pnl)
    w = lam ** np.arange(x.size - 1, -1, -1, dtype=np.float64)  # newest weighs 1
    return float(math.sqrt(np.dot(w, x * x) / w.sum()))


def ewma_var(pnl: ArrayLike, confidence: float, lam: float = EWMA_LAMBDA) -> float:
    _check_confidence(confidence)
    return float(norm.ppf(confidence) * ewma_sigma(pnl, lam))


def ewma_es(pnl: ArrayLike, confidence: float, lam: float = EWMA_LAMBDA) -> float:
    _check_confidence(confidence)
    z = norm.ppf(confidence)
    return float(ewma_sigma(pnl, lam) * norm.pdf(z) / (1.0 - confidence))


def var_es(
    pnl: ArrayLike,
    method: str,
    var_confidence: float,
    es_confidence: float,
    lam: float = EWMA_LAMBDA,
) -> tuple[float, float]:
    """(VaR, ES) by one method: "historical", "parametric" or "ewma"."""
    if method == "historical":
        # historical_var and historical_es, with one sort between them
        _check_confidence(var_confidence)
        x = np.sort(_series(pnl))
        _check_confidence(es_confidence)
        return _var_of_sorted(x, var_confidence), _es_of_sorted(x, es_confidence)
    if method == "parametric":
        return parametric_var(pnl, var_confidence), parametric_es(pnl, es_confidence)
    if method == "ewma":
        return ewma_var(pnl, var_confidence, lam), ewma_es(pnl, es_confidence, lam)
    raise ValueError(f"method={method!r} must be historical, parametric or ewma")

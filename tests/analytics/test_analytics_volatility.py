"""Realized volatility: closed forms, and the streaming window against the batch one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flashguard.analytics.volatility import (
    RealizedVol,
    log_returns,
    realized_volatility,
    rolling_realized_volatility,
)


def alternating(x: float, n_returns: int, start: float = 250.0) -> np.ndarray:
    """Prices whose log returns are +x, -x, +x, ..."""
    return start * np.exp(x * (np.arange(n_returns + 1) % 2))


def test_constant_price_has_zero_volatility() -> None:
    p = np.full(100, 4321)
    assert realized_volatility(p) == 0.0
    assert realized_volatility(p, periods_per_year=252 * 390) == 0.0
    assert np.all(rolling_realized_volatility(p, 10)[10:] == 0.0)
    rv = RealizedVol(10)
    outs = [rv.on_price(float(x)) for x in p]
    assert outs[:10] == [None] * 10
    assert outs[10:] == [0.0] * 90


def test_alternating_returns_closed_form() -> None:
    x, n = 0.003, 40
    p = alternating(x, n)
    assert realized_volatility(p) == pytest.approx(x * math.sqrt(n), rel=1e-12)
    ppy = 252 * 390
    assert realized_volatility(p, periods_per_year=ppy) == pytest.approx(
        x * math.sqrt(ppy), rel=1e-12
    )
    roll = rolling_realized_volatility(p, 8)
    assert np.all(np.isnan(roll[:8]))
    np.testing.assert_allclose(roll[8:], x * math.sqrt(8), rtol=1e-12)
    rv = RealizedVol(8)
    outs = [rv.on_price(float(v)) for v in p]
    assert outs[8:] == pytest.approx([x * math.sqrt(8)] * (n - 7), rel=1e-12)


def test_known_returns() -> None:
    r = np.array([0.01, -0.02, 0.005])
    p = 100 * np.exp(np.concatenate(([0.0], np.cumsum(r))))
    np.testing.assert_allclose(log_returns(p), r, atol=1e-15)
    assert realized_volatility(p) == pytest.approx(math.sqrt(0.0001 + 0.0004 + 0.000025))
    assert realized_volatility(p, periods_per_year=12) == pytest.approx(
        math.sqrt(12 * (0.0001 + 0.0004 + 0.000025) / 3)
    )
    assert realized_volatility([100.0]) == 0.0


def test_stream_matches_batch_and_flat_stretch_reads_zero() -> None:
    rng = np.random.default_rng(3)
    wild = 1000 * np.exp(np.cumsum(rng.normal(0, 0.05, 3000)))
    p = np.concatenate((wild, np.full(200, wild[-1])))  # a storm, then nothing moves
    w = 50
    batch = rolling_realized_volatility(p, w, periods_per_year=1000)
    rv = RealizedVol(w, periods_per_year=1000)
    stream = np.array([np.nan if (v := rv.on_price(float(x))) is None else v for x in p])
    np.testing.assert_allclose(stream, batch, rtol=1e-12, equal_nan=True)
    assert np.all(stream[-150:] == 0.0)
    assert rv.value == 0.0


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"prices must be finite and > 0: prices\[1\]=0.0"):
        realized_volatility([1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="periods_per_year=-1"):
        realized_volatility([1.0, 2.0], periods_per_year=-1)
    with pytest.raises(ValueError, match="window=0"):
        RealizedVol(0)
    with pytest.raises(ValueError, match="price=nan"):
        RealizedVol(3).on_price(math.nan)

"""Stylized facts on series whose answers are known: iid, GARCH(1,1), AR(1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flashguard.analytics.stylized import acf, excess_kurtosis, stylized_facts


def prices_from_minute_returns(r: np.ndarray) -> np.ndarray:
    """A 1-second series holding each minute's price for 60 seconds."""
    return np.repeat(100.0 * np.exp(np.concatenate(([0.0], np.cumsum(r)))), 60)


def garch_t(n: int, seed: int, a: float = 0.05, b: float = 0.9, df: int = 5) -> np.ndarray:
    """GARCH(1,1) with unit-variance Student-t innovations. Heavy-tailed innovations make the
    kurtosis fall under aggregation; with Gaussian ones and strong ARCH effects it can rise
    at short horizons, which is GARCH, not a bug."""
    rng = np.random.default_rng(seed)
    z = rng.standard_t(df, n) * math.sqrt((df - 2) / df)
    w = 1e-6 * (1 - a - b)
    h = 1e-6
    r = np.empty(n)
    for i in range(n):
        r[i] = math.sqrt(h) * z[i]
        h = w + a * r[i] * r[i] + b * h
    return r


def test_iid_gaussian_has_no_structure() -> None:
    rng = np.random.default_rng(1)
    seconds = 5 * 86_400
    p = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-4, seconds)))
    f = stylized_facts(p)
    assert len(f["acf_r_1min"]) == len(f["acf_abs_r_1min"]) == 10
    assert max(abs(x) for x in f["acf_r_1min"]) < 0.06  # 7,200 returns: 1 s.e. ~ 0.012
    assert max(abs(x) for x in f["acf_abs_r_1min"]) < 0.06
    assert abs(f["excess_kurtosis_1min"]) < 0.3
    assert abs(f["excess_kurtosis_5min"]) < 0.6


def test_garch_clusters_and_has_heavy_tails_that_thin_with_aggregation() -> None:
    f = stylized_facts(prices_from_minute_returns(garch_t(30_000, seed=0)))
    assert min(f["acf_abs_r_1min"]) > 0.02  # volatility clustering at every lag
    assert max(abs(x) for x in f["acf_r_1min"]) < 0.05  # but no linear predictability
    assert f["excess_kurtosis_1min"] > 2.0
    assert 0 < f["excess_kurtosis_5min"] < f["excess_kurtosis_1min"]


def test_ar1_lag_one_acf() -> None:
    rng = np.random.default_rng(4)
    phi, n = 0.4, 20_000
    e = rng.normal(0.0, 1e-3, n)
    r = np.empty(n)
    r[0] = e[0]
    for i in range(1, n):
        r[i] = phi * r[i - 1] + e[i]
    f = stylized_facts(prices_from_minute_returns(r))
    assert f["acf_r_1min"][0] == pytest.approx(phi, abs=0.03)
    assert f["acf_r_1min"][1] == pytest.approx(phi**2, abs=0.03)


def test_sampling_takes_every_sixtieth_second() -> None:
    # Noise inside the minute must not leak into 1-minute returns.
    rng = np.random.default_rng(8)
    r = rng.normal(0.0, 1e-3, 2_000)
    p = prices_from_minute_returns(r)
    wiggle = p * (1 + 1e-3 * rng.standard_normal(p.size))
    wiggle[::60] = p[::60]
    assert stylized_facts(wiggle) == stylized_facts(p)
    assert acf(r) == pytest.approx(stylized_facts(p)["acf_r_1min"], abs=1e-9)


def test_constant_and_short_series_give_none() -> None:
    f = stylized_facts(np.full(3_600, 250.0))
    assert f["acf_r_1min"] == [None] * 10
    assert f["acf_abs_r_1min"] == [None] * 10
    assert f["excess_kurtosis_1min"] is None and f["excess_kurtosis_5min"] is None
    empty = stylized_facts(np.array([]))
    assert empty["acf_r_1min"] == [None] * 10 and empty["excess_kurtosis_1min"] is None
    # 5 one-minute returns: lags 1..4 exist, 5..10 do not; too few 5-minute returns
    rng = np.random.default_rng(0)
    short = stylized_facts(prices_from_minute_returns(rng.normal(0, 1e-3, 5)))
    assert all(x is not None for x in short["acf_r_1min"][:4])
    assert short["acf_r_1min"][4:] == [None] * 6
    assert short["excess_kurtosis_1min"] is not None
    assert short["excess_kurtosis_5min"] is None


def test_nan_seconds_carry_the_last_price() -> None:
    rng = np.random.default_rng(2)
    p = prices_from_minute_returns(rng.normal(0, 1e-3, 500))
    gappy = p.copy()
    gappy[(np.arange(p.size) % 60) != 0] = np.nan  # only the minute marks are known
    assert stylized_facts(gappy) == stylized_facts(p)
    late = p.copy()
    late[:60] = np.nan  # nothing known in the first minute: the series starts later
    assert stylized_facts(late) == stylized_facts(p[60:])
    assert stylized_facts(late) != stylized_facts(p)


def test_bad_prices_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"prices_1s must be finite and > 0.*prices_1s\[2\]=-1.0"):
        stylized_facts([1.0, 2.0, -1.0])
    with pytest.raises(ValueError, match=r"prices_1s\[0\]=inf"):
        stylized_facts([math.inf])


def test_kurtosis_known_values() -> None:
    assert excess_kurtosis([1.0, -1.0, 1.0, -1.0]) == pytest.approx(-2.0)  # two-point law
    assert excess_kurtosis([0, 0, 0, 0, 0, 0, 0, 0, 1, -1]) == pytest.approx(10 * 2 / 4 - 3)

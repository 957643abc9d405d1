"""Kupiec and Christoffersen on exception series whose rate and clustering are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flashguard.analytics.var_backtest import (
    christoffersen_independence,
    conditional_coverage,
    exceptions_of,
    kupiec_pof,
)


def test_kupiec_statistic_by_hand() -> None:
    hits = np.zeros(250, dtype=int)
    hits[[3, 40, 77, 100, 150, 170, 200, 249]] = 1  # 8 exceptions in 250 days at 99%
    p, x, n = 0.01, 8, 250
    lr = -2 * ((n - x) * math.log(1 - p) + x * math.log(p)) + 2 * (
        (n - x) * math.log(1 - x / n) + x * math.log(x / n)
    )
    res = kupiec_pof(hits, 0.01)
    assert res.statistic == pytest.approx(lr)
    assert (res.n, res.exceptions, res.observed_rate) == (250, 8, 0.032)
    assert res.reject and res.p_value < 0.05


def test_kupiec_at_the_expected_rate_and_with_no_exceptions() -> None:
    hits = np.zeros(1000, dtype=int)
    hits[::100] = 1  # exactly 1%
    res = kupiec_pof(hits, 0.01)
    assert res.statistic == pytest.approx(0.0) and res.p_value == pytest.approx(1.0)
    none = kupiec_pof(np.zeros(1000, dtype=int), 0.01)
    assert none.statistic == pytest.approx(-2 * 1000 * math.log(0.99))  # 20.1: too few is a fail


def test_iid_exceptions_at_the_right_rate_rarely_reject() -> None:
    rng = np.random.default_rng(2024)
    trials = 400
    pof = ind = 0
    for _ in range(trials):
        hits = rng.random(1000) < 0.01
        pof += kupiec_pof(hits, 0.01).reject
        ind += christoffersen_independence(hits).reject
    # a 95% test: about 5% false rejections (discreteness moves it a little)
    assert 0.005 < pof / trials < 0.10
    assert ind / trials < 0.10


def test_five_percent_exceptions_against_a_one_percent_var_reject() -> None:
    rng = np.random.default_rng(5)
    rejections = sum(kupiec_pof(rng.random(1000) < 0.05, 0.01).reject for _ in range(50))
    assert rejections == 50
    res = kupiec_pof(rng.random(1000) < 0.05, 0.01)
    assert res.statistic > 3.841 and res.p_value < 1e-6


def test_clustered_exceptions_fail_independence_not_coverage() -> None:
    hits = np.zeros(1000, dtype=int)
    hits[300:305] = 1
    hits[700:705] = 1  # 10 exceptions: exactly 1%, but in two bursts of 5
    assert not kupiec_pof(hits, 0.01).reject
    ind = christoffersen_independence(hits)
    assert (ind.n01, ind.n11, ind.n10) == (2, 8, 2)
    assert ind.reject and ind.statistic > 20
    assert conditional_coverage(hits, 0.01).reject


def test_transition_counts_by_hand() -> None:
    res = christoffersen_independence([0, 1, 1, 0, 1])
    assert (res.n00, res.n01, res.n10, res.n11) == (0, 2, 1, 1)
    even = christoffersen_independence([0, 1] * 50)  # alternating: anti-clustered
    assert even.reject


def test_exceptions_from_pnl_and_var_and_bad_series() -> None:
    pnl = np.array([-1.0, -3.0, 2.0, -2.5])
    assert exceptions_of(pnl, 2.0).tolist() == [False, True, False, True]
    assert exceptions_of(pnl, [0.5, 5.0, 1.0, 1.0]).tolist() == [True, False, False, True]
    with pytest.raises(ValueError, match="0/1"):
        kupiec_pof([0, 2, 1], 0.01)
    with pytest.raises(ValueError, match="coverage=0"):
        kupiec_pof([0, 1], 0)
    with pytest.raises(ValueError, match="non-empty"):
        christoffersen_independence([])

"""VaR and ES known answers: a fixed sample for historical, the closed form for normal P&L."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flashguard.system.risk import var

Z99 = 2.3263478740408408  # the standard normal's 99% quantile
ES975_FACTOR = 2.3378027922014726  # phi(z_0.975) / 0.025


def test_historical_var_and_es_on_a_fixed_sample() -> None:
    pnl = np.arange(-10, 90)  # 100 outcomes: -10, -9, ..., 89
    rng = np.random.default_rng(1)
    shuffled = rng.permutation(pnl)  # order must not matter
    assert var.historical_var(shuffled, 0.99) == 10  # the single worst
    assert var.historical_var(shuffled, 0.95) == 6  # the 5th worst: -6
    assert var.historical_es(shuffled, 0.975) == pytest.approx(9.0)  # mean of -10, -9, -8
    assert var.historical_es(shuffled, 0.95) == pytest.approx(8.0)  # mean of -10 .. -6


def test_tail_count_is_exact_at_round_numbers() -> None:
    assert var.tail_count(100, 0.99) == 1  # 100 * (1 - 0.99) is 1.0000000000000009 in floats
    assert var.tail_count(250, 0.99) == 3
    assert var.tail_count(1000, 0.975) == 25
    assert var.tail_count(10, 0.99) == 1


def test_parametric_var_and_es_of_normal_pnl_match_the_closed_form() -> None:
    mu, sigma = 0.001, 0.02
    pnl = np.random.default_rng(7).normal(mu, sigma, 400_000)
    assert var.parametric_var(pnl, 0.99) == pytest.approx(Z99 * sigma - mu, rel=5e-3)
    assert var.parametric_es(pnl, 0.975) == pytest.approx(ES975_FACTOR * sigma - mu, rel=5e-3)
    # historical agrees with parametric on normal data
    assert var.historical_var(pnl, 0.99) == pytest.approx(Z99 * sigma - mu, rel=2e-2)
    assert var.historical_es(pnl, 0.975) == pytest.approx(ES975_FACTOR * sigma - mu, rel=2e-2)


def test_parametric_var_uses_the_sample_moments_exactly() -> None:
    pnl = [1.0, -2.0, 3.0, -4.0, 5.0]
    mean = sum(pnl) / 5
    sd = math.sqrt(sum((x - mean) ** 2 for x in pnl) / 4)
    assert var.parametric_var(pnl, 0.99) == pytest.approx(Z99 * sd - mean, rel=1e-12)


def test_ewma_weights_recent_outcomes_by_lambda() -> None:
    a = 3.0
    assert var.ewma_sigma([a, -a, a, -a], 0.94) == pytest.approx(a)  # constant magnitude
    # [0, a]: weights 0.94 and 1 -> sigma^2 = a^2 / 1.94
    assert var.ewma_sigma([0.0, a], 0.94) == pytest.approx(a / math.sqrt(1.94))
    assert var.ewma_sigma([a, 0.0], 0.94) == pytest.approx(a * math.sqrt(0.94 / 1.94))
    assert var.ewma_var([0.0, a], 0.99) == pytest.approx(Z99 * a / math.sqrt(1.94))
    calm_then_storm = [0.1] * 50 + [5.0] * 5
    assert var.ewma_var(calm_then_storm, 0.99) > 2 * var.parametric_var(calm_then_storm, 0.99)


def test_var_es_dispatch_and_bad_input() -> None:
    pnl = np.arange(-10, 90)
    assert var.var_es(pnl, "historical", 0.99, 0.975) == (10.0, pytest.approx(9.0))
    with pytest.raises(ValueError, match=r"method='x'"):
        var.var_es(pnl, "x", 0.99, 0.975)
    with pytest.raises(ValueError, match=r"confidence=1\.5"):
        var.historical_var(pnl, 1.5)
    with pytest.raises(ValueError, match="at least 1"):
        var.historical_var([], 0.99)
    with pytest.raises(ValueError, match="finite"):
        var.parametric_var([1.0, float("nan")], 0.99)
    with pytest.raises(ValueError, match="lam=1"):
        var.ewma_sigma([1.0], 1)

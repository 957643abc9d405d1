"""Drawdown from the high-water mark, batch and streaming."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.analytics.drawdown import Drawdown, drawdown, max_drawdown


def test_known_curve() -> None:
    eq = [100, 120, 90, 130, 65, 70]
    d = drawdown(eq)
    assert d.high_water_mark.tolist() == [100, 120, 120, 130, 130, 130]
    assert d.amount.tolist() == [0, 0, 30, 0, 65, 60]
    assert d.amount.dtype.kind == "i"  # integer equity stays integer
    np.testing.assert_allclose(d.fraction, [0, 0, 0.25, 0, 0.5, 60 / 130])
    m = max_drawdown(eq)
    assert (m.amount, m.amount_peak, m.amount_trough) == (65, 3, 4)
    assert (m.fraction, m.fraction_peak, m.fraction_trough) == (0.5, 3, 4)


def test_largest_amount_and_largest_fraction_differ() -> None:
    m = max_drawdown([100.0, 50.0, 1000.0, 700.0])
    assert (m.amount, m.amount_peak, m.amount_trough) == (300.0, 2, 3)
    assert (m.fraction, m.fraction_peak, m.fraction_trough) == (0.5, 0, 1)


def test_peak_is_the_last_time_at_the_high_water_mark() -> None:
    m = max_drawdown([100, 100, 100, 80, 90])
    assert (m.amount_peak, m.amount_trough) == (2, 3)


def test_never_down_and_pnl_curve() -> None:
    m = max_drawdown([1, 2, 3])
    assert (m.amount, m.fraction) == (0, 0.0)
    d = drawdown([0, -10, 5, -5])  # P&L from zero: the fraction needs a positive mark
    assert d.amount.tolist() == [0, 10, 0, 10]
    assert np.isnan(d.fraction[:2]).all()
    np.testing.assert_array_equal(d.fraction[2:], [0.0, 2.0])
    assert math.isnan(max_drawdown([0, -1, -3]).fraction)


def test_bad_equity_names_the_field() -> None:
    with pytest.raises(ValueError, match="equity must not be empty"):
        drawdown([])
    with pytest.raises(ValueError, match=r"equity\[1\]=nan"):
        drawdown([1.0, math.nan])
    with pytest.raises(ValueError, match="equity='x'"):
        Drawdown().on_equity("x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="equity=inf"):
        Drawdown().on_equity(math.inf)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-1_000, 1_000_000), min_size=1, max_size=80))
def test_stream_agrees_with_batch(eq: list[int]) -> None:
    d = drawdown(eq)
    m = max_drawdown(eq)
    s = Drawdown()
    for i, x in enumerate(eq):
        amount, frac = s.on_equity(x)
        assert amount == d.amount[i]
        assert (math.isnan(frac) and math.isnan(d.fraction[i])) or frac == d.fraction[i]
    assert s.high_water_mark == max(eq)
    assert s.max_amount == m.amount
    assert (math.isnan(s.max_fraction) and math.isnan(m.fraction)) or s.max_fraction == m.fraction


def test_reset_starts_a_new_period() -> None:
    s = Drawdown()
    s.on_equity(100)
    s.on_equity(60)
    s.reset()
    assert s.on_equity(50) == (0, 0.0)
    assert s.on_equity(45) == (5, 0.1)
    assert s.max_amount == 5

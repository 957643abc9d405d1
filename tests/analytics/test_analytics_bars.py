"""Trades into bars, and observations onto a time grid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.analytics.bars import (
    Bar,
    BarBuilder,
    bars_from_trades,
    carry_forward,
    sample_last,
)

MIN = 60_000_000_000


def test_bars_from_trades_known_answer() -> None:
    t = [5, MIN - 1, MIN, MIN + 7, 3 * MIN + 2]
    px = [100, 101, 99, 98, 105]
    qty = [1, 2, 3, 4, 5]
    b = bars_from_trades(t, px, qty)
    assert b.start_ns.tolist() == [0, MIN, 3 * MIN]  # the empty minute makes no bar
    assert b.volume.tolist() == [3, 7, 5]
    assert b.price.tolist() == [101, 98, 105]


def test_bar_builder_emits_completed_bars() -> None:
    bb = BarBuilder()
    assert bb.on_trade(5, 100, 1) is None
    assert bb.on_trade(MIN - 1, 101, 2) is None
    assert bb.close_until(MIN - 1) is None  # the minute has not ended yet
    assert bb.close_until(MIN) == Bar(0, 3, 101)
    assert bb.on_trade(MIN + 1, 99, 4) is None
    assert bb.on_trade(2 * MIN, 98, 1) == Bar(MIN, 4, 99)
    assert bb.flush() == Bar(2 * MIN, 1, 98)
    assert bb.flush() is None


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3 * MIN), st.integers(1, 10**6), st.integers(0, 500)),
        max_size=60,
    )
)
def test_builder_and_batch_agree(trades) -> None:
    trades.sort(key=lambda x: x[0])
    t = np.array([x[0] for x in trades], dtype=np.int64)
    px = np.array([x[1] for x in trades], dtype=np.int64)
    q = np.array([x[2] for x in trades], dtype=np.int64)
    batch = bars_from_trades(t, px, q)
    bb = BarBuilder()
    got = [b for tr in trades if (b := bb.on_trade(*tr)) is not None]
    if (last := bb.flush()) is not None:
        got.append(last)
    assert [b.start_ns for b in got] == batch.start_ns.tolist()
    assert [b.volume for b in got] == batch.volume.tolist()
    assert [b.price for b in got] == batch.price.tolist()
    assert sum(b.volume for b in got) == int(q.sum())


def test_bad_trades_name_the_field() -> None:
    with pytest.raises(ValueError, match="t_ns must be non-decreasing"):
        bars_from_trades([2, 1], [1, 1], [1, 1])
    with pytest.raises(ValueError, match="qty must be >= 0"):
        bars_from_trades([1, 2], [1, 1], [1, -1])
    bb = BarBuilder()
    bb.on_trade(10, 1, 1)
    with pytest.raises(ValueError, match="t_ns=9 is before"):
        bb.on_trade(9, 1, 1)
    with pytest.raises(ValueError, match="qty=-2"):
        bb.on_trade(11, 1, -2)
    with pytest.raises(ValueError, match="bar_ns=0"):
        BarBuilder(0)


def test_sample_last_takes_the_price_known_at_each_time() -> None:
    out = sample_last([10, 20, 20, 35], [1.0, 2.0, 3.0, 4.0], [0, 10, 19, 20, 30, 40])
    np.testing.assert_array_equal(out, [np.nan, 1.0, 1.0, 3.0, 3.0, 4.0])


def test_carry_forward() -> None:
    out = carry_forward([np.nan, 1.0, np.nan, np.nan, 2.0, np.nan])
    np.testing.assert_array_equal(out, [np.nan, 1.0, 1.0, 1.0, 2.0, 2.0])

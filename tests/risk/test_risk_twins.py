"""Where the risk framework keeps its own streaming version of a number the project computes
elsewhere, the two agree where their meanings meet, and differ exactly where the docstrings
say they do:

- realized volatility: `risk.realized_vol.RealizedVol` (per time bucket, partial window from
  the first bucket) vs `analytics.volatility` (per price, nothing until the window is full);
- equity: the risk ledger (cash + position x mark, O(1) deltas, before fees) vs
  `system.portfolio.Portfolio` (FIFO lots, realized + unrealized at given marks)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from risk_rig import INSTRUMENTS, ROOMY, SEC, Rig, matrix

from flashguard.analytics.volatility import RealizedVol as AnalyticsVol
from flashguard.analytics.volatility import realized_volatility
from flashguard.core.events import Quote
from flashguard.system.portfolio import Portfolio
from flashguard.system.risk.limits import tick_value_micros
from flashguard.system.risk.realized_vol import RealizedVol

BUCKET = 1_000


def closes_through(vol: RealizedVol, closes: list[int]) -> None:
    """One mark per bucket, then one more to close the last bucket."""
    for i, price in enumerate(closes):
        vol.update(i * BUCKET, price)
    vol.update(len(closes) * BUCKET, closes[-1])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(9_000, 11_000), min_size=7, max_size=40), st.integers(2, 6))
def test_realized_vol_equals_the_analytics_convention_on_a_full_window(
    closes: list[int], window: int
) -> None:
    vol = RealizedVol(BUCKET, window)
    closes_through(vol, closes)
    expected = realized_volatility(closes[-window - 1:]) * 10_000
    assert vol.vol_bps == pytest.approx(expected, rel=1e-12, abs=1e-9)
    streaming = AnalyticsVol(window)
    for p in closes:
        last = streaming.on_price(float(p))
    assert last is not None and vol.vol_bps == pytest.approx(last * 10_000, rel=1e-9)


def test_realized_vol_registers_before_the_window_is_full_where_analytics_waits() -> None:
    closes = [10_000, 9_500, 9_000]  # a crash in the first buckets of a session
    vol = RealizedVol(BUCKET, 60)
    closes_through(vol, closes)
    streaming = AnalyticsVol(60)
    assert [streaming.on_price(float(p)) for p in closes] == [None, None, None]
    partial = math.sqrt(math.log(9_500 / 10_000) ** 2 + math.log(9_000 / 9_500) ** 2)
    assert vol.vol_bps == pytest.approx(partial * 10_000)


def test_realized_vol_counts_a_bucket_without_a_price_as_no_move() -> None:
    vol = RealizedVol(BUCKET, 3)
    vol.update(0, 10_000)
    vol.update(BUCKET, 10_100)
    vol.update(4 * BUCKET, 10_100)  # buckets 2 and 3 had no mark: two zero returns
    assert vol.vol_bps == pytest.approx(abs(math.log(10_100 / 10_000)) * 10_000)
    vol.update(5 * BUCKET, 10_100)  # the move leaves the 3-bucket window
    assert vol.vol_bps == 0.0


fills = st.lists(
    st.tuples(st.sampled_from(["s1", "s2"]), st.sampled_from(["ABC", "ES"]),
              st.sampled_from([1, -1]), st.integers(-40, 40), st.integers(1, 9),
              st.integers(-60, 60)),
    min_size=1, max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(fills)
def test_ledger_equity_equals_the_portfolios_pnl_at_the_same_marks(
    script: list[tuple[str, str, int, int, int, int]],
) -> None:
    rig = Rig(matrix(strategy_defaults={**ROOMY, "fat_finger_bps": 5_000, "collar_bps": 5_000,
                                        "max_position": 10**6, "drawdown_halt": 10**9}))
    mids = {"ABC": 10_000, "ES": 20_000}
    t = SEC
    rig.at(t)
    for symbol, mid in mids.items():
        rig.market(symbol, mid - 1, mid + 1)
    book = Portfolio()
    for strategy, symbol, side, off, qty, move in script:
        t += SEC
        price = mids[symbol] - side * 2
        o = rig.send(rig.order(side=side, price=price, qty=qty, strategy=strategy,
                               instrument=symbol, t=t))
        fill_price = price + off  # what the venue gave, better or worse than asked
        rig.fill(o, price=fill_price, t=t)
        book.on_fill(strategy, symbol, side, fill_price, qty)
        mids[symbol] += move
        rig.feed(Quote(t, "ALL", symbol, mids[symbol] - 1, 10, mids[symbol] + 1, 10))
    marks = {s: rig.gate.state.markets[s].mark for s in mids}
    assert marks == mids  # marked at the mid
    for strategy in ("s1", "s2"):
        sb = rig.gate.state.strategy(strategy)
        expected = sum(
            (pos.realized + (pos.unrealized(marks[sym]) if pos.qty else 0))
            * tick_value_micros(INSTRUMENTS[sym])
            for (strat, sym), pos in book.positions.items() if strat == strategy
        )
        assert sb.equity == expected
        for sym in mids:
            assert rig.gate.position(strategy, sym) == book.position(strategy, sym).qty

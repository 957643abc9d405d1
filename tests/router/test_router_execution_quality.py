"""Execution quality per parent and venue reliability over time, from the events a real run
emits, against hand calculations."""

from __future__ import annotations

import pytest
from sor_rig import MS, SYMBOL, US, Market

from flashguard.analytics.execution import execution_quality, reliability_table, score_changes
from flashguard.core.orders import Side
from flashguard.market.venue import VenueConfig


def test_a_parent_split_over_two_venues_reports_its_shortfall() -> None:
    m = Market([VenueConfig("A", taker_fee=30), VenueConfig("B", taker_fee=10)])
    m.rest("A", Side.BUY, 10, 9_990)
    m.rest("A", Side.SELL, 20, 10_000)
    m.rest("B", Side.SELL, 20, 10_004)
    m.settle()
    t0 = m.now
    pid = m.buy(30, urgency="aggressive")
    m.settle()
    report = execution_quality(m.events, {"A": (0, 30), "B": (0, 10)})[pid]
    arrival = (9_990 + 10_000) / 2
    vwap = (20 * 10_000 + 10 * 10_004) / 30
    fees = 20 * 30 + 10 * 10
    assert report.arrival_mid == arrival
    assert report.vwap == pytest.approx(vwap)
    assert report.slippage_ticks == pytest.approx(vwap - arrival)
    assert report.fees == fees
    assert report.shortfall_ticks == pytest.approx((vwap - arrival) * 30 + fees / 100)
    assert report.shortfall_bps == pytest.approx(
        ((vwap - arrival) * 30 + fees / 100) / 30 / arrival * 1e4
    )
    assert report.fill_ratio == 1.0 and report.venues == ("A", "B") and report.children == 2
    assert report.time_to_complete_ns == max(f.t_ns for f in m.fills()) - t0


def test_a_sell_that_is_only_partly_filled() -> None:
    m = Market([VenueConfig("A")])
    m.rest("A", Side.BUY, 4, 9_998)
    m.rest("A", Side.SELL, 10, 10_002)
    m.settle()
    pid = m.sell(10, urgency="aggressive", limit=9_990)
    m.settle()
    r = execution_quality(m.events)[pid]
    assert (r.side, r.filled, r.fill_ratio) == (-1, 4, 0.4)
    assert r.slippage_ticks == pytest.approx(-(9_998 - 10_000))  # sold 2 below the mid
    assert r.time_to_complete_ns is None


def test_the_reliability_table_follows_each_score_change() -> None:
    m = Market([VenueConfig("A"), VenueConfig("B")])
    for v in "AB":
        m.rest(v, Side.BUY, 10, 9_990)
    a_offer = m.rest("A", Side.SELL, 10, 9_999)
    m.rest("B", Side.SELL, 50, 10_000)
    m.settle()
    t0 = m.now
    m.buy(20, urgency="aggressive")
    m.at(t0 + 10 * US, lambda: m.venues["A"].cancel(1, SYMBOL, a_offer))
    m.settle()
    changes = score_changes(m.events)
    assert [s for _, v, s in changes if v == "A"] == [0.5]  # its depth vanished
    assert {s for _, v, s in changes if v == "B"} == {1.0}
    grid, table = reliability_table(m.events, every_ns=MS, start_ns=t0, end_ns=t0 + 2 * MS)
    assert grid == [t0, t0 + MS, t0 + 2 * MS]
    assert table == {"A": [None, 0.5, 0.5], "B": [None, 1.0, 1.0]}
    with pytest.raises(ValueError, match="every_ns=0"):
        reliability_table(m.events, every_ns=0)

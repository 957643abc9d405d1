"""Stop Logic (a cascade within one instant) and Velocity Logic (a move within a window)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.core.clock import NS_PER_SECOND
from flashguard.market.protections import StopLogic, StopLogicParams

S = NS_PER_SECOND
T0 = 1_000 * S
BUY, SELL = 1, -1


def stop_logic(**kw: Any) -> StopLogic:
    return StopLogic(StopLogicParams(**kw))


def may_trade(logic: StopLogic, t: int, side: int, price: int) -> bool:
    """How the venue uses the limit: a price beyond it would trigger."""
    limit = logic.limit_price(t, side)
    assert limit is not None
    return price <= limit if side == BUY else price >= limit


def test_no_limit_before_the_first_trade() -> None:
    logic = stop_logic()
    assert logic.limit_price(T0, BUY) is None and logic.limit_price(T0, SELL) is None


def test_exactly_24_ticks_away_is_allowed_25_triggers() -> None:
    logic = stop_logic()
    logic.on_trade(T0, 1000)
    assert logic.limit_price(T0 + 1, BUY) == 1024
    assert logic.limit_price(T0 + 1, SELL) == 976
    assert may_trade(logic, T0 + 1, BUY, 1024) and not may_trade(logic, T0 + 1, BUY, 1025)
    assert may_trade(logic, T0 + 1, SELL, 976) and not may_trade(logic, T0 + 1, SELL, 975)


def test_a_cascade_in_one_instant_is_measured_from_the_trade_before_it() -> None:
    logic = stop_logic()
    logic.on_trade(T0, 1000)
    t = T0 + S
    for price in (990, 985, 980):  # stops elected one after another at the same instant
        logic.on_trade(t, price)
    # a sell at t: max(1000 before, cascade 990..980) - 24
    assert logic.limit_price(t, SELL) == 976
    # a buy at t: min(1000, 990, 985, 980) + 24
    assert logic.limit_price(t, BUY) == 1004
    # the next instant starts from the last print
    assert logic.limit_price(t + 1, SELL) == 956


def test_velocity_window_measures_from_the_price_at_the_window_start() -> None:
    logic = stop_logic(ticks=10, window_ns=5 * S)
    logic.on_trade(T0, 1000)
    logic.on_trade(T0 + 2 * S, 1005)
    logic.on_trade(T0 + 4 * S, 1008)
    assert logic.limit_price(T0 + 4 * S, BUY) == 1010
    assert logic.limit_price(T0 + 5 * S, BUY) == 1010  # T0 is still inside [t - 5 s, t]
    # T0 leaves the window but is the last print before it: still the anchor
    assert logic.limit_price(T0 + 5 * S + 1, BUY) == 1010
    assert logic.limit_price(T0 + 7 * S + 1, BUY) == 1015  # now measured from 1005
    assert logic.limit_price(T0 + 7 * S + 1, SELL) == 998  # highest in window 1008


def test_sell_side_anchor_is_the_highest_price() -> None:
    logic = stop_logic(ticks=5, window_ns=10 * S)
    for i, price in enumerate((100, 107, 103, 104)):
        logic.on_trade(T0 + i * S, price)
    assert logic.limit_price(T0 + 4 * S, SELL) == 102
    assert logic.limit_price(T0 + 4 * S, BUY) == 105


def test_trigger_pauses_five_seconds_then_auction_then_reopen() -> None:
    logic = stop_logic()
    logic.on_trade(T0, 1000)
    tr = logic.trigger(T0 + S)
    assert (tr.t_ns, tr.status, tr.reason, tr.until_ns) == (T0 + S, "paused", "stop_logic", T0 + 6 * S)
    assert logic.next_deadline() == T0 + 6 * S
    assert logic.poll(T0 + 6 * S - 1) == []
    [auction] = logic.poll(T0 + 6 * S)
    assert (auction.t_ns, auction.status) == (T0 + 6 * S, "auction")
    assert logic.next_deadline() is None
    [back] = logic.reopened(T0 + 6 * S, 960)
    assert (back.status, back.reason) == ("open", "reopened")
    assert logic.limit_price(T0 + 6 * S + 1, BUY) == 984  # from the reopening price
    assert logic.limit_price(T0 + 6 * S + 1, SELL) == 936


def test_reopened_without_a_poll_reports_the_auction_first() -> None:
    logic = stop_logic()
    logic.on_trade(T0, 1000)
    logic.trigger(T0)
    logic.limit_price(T0 + 5 * S, BUY)  # the pause runs out during another call
    assert logic.status == "auction"
    transitions = logic.reopened(T0 + 5 * S, 1000)
    assert [(tr.t_ns, tr.status) for tr in transitions] == [(T0 + 5 * S, "auction"), (T0 + 5 * S, "open")]


def test_trigger_while_paused_is_refused() -> None:
    logic = stop_logic()
    logic.on_trade(T0, 1000)
    logic.trigger(T0)
    with pytest.raises(RuntimeError, match="status='paused'"):
        logic.trigger(T0 + 1)


def test_bad_inputs_and_disabled() -> None:
    with pytest.raises(ValueError, match="ticks=-1"):
        StopLogicParams(ticks=-1)
    logic = stop_logic()
    logic.on_trade(T0, 1000)
    with pytest.raises(ValueError, match="side=0"):
        logic.limit_price(T0, 0)
    with pytest.raises(ValueError, match="t_ns="):
        logic.on_trade(T0 - 1, 1000)
    off = stop_logic(enabled=False)
    off.on_trade(T0, 1000)
    assert off.limit_price(T0, BUY) is None


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 3 * S),
    st.lists(st.tuples(st.integers(0, 2 * S), st.integers(50, 150)), min_size=1, max_size=50),
)
def test_limit_matches_a_brute_force_look_back(window: int, steps: list[tuple[int, int]]) -> None:
    logic = stop_logic(ticks=7, window_ns=window)
    trades: list[tuple[int, int]] = []
    t = T0
    for gap, price in steps:
        t += gap
        # before this print: the look-back is [t - window, t] plus the last print before it
        inside = [p for tt, p in trades if tt >= t - window]
        before = [p for tt, p in trades if tt < t - window][-1:]
        look_back = inside + before
        expected_buy = min(look_back) + 7 if look_back else None
        expected_sell = max(look_back) - 7 if look_back else None
        assert logic.limit_price(t, BUY) == expected_buy
        assert logic.limit_price(t, SELL) == expected_sell
        logic.on_trade(t, price)
        trades.append((t, price))

"""Crypto price collar: 0.7x..1.3x the 5-minute volume-weighted average price."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.market.protections import CollarParams, PriceCollar

S = NS_PER_SECOND
T0 = 10_000 * S
WINDOW = 5 * NS_PER_MINUTE


def collar(**kw: Any) -> PriceCollar:
    return PriceCollar(CollarParams(**kw))


def test_no_bounds_before_a_trade() -> None:
    c = collar()
    assert c.bounds(T0) is None and c.allows(T0, 1)


def test_bounds_at_the_edges() -> None:
    c = collar()
    c.on_trade(T0, 1000, 3)
    assert c.bounds(T0) == (700, 1300)
    assert [c.allows(T0, p) for p in (699, 700, 1300, 1301)] == [False, True, True, False]


def test_average_is_volume_weighted_and_rounded_inward() -> None:
    c = collar()
    c.on_trade(T0, 1000, 1)
    c.on_trade(T0 + S, 1010, 2)  # VWAP = 3020 / 3 = 1006.67
    assert c.average(T0 + S) == (3020, 3)
    # 0.7 x 1006.67 = 704.67 -> 705;  1.3 x 1006.67 = 1308.67 -> 1308
    assert c.bounds(T0 + S) == (705, 1308)


def test_trades_leave_after_the_window_and_the_last_average_stays() -> None:
    c = collar()
    c.on_trade(T0, 1000, 1)
    c.on_trade(T0 + 60 * S, 2000, 1)
    assert c.average(T0 + WINDOW - 1) == (3000, 2)
    assert c.average(T0 + WINDOW) == (2000, 1)  # the first print is 5 minutes old
    # the window empties: the last average (the 2000 print alone) stays in effect
    assert c.bounds(T0 + 60 * S + WINDOW + 10 * NS_PER_MINUTE) == (1400, 2600)


def test_last_average_does_not_depend_on_when_it_is_asked() -> None:
    asked, quiet = collar(), collar()
    for c in (asked, quiet):
        c.on_trade(T0, 1000, 1)
        c.on_trade(T0 + 60 * S, 2000, 1)
    asked.bounds(T0 + WINDOW + 30 * S)
    end = T0 + 60 * NS_PER_MINUTE
    assert asked.average(end) == quiet.average(end) == (2000, 1)


def test_custom_ratios_are_exact() -> None:
    c = collar(low="0.9", high=1.1)
    c.on_trade(T0, 1000, 1)
    assert c.bounds(T0) == (900, 1100)


def test_bad_parameters_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"low=1\.2"):
        CollarParams(low=1.2)
    with pytest.raises(ValueError, match=r"high=0\.9"):
        CollarParams(high=0.9)
    with pytest.raises(ValueError, match="window_ns=0"):
        CollarParams(window_ns=0)
    with pytest.raises(ValueError, match="qty=0"):
        collar().on_trade(T0, 1000, 0)


def test_disabled_collar_allows_everything() -> None:
    c = collar(enabled=False)
    c.on_trade(T0, 1000, 1)
    assert c.bounds(T0) is None and c.allows(T0, 10**9)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 120 * S), st.integers(500, 1500), st.integers(1, 50)),
        min_size=1,
        max_size=40,
    )
)
def test_bounds_match_a_brute_force_vwap(trades: list[tuple[int, int, int]]) -> None:
    c = collar()
    seen: list[tuple[int, int, int]] = []
    t = T0
    for gap, price, qty in trades:
        t += gap
        c.on_trade(t, price, qty)
        seen.append((t, price, qty))
        inside = [(p, q) for tt, p, q in seen if tt > t - WINDOW]
        notional = sum(p * q for p, q in inside)
        volume = sum(q for _, q in inside)
        lower = -(-7 * notional // (10 * volume))
        upper = 13 * notional // (10 * volume)
        assert c.bounds(t) == (lower, upper)

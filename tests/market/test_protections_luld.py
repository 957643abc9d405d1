"""LULD state machine: reference price, doubling windows, limit state, pause, reopening."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.market.protections import Luld, LuldParams

S = NS_PER_SECOND
MIDNIGHT = 3 * 86_400 * S  # some day that does not start at t = 0
OPEN = MIDNIGHT + (9 * 3600 + 30 * 60) * S


def at(hh: int, mm: int, ss: int = 0) -> int:
    return MIDNIGHT + (hh * 3600 + mm * 60 + ss) * S


NOON = at(12, 0)


def luld(**kw: Any) -> Luld:
    return Luld(LuldParams(**kw), "0.01", OPEN)


def test_no_bands_before_the_first_trade() -> None:
    band = luld()
    assert band.bands(NOON) is None
    assert band.allows(NOON, 1) and band.allows(NOON, 10**9)


def test_bands_from_the_first_trade_and_allows_at_the_boundary() -> None:
    band = luld()
    band.on_trade(NOON, 1000, 100)
    assert band.bands(NOON) == (950, 1050)
    assert [band.allows(NOON, p) for p in (949, 950, 1050, 1051)] == [False, True, True, False]


@pytest.mark.parametrize(("tier", "expected"), [(1, (950, 1050)), (2, (900, 1100))])
def test_tier_percentage_above_three_dollars(tier: int, expected: tuple[int, int]) -> None:
    band = luld(tier=tier)
    band.on_trade(NOON, 1000, 1)
    assert band.bands(NOON) == expected


@pytest.mark.parametrize(
    ("price", "expected"), [(50, (35, 65)), (200, (160, 240)), (1000, (950, 1050))]
)
def test_brackets_at_fifty_cents_two_dollars_ten_dollars(
    price: int, expected: tuple[int, int]
) -> None:
    band = luld()
    band.on_trade(NOON, price, 1)
    assert band.bands(NOON) == expected


# --- doubling windows ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t_ns", "expected"),
    [
        (OPEN - 1, (950, 1050)),  # 9:29:59.999999999
        (OPEN, (900, 1100)),  # 9:30:00 doubled
        (at(9, 45) - 1, (900, 1100)),
        (at(9, 45), (950, 1050)),  # 9:45:00 back to normal
        (at(15, 35) - 1, (950, 1050)),
        (at(15, 35), (900, 1100)),  # Tier 1 doubles into the close
        (at(16, 0) - 1, (900, 1100)),
        (at(16, 0), (950, 1050)),
    ],
)
def test_tier1_doubling_windows(t_ns: int, expected: tuple[int, int]) -> None:
    band = luld(tier=1)
    band.on_trade(t_ns, 1000, 1)
    assert band.bands(t_ns) == expected


@pytest.mark.parametrize(
    ("t_ns", "expected"),
    [(OPEN, (800, 1200)), (at(9, 45), (900, 1100)), (at(15, 35), (900, 1100))],
)
def test_tier2_doubles_only_at_the_open(t_ns: int, expected: tuple[int, int]) -> None:
    band = luld(tier=2)
    band.on_trade(t_ns, 1000, 1)
    assert band.bands(t_ns) == expected


def test_doubling_follows_the_clock_not_the_reference() -> None:
    band = luld()
    band.on_trade(at(9, 44, 59), 1000, 1)
    assert band.bands(at(9, 44, 59)) == (900, 1100)
    assert band.bands(at(9, 45)) == (950, 1050)


def test_doubling_windows_repeat_on_the_next_day() -> None:
    band = luld()
    band.on_trade(OPEN + 86_400 * S, 1000, 1)
    assert band.bands(OPEN + 86_400 * S) == (900, 1100)


# --- reference price -----------------------------------------------------------------------


def test_reference_moves_at_exactly_one_percent() -> None:
    band = luld()
    band.on_trade(NOON, 1000, 1)
    band.on_trade(NOON + S, 1020, 1)  # mean 1010: exactly 1% away
    assert band.reference == 1010
    assert band.bands(NOON + S) == (960, 1060)  # 5% of 1010 = 50.5 -> [959.5, 1060.5]


def test_reference_stays_below_one_percent() -> None:
    band = luld()
    band.on_trade(NOON, 1000, 1)
    band.on_trade(NOON + S, 1019, 1)  # mean 1009.5: 0.95%
    assert band.reference == 1000
    assert band.bands(NOON + S) == (950, 1050)
    band.on_trade(NOON + 2 * S, 1011, 1)  # mean 1010: now 1% from 1000
    assert band.reference == 1010


def test_reference_is_the_unweighted_mean_of_prints() -> None:
    band = luld()
    band.on_trade(NOON, 1000, 1)
    band.on_trade(NOON + S, 1100, 1_000_000)  # size does not weigh: mean 1050
    assert band.reference == 1050


def test_trades_leave_the_window_after_five_minutes() -> None:
    band = luld()
    band.on_trade(NOON, 1000, 1)
    band.on_trade(NOON + 4 * NS_PER_MINUTE, 1100, 1)  # mean 1050
    assert band.bands(NOON + 5 * NS_PER_MINUTE - 1) == (998, 1102)  # 5% of 1050 = 52.5
    # at NOON + 5 min the first print is 5 minutes old: out, mean 1100
    assert band.bands(NOON + 5 * NS_PER_MINUTE) == (1045, 1155)


def test_reference_stays_when_the_window_empties() -> None:
    band = luld()
    band.on_trade(NOON, 1000, 1)
    assert band.bands(NOON + 60 * NS_PER_MINUTE) == (950, 1050)


WINDOW = 5 * NS_PER_MINUTE

trade_steps = st.lists(
    st.tuples(st.integers(0, 200 * S), st.integers(900, 1100), st.booleans()),
    min_size=1,
    max_size=60,
)


def model_reference(trades: list[tuple[int, int]], until: int) -> Fraction | None:
    """The reference by brute force: walk every instant the window changes (each arrival,
    each expiry at t_trade + 5 min; expiries first on a tie) and apply the 1% rule to the
    mean recomputed from scratch."""
    events = sorted(
        [(t + WINDOW, 0, -1) for t, _ in trades if t + WINDOW <= until]
        + [(t, 1, i) for i, (t, _) in enumerate(trades)]
    )
    arrived: list[tuple[int, int]] = []
    ref: Fraction | None = None
    for e, _, i in events:
        if i >= 0:
            arrived.append(trades[i])
        inside = [p for t, p in arrived if t > e - WINDOW]
        if not inside:
            continue
        mean = Fraction(sum(inside), len(inside))
        if ref is None or abs(mean - ref) >= ref / 100:
            ref = mean
    return ref


@settings(max_examples=200, deadline=None)
@given(trade_steps)
def test_reference_follows_the_true_mean_path_whatever_the_calls(
    steps: list[tuple[int, int, bool]],
) -> None:
    quiet, chatty = luld(), luld()
    trades: list[tuple[int, int]] = []
    t = NOON
    for gap, price, ask in steps:
        if ask:
            chatty.bands(t + gap // 2)
        t += gap
        trades.append((t, price))
        quiet.on_trade(t, price, 1)
        chatty.on_trade(t, price, 1)
        assert quiet.reference == model_reference(trades, t)
    end = t + 10 * NS_PER_MINUTE
    assert quiet.bands(end) == chatty.bands(end)
    assert quiet.reference == chatty.reference == model_reference(trades, end)


# --- limit state, pause, auction -----------------------------------------------------------


def in_limit_state(t: int = NOON) -> Luld:
    band = luld()
    band.on_trade(t, 1000, 1)
    [tr] = band.on_quote(t, 940, 950)
    assert (tr.status, tr.reason, tr.until_ns) == ("limit_state", "offer_at_lower_band", t + 15 * S)
    return band


def test_quote_just_inside_the_bands_is_not_a_limit_state() -> None:
    band = luld()
    band.on_trade(NOON, 1000, 1)
    assert band.on_quote(NOON, 1049, 951) == []
    assert band.status == "open"


def test_bid_at_the_upper_band_enters_limit_state() -> None:
    band = luld()
    band.on_trade(NOON, 1000, 1)
    [tr] = band.on_quote(NOON, 1050, 1060)
    assert (tr.t_ns, tr.status, tr.reason) == (NOON, "limit_state", "bid_at_upper_band")
    assert band.next_deadline() == NOON + 15 * S


def test_limit_state_clears_when_the_quote_leaves_the_band() -> None:
    band = in_limit_state()
    assert band.on_quote(NOON + S, 940, 950) == []  # still at the band
    [tr] = band.on_quote(NOON + 2 * S, 940, 951)
    assert (tr.t_ns, tr.status, tr.reason) == (NOON + 2 * S, "open", "limit_state_cleared")
    assert band.next_deadline() is None
    assert band.poll(NOON + 60 * S) == []


def test_limit_state_held_fifteen_seconds_pauses_then_auctions() -> None:
    band = in_limit_state()
    assert band.poll(NOON + 15 * S - 1) == []
    [paused] = band.poll(NOON + 15 * S)
    assert (paused.t_ns, paused.status, paused.until_ns) == (
        NOON + 15 * S,
        "paused",
        NOON + 15 * S + 5 * NS_PER_MINUTE,
    )
    assert band.next_deadline() == NOON + 15 * S + 5 * NS_PER_MINUTE
    assert band.on_quote(NOON + 20 * S, 940, 951) == []  # quotes do not end a pause
    assert band.status == "paused"
    assert band.poll(NOON + 15 * S + 5 * NS_PER_MINUTE - 1) == []
    [auction] = band.poll(NOON + 15 * S + 5 * NS_PER_MINUTE)
    assert (auction.t_ns, auction.status) == (NOON + 15 * S + 5 * NS_PER_MINUTE, "auction")
    assert band.next_deadline() is None


def test_late_poll_stamps_transitions_with_their_deadlines() -> None:
    band = in_limit_state()
    transitions = band.poll(NOON + 60 * NS_PER_MINUTE)
    assert [(tr.t_ns, tr.status) for tr in transitions] == [
        (NOON + 15 * S, "paused"),
        (NOON + 15 * S + 5 * NS_PER_MINUTE, "auction"),
    ]


def test_quote_after_the_deadline_reports_the_pause_first() -> None:
    band = in_limit_state()
    transitions = band.on_quote(NOON + 16 * S, 940, 951)
    assert [tr.status for tr in transitions] == ["paused"]


def test_timers_fired_by_a_query_are_delivered_by_the_next_poll() -> None:
    band = in_limit_state()
    band.bands(NOON + 16 * S)
    assert band.status == "paused"
    assert [tr.status for tr in band.poll(NOON + 16 * S)] == ["paused"]


def test_reopening_price_becomes_the_reference() -> None:
    band = in_limit_state()
    end = NOON + 15 * S + 5 * NS_PER_MINUTE
    band.poll(end)
    [tr] = band.reopened(end, 900)
    assert (tr.t_ns, tr.status, tr.reason) == (end, "open", "reopened")
    assert band.bands(end) == (855, 945)
    band.on_trade(end + S, 910, 1)  # mean 905: under 1% from 900, the old prints are gone
    assert band.reference == 900


def test_auction_that_cannot_reopen_is_extended_by_five_minutes() -> None:
    band = in_limit_state()
    end = NOON + 15 * S + 5 * NS_PER_MINUTE
    band.poll(end)
    [tr] = band.extend(end)
    assert (tr.status, tr.reason, tr.until_ns) == ("paused", "reopen_extended", end + 5 * NS_PER_MINUTE)
    assert band.poll(end + 5 * NS_PER_MINUTE - 1) == []
    assert [t.status for t in band.poll(end + 5 * NS_PER_MINUTE)] == ["auction"]


def test_bands_are_frozen_in_limit_state_and_reset_to_the_mean_on_exit() -> None:
    band = in_limit_state()
    for i in range(1, 6):
        band.on_trade(NOON + i * S, 950, 1)  # mean now 958.3: would move the reference
    assert band.bands(NOON + 6 * S) == (950, 1050)
    band.on_quote(NOON + 7 * S, 940, 951)
    assert band.reference == Fraction(1000 + 5 * 950, 6)
    assert band.bands(NOON + 7 * S) == (911, 1006)  # 5750/6 +- 5%


def test_recomputed_bands_can_meet_the_same_quote() -> None:
    band = in_limit_state()
    for i in range(1, 6):
        band.on_trade(NOON + i * S, 950, 1)
    # the offer leaves the old band at 951, the bid sits on the new upper band 1006
    transitions = band.on_quote(NOON + 7 * S, 1006, 1010)
    assert [(t.status, t.reason) for t in transitions] == [
        ("open", "limit_state_cleared"),
        ("limit_state", "bid_at_upper_band"),
    ]


def test_reopened_outside_an_auction_is_refused() -> None:
    band = luld()
    band.on_trade(NOON, 1000, 1)
    with pytest.raises(RuntimeError, match="status='open'"):
        band.reopened(NOON, 1000)


def test_time_going_backwards_is_refused() -> None:
    band = luld()
    band.on_trade(NOON, 1000, 1)
    with pytest.raises(ValueError, match=f"t_ns={NOON - 1}"):
        band.on_trade(NOON - 1, 1000, 1)


def test_bad_inputs_name_the_field() -> None:
    band = luld()
    with pytest.raises(ValueError, match="price_ticks=0"):
        band.on_trade(NOON, 0, 1)
    with pytest.raises(ValueError, match="qty=-1"):
        band.on_trade(NOON, 10, -1)
    with pytest.raises(ValueError, match="tier=3"):
        LuldParams(tier=3)
    with pytest.raises(ValueError, match="ref_min_move='x'"):
        LuldParams(ref_min_move="x")
    with pytest.raises(ValueError, match="pause_ns=0"):
        LuldParams(pause_ns=0)
    with pytest.raises(ValueError, match="tick_size"):
        Luld(LuldParams(), "0", OPEN)


def test_disabled_luld_does_nothing() -> None:
    band = luld(enabled=False)
    band.on_trade(NOON, 1000, 1)
    assert band.bands(NOON) is None
    assert band.allows(NOON, 1)
    assert band.on_quote(NOON, 2000, 1) == []
    assert band.poll(NOON + 60 * S) == []

"""Crash metrics on synthetic V-shaped series with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.analytics.crash import CrashWindows, crash_metrics

S = 1_000_000_000
MIN = 60 * S
SHOCK = 30 * MIN


def v_shape() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """90 minutes at 1 s. Flat 1000 (with a 1100 spike at 10 min, outside the peak lookback);
    shock at 30 min; a slow leg 1000 -> 980 over 5 min, a fast leg 980 -> 900 over 2 min,
    the bottom at 37 min, then a climb to 960 over 25 min and flat after."""
    sec = np.arange(0, 90 * 60 + 1)
    knots_s = [0, 1800, 2100, 2220, 3720, 5400]
    knots_p = [1000, 1000, 980, 900, 960, 960]
    price = np.interp(sec, knots_s, knots_p)
    price[600] = 1100.0
    depth = np.where(sec % 2 == 0, 400.0, 600.0)  # baseline mean 500
    depth[(sec >= 2215) & (sec <= 2225)] = 5.0
    spread = np.where(sec % 4 == 3, 2.0, 1.0)  # baseline median 1
    spread[(sec >= 2215) & (sec <= 2225)] = 16.0
    return sec.astype(np.int64) * S, price, depth, spread


def test_v_shape_known_answers() -> None:
    t, px, depth, spread = v_shape()
    m = crash_metrics(t, px, SHOCK, bid_depth=depth, spread=spread)
    assert m is not None
    assert (m.peak, m.peak_ns) == (1000.0, SHOCK)  # the last time at the peak
    assert (m.trough, m.trough_ns) == (900.0, 2220 * S)
    assert m.peak_to_trough_pct == pytest.approx(10.0)
    assert m.minutes_shock_to_bottom == pytest.approx(7.0)
    assert m.fast_leg_minutes == pytest.approx(2.0)
    assert (m.fast_leg_start_ns, m.fast_leg_end_ns) == (2100 * S, 2220 * S)
    assert m.recovered_pct_25min == pytest.approx(60.0)
    assert m.buy_depth_at_trough_pct_of_baseline == pytest.approx(1.0)
    assert m.spread_multiple_at_trough == pytest.approx(16.0)


def test_fast_leg_share_is_a_parameter() -> None:
    t, px, _, _ = v_shape()
    # 50% of the 100 drop = 50, all inside the 80-per-2-minutes leg: 75 s.
    m = crash_metrics(t, px, SHOCK, windows=CrashWindows(fast_leg_share=0.5))
    assert m is not None
    assert m.fast_leg_minutes == pytest.approx(75 / 60)
    # 100%: from the peak to the trough.
    m = crash_metrics(t, px, SHOCK, windows=CrashWindows(fast_leg_share=1.0))
    assert m is not None
    assert m.fast_leg_minutes == pytest.approx(7.0)


def test_small_dip_is_no_crash() -> None:
    t, px, _, _ = v_shape()
    shallow = 1000 - (1000 - px) / 10  # a 1% dip
    assert crash_metrics(t, shallow, SHOCK) is None
    m = crash_metrics(t, shallow, SHOCK, windows=CrashWindows(min_drop_pct=0.5))
    assert m is not None
    assert m.peak_to_trough_pct == pytest.approx(1.0)
    assert crash_metrics(t, np.full(t.size, 7.0), SHOCK) is None


def test_trough_is_searched_within_the_horizon() -> None:
    t, px, _, _ = v_shape()
    m = crash_metrics(t, px, SHOCK, windows=CrashWindows(trough_horizon_ns=5 * MIN))
    assert m is not None
    assert (m.trough, m.minutes_shock_to_bottom) == (980.0, 5.0)


def test_missing_pieces_give_none_or_inf() -> None:
    t, px, depth, spread = v_shape()
    cut = t <= 2220 * S + 24 * MIN  # the data end before 25 minutes after the bottom
    one_sided = spread.copy()
    one_sided[(t >= 2210 * S) & (t <= 2230 * S)] = np.nan
    m = crash_metrics(t[cut], px[cut], SHOCK, bid_depth=depth[cut], spread=one_sided[cut])
    assert m is not None
    assert m.recovered_pct_25min is None
    assert m.spread_multiple_at_trough == math.inf
    m = crash_metrics(t, px, SHOCK)
    assert m is not None
    assert m.buy_depth_at_trough_pct_of_baseline is None
    assert m.spread_multiple_at_trough is None


def test_nan_prices_carry_the_last_price() -> None:
    t, px, _, _ = v_shape()
    gappy = px.copy()
    gappy[2150:2160] = np.nan
    gappy[1850:1900] = np.nan
    m = crash_metrics(t, gappy, SHOCK)
    assert m is not None
    assert (m.peak, m.trough, m.trough_ns) == (1000.0, 900.0, 2220 * S)
    assert m.fast_leg_minutes == pytest.approx(2.0)


def test_bad_input_names_the_field() -> None:
    t, px, depth, _ = v_shape()
    with pytest.raises(ValueError, match="shock_start_ns=-1 is outside"):
        crash_metrics(t, px, -1)
    with pytest.raises(ValueError, match="bid_depth has 3 samples"):
        crash_metrics(t, px, SHOCK, bid_depth=depth[:3])
    with pytest.raises(ValueError, match="t_ns must be strictly increasing"):
        crash_metrics(t[::-1], px, SHOCK)
    with pytest.raises(ValueError, match="fast_leg_share=0"):
        CrashWindows(fast_leg_share=0)
    with pytest.raises(ValueError, match="baseline_ns=0"):
        CrashWindows(baseline_ns=0)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-5, 3), min_size=5, max_size=80), st.floats(0.1, 1.0))
def test_fast_leg_is_the_shortest_qualifying_interval(steps: list[int], share: float) -> None:
    """Against brute force over every interval between the peak and the trough."""
    px = np.concatenate(([1000.0] * 3, 1000.0 + np.cumsum(steps)))
    t = np.arange(px.size, dtype=np.int64) * S
    w = CrashWindows(min_drop_pct=0.0, fast_leg_share=share, peak_lookback_ns=2 * S)
    m = crash_metrics(t, px, 2 * S, windows=w)
    if m is None:
        assert px[2:].min() >= 1000.0
        return
    i, j = int(m.peak_ns // S), int(m.trough_ns // S)
    need = share * (m.peak - m.trough) * (1 - 1e-9)
    best = min(b - a for a in range(i, j + 1) for b in range(a, j + 1) if px[a] - px[b] >= need)
    assert m.fast_leg_minutes == pytest.approx(best / 60)
    a, b = int(m.fast_leg_start_ns // S), int(m.fast_leg_end_ns // S)
    assert i <= a <= b <= j and px[a] - px[b] >= need

"""The regime: stress signals (realized volatility, VPIN CDF, halts, drawdown) and risk
directives move a strategy to capital preservation; calm brings it back; each switch is an
event and reaches the router (crash mode) and the strategy."""

from __future__ import annotations

import math

import pytest
from strategy_rig import MS, SEC, SYMBOL, Market, Provider, matrix

from flashguard.core.events import RegimeChange
from flashguard.core.orders import Side
from flashguard.market.venue import VenueConfig
from flashguard.system.strategy import RegimeParams
from flashguard.system.strategy.regime import StressMonitor


def test_realized_volatility_of_the_sampled_mid() -> None:
    mon = StressMonitor(RegimeParams(vol_sample_ns=SEC, vol_window=3, vol_bps=100.0))
    for i, mid in enumerate([10_000, 10_100, 10_000, 10_100, 10_100]):
        mon.on_mid(SYMBOL, i * SEC + 1, mid)
    expected = math.sqrt(3) * math.log(10_100 / 10_000) * 10_000
    assert mon.instruments[SYMBOL].vol_bps == pytest.approx(expected, rel=1e-12)
    assert "realized vol" in mon.signal()


def test_a_quiet_mid_is_no_stress_and_empty_buckets_count_as_flat() -> None:
    mon = StressMonitor(RegimeParams(vol_sample_ns=SEC, vol_window=3, vol_bps=1.0))
    mon.on_mid(SYMBOL, 0, 10_000)
    mon.on_mid(SYMBOL, 1 * SEC, 10_001)
    mon.on_mid(SYMBOL, 10 * SEC, 10_001)  # 8 empty buckets between: flat returns
    assert mon.instruments[SYMBOL].vol_bps == 0.0
    assert mon.signal() == ""


def test_one_sided_flow_raises_the_vpin_cdf_above_the_alarm() -> None:
    p = RegimeParams(vpin_bucket_volume=10, vpin_bar_ns=SEC, vpin_window=3,
                     vpin_sigma_min_changes=3, vpin_min_values=3)
    mon = StressMonitor(p)
    price, t = 10_000, 0

    def bar(move: int) -> None:
        nonlocal price, t
        price += move
        t += SEC
        mon.on_trade(SYMBOL, t, price, 10)  # one bar, one bucket

    for i in range(20):  # two-way flow: +-3 ticks
        bar(3 if i % 2 else -3)
    for _ in range(8):  # a quiet, balanced spell: VPIN falls to its lowest
        bar(0)
    assert mon.signal() == ""
    assert mon.vpin_cdf < 0.9
    for _ in range(4):  # a one-way sell program
        bar(-5)
    assert "VPIN CDF" in mon.signal()
    assert mon.vpin_cdf == 1.0


def test_a_halt_is_stress_until_the_venue_reopens() -> None:
    mon = StressMonitor(RegimeParams())
    mon.on_status("A", SYMBOL, "limit_state")
    assert "limit state" in mon.signal()
    mon.on_status("A", SYMBOL, "open")
    assert mon.signal() == ""


def test_volatility_switches_the_strategy_and_calm_switches_it_back() -> None:
    m = Market([VenueConfig("A")], regime=RegimeParams(
        vol_sample_ns=100 * MS, vol_window=3, vol_bps=30.0, calm_ns=2 * SEC,
        check_ns=100 * MS,
    ))
    swings_end = 1 * SEC

    def path(t: int) -> int:  # 1% swings every 100 ms for a second, then a quiet mid
        return 10_000 + (50 * (-1) ** (t // (100 * MS)) if t < swings_end else 0)

    Provider(m, path, half=5, every_ns=100 * MS)
    m.settle(10 * MS)
    pid = m.buy(5, limit=9_000)  # a passive parent, far below the market
    m.settle(swings_end)
    changes = [e for e in m.events if isinstance(e, RegimeChange)]
    assert [c.mode for c in changes] == ["preservation"]
    assert "realized vol" in changes[0].reason
    assert m.hands.regimes == [("preservation", changes[0].reason)]
    assert m.system.router.parents[pid].crash
    assert m.decisions("tactic")  # the passive parent shifted tactics
    m.settle(4 * SEC)  # the window rolls over the swings, then the market stays calm
    changes = [e for e in m.events if isinstance(e, RegimeChange)]
    assert [c.mode for c in changes] == ["preservation", "normal"]
    assert changes[1].t_ns - changes[0].t_ns >= 2 * SEC
    assert not m.system.router.parents[pid].crash


def test_the_stress_watch_is_layer_2s_and_goes_with_it() -> None:
    """With L2 switched off (an ablation) the same swings leave the strategy in normal mode."""
    modes = []
    for disabled in (frozenset(), frozenset({"L2"})):
        m = Market([VenueConfig("A")], disabled=disabled, regime=RegimeParams(
            vol_sample_ns=100 * MS, vol_window=3, vol_bps=30.0, check_ns=100 * MS))
        Provider(m, lambda t: 10_000 + 50 * (-1) ** (t // (100 * MS)), half=5,
                 every_ns=100 * MS)
        m.settle(SEC)
        modes.append([e.mode for e in m.events if isinstance(e, RegimeChange)])
    assert modes == [["preservation"], []]


def test_vpin_buckets_sized_from_the_first_minutes_of_volume() -> None:
    """No bucket size given: the first vpin_calibrate_ns of trading sets the volume rate, a
    bucket holds vpin_bucket_minutes of it, and the calibration bars count once sized."""
    p = RegimeParams(vpin_bar_ns=SEC, vpin_calibrate_ns=10 * SEC, vpin_bucket_minutes=1 / 6,
                     vpin_window=3, vpin_sigma_min_changes=3, vpin_min_values=3)
    mon = StressMonitor(p)
    price, t = 10_000, 0
    for i in range(12):  # 12 two-way bars of 30 lots: 1,800 lots a minute
        price += 3 if i % 2 else -3
        t += SEC
        mon.on_trade(SYMBOL, t, price, 30)
    vpin = mon.instruments[SYMBOL]._vpin
    assert vpin is not None and vpin._big_v == 300  # 1,800 a minute x 1/6 of a minute
    assert mon.vpin_cdf < 0.9
    for _ in range(40):  # a one-way sell program, 10 buckets of it
        price -= 5
        t += SEC
        mon.on_trade(SYMBOL, t, price, 75)
    assert mon.vpin_cdf == 1.0 and "VPIN CDF" in mon.signal()
    off = StressMonitor(RegimeParams(vpin_calibrate_ns=0))
    off.on_trade(SYMBOL, SEC, 10_000, 10)
    off.on_trade(SYMBOL, 70 * SEC, 10_000, 10)
    assert off.instruments[SYMBOL]._vpin is None


def test_drawdown_past_a_fraction_of_the_reduce_threshold_means_preservation() -> None:
    m = Market([VenueConfig("A")], risk=matrix(drawdown_reduce=10, drawdown_halt=20),
               regime=RegimeParams(vol_bps=10**4, drawdown_fraction=0.5))
    m.rest("A", Side.BUY, 50, 9_990)
    m.rest("A", Side.SELL, 50, 10_000)
    m.settle()
    m.buy(10, urgency="aggressive")
    m.settle()
    m.take("A", Side.SELL, 50, 1)
    m.rest("A", Side.BUY, 50, 9_930)  # mid 9_965: 35 ticks x 10 lots = $3.5 ... below 5
    m.settle(300 * MS)
    assert not [e for e in m.events if isinstance(e, RegimeChange)]
    m.take("A", Side.SELL, 50, 1)
    m.rest("A", Side.BUY, 50, 9_880)  # mid 9_940: $6 down, past half of the $10 threshold
    m.settle(300 * MS)
    changes = [e for e in m.events if isinstance(e, RegimeChange)]
    assert [c.mode for c in changes] == ["preservation"]
    assert changes[0].reason.startswith("drawdown")
    assert m.system.gate.strategy_mode("hands").name == "ACTIVE"  # before risk had to act


def test_an_operator_pin_holds_the_mode_until_released() -> None:
    m = Market([VenueConfig("A")], regime=RegimeParams(vol_bps=10**4, calm_ns=SEC))
    Provider(m, lambda t: 10_000)  # a quiet market: quotes, no stress
    m.settle()
    m.system.engine.pin_regime("hands", "preservation", "desk call")
    m.settle(3 * SEC)
    m.system.engine.pin_regime("hands", None, "")
    m.settle(3 * SEC)
    t_release = m.now - 3 * SEC
    changes = [e for e in m.events if isinstance(e, RegimeChange)]
    assert next((c.mode, c.reason) for c in changes) == ("preservation", "pinned: desk call")
    assert changes[1].mode == "normal" and changes[1].reason.startswith("calm for")
    # calm is measured from the release, not from the pin
    assert t_release + SEC <= changes[1].t_ns <= t_release + 2 * SEC
    with pytest.raises(ValueError, match="mode='panic'"):
        m.system.engine.pin_regime("hands", "panic", "x")


def test_bad_regime_parameters_name_the_field() -> None:
    with pytest.raises(ValueError, match="vol_window=1"):
        RegimeParams(vol_window=1)
    with pytest.raises(ValueError, match=r"vpin_cdf=1\.5"):
        RegimeParams(vpin_cdf=1.5)
    with pytest.raises(ValueError, match="vpin_bucket_minutes=0"):
        RegimeParams(vpin_bucket_minutes=0)


def test_a_system_without_explicit_regime_takes_the_matrix_stress_table() -> None:
    from flashguard.core.loop import EventLoop
    from flashguard.market.venue import Venue
    from flashguard.system.gateway import InProcessGateway
    from flashguard.system.risk.params import StressParams
    from flashguard.system.trading import TradingSystem

    loop = EventLoop()
    gateway = InProcessGateway(Venue(VenueConfig("A"), [SYMBOL], loop), 1)
    m = matrix().model_copy(update={"stress": StressParams(vol_bps=7.5, calm_s=4)})
    system = TradingSystem(loop, [gateway], m, {})
    assert system.engine.regime.params.vol_bps == 7.5
    assert system.engine.regime.params.calm_ns == 4 * SEC

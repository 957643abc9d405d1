"""The built-in scenarios besides may6, measured: each shows what it exists to show.

Runs are shared through the session fixture `scenario_run` (tests/market/conftest.py), so a
scenario and seed run once however many tests read it. The measured numbers per seed are in
docs/market.md ("Scenarios"); the bounds here are what every seed tried there meets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import msgspec
import numpy as np
import pytest
from scenario_rig import ScenarioRun

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.market.scenario import builtin_names, load_scenario
from flashguard.market.simulation import Simulation

Run = Callable[[str, int], ScenarioRun]
NEW = ("calm", "may6-unprotected", "fat-finger", "liquidity-drought", "crypto-cascade")


def _prices(r: ScenarioRun) -> tuple[np.ndarray, np.ndarray]:
    """(t_ns, consolidated mid, the last trade where the book is one-sided), one a second."""
    b = r.sim.bars
    mid = np.asarray(b.mid, dtype=np.float64)
    last = np.asarray(b.last, dtype=np.float64)
    return np.asarray(b.t, dtype=np.int64), np.where(np.isnan(mid), last, mid)


def test_the_new_scenarios_are_built_in_and_say_how_they_differ_from_may6() -> None:
    names = builtin_names()
    may6 = load_scenario("may6")
    for name in NEW:
        assert name in names
        sc = load_scenario(name)
        assert sc.name == name and sc.seed == 1
        assert "may6" in sc.description, name
        assert [v.name for v in sc.venues] == [v.name for v in may6.venues], name
        if name != "calm":
            assert sc.duration_s <= 2 * 3600, (name, sc.duration_s)
            assert sc.shock_ns is not None and sc.start_ns < sc.shock_ns < sc.end_ns, name


# --- calm: a full day with the stylized facts -------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_calm_day_shows_the_stylized_facts(scenario_run: Run, seed: int) -> None:
    r = scenario_run("calm", seed)
    res = r.result
    assert res["simulated_seconds"] == 23_400
    assert r.sim.agent_count >= 1_000
    assert res["messages"] >= 500_000, res["messages"]
    assert res["crash"] is None
    st = res["stylized"]
    acf1 = st["acf_r_1min"][0]
    # ABIDES' reference day: +0.32..+0.39
    assert abs(acf1) < 0.15, st["acf_r_1min"]
    assert st["excess_kurtosis_1min"] > 0, st
    assert np.mean(st["acf_abs_r_1min"][:5]) > 0, st["acf_abs_r_1min"]
    assert st["excess_kurtosis_1min"] > st["excess_kurtosis_5min"], st
    # it wanders like an index day rather than trending or standing still
    _, p = _prices(r)
    day_range_pct = 100 * (np.nanmax(p) - np.nanmin(p)) / p[0]
    assert 0.3 <= day_range_pct <= 2.5, day_range_pct


# --- may6 without protections -----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 5])
def test_unprotected_may6_falls_further_or_recovers_slower(scenario_run: Run, seed: int) -> None:
    protected = scenario_run("may6", seed).result
    bare = scenario_run("may6-unprotected", seed).result
    assert bare["halts"] == []  # nothing paused it
    assert any(h["kind"] == "stop_logic" for h in protected["halts"])
    m, u = protected["crash"], bare["crash"]
    assert m is not None and u is not None
    further = u["peak_to_trough_pct"] > m["peak_to_trough_pct"]
    slower = u["recovered_pct_25min"] < m["recovered_pct_25min"]
    assert further or slower, (m, u)


# --- a fat finger, caught -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_fat_finger_is_caught_by_a_protection_and_the_price_recovers(scenario_run: Run, seed: int) -> None:
    r = scenario_run("fat-finger", seed)
    shock = r.sim.scenario.shock_ns
    assert shock is not None
    caught = [h for h in r.result["halts"] if h["kind"] in ("stop_logic", "luld") and 0 <= h["start_ns"] - shock < NS_PER_SECOND]
    assert caught, r.result["halts"][:5]
    t, p = _prices(r)
    before = float(np.mean(p[(t > shock - NS_PER_MINUTE) & (t <= shock)]))
    first_minute = p[(t > shock) & (t <= shock + NS_PER_MINUTE)]
    dip = before - float(np.min(first_minute))
    assert dip > 0, "the order moved nothing"
    after = float(p[np.searchsorted(t, shock + 5 * NS_PER_MINUTE)])
    assert after - float(np.min(first_minute)) >= 0.5 * dip, (before, dip, after)


# --- the same program in a market whose intermediaries lost their capacity ---------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_liquidity_drought_crashes_fast(scenario_run: Run, seed: int) -> None:
    """With a quarter of may6's intermediary capacity the same program makes a crash in
    seconds, not minutes. (It does not fall further than may6: see docs/market.md.)"""
    r = scenario_run("liquidity-drought", seed)
    crash = r.result["crash"]
    assert crash is not None
    assert crash["peak_to_trough_pct"] >= 4.0, crash
    assert crash["minutes_shock_to_bottom"] <= 5.0, crash
    assert crash["fast_leg_minutes"] <= 1.0, crash
    assert r.sim.program.filled == r.sim.scenario.agents.sell_program.quantity
    a = r.sim.scenario.agents
    capacity = a.market_makers.count * a.market_makers.inventory_limit + a.hft.count * a.hft.inventory_limit
    assert r.result["intermediaries"]["max_abs_inventory"] <= capacity, r.result["intermediaries"]


# --- crypto rules: collars, no halts, a stop-loss cascade ----------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_crypto_cascade_has_no_halts_and_its_collars_reject_orders(scenario_run: Run, seed: int) -> None:
    r = scenario_run("crypto-cascade", seed)
    assert r.result["halts"] == []
    assert r.rejected["price_collar"] > 0, r.rejected
    assert r.sim.stops.fired >= 100, r.sim.stops.fired
    crash = r.result["crash"]
    # the cascade: a fall of a few percent, its bottom within a minute of the whale's order
    assert crash is not None and crash["peak_to_trough_pct"] >= 2.0, crash
    assert crash["minutes_shock_to_bottom"] <= 1.0, crash


# --- stop logic and velocity logic together ----------------------------------------------------


@pytest.mark.slow
def test_stop_logic_and_velocity_logic_can_both_pause_the_same_venues() -> None:
    """Each pauses a venue on its own trigger and the venue reopens: the reopening re-anchors
    the logic that paused it, while the other, which never paused, keeps its window (before,
    the reopening told both and the one still open refused it mid-run)."""
    sc = load_scenario("may6")
    raw = msgspec.to_builtins(sc)
    raw["duration_s"] = 3600  # the calm hour and the program's first 13 minutes
    raw["protections"]["velocity_logic"] = {
        "enabled": True, "ticks": 40, "window_ns": 30 * NS_PER_SECOND, "pause_ns": 5 * NS_PER_SECOND,
    }
    sim = Simulation(msgspec.convert(raw, type(sc)), 1)
    sim.run()
    kinds = Counter(h.kind for h in sim.market.halts)
    assert kinds["stop_logic"] > 0 and kinds["velocity_logic"] > 0, kinds
    assert all(h.end_ns is not None for h in sim.market.halts if h.kind.endswith("_logic")), [
        h for h in sim.market.halts if h.end_ns is None
    ][:3]

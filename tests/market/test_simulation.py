"""Scenario files and whole simulated markets: validation, determinism, what comes out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from flashguard.cli import app
from flashguard.core.events import Event
from flashguard.market.results import market_result
from flashguard.market.scenario import ScenarioError, load_scenario, parse_scenario
from flashguard.market.simulation import Simulation


def short(minutes: int = 3) -> object:
    sc = load_scenario("may6")
    return msgspec.structs.replace(sc, duration_s=minutes * 60)


def test_builtin_may6_loads_with_three_lit_venues_a_dark_pool_and_stop_logic() -> None:
    sc = load_scenario("may6")
    assert sum(not v.dark for v in sc.venues) >= 3 and any(v.dark for v in sc.venues)
    assert sc.protections.stop_logic.enabled and sc.protections.stop_logic.ticks == 24
    assert sc.agents.sell_program.rate == pytest.approx(0.09)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('name = "x"\n[agents.noise]\ncount = "many"', "$.agents.noise.count"),
        ('name = "x"\nbogus = 1', "bogus"),
        ('name = "x"\nstart = "25:00:00"', "start='25:00:00'"),
        ('name = "x"\nduration_s = 0', "duration_s=0"),
    ],
)
def test_bad_scenarios_name_the_field_and_value(text: str, needle: str) -> None:
    with pytest.raises(ScenarioError, match=None) as info:
        parse_scenario(text)
    assert needle in str(info.value)


def test_unknown_scenario_lists_the_builtins() -> None:
    with pytest.raises(ScenarioError, match="may6"):
        load_scenario("no-such-scenario")


def _recorder(out: list[bytes]) -> Callable[[Event], None]:
    return lambda e: out.append(msgspec.json.encode(e))


def test_same_seed_same_market_different_seed_different_market() -> None:
    sc = short(2)
    runs = []
    for seed in (5, 5, 6):
        events: list[bytes] = []
        sim = Simulation(sc, seed, sink=_recorder(events))  # type: ignore[arg-type]
        sim.run()
        runs.append((events, sim.messages, sim.trades))
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[2][0]
    assert runs[0][1] > 1000 and runs[0][2] > 100


def test_market_result_has_the_documented_fields() -> None:
    sim = Simulation(short(3), 3)  # type: ignore[arg-type]
    sim.run()
    result = market_result(sim)
    assert set(result) >= {"scenario", "seed", "simulated_seconds", "wall_seconds", "messages", "trades", "halts", "crash", "stylized", "vpin", "intermediaries"}
    assert result["simulated_seconds"] == 180
    assert result["crash"] is None  # the program starts later in the day
    assert len(sim.bars.t) == 180
    assert {"max_abs_inventory", "hot_potato_ratio"} <= set(result["intermediaries"])


def test_cli_market_run_writes_market_json_bars_and_journal(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.toml"
    text = (Path(__file__).parents[2] / "src/flashguard/scenarios/may6.toml").read_text()
    scenario.write_text(text.replace("duration_s = 7200", "duration_s = 60"))
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["market", "run", str(scenario), "--seed", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "market.json").read_text())
    assert data["seed"] == 2 and data["messages"] > 0
    header = (out / "bars_1s.csv").read_text().splitlines()[0]
    assert header == "t_ns,venue,last,mid,best_bid,best_ask,bid_size,ask_size,volume"
    assert (out / "journal.sqlite").stat().st_size > 0


def test_cli_market_run_rejects_a_bad_scenario(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[agents.noise]\ncount = "many"\n')
    result = CliRunner().invoke(app, ["market", "run", str(bad)])
    assert result.exit_code == 2
    assert "$.agents.noise.count" in result.output

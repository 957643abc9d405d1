"""One finished run of a built-in scenario, with what the protections turned away."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from flashguard.core.events import NewOrder, OrderRejected
from flashguard.market.results import market_result
from flashguard.market.scenario import load_scenario
from flashguard.market.simulation import Simulation
from flashguard.market.venue import Venue


@dataclass
class ScenarioRun:
    """The simulation, its market.json fields, and the orders the protections rejected at the
    venue's door, by reason (market.json does not count them)."""

    sim: Simulation
    result: dict[str, Any]
    rejected: Counter[str]


def run_scenario(name: str, seed: int) -> ScenarioRun:
    sim = Simulation(load_scenario(name), seed)
    rejected: Counter[str] = Counter()
    admit = sim.market.admit

    def counting_admit(venue: Venue, order: NewOrder) -> NewOrder | OrderRejected:
        decision = admit(venue, order)
        if type(decision) is OrderRejected:
            rejected[decision.reason] += 1
        return decision

    sim.market.admit = counting_admit  # type: ignore[method-assign]
    sim.run()
    return ScenarioRun(sim, market_result(sim), rejected)

"""Wire a run: the scenario's market and crowd, and the trading system trading in it.

The system has a session (an `InProcessGateway`) on every venue, the dark pool's marked dark,
and hears each lit venue's own feed and the consolidated one (the SIP), as a co-located
desk would. Everything it sees and does goes to `emit`, in order: the market data as its
feeds delivered it, then what it did about it (see `flashguard.system.trading`).

Both halves share the simulation's one event loop, so the run is one deterministic
sequence of callbacks: the same inputs give the same events, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flashguard.core.events import Event
from flashguard.market.scenario import Scenario
from flashguard.market.simulation import Simulation
from flashguard.run.book import build_book
from flashguard.run.inputs import RunInputs
from flashguard.system.gateway import InProcessGateway
from flashguard.system.risk import RiskMatrix
from flashguard.system.trading import TradingSystem

# the system's participant id at every venue: below the crowd's blocks (1000 and up)
SYSTEM_OWNER = 1


@dataclass(slots=True)
class Run:
    inputs: RunInputs
    scenario: Scenario
    matrix: RiskMatrix
    sim: Simulation
    system: TradingSystem


def build(
    inputs: RunInputs, emit: Callable[[Event], None], kill_state_path: Path | None = None,
    emit_feed: Callable[[Event], None] | None = None,
) -> Run:
    """`emit_feed`: where the quotes and trades the system hears go (default: `emit`; see
    `TradingSystem`)."""
    sc = inputs.load_scenario()
    matrix = inputs.load_matrix()
    sim = Simulation(sc, inputs.seed)
    instruments = {sc.instrument.symbol: sc.instrument.contract()}
    gateways = [
        InProcessGateway(v, SYSTEM_OWNER, dark=v.dark) for v in sim.market.venues
    ]
    system = TradingSystem(
        sim.loop, gateways, matrix, instruments, emit=emit,
        strategies=build_book(inputs.strategies, sc),
        snapshot_every_ns=inputs.snapshot_every_ns,
        kill_state_path=kill_state_path,
        emit_market_data=True,
        emit_feed=emit_feed,
        disabled=frozenset(inputs.disabled),
    )
    for venue in sim.market.lit:
        venue.subscribe(system.on_market_data)
    sim.attach_sip().subscribe(system.on_market_data)
    return Run(inputs, sc, matrix, sim, system)

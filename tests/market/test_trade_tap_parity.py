"""`_cengine.TradeTap` (the simulation's trade listener in C) against `tap.PyTradeTap`.

Twin markets, each with its own Signals and stop-loss holders, get the same random prints (a
price walk through the holders' stops, both aggressor sides and none); after every print the
two taps, their signals (every slot), their holders (stops left, fired) and what the holders
sent to the venues must be the same. The whole-scenario runs of test_venue_core_parity.py
compare the C tap against the reference inside complete runs.
"""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import pytest

from flashguard.core.events import Event, Trade
from flashguard.core.loop import EventLoop
from flashguard.market import tap
from flashguard.market.agents.base import World
from flashguard.market.agents.stop_loss import StopLossHolders, StopLossParams
from flashguard.market.exchange import Market, Protections
from flashguard.market.signals import Signals
from flashguard.market.venue import Venue, VenueConfig

needs_c = pytest.mark.skipif(
    tap.TradeTap is tap.PyTradeTap or os.environ.get("FLASHGUARD_PURE", "") not in ("", "0"),
    reason="flashguard.market._cengine is not built or FLASHGUARD_PURE=1",
)


def _twin(cls: Any, impact: float | int, sink: list[Event] | None) -> tuple[Any, Signals, StopLossHolders, World]:
    loop = EventLoop()
    market = Market(loop, ["ES"], "0.01", Protections(), session_open_ns=0, prior_close=10_000)
    for i in range(2):
        market.add_venue(Venue(VenueConfig(f"V{i}", 1_000 * (i + 1), 500), ["ES"], loop))
    signals = Signals(10_000, impact=impact, transient_impact=0.008)
    world = World(loop, market, "ES", signals, list(market.lit))
    params = StopLossParams(count=30, position=20, short_share=0.3, max_distance=0.05)
    stops = StopLossHolders(params, world, 5000, np.random.default_rng(7), 10_000)
    return cls(signals, stops, None if sink is None else sink.append), signals, stops, world


def _state(t: Any, signals: Signals, stops: StopLossHolders, world: World) -> tuple[Any, ...]:
    sig = tuple(repr(getattr(signals, name)) for name in Signals.__slots__)
    held = tuple((v.name, v.messages, v._next_order_id, world.loop.pending()) for v in world.lit)
    return (t.trades, dict(t.volume), dict(t.last), sig, list(stops.longs), list(stops.shorts),
            stops.fired, stops.fired_qty, held)


@needs_c
@pytest.mark.parametrize(("seed", "impact", "with_sink"), [(0, 0.001, True), (1, 0.001, False), (2, 0, True)])
def test_c_trade_tap_matches_the_reference(seed: int, impact: float | int, with_sink: bool) -> None:
    rng = random.Random(seed)
    sinks: list[list[Event]] = [[], []]
    ref, c = (
        _twin(cls, impact, sinks[k] if with_sink else None)
        for k, cls in enumerate((tap.PyTradeTap, tap.TradeTap))
    )
    assert type(c[0]) is not tap.PyTradeTap
    price = 10_000
    for i in range(600):
        price += rng.choice([-9, -3, -1, 0, 1, 2, 4]) if i < 400 else rng.choice([-1, 3, 9])
        trade = Trade(i, rng.choice(["V0", "V1"]), "ES", i + 1, max(1, price), rng.randint(1, 40),
                      rng.choice([1, -1, 1, -1, 0]), 1, 2)
        for t, _, _, world in (ref, c):
            t(world.lit[0], trade)
        if i % 50 == 0:  # the once-a-second update moves thinness and the transient part
            for _, signals, _, _ in (ref, c):
                signals.on_second(i * 1_000_000_000, price - 1, price + 1, 50.0 + i % 7, 40.0)
        assert _state(*c) == _state(*ref), i
    assert sinks[0] == sinks[1]
    assert len(sinks[0]) == (600 if with_sink else 0)
    fired = ref[2].fired
    assert 0 < fired < 30  # the walk fired some stops, not all
    for _, _, _, world in (ref, c):
        world.loop.run()
    assert _state(*c) == _state(*ref)


@needs_c
def test_c_trade_tap_checks_its_arguments() -> None:
    _, signals, stops, _ = _twin(tap.PyTradeTap, 0.001, None)
    for cls in (tap.PyTradeTap, tap.TradeTap):
        with pytest.raises(TypeError, match="sink=3 must be callable or None"):
            cls(signals, stops, 3)  # type: ignore[arg-type]

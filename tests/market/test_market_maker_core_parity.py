"""`_cengine.MmCore`, the C twin of `MarketMaker._wake` and `_schedule`, against the Python
reference: makers with every switch (post_only, rearm, pull_flow, move limits, the "nothing
changed" skip) quoting among noise traders on twin markets, one through the C twin and one
through the reference, must send the same orders and keep the same state, second by second.
Whole scenarios with and without the C twins: test_venue_core_parity.py."""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import pytest

from flashguard.core.loop import EventLoop
from flashguard.market.agents.base import _BLOCK, World, _py_stream
from flashguard.market.agents.market_maker import MarketMaker, MarketMakerParams
from flashguard.market.agents.noise import NoiseParams, NoiseTraders
from flashguard.market.exchange import Market, Protections
from flashguard.market.signals import Signals
from flashguard.market.venue import OPEN, Venue, VenueConfig

try:
    from flashguard.market import _cengine
except ImportError:  # not built
    _cengine = None  # type: ignore[assignment]

needs_c = pytest.mark.skipif(
    getattr(_cengine, "MmCore", None) is None
    or os.environ.get("FLASHGUARD_PURE", "") not in ("", "0"),
    reason="flashguard.market._cengine is not built or FLASHGUARD_PURE=1",
)

SEC = 1_000_000_000


def _market(n_venues: int) -> tuple[EventLoop, World]:
    loop = EventLoop()
    market = Market(loop, ["ES"], "0.01", Protections(), session_open_ns=0, prior_close=10_000)
    for i in range(n_venues):
        market.add_venue(Venue(VenueConfig(f"V{i}", 1_000 * (i + 1), 500), ["ES"], loop))
    world = World(loop, market, "ES", Signals(10_000), list(market.lit))
    return loop, world


def _state(world: World, makers: list[MarketMaker]) -> list[Any]:
    books = []
    for v in world.lit:
        book = v.books["ES"]
        books.append((book.l2(), v.messages, book.order_count()))
    agents = [
        (dict(m.slots.slots), dict(m.slots.by_id), m.slots.inventory, m.slots.traded,
         m.slots.version, m.out_until, m.back_ns)
        for m in makers
    ]
    return [books, agents]


CASES: dict[str, dict[str, Any]] = {
    "default": {},
    "post_only": {"post_only": True},
    "rearm": {"rearm": True, "pull_move": 0.002},
    "pull_flow": {"pull_flow": 0.4, "pull_move_spread": 0.6},
    "all": {"post_only": True, "rearm": True, "pull_flow": 0.5, "pull_move": 0.003},
    "tight": {"pull_move": 0.001, "cooldown_s": 2.5, "move_window_s": 7, "inventory_limit": 20,
              "levels": 4, "level_gap_ticks": 1, "half_spread_ticks": 0.4},
}


@needs_c
@pytest.mark.parametrize("case", sorted(CASES))
def test_c_market_makers_match_the_reference(case: str) -> None:
    base: dict[str, Any] = {"count": 4, "size": 6, "wake_ms": 150, "pull_vol": 3.0,
                            "pull_toxicity": 0.8, "cooldown_s": 5.0}
    params = MarketMakerParams(**(base | CASES[case]))
    noise = NoiseParams(count=40, rate_per_min=900.0, market_prob=0.35, max_orders=2)
    twins = []
    for use_c in (False, True):
        loop, world = _market(3)
        crowd = NoiseTraders(noise, world, 10_000, np.random.default_rng(3), [1.0, 1.5, 0.5])
        crowd._core = None  # the reference in both twins
        makers = [
            MarketMaker(params, world, 1000 + i, np.random.default_rng(40 + i), [3.0, 2.0, 1.0])
            for i in range(4)
        ]
        for m in makers:
            assert (m._core is not None) is True
            if not use_c:
                m._core = None  # the reference
            m.start()
        crowd.start()
        twins.append((loop, world, makers))
    script = random.Random(case)
    halted = 0
    for second in range(1, 121):
        # stress the makers now and then: the same signals on both twins
        stress = {
            "vol_ratio": script.choice([1.0, 1.0, 1.0, 1.0, 2.5, 3.5, 6.0]),
            "toxicity": script.choice([0.0, 0.1, 0.2, 0.5, 0.9]),
            "toxicity_slow": script.choice([0.0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.7]),
        }
        halt = script.random() < 0.05  # a venue stops trading for a second
        shift = script.uniform(-2.0, 2.0)  # the fair value moves
        for loop, world, _makers in twins:
            book = world.lit[0].books["ES"]
            world.signals.on_second(second * SEC, book.best_bid(), book.best_ask())
            for name, value in stress.items():
                setattr(world.signals, name, value)
            world.signals.fair += shift
            world.lit[1].status["ES"] = "halted" if halt else OPEN
            loop.run(second * SEC)
        halted += halt
        (_, wa, ma), (_, wb, mb) = twins
        assert _state(wa, ma) == _state(wb, mb), second
    c_makers = twins[1][2]
    assert sum(m.slots.traded for m in c_makers) > 0
    assert any(m.out_until > 0 for m in c_makers)  # they pulled at least once
    assert halted > 0


@needs_c
def test_c_market_maker_skips_a_wake_up_that_would_change_nothing() -> None:
    """Nothing changes between two wake-ups: the C twin sends nothing (as the reference)."""
    loop, world = _market(2)
    params = MarketMakerParams(count=1, wake_ms=100, pull_move=1.0)
    mm = MarketMaker(params, world, 1000, np.random.default_rng(1), [1.0, 1.0])
    assert mm._core is not None
    mm.start()
    loop.run(SEC)
    sent = [v.messages for v in world.lit]
    version = mm.slots.version
    assert mm.slots.live() == 2 * 2 * params.levels
    loop.run(3 * SEC)  # about 30 wake-ups, the same fair value and no fills
    assert [v.messages for v in world.lit] == sent
    assert mm.slots.version == version
    world.signals.fair += 3.0
    loop.run(4 * SEC)
    assert mm.slots.version > version  # it re-quotes when its fair value moves


@needs_c
def test_c_market_maker_refuses_python_slots() -> None:
    loop, world = _market(1)
    params = MarketMakerParams(count=1)
    mm = MarketMaker(params, world, 1000, np.random.default_rng(1), [1.0])
    with pytest.raises(TypeError):
        _cengine.MmCore(params, world.lit, "ES", object(),  # type: ignore[arg-type]
                        mm.draws.uniform, world.signals, loop, [1], 0.01, 2.0)


@needs_c
@pytest.mark.parametrize("arrays", [False, True])
def test_c_draw_stream_gives_the_reference_numbers_in_the_same_order(arrays: bool) -> None:
    """DrawStream against chain.from_iterable(iter(block, None)).__next__: the same numbers, and
    the blocks drawn at the same moments (uniform and normal share one Generator). The C stream
    reads a block given as a tuple or as the Generator's array (what Draws gives it)."""
    twins = []
    for use_c in (False, True):
        rng = np.random.default_rng(9)
        calls: list[int] = []
        as_array = use_c and arrays

        def block(rng: np.random.Generator = rng, calls: list[int] = calls,
                  as_array: bool = as_array) -> Any:
            calls.append(len(calls))
            a = rng.random(5)
            return a if as_array else tuple(a.tolist())

        def normal(rng: np.random.Generator = rng, as_array: bool = as_array) -> Any:
            a = rng.standard_normal(3)
            return a if as_array else tuple(a.tolist())

        stream: Any = _cengine.DrawStream if use_c else _py_stream
        uniform, norm = stream(block), stream(normal)
        pick = random.Random(4)
        out = [uniform() if pick.random() < 0.6 else norm() for _ in range(200)]
        assert all(type(x) is float for x in out)
        twins.append((out, calls))
    assert twins[0] == twins[1]
    assert len(twins[1][1]) > 20


@needs_c
def test_c_draw_stream_ends_as_the_chain() -> None:
    ends = iter([(0.25,), (), [0.5, 0.75], np.array([], dtype=float), np.array([1.5]),
                 np.array([2, 3]), None, (1.0,)])
    c_stream = _cengine.DrawStream(lambda: next(ends))
    assert [c_stream() for _ in range(6)] == [0.25, 0.5, 0.75, 1.5, 2, 3]
    with pytest.raises(StopIteration):
        c_stream()
    with pytest.raises(StopIteration):  # ended for good, as the chain
        c_stream()
    with pytest.raises(TypeError, match="block"):
        _cengine.DrawStream(3)  # type: ignore[arg-type]


@needs_c
def test_agents_draw_through_the_c_stream() -> None:
    from flashguard.market.agents.base import Draws

    d = Draws(np.random.default_rng(2))
    assert type(d.uniform) is _cengine.DrawStream
    ref = np.random.default_rng(2)
    first = ref.random(_BLOCK).tolist()
    assert [d.uniform() for _ in range(_BLOCK)] == first
    assert d.normal() == ref.standard_normal(_BLOCK)[0]  # the next block, from the same Generator

"""The C twins of the market's hot paths against their Python references.

- `_cengine.VenueCore` (order entry, report delivery, a lit venue's arrival) against
  `venue._PyVenueCore`, `_cengine.NoiseCore` against `NoiseTraders._act`/`_schedule`, and the
  market's guard and protections (`GuardCore`, `LuldCore`, `StopCore`, see
  test_protections_core_parity.py), the market makers' `MmCore` and the draws' `DrawStream`
  (see test_market_maker_core_parity.py): whole scenarios run with FLASHGUARD_PURE=1 (every
  reference) and with the C twins must publish the same events, the same per-second bars and
  the same results.
- `_cengine.Slots` against `quoting.PySlots`, and `NoiseCore` and `HftCore` against their
  references in one process, step by step on twin markets; `_cengine.nbbo` against
  `exchange._py_nbbo`.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from flashguard.core.events import (
    Event,
    NewOrder,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    RequestRejected,
)
from flashguard.core.loop import EventLoop
from flashguard.market.agents.base import World
from flashguard.market.agents.hft import Hft, HftParams
from flashguard.market.agents.noise import NoiseParams, NoiseTraders
from flashguard.market.agents.quoting import PySlots
from flashguard.market.book import OrderBook
from flashguard.market.exchange import Market, Protections, _py_nbbo
from flashguard.market.matching import PyMatchingEngine
from flashguard.market.signals import Signals
from flashguard.market.venue import Venue, VenueConfig

try:
    from flashguard.market import _cengine
except ImportError:  # not built
    _cengine = None  # type: ignore[assignment]
CSlots: Any = getattr(_cengine, "Slots", None)

needs_c = pytest.mark.skipif(
    CSlots is None or os.environ.get("FLASHGUARD_PURE", "") not in ("", "0"),
    reason="flashguard.market._cengine is not built or FLASHGUARD_PURE=1",
)

# Runs a scenario for a few simulated minutes and prints a digest of everything it published.
_DIGEST = """
import hashlib, sys
import msgspec
from flashguard.market import exchange, tap, venue
from flashguard.market.agents import base, hft, market_maker, noise, quoting
from flashguard.market.protections import luld, stop_logic
from flashguard.market.results import market_result
from flashguard.market.scenario import load_scenario
from flashguard.market.simulation import Simulation

name, seconds = sys.argv[1], int(sys.argv[2])
sc = msgspec.structs.replace(load_scenario(name), duration_s=seconds)
h = hashlib.sha256()
sim = Simulation(sc, 3, sink=lambda ev: h.update(repr(ev).encode()))
sim.run()
for row in sim.bars.rows:
    h.update(repr(row).encode())
result = market_result(sim)
result.pop("wall_seconds", None)
h.update(repr(sorted(result.items())).encode())
c = (venue.CORE, noise._c is not None, quoting.Slots is not quoting.PySlots, hft._c is not None,
     exchange.GUARD, luld.Luld is not luld.PyLuld, stop_logic.StopLogic is not stop_logic.PyStopLogic,
     market_maker._c is not None, base._c is not None, tap.TradeTap is not tap.PyTradeTap)
print(sim.messages, h.hexdigest(), *c)
"""


def _digest(name: str, seconds: int, pure: bool) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "FLASHGUARD_PURE"}
    if pure:
        env["FLASHGUARD_PURE"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", _DIGEST, name, str(seconds)],
        env=env, capture_output=True, text=True, check=True,
    )
    return out.stdout.split()


@needs_c
@pytest.mark.slow
@pytest.mark.parametrize(("name", "seconds"), [("may6", 240), ("calm", 300), ("crypto-cascade", 240)])
def test_whole_scenario_is_the_same_with_the_c_twins(name: str, seconds: int) -> None:
    pure = _digest(name, seconds, pure=True)
    c = _digest(name, seconds, pure=False)
    assert pure[2:] == ["python", "False", "False", "False", "python", "False", "False", "False",
                        "False", "False"]
    assert c[2:] == ["c", "True", "True", "True", "c", "True", "True", "True", "True", "True"]
    assert int(c[0]) > 1000  # the run did something
    assert c[:2] == pure[:2]


# --- in one process ---------------------------------------------------------------------------


def _market(n_venues: int = 2) -> tuple[EventLoop, World]:
    loop = EventLoop()
    market = Market(loop, ["ES"], "0.01", Protections(), session_open_ns=0, prior_close=10_000)
    for i in range(n_venues):
        market.add_venue(Venue(VenueConfig(f"V{i}", 1_000 * (i + 1), 500), ["ES"], loop))
    world = World(loop, market, "ES", Signals(10_000), list(market.lit))
    return loop, world


def _books(world: World) -> list[Any]:
    out = []
    for v in world.lit:
        book = v.books["ES"]
        out.append((book.l2(), v.messages, book.order_count()))
    return out


def _slots_state(s: Any) -> tuple[Any, ...]:
    return (dict(s.slots), dict(s.by_id), s.inventory, s.traded, s.version, s.live())


@needs_c
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_c_slots_match_the_reference(seed: int) -> None:
    """Random place / pull / report sequences on twin markets: same slots, same counters,
    same requests at the venues (hence the same books)."""
    twins = []
    for cls in (PySlots, CSlots):
        loop, world = _market()
        slots = cls(world, 77)
        reports: list[Event] = []
        world.connect(77, reports.append, 2_000)
        twins.append((loop, world, slots, reports))
    rng = random.Random(seed)
    for step in range(600):
        op = rng.random()
        args = (rng.randrange(2), rng.choice((1, -1)), rng.randrange(3),
                rng.choice((0, -5, 9_990, 9_995, 10_000, 10_005, 10_010)), rng.choice((0, 1, 3, 5)))
        taker = (rng.randrange(2), rng.choice((1, -1)), rng.randrange(1, 6), rng.choice((9_990, 10_010)))
        for loop, world, slots, reports in twins:
            if op < 0.7:
                slots.place(*args)
            elif op < 0.85:  # someone else takes what the slots show
                vi, side, qty, price = taker
                world.lit[vi].submit(99, "ES", side, qty, price, 1, 3)
            elif op < 0.9:
                slots.pull_all()
            else:
                for ev in reports:
                    slots.on_report(ev)
                reports.clear()
            if step % 7 == 0:
                loop.run(loop.now_ns() + 3_000)
        a, b = twins[0], twins[1]
        assert _slots_state(a[2]) == _slots_state(b[2]), step
        assert _books(a[1]) == _books(b[1]), step
    for loop, _world, slots, reports in twins:
        loop.run(loop.now_ns() + 10_000)
        for ev in reports:
            slots.on_report(ev)
    assert _slots_state(twins[0][2]) == _slots_state(twins[1][2])
    assert twins[1][2].traded > 0  # the slots were filled, not only placed and pulled


@needs_c
def test_c_slots_follow_fills_cancels_and_rejects() -> None:
    _loop, world = _market(1)
    for cls in (PySlots, CSlots):
        s = cls(world, 5)
        s.place(0, 1, 0, 9_990, 4)
        s.place(0, -1, 0, 10_010, 4)
        (bid_id, _, _), (ask_id, _, _) = s.slots[(0, 1, 0)], s.slots[(0, -1, 0)]
        v = s.version
        s.on_report(OrderFilled(1, "V0", "ES", bid_id, "", 5, 1, 9_990, 3, 1, True, 1))
        assert (s.inventory, s.traded, s.slots[(0, 1, 0)], s.version) == (3, 3, (bid_id, 9_990, 1), v + 1)
        s.on_report(OrderFilled(2, "V0", "ES", bid_id, "", 5, 1, 9_990, 1, 0, True, 2))
        assert (0, 1, 0) not in s.slots and s.inventory == 4
        s.on_report(OrderCancelled(3, "V0", "ES", ask_id, "", 5, 4, "user"))
        assert s.live() == 0 and s.by_id == {}
        s.place(0, 1, 1, 9_980, 2)
        oid = s.slots[(0, 1, 1)][0]
        s.on_report(RequestRejected(4, "V0", "ES", oid + 1, 5, "modify", "unknown_order"))
        assert s.live() == 1  # not its order
        s.on_report(OrderRejected(5, "V0", "ES", oid, "", 5, "price_collar"))
        assert s.live() == 0


@needs_c
@pytest.mark.parametrize("activity_sd", [0.0, 0.8])
def test_c_noise_traders_match_the_reference(activity_sd: float) -> None:
    """The same population on twin markets, one acting through the C twin and one through the
    Python reference: the same orders, the same books, step by step."""
    params = NoiseParams(count=40, rate_per_min=600.0, activity_sd=activity_sd, max_orders=2)
    twins = []
    for use_c in (False, True):
        loop, world = _market(3)
        crowd = NoiseTraders(params, world, 10_000, np.random.default_rng(11), [1.0, 2.0, 0.5])
        if not use_c:
            crowd._core = None  # the reference
        assert (crowd._core is not None) == use_c
        crowd.start()
        twins.append((loop, world, crowd))
    for second in range(1, 151):  # over two minute steps of the activity level
        for loop, world, _crowd in twins:
            world.signals.on_second(second * 1_000_000_000, None, None)
            loop.run(second * 1_000_000_000)
        (_, wa, ca), (_, wb, cb) = twins
        assert ca.orders == cb.orders, second
        assert _books(wa) == _books(wb), second
    assert sum(v.messages for v in twins[1][1].lit) > 1_000


@needs_c
@pytest.mark.parametrize("toxic", [False, True])
def test_c_hfts_match_the_reference(toxic: bool) -> None:
    """HFTs quoting, unloading and arbitraging among noise traders on twin markets (the noise
    traders through the reference in both): the same orders, inventories and books."""
    noise_params = NoiseParams(count=30, rate_per_min=400.0, market_prob=0.4, max_orders=2)
    params = HftParams(count=4, inventory_limit=12, size=3, wake_ms=50,
                       lean_toxicity=-1.0 if toxic else 0.35)
    twins = []
    for use_c in (False, True):
        loop, world = _market(3)
        crowd = NoiseTraders(noise_params, world, 10_000, np.random.default_rng(5), [1.0, 1.0, 1.0])
        crowd._core = None
        hfts = [Hft(params, world, 2000 + i, np.random.default_rng(70 + i)) for i in range(4)]
        for h in hfts:
            if not use_c:
                h._core = None  # the reference, reports included
                world.connect(h.owner, h._on_report, params.latency_us * 1000)
            h.start()
        crowd.start()
        twins.append((loop, world, hfts))
    for second in range(1, 41):
        for loop, world, _hfts in twins:
            world.signals.on_second(second * 1_000_000_000, None, None)
            loop.run(second * 1_000_000_000)
        (_, wa, ha), (_, wb, hb) = twins
        assert _books(wa) == _books(wb), second
        assert [_slots_state(h.slots) for h in ha] == [_slots_state(h.slots) for h in hb], second
    assert sum(h.slots.traded for h in twins[1][2]) > 0


@needs_c
def test_c_arrival_calls_methods_replaced_on_the_instance() -> None:
    """The C arrival path calls the guard's admit and after, and the venue's
    _publish_market_data, _broadcast and _deliver, in C only when they are the types' own: one
    replaced on the instance is what is called."""
    loop, world = _market(1)
    v, market = world.lit[0], world.market
    calls: list[str] = []

    def counted(name: str, method: Any) -> Any:
        def wrapper(*a: Any) -> Any:
            calls.append(name)
            return method(*a)
        return wrapper

    for obj, name in ((market, "admit"), (market, "after"), (v, "_publish_market_data"),
                      (v, "_broadcast"), (v, "_deliver")):
        setattr(obj, name, counted(name, getattr(obj, name)))
    v.subscribe(lambda ev: calls.append(type(ev).__name__))
    v.submit(1, "ES", 1, 5, 10_000)
    v.submit(2, "ES", -1, 5, 10_000)
    loop.run()
    assert {"admit", "after", "_publish_market_data", "_broadcast", "_deliver", "Quote",
            "Trade"} <= set(calls)


@needs_c
def test_c_venue_core_keeps_the_python_attributes() -> None:
    loop, world = _market(1)
    v = world.lit[0]
    assert type(v).__mro__[2] is _cengine.VenueCore
    first = v.submit(1, "ES", 1, 5, 9_990)
    assert v.submit(1, "ES", -1, 5, price=10_010, tif=1, client_order_id="x") == first + 1
    assert v._next_order_id == first + 2
    v.cancel(1, "ES", first)
    v.modify(owner=1, instrument="ES", order_id=first + 1, price=10_011, qty=4)
    loop.run()
    assert v.messages == 4
    assert v.books["ES"].l1() == (None, 0, 10_011, 4)
    with pytest.raises(TypeError, match="qty"):
        v.submit(1, "ES", 1)  # type: ignore[call-arg]
    v._latency[9] = 1.5  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"latency=1\.5 must be an int"):
        v.cancel(9, "ES", 1)


class _PyBookVenue:
    """A venue whose book is the Python reference book (the C nbbo reads it by its methods)."""

    def __init__(self) -> None:
        self.status = {"ES": "open"}
        self.books = {"ES": OrderBook("ES")}


@needs_c
@pytest.mark.parametrize("seed", [1, 2])
def test_c_nbbo_matches_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    loop, world = _market(3)
    lit: list[Any] = [*world.lit, _PyBookVenue()]
    statuses = ["open", "limit_state", "paused", "halted", "auction"]
    for step in range(300):
        v = world.lit[rng.randrange(3)]
        v.submit(rng.randrange(1, 4), "ES", rng.choice((1, -1)), rng.randrange(1, 5),
                 rng.randrange(9_980, 10_021), 1, rng.choice((1, 1, 3)))
        loop.run(loop.now_ns() + 5_000)
        if rng.random() < 0.2:
            rng.choice(lit).status["ES"] = rng.choice(statuses)
        if rng.random() < 0.1:
            py_book = lit[3].books["ES"]
            lit[3].books["ES"] = OrderBook("ES") if py_book.order_count() else _rested(rng)
        for venues in (lit, lit[:1], lit[3:], []):
            assert _cengine.nbbo(venues, "ES") == _py_nbbo(venues, "ES"), step
    with pytest.raises(KeyError):
        _cengine.nbbo(lit, "NQ")


def _rested(rng: random.Random) -> OrderBook:
    engine = PyMatchingEngine("PY", ["ES"])
    for i in range(rng.randrange(1, 6)):
        engine.handle(NewOrder(i, "PY", "ES", i + 1, "", 9, rng.choice((1, -1)), 1, 1,
                               rng.randrange(9_980, 10_021), 2))
    return engine.books["ES"]

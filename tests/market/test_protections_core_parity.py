"""The C protections and the market's C guard against their Python references.

- `_cengine.LuldCore` (protections.luld.Luld) against `PyLuld` and `_cengine.StopCore`
  (protections.stop_logic.StopLogic) against `PyStopLogic`: the same random calls on twins give
  the same answers, the same Transitions and the same errors, call by call.
- `_cengine.GuardCore` (the base of exchange.Market) against `_PyGuardCore`: on a market
  trading under LULD, stop logic and velocity logic, each new order's admission by the C guard
  equals the reference's at the same instant (both ask the protections at one t_ns, which
  changes nothing the second time), clamp included. Whole runs of the scenarios, C against
  FLASHGUARD_PURE=1, are in test_venue_core_parity.py.
"""

from __future__ import annotations

import os
import random
import types
from collections.abc import Callable
from typing import Any

import pytest

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import NewOrder
from flashguard.core.loop import EventLoop
from flashguard.market import exchange
from flashguard.market.exchange import Market, Protections
from flashguard.market.matching import PyMatchingEngine
from flashguard.market.protections.luld import Luld, LuldParams, PyLuld
from flashguard.market.protections.stop_logic import PyStopLogic, StopLogic, StopLogicParams
from flashguard.market.venue import Venue, VenueConfig

needs_c = pytest.mark.skipif(
    Luld is PyLuld or os.environ.get("FLASHGUARD_PURE", "") not in ("", "0"),
    reason="flashguard.market._cengine is not built or FLASHGUARD_PURE=1",
)

S = NS_PER_SECOND
MIDNIGHT = 3 * 86_400 * S
OPEN = MIDNIGHT + (9 * 3600 + 30 * 60) * S


def _same(a: Any, b: Any, call: Callable[[Any], Any]) -> Any:
    """call(a) and call(b) return equal values or raise the same error."""
    out = []
    for x in (a, b):
        try:
            out.append(("ok", call(x)))
        except Exception as e:  # the error itself is what is compared
            out.append(("err", type(e), str(e)))
    assert out[0] == out[1]
    return out[0]


def _luld_state(x: Any) -> tuple[Any, ...]:
    return (x.status, x.reference, x.next_deadline())


@needs_c
@pytest.mark.parametrize("seed", range(6))
def test_c_luld_matches_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    params = LuldParams(
        tier=rng.choice((1, 2)),
        ref_window_ns=rng.choice((2 * S, 30 * S, 300 * S)),
        limit_state_ns=rng.choice((1 * S, 15 * S)),
        pause_ns=rng.choice((3 * S, 60 * S)),
        extension_ns=rng.choice((2 * S, 60 * S)),
        ref_min_move=rng.choice(("0.01", "0", "0.002")),
    )
    tick = rng.choice(("0.01", "0.25"))
    py, c = PyLuld(params, tick, OPEN), Luld(params, tick, OPEN)
    t = OPEN - rng.randrange(0, 3600) * S
    price = rng.choice((40, 300, 1_000, 5_000))
    for step in range(3_000):
        t += rng.choice((0, 0, 1, 1_000, S // 10, S, 7 * S, 90 * S))
        price = max(1, price + rng.randrange(-price // 20 - 1, price // 20 + 2))
        op = rng.random()
        if op < 0.35:
            q = rng.randrange(1, 50)
            _same(py, c, lambda x, t=t, p=price, q=q: x.on_trade(t, p, q))
        elif op < 0.65:
            spread = rng.randrange(0, 5)
            bid = None if rng.random() < 0.1 else price - spread
            ask = None if rng.random() < 0.1 else price + rng.randrange(0, 5)
            if rng.random() < 0.2:  # a quote through a band
                bid, ask = price * 2, price * 2 + 1
            elif rng.random() < 0.2:
                bid, ask = max(1, price // 2 - 1), max(1, price // 2)
            _same(py, c, lambda x, t=t, b=bid, a=ask: x.on_quote(t, b, a))
        elif op < 0.75:
            _same(py, c, lambda x, t=t: x.poll(t))
        elif op < 0.85:
            _same(py, c, lambda x, t=t: x.bands(t))
            _same(py, c, lambda x, t=t, p=price: x.allows(t, p))
        elif op < 0.95:
            p = None if rng.random() < 0.2 else price
            _same(py, c, lambda x, t=t, p=p: x.reopened(t, p))
        else:
            _same(py, c, lambda x, t=t: x.extend(t))
        assert _luld_state(py) == _luld_state(c), step


@needs_c
def test_c_luld_raises_what_the_reference_raises() -> None:
    for bad in (
        lambda x: x.on_trade(OPEN, 0, 1),
        lambda x: x.on_trade(OPEN, 10, 0),
        lambda x: x.on_trade(OPEN, True, 1),
        lambda x: x.on_trade(OPEN, 10.0, 1),
        lambda x: x.reopened(OPEN, 5),
        lambda x: x.extend(OPEN),
    ):
        py, c = PyLuld(LuldParams(), "0.01", OPEN), Luld(LuldParams(), "0.01", OPEN)
        assert _same(py, c, bad)[0] == "err"
    py, c = PyLuld(LuldParams(), "0.01", OPEN), Luld(LuldParams(), "0.01", OPEN)
    _same(py, c, lambda x: x.on_trade(OPEN + S, 100, 1))
    assert _same(py, c, lambda x: x.bands(OPEN))[0] == "err"  # time went backwards
    off = LuldParams(enabled=False)
    py, c = PyLuld(off, "0.01", OPEN), Luld(off, "0.01", OPEN)
    for call in (lambda x: x.on_trade(OPEN, 100, 1), lambda x: x.on_quote(OPEN, 1, 2),
                 lambda x: x.bands(OPEN), lambda x: x.poll(OPEN)):
        _same(py, c, call)
    assert c.params is off
    with pytest.raises(ValueError, match="tick_size"):
        Luld(LuldParams(), "0", OPEN)


def _stop_state(x: Any) -> tuple[Any, ...]:
    return (x.status, x.next_deadline())


@needs_c
@pytest.mark.parametrize("seed", range(6))
def test_c_stop_logic_matches_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    params = StopLogicParams(
        ticks=rng.choice((0, 3, 24)), window_ns=rng.choice((0, S, 5 * S)),
        pause_ns=rng.choice((1, 2 * S)),
    )
    py, c = PyStopLogic(params), StopLogic(params)
    t = OPEN
    price = 1_000
    for step in range(3_000):
        t += rng.choice((0, 0, 1, S // 3, S, 4 * S))
        price = max(1, price + rng.randrange(-8, 9))
        op = rng.random()
        if op < 0.45:
            _same(py, c, lambda x, t=t, p=price: x.on_trade(t, p))
        elif op < 0.75:
            side = rng.choice((1, -1, 1, -1, 0))
            _same(py, c, lambda x, t=t, s=side: x.limit_price(t, s))
        elif op < 0.82:
            _same(py, c, lambda x, t=t: x.trigger(t, "velocity_logic"))
        elif op < 0.92:
            _same(py, c, lambda x, t=t: x.poll(t))
        else:
            p = None if rng.random() < 0.3 else price
            _same(py, c, lambda x, t=t, p=p: x.reopened(t, p))
        assert _stop_state(py) == _stop_state(c), step
    py, c = PyStopLogic(params), StopLogic(params)
    assert _same(py, c, lambda x: x.on_trade(OPEN, 0))[0] == "err"
    assert _same(py, c, lambda x: x.trigger(OPEN))[1].reason == "stop_logic"
    assert _same(py, c, lambda x: x.poll(OPEN - 1))[0] == "err"


# --- the market's guard ---------------------------------------------------------------------


def _guarded_market(seed: int) -> tuple[EventLoop, Market]:
    loop = EventLoop()
    loop.clock.advance_to(OPEN + 3600 * S)
    # stop logic or velocity logic (both at once: Market._apply_local reopens every stop
    # logic of the venue when one pauses, and the other refuses: a known limitation)
    stop = StopLogicParams(ticks=6) if seed % 2 else StopLogicParams(ticks=15, window_ns=S)
    protections = Protections(
        luld=LuldParams(limit_state_ns=2 * S, pause_ns=10 * S),
        **{"stop_logic" if seed % 2 else "velocity_logic": stop},
    )
    market = Market(loop, ["ES"], "0.01", protections, session_open_ns=OPEN, prior_close=1_000)
    for i in range(2):
        market.add_venue(Venue(VenueConfig(f"V{i}", 1_000 * (i + 1), 500), ["ES"], loop))
    return loop, market


@needs_c
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_c_guard_admits_as_the_reference(seed: int) -> None:
    assert exchange.GUARD == "c"
    rng = random.Random(seed)
    loop, market = _guarded_market(seed)
    halts = clamped = repriced = 0
    for step in range(2_500):
        v = market.lit[rng.randrange(2)]
        mid = 1_000 + rng.randrange(-30, 31)
        side = rng.choice((1, -1))
        market_order = rng.random() < 0.1
        reach = 200 if rng.random() < 0.05 else 30  # now and then beyond the LULD band
        price = 0 if market_order else mid + side * rng.randrange(-20, reach)
        qty = rng.choice((1, 2, 5, 40))
        t = loop.now_ns()
        order = NewOrder(t, v.name, "ES", 10**6 + step, "", 7 + step % 3, side,
                         2 if market_order else 1, 1, price, qty)
        if v.status["ES"] in ("open", "limit_state"):
            c_out = market.admit(v, order)
            c_clamp = market._clamped
            market._clamped = None
            py_out = market._admit_py(v, order)
            assert (c_out, c_clamp) == (py_out, market._clamped), step
            clamped += c_clamp is not None
            repriced += c_out is not order
            market._clamped = None
        v.submit(7 + step % 3, "ES", side, qty, price, 2 if market_order else 1, 1)
        loop.run(loop.now_ns() + rng.choice((1, 1_000, S // 10, S)))
        halts = len(market.halts)
    assert clamped > 0 and halts > 0 and repriced >= clamped


# --- the venues' direct way into the C loop ------------------------------------------------


class _CountingLoop(EventLoop):
    """A loop subclass: its call_at may do anything, so the C venue must call it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def call_at(self, t_ns: int, callback: Callable[..., Any], *args: Any) -> None:
        self.calls += 1
        super().call_at(t_ns, callback, *args)


@needs_c
def test_c_venue_schedules_through_an_overridden_call_at() -> None:
    """A C venue on the C EventLoop schedules in C; on a subclass it calls its call_at. Both
    give the same reports at the same times."""
    runs = []
    for loop in (EventLoop(), _CountingLoop()):
        v = Venue(VenueConfig("V", 1_000, 500), ["ES"], loop)
        seen: list[tuple[int, Any]] = []

        def note(ev: Any, loop: EventLoop = loop, seen: list[tuple[int, Any]] = seen) -> None:
            seen.append((loop.now_ns(), ev))

        v.connect(7, note, 2_000)
        v.connect(8, note, 3_000)
        v.submit(7, "ES", 1, 5, 1_000)
        v.submit(8, "ES", -1, 3, 999)
        loop.run()
        runs.append((seen, v.books["ES"].l1(), getattr(loop, "calls", None)))
    assert runs[0][:2] == runs[1][:2]
    assert len(runs[0][0]) == 4 and runs[1][2] == 2 + 4  # two arrivals, four reports


def _python_protections(market: Market) -> None:
    """Swap the market's C protections for fresh Python references (before any trade): the C
    guard must then leave everything to the reference's methods."""
    for sym, c_luld in list(market._luld.items()):
        market._luld[sym] = PyLuld(c_luld.params, "0.01", OPEN)  # type: ignore[assignment]
    for key, (collar, _, stops) in list(market._guards.items()):
        py_stops = None if stops is None else [(k, PyStopLogic(s.params)) for k, s in stops]
        if py_stops is not None:
            market._stops[key] = py_stops  # type: ignore[assignment]
        market._guards[key] = (collar, market._luld.get(key[1]), py_stops)  # type: ignore[assignment]


@needs_c
@pytest.mark.parametrize("seed", [1, 2])
def test_c_guard_with_python_protections_runs_as_with_c_ones(seed: int) -> None:
    """The same order flow on a market with the C protections and on one with the Python
    references (which the C guard hands to `_admit_py`, `_after_py`, `_on_top_change_py`):
    the same reports at the same times, the same halts, bands and last prices."""
    outcomes = []
    for python in (False, True):
        loop, market = _guarded_market(seed)
        if python:
            _python_protections(market)
        reports: list[tuple[int, Any]] = []

        def note(ev: Any, loop: EventLoop = loop, reports: list[tuple[int, Any]] = reports) -> None:
            reports.append((loop.now_ns(), ev))

        for v in market.lit:
            for owner in (7, 8, 9):
                v.connect(owner, note, 1_500)
        rng = random.Random(seed)
        for step in range(1_500):
            v = market.lit[rng.randrange(2)]
            side = rng.choice((1, -1))
            market_order = rng.random() < 0.1
            reach = 200 if rng.random() < 0.05 else 30
            price = 0 if market_order else 1_000 + rng.randrange(-30, 31) + side * rng.randrange(-20, reach)
            v.submit(7 + step % 3, "ES", side, rng.choice((1, 2, 5, 40)), price,
                     2 if market_order else 1, 1)
            loop.run(loop.now_ns() + rng.choice((1, 1_000, S // 10, S)))
        halts = [(h.venue, h.kind, h.start_ns, h.end_ns, h.reason) for h in market.halts]
        outcomes.append((reports, halts, dict(market._bands), dict(market.last_price)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1] and len(outcomes[0][0]) > 1_000


@needs_c
def test_venue_nbbo_matches_the_reference() -> None:
    """`_cengine.venue_nbbo` (Market.nbbo: the C venues' books read in place) against
    `exchange._py_nbbo`, over random books and statuses, alone and beside a venue it cannot
    read in place (then the generic `_cengine.nbbo` answers)."""
    from flashguard.market import _cengine
    from flashguard.market.exchange import _py_nbbo

    class PyBookVenue:
        def __init__(self) -> None:
            self.status = {"ES": "open"}
            self.books = {"ES": PyMatchingEngine("PY", ["ES"]).book("ES")}

    rng = random.Random(5)
    loop, market = _guarded_market(1)
    market.add_venue(Venue(VenueConfig("V2", 3_000, 500), ["ES"], loop))
    lit: list[Any] = list(market.lit)
    statuses = ["open", "limit_state", "paused", "halted", "auction"]
    for step in range(400):
        v = lit[rng.randrange(3)]
        v.submit(rng.randrange(1, 4), "ES", rng.choice((1, -1)), rng.randrange(1, 5),
                 rng.randrange(980, 1_021), 1, rng.choice((1, 1, 3)))
        loop.run(loop.now_ns() + 5_000)
        if rng.random() < 0.2:
            rng.choice(lit).status["ES"] = rng.choice(statuses)
        for venues in (lit, lit[:1], [], [*lit, PyBookVenue()]):
            assert _cengine.venue_nbbo(venues, "ES") == _py_nbbo(venues, "ES"), step
    with pytest.raises(KeyError):
        _cengine.venue_nbbo(lit, "NQ")


@needs_c
@pytest.mark.parametrize("seed", [1, 2])
def test_c_market_data_matches_the_reference(seed: int) -> None:
    """A lit venue's market data after each request (`VenueCore._lit_publish_market_data`)
    against `_PyVenueCore._lit_publish_market_data`, on twin venues fed the same requests:
    the same trades and quotes reach the subscribers at the same times."""
    from flashguard.market.venue import _PyVenueCore

    feeds = []
    for python in (False, True):
        loop = EventLoop()
        v = Venue(VenueConfig("V", 1_000, 700), ["ES"], loop)
        if python:
            v._publish_market_data = types.MethodType(  # type: ignore[method-assign]
                _PyVenueCore._lit_publish_market_data, v
            )
        feed: list[tuple[int, Any]] = []

        def note(ev: Any, loop: EventLoop = loop, feed: list[tuple[int, Any]] = feed) -> None:
            feed.append((loop.now_ns(), ev))

        v.subscribe(note)
        rng = random.Random(seed)
        ids: list[int] = []
        for step in range(800):
            op = rng.random()
            if op < 0.6 or not ids:
                ids.append(v.submit(rng.randrange(1, 5), "ES", rng.choice((1, -1)),
                                    rng.randrange(1, 6), rng.randrange(990, 1_011), 1,
                                    rng.choice((1, 1, 3))))
            elif op < 0.8:
                v.cancel(rng.randrange(1, 5), "ES", rng.choice(ids))
            else:
                v.modify(rng.randrange(1, 5), "ES", rng.choice(ids), rng.randrange(990, 1_011),
                         rng.randrange(1, 6))
            if step == 400:
                v.set_status("ES", "paused", "test")
            if step == 450:
                v.reopen("ES", 1_000)
            loop.run(loop.now_ns() + rng.choice((1, 500, 5_000)))
        loop.run()
        feeds.append(feed)
    assert feeds[0] == feeds[1]
    kinds = {type(ev).__name__ for _, ev in feeds[0]}
    assert {"Quote", "Trade", "VenueStatus"} <= kinds

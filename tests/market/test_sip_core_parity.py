"""The C consolidated feed and the venues' C feed delivery against their Python references.

- `_cengine.SipCore` (sip.Sip when built) against `sip.PySip`: twin SIPs, each on its own
  event loop, get the same random stream of venue quotes, statuses and trades (several venues
  and instruments, ties, one-sided and empty quotes, sizes whose sums leave 64 bits) between
  which the loops run for random times, with other callbacks scheduled on them at the same
  instants. Everything the subscribers see (time, event, which subscriber), interleaved with
  those other callbacks, is compared event by event, and so are nbbo() and last_trade.
- A lit venue's market data in C (`_lit_publish_market_data`: the quote after a request, told
  changed or not without making the book's l1 tuple, and `venue_broadcast` / `venue_deliver`)
  against `_PyVenueCore`'s, on twin venues fed the same random requests and status changes.
- `_cengine.venue_broadcast` / `venue_deliver` (VenueBase's feed delivery) against
  `_PyVenueCore._broadcast` / `_deliver`, and SipCore against PySip, in a whole run of the
  market and the trading system: every event the system emits is the same.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.core.events import Event, Quote, Trade, VenueStatus
from flashguard.core.loop import EventLoop, PyEventLoop
from flashguard.market import simulation, sip, venue
from flashguard.market.sip import PySip
from flashguard.market.venue import Venue, VenueConfig

needs_c = pytest.mark.skipif(
    sip.CORE != "c" or os.environ.get("FLASHGUARD_PURE", "") not in ("", "0"),
    reason="flashguard.market._cengine is not built or FLASHGUARD_PURE=1",
)

VENUES = ("A", "B", "C")
INSTRUMENTS = ("ES", "NQ")
STATUSES = ("open", "limit_state", "halted", "paused", "auction", "closed")
BIG = 2**63 - 1
prices = st.one_of(st.integers(0, 6), st.sampled_from([0, 100, BIG, -3]))
sizes = st.one_of(st.integers(0, 4), st.just(BIG))
venues = st.sampled_from(VENUES)
instruments = st.sampled_from(INSTRUMENTS)

quotes = st.tuples(st.just("quote"), venues, instruments, prices, sizes, prices, sizes)
statuses = st.tuples(st.just("status"), venues, instruments, st.sampled_from(STATUSES))
ops = st.one_of(
    quotes,
    quotes,
    statuses,
    statuses,
    st.tuples(st.just("trade"), venues, instruments, st.integers(1, 9)),
    st.tuples(st.just("run"), st.integers(0, 3_000)),
    st.tuples(st.just("mark"), st.integers(0, 3_000)),
    st.tuples(st.just("subscribe")),
    st.tuples(st.just("arm")),
    st.tuples(st.just("nbbo"), instruments),
)


def _event(op: tuple[Any, ...], t: int) -> Event:
    kind = op[0]
    if kind == "quote":
        return Quote(t, op[1], op[2], op[3], op[4], op[5], op[6])
    if kind == "status":
        return VenueStatus(t, op[1], op[2], op[3], "test")
    return Trade(t, op[1], op[2], 7, op[3], 1, 0, 1, 2)


class _Twin:
    """A SIP on its own loop, with what its subscribers and the other callbacks saw."""

    def __init__(self, cls: Callable[..., Any], loop_cls: Callable[[], Any], latency: int) -> None:
        self.loop = loop_cls()
        self.sip = cls(self.loop, latency)
        self.seen: list[tuple[Any, ...]] = []
        self.armed = False
        self.subscribe()

    def subscribe(self) -> None:
        k = len(self.sip._subscribers)

        def listener(ev: Event) -> None:
            self.seen.append((k, self.loop.now_ns(), type(ev), ev))
            if self.armed:  # a listener that subscribes another in the middle of a delivery
                self.armed = False
                self.subscribe()

        self.sip.subscribe(listener)

    def apply(self, op: tuple[Any, ...], step: int) -> Any:
        kind, loop = op[0], self.loop
        if kind == "run":
            loop.run(loop.now_ns() + op[1])
        elif kind == "mark":
            loop.call_later(op[1], lambda: self.seen.append(("mark", step, loop.now_ns())))
        elif kind == "subscribe":
            self.subscribe()
        elif kind == "arm":
            self.armed = True
        elif kind == "nbbo":
            return self.sip.nbbo(op[1])
        else:
            self.sip.on_event(_event(op, loop.now_ns()))
            # something else scheduled at the very instant the SIP's publication is due
            loop.call_later(self.sip.latency_ns, lambda: self.seen.append(("tie", step)))
        return None


@needs_c
@pytest.mark.parametrize("loop_cls", [EventLoop, PyEventLoop], ids=["c_loop", "py_loop"])
@settings(max_examples=150, deadline=None)
@given(latency=st.sampled_from([0, 1, 500, 2_000]), stream=st.lists(ops, min_size=20, max_size=80))
def test_c_sip_publishes_what_the_reference_publishes(
    loop_cls: Callable[[], Any], latency: int, stream: list[tuple[Any, ...]]
) -> None:
    py, c = _Twin(PySip, loop_cls, latency), _Twin(sip.Sip, loop_cls, latency)
    assert type(c.sip) is not PySip
    for step, op in enumerate(stream):
        assert py.apply(op, step) == c.apply(op, step), op
        assert py.seen == c.seen
        for sym in INSTRUMENTS:
            assert py.sip.nbbo(sym) == c.sip.nbbo(sym)
    for tw in (py, c):
        tw.loop.run()
    assert py.seen == c.seen
    assert py.sip.last_trade == c.sip.last_trade
    for sym in (*INSTRUMENTS, "unknown"):
        assert py.sip.nbbo(sym) == c.sip.nbbo(sym)


@needs_c
def test_c_sip_keeps_the_python_api() -> None:
    loop = EventLoop()
    s = sip.Sip(loop, latency_ns=1_000)
    assert (s.loop, s.latency_ns, s.last_trade, s._subscribers) == (loop, 1_000, {}, [])
    assert sip.Sip(loop).latency_ns == 500_000
    out: list[tuple[int, Event]] = []
    s.subscribe(lambda ev: out.append((loop.now_ns(), ev)))
    trade = Trade(0, "A", "ES", 1, 42, 3, 0, 1, 2)
    s.on_event(trade)
    s.on_event(Quote(0, "A", "ES", 10, 1, 0, 0))
    s.latency_ns = 5  # read at each publication, as the reference reads it
    s.on_event(Quote(0, "B", "ES", 10, 2, 12, 1))
    loop.run()
    assert s.last_trade == {"ES": 42}
    assert out == [
        (5, Quote(0, "ALL", "ES", 10, 3, 12, 1)),
        (1_000, trade),
        (1_000, Quote(0, "ALL", "ES", 10, 1, 0, 0)),
    ]
    assert out[1][1] is trade
    assert s.nbbo("ES") == (10, 3, 12, 1)
    with pytest.raises(ValueError, match="latency_ns=-1 must be >= 0"):
        sip.Sip(loop, -1)
    with pytest.raises(TypeError, match=r"Quote\.bid='x' must be an int"):
        s.on_event(Quote(0, "A", "ES", "x", 1, 0, 0))  # type: ignore[arg-type]
    with pytest.raises(OverflowError, match=r"Quote\.ask_qty=\d+ does not fit"):
        s.on_event(Quote(0, "A", "ES", 1, 1, 2, 2**64))


class _RefFeedVenue(Venue):
    """A venue whose market data (the quote after a request, its broadcast and delivery) is the
    Python reference."""

    _publish_market_data = venue._PyVenueCore._lit_publish_market_data
    _broadcast = venue._PyVenueCore._broadcast
    _deliver = venue._PyVenueCore._deliver


def _venue_feed(cls: type[Venue], loop_cls: Callable[[], Any], seed: int) -> list[Any]:
    rng = random.Random(seed)
    loop = loop_cls()
    v = cls(VenueConfig("X", entry_latency_ns=300, md_latency_ns=rng.choice([0, 200, 700])),
            ["ES", "NQ"], loop)
    seen: list[Any] = []
    late: list[Callable[[Event], None]] = []

    def first(ev: Event) -> None:
        seen.append(("first", loop.now_ns(), ev))
        if not late:  # subscribes another listener in the middle of a delivery
            late.append(lambda e: seen.append(("late", loop.now_ns(), e)))
            v.subscribe(late[0])

    v.subscribe(first)
    v.subscribe(lambda ev: seen.append(("second", loop.now_ns(), ev)))
    for step in range(400):
        sym = rng.choice(["ES", "NQ"])
        r = rng.random()
        if r < 0.75:
            v.submit(rng.randrange(1, 6), sym, rng.choice([1, -1]), rng.randint(1, 5),
                     rng.randint(95, 105), tif=rng.choice([1, 3]))
        elif r < 0.8:
            v.set_status(sym, rng.choice(["halted", "paused", "limit_state"]), "test")
        elif r < 0.85:
            if v.status[sym] != "open":
                v.reopen(sym, 100)
        else:
            loop.call_later(rng.randrange(0, 1_000), seen.append, ("mark", step))
            loop.run(loop.now_ns() + rng.randrange(0, 1_000))
    loop.run()
    return seen


@needs_c
@pytest.mark.parametrize("loop_cls", [EventLoop, PyEventLoop], ids=["c_loop", "py_loop"])
@pytest.mark.parametrize("seed", range(3))
def test_c_venue_feed_delivers_what_the_reference_delivers(
    loop_cls: Callable[[], Any], seed: int
) -> None:
    assert Venue._broadcast is not _RefFeedVenue._broadcast
    assert Venue._publish_market_data is not _RefFeedVenue._publish_market_data
    ref = _venue_feed(_RefFeedVenue, loop_cls, seed)
    c = _venue_feed(Venue, loop_cls, seed)
    kinds = {type(x[2]).__name__ for x in ref if len(x) == 3}
    assert kinds == {"Quote", "Trade", "VenueStatus"}
    assert any(x[0] == "late" for x in ref)
    assert ref == c


# The whole system's first minutes of a run, with the SIP and the venues' feed delivery either
# the C twins or the references; everything else is the same code.
def _whole_run(
    pure_feed: bool, monkeypatch: pytest.MonkeyPatch, scenario: str, seconds: int
) -> list[bytes]:
    import msgspec

    from flashguard.run.build import build
    from flashguard.run.inputs import make_inputs

    with monkeypatch.context() as mp:
        if pure_feed:
            mp.setattr(simulation, "Sip", PySip)
            mp.setattr(venue.VenueBase, "_broadcast", venue._PyVenueCore._broadcast)
            mp.setattr(venue.VenueBase, "_deliver", venue._PyVenueCore._deliver)
        out: list[Event] = []
        run = build(make_inputs(scenario, 1), out.append)
        assert (type(run.sim.sip) is PySip) == pure_feed
        run.system.start()
        run.sim.run(run.scenario.start_ns + seconds * 1_000_000_000)
    enc = msgspec.json.Encoder()
    return [enc.encode(ev) for ev in out]


@needs_c
@pytest.mark.slow
def test_whole_run_is_the_same_with_the_c_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    """fat-finger's first 320 s: its fat finger at 300 s pauses the venues (statuses, LULD
    bands and the reopening go through the feeds and the SIP)."""
    ref = _whole_run(True, monkeypatch, "fat-finger", 320)
    c = _whole_run(False, monkeypatch, "fat-finger", 320)
    assert len(ref) > 10_000
    for what in (b'"venue":"ALL"', b'"type":"venue_status"', b'"type":"luld_band"'):
        assert any(what in e for e in ref), what
    assert ref == c

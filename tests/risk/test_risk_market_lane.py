"""The trading system's market-data path in C (`marketlane.lane`, from _clane.c) changes,
emits and calls exactly what its Python reference `TradingSystem.on_market_data` does.

Two systems, alike but for that path, hear the same random feed (SIP and venue quotes, empty
and crossed sides, sides priced at zero, trades and repeated prints, halts and reopens,
bands, an unknown instrument) and the same execution reports (each order acked, every third
filled, cancels confirmed), while a market maker, a momentum strategy and a participation
algorithm trade through them: positions move marks into equity, volatility and stress
samples close, regimes switch, VaR samples fall due, router parents wait, the algorithm
counts the volume. After every event the two are compared field by field: the risk gate's
market view and money, the router's book, the stress monitor, the regime, every emitted
event and every order sent.

A TWAP works a parent too (its schedule is `volume_blind`: the engine spares it the trades
between its wakeups), and the market maker says when it does not need quotes
(`Strategy.listen`): further twins hold those two sparings to what a strategy without them
gets, event for event."""

from __future__ import annotations

import copy
import sys
import tomllib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.core.events import (
    Event,
    LuldBand,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    Quote,
    Trade,
    VenueStatus,
)
from flashguard.core.instruments import Instrument
from flashguard.core.loop import EventLoop
from flashguard.system import marketlane
from flashguard.system.risk import parse_matrix
from flashguard.system.risk.params import RiskMatrix, default_matrix_path
from flashguard.system.strategy.builtins.market_making import MarketMaker
from flashguard.system.strategy.builtins.momentum import Momentum
from flashguard.system.strategy.builtins.pov import PovOrder
from flashguard.system.strategy.builtins.twap import Twap, TwapOrder, TwapSchedule
from flashguard.system.strategy.regime import RegimeParams
from flashguard.system.trading import TradingSystem

pytestmark = pytest.mark.skipif(
    marketlane.IMPLEMENTATION != "c", reason="flashguard.system._clane is not built"
)

MS = 1_000_000
SEC = 1_000_000_000
VENUES = ("V1", "V2")
INSTRUMENTS = {s: Instrument(s, tick_size="0.01") for s in ("ABC", "XYZ")}
MID = {"ABC": 10_000, "XYZ": 5_000, "UNK": 700}


def _matrix() -> RiskMatrix:
    with open(default_matrix_path(), "rb") as f:
        raw: dict[str, Any] = copy.deepcopy(tomllib.load(f))
    raw["strategy_defaults"].update(capital=10**9, max_position=10**6)
    raw["strategies"] = {}
    raw["portfolio"].update(capital=10**10, max_gross=10**10, max_net=10**10,
                            var_interval_ms=500)
    raw["kill_switch"].update(max_drawdown=10**9)
    return parse_matrix(raw, "lane")


class Desk:
    """A venue session that acknowledges each order, fills every third in full and confirms
    cancels, one millisecond later: the same reports in the same order for both systems."""

    latency_ns = MS
    owner = 7
    dark = False

    def __init__(self, name: str, loop: EventLoop, sent: list[tuple[Any, ...]]) -> None:
        self.name = name
        self.loop = loop
        self.sent = sent
        self.orders: dict[int, tuple[str, str, int, int, int]] = {}
        self.report: Callable[[Event], None] = lambda ev: None

    def connect(self, on_report: Callable[[Event], None]) -> None:
        self.report = on_report

    def submit(self, instrument: str, side: int, qty: int, price: int, order_type: int,
               tif: int, client_order_id: str) -> int:
        oid = len(self.sent) + 1
        self.sent.append((self.name, instrument, side, qty, price, client_order_id))
        self.orders[oid] = (instrument, client_order_id, side, price, qty)
        self.loop.call_later(MS, self._ack, oid, order_type, tif)
        return oid

    def _ack(self, oid: int, order_type: int, tif: int) -> None:
        instrument, cid, side, price, qty = self.orders[oid]
        t = self.loop.now_ns()
        self.report(OrderAccepted(t, self.name, instrument, oid, cid, self.owner, side,
                                  order_type, tif, price, qty))
        if oid % 3 == 0 and oid in self.orders:
            del self.orders[oid]
            self.report(OrderFilled(t, self.name, instrument, oid, cid, self.owner, side,
                                    price, qty, 0, True, oid))

    def cancel(self, instrument: str, order_id: int) -> None:
        self.sent.append((self.name, "cancel", order_id))
        self.loop.call_later(MS, self._cancelled, order_id)

    def _cancelled(self, oid: int) -> None:
        order = self.orders.pop(oid, None)
        if order is not None:
            instrument, cid, _, _, qty = order
            self.report(OrderCancelled(self.loop.now_ns(), self.name, instrument, oid, cid,
                                       self.owner, qty, "user"))

    def fee(self, qty: int, maker: bool) -> int:
        return 0


class HearingMarketMaker(MarketMaker):
    """The market maker with a hook of its own (the same one): it never stops listening, so
    it is called with every quote and trade, as every strategy was before `listen`."""

    def on_market_data(self, ev: Event) -> None:
        self.heard += 1
        super().on_market_data(ev)

    heard = 0


class CountingMarketMaker(MarketMaker):
    """The market maker, counting the calls of its own hook (which `listen` spares)."""

    heard = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._own_hook = True  # its hook is the market maker's, counted: it listens as one
        self.listen(trades=False)

    def on_market_data(self, ev: Event) -> None:
        self.heard += 1
        super().on_market_data(ev)


class CountedTwapSchedule(TwapSchedule):
    """TWAP's schedule, counting the times its allowance is asked."""

    asked = 0

    def allowance(self, t_ns: int, preservation: bool) -> int:
        type(self).asked += 1
        return super().allowance(t_ns, preservation)


class AttentiveTwapSchedule(CountedTwapSchedule):
    """Without `volume_blind`: told every trade, as before the sparing."""

    volume_blind = False
    asked = 0


class CountedTwap(Twap):
    def start(self, t_ns: int, qty: int) -> TwapSchedule:
        return CountedTwapSchedule(self, t_ns, qty)


class AttentiveTwap(Twap):
    def start(self, t_ns: int, qty: int) -> TwapSchedule:
        return AttentiveTwapSchedule(self, t_ns, qty)


class World:
    def __init__(self, c_lane: bool, spared: bool = True) -> None:
        """`spared`: the market maker listens only when its hook would act and the TWAP is
        spared the trades between its wakeups; else both hear everything."""
        self.loop = EventLoop()
        self.events: list[Event] = []
        self.sent: list[tuple[Any, ...]] = []
        maker = (CountingMarketMaker if spared else HearingMarketMaker)(
            "ABC", qty=3, max_inventory=12, refresh_ns=20 * MS)
        twap = TwapOrder("XYZ", side=1, qty=60, duration_s=20, slices=30)
        twap.intent = counted(twap.intent, attentive=not spared)
        self.maker = maker
        self.system = TradingSystem(
            self.loop, [Desk(v, self.loop, self.sent) for v in VENUES], _matrix(), INSTRUMENTS,
            emit=self.events.append, emit_market_data=True, snapshot_every_ns=SEC,
            regime=RegimeParams(vol_sample_ns=50 * MS, vol_window=3, vol_bps=300.0,
                                vpin_bucket_volume=20, vpin_bar_ns=200 * MS, vpin_cdf=1.0,
                                calm_ns=400 * MS, check_ns=300 * MS),
            strategies=[maker,
                        Momentum("XYZ", lookback=3, threshold_ticks=2, qty=2,
                                 sample_ns=100 * MS),
                        PovOrder("ABC", side=-1, qty=300, rate=0.2), twap],
        )
        self.rest = 0  # quotes and trades the C twin handed to the Python reference
        if c_lane:
            assert type(self.system.on_market_data).__name__ == "MarketDataLane"
            quote_rest, trade_rest = self.system._quote_rest, self.system._trade_rest

            def counted_quote(ev: Quote) -> None:
                self.rest += 1
                quote_rest(ev)

            def counted_trade(ev: Trade) -> None:
                self.rest += 1
                trade_rest(ev)

            self.system._quote_rest = counted_quote  # type: ignore[method-assign]
            self.system._trade_rest = counted_trade  # type: ignore[method-assign]
            lane = marketlane.lane(self.system)
            assert lane is not None
            self.system.on_market_data = lane  # type: ignore[method-assign, assignment]
        else:
            vars(self.system).pop("on_market_data", None)  # the class's: the reference
        self.system.start()

    def feed(self, t: int, ev: Event) -> None:
        self.loop.call_at(t, self.system.on_market_data, ev)
        self.loop.run(t)

    def state(self) -> dict[str, Any]:
        gate, router, engine = self.system.gate, self.system.router, self.system.engine
        st_ = gate.state
        markets = {
            s: (m.bid, m.ask, m.ref, m.version, m.mark, m.quote_t, m.last, m.last_t, m.band_lo,
                m.band_hi, dict(m._venue_quotes), m._consolidated, m.vol._close, m.vol._bucket,
                m.vol._end, m.vol.vol_bps)
            for s, m in st_.markets.items()
        }
        book = router.book
        lines = {
            (s, v): (ln.bid, ln.bid_qty, ln.ask, ln.ask_qty, ln.used_bid, ln.used_ask, ln.fresh,
                     ln.status)
            for s, by_venue in book._lines.items() for v, ln in by_venue.items()
        }
        monitor = engine.regime.monitor
        stress = {s: (x.mid, x.sample_end, x.vol_bps, x.vpin_cdf, sorted(x.paused),
                      x._bars._slot, x._bars._volume, x._bars._price, x._bars._last_t)
                  for s, x in monitor.instruments.items()}
        return {
            "markets": markets, "lines": lines, "sip": dict(book._sip), "stress": stress,
            "money": (st_.equity, st_.hwm, st_.gross, st_.net, st_.money_version,
                      {n: (sb.equity, sb.hwm, int(sb.mode)) for n, sb in st_.strategies.items()}),
            "regime": (dict(engine.regime.modes), engine._next_check, engine._signal,
                       engine._stress_seen, monitor.version),
            "parents": {p: (x.state, x.filled) for p, x in router.parents.items()},
            "var_next": gate.portfolio.history.next_t, "kill": gate.kill_engaged,
            "prints": dict(self.system._last_trade_id),
            "events": len(self.events), "sent": len(self.sent),
        }


def counted(intent: Any, attentive: bool) -> Any:
    """The intent with its TWAP counted, and made attentive (same parameters)."""
    import dataclasses

    algo = intent.algo
    cls = AttentiveTwap if attentive else CountedTwap
    return dataclasses.replace(intent, algo=cls(algo.duration_ns, algo.slices))


instrument = st.sampled_from(["ABC", "ABC", "ABC", "XYZ", "UNK"])
step = st.one_of(
    st.tuples(st.just("quote"), st.sampled_from(["ALL", "ALL", "V1", "V2", "V3"]), instrument,
              st.integers(-12, 12), st.integers(1, 6), st.integers(-1, 4), st.integers(-1, 4)),
    st.tuples(st.just("quote"), st.sampled_from(["ALL", "V1", "V2"]), instrument,
              st.integers(-12, 12), st.integers(1, 6), st.integers(-1, 4), st.integers(-1, 4)),
    # a side priced at or below zero yet with a size: the gate and the router read it apart
    st.tuples(st.just("quote"), st.sampled_from(["ALL", "V1"]), instrument,
              st.integers(-12, 12), st.integers(1, 6), st.integers(1, 4), st.integers(1, 4),
              st.integers(-3, 0)),
    st.tuples(st.just("trade"), st.sampled_from(["ALL", "V1", "V2"]), instrument,
              st.integers(-12, 12), st.integers(1, 9)),
    st.tuples(st.just("retrade"), st.integers(0, 2)),
    st.tuples(st.just("status"), st.sampled_from(["ALL", "V1", "V2"]),
              st.sampled_from(["ABC", "XYZ", ""]),
              st.sampled_from(["halted", "open", "open", "paused", "limit_state"])),
    st.tuples(st.just("band"), instrument, st.integers(-200, 0), st.integers(0, 200)),
    st.tuples(st.just("wait"), st.sampled_from([0, 1_000, MS, 30 * MS, 120 * MS, 700 * MS])),
)


def _event(t: int, s: tuple[Any, ...], seq: list[Any]) -> Event | None:
    kind = s[0]
    if kind == "quote":
        _, venue, sym, off, half, bq, aq = s[:7]
        mid = MID[sym] + off
        bid = s[7] if len(s) > 7 else mid - half
        return Quote(t, venue, sym, bid, max(bq, 0) * 3, mid + half, max(aq, 0) * 3)
    if kind == "trade":
        _, venue, sym, off, qty = s
        seq[0] += 1
        trade = Trade(t, venue, sym, seq[0], MID[sym] + off, qty, 1, 0, 0)
        seq[1] = trade
        return trade
    if kind == "retrade":  # a print heard again (the SIP repeats the venues'), or an older one
        old = seq[1]
        if old is None:
            return None
        return Trade(t, old.venue, old.instrument, max(old.trade_id - s[1], 0), old.price,
                     old.qty, 1, 0, 0)
    if kind == "status":
        return VenueStatus(t, s[1], s[2], s[3], "test")
    if kind == "band":
        return LuldBand(t, "ALL", s[1], MID[s[1]] + s[2], MID[s[1]] + s[3])
    return None


def drive(a: World, b: World, steps: list[tuple[Any, ...]]) -> None:
    """Both worlds hear the steps; after each one they must be alike in every respect."""
    assert a.state() == b.state()
    t = 10 * SEC
    seq: list[Any] = [0, None]
    for s in steps:
        t += s[1] if s[0] == "wait" else 50_000
        ev = _event(t, s, seq)
        for w in (a, b):
            if ev is None:
                w.loop.run(t)
            else:
                w.feed(t, ev)
        assert a.state() == b.state(), s
        assert a.events == b.events
        assert a.sent == b.sent


def run_twins(steps: list[tuple[Any, ...]]) -> tuple[World, World]:
    c, py = World(True), World(False)
    drive(c, py, steps)
    return c, py


@settings(max_examples=120, deadline=None)
@given(st.lists(step, min_size=20, max_size=160))
def test_the_c_quote_lane_does_what_the_python_quote_path_does(steps: list[Any]) -> None:
    run_twins(steps)


def long_session(seed: int = 11) -> list[tuple[Any, ...]]:
    import random

    rng = random.Random(seed)
    steps: list[tuple[Any, ...]] = [("band", "ABC", -200, 200)]  # ABC's band is published
    for i in range(4_000):
        r = rng.random()
        if r < 0.8:
            steps.append(("quote", rng.choice(["ALL", "V1", "V2"]),
                          rng.choice(["ABC", "ABC", "XYZ"]), rng.randint(-6, 6) + i // 400,
                          rng.randint(1, 3), rng.randint(0, 4), rng.randint(0, 4))
                         + ((-rng.randint(0, 2),) if r < 0.003 else ()))
        elif r < 0.88:
            steps.append(("trade", rng.choice(["V1", "V2"]), rng.choice(["ABC", "ABC", "XYZ"]),
                          rng.randint(-6, 6), rng.randint(1, 9)))
        elif r < 0.9:
            steps.append(("retrade", rng.randint(0, 1)))
        elif r < 0.9993:
            steps.append(("wait", rng.choice([1_000, MS, 30 * MS])))
        else:  # a short halt
            steps.append(("status", "V2", "ABC", "halted"))
            steps.append(("wait", 30 * MS))
            steps.append(("status", "V2", "ABC", "open"))
    return steps


def test_a_long_session_takes_both_roads() -> None:
    """A fixed stream long enough that most quotes and trades take the C road and some the
    Python one (every trade of XYZ, whose band is the system's own estimate),
    with orders, fills and regime switches on the way: the property test's cases are short,
    this one shows the lane is not simply handing everything over."""
    steps = long_session()
    c, py = run_twins(steps)
    heard = sum(1 for s in steps if s[0] in ("quote", "trade"))
    assert 0 < c.rest < heard // 3  # most quotes and trades in C, some handed to Python
    assert py.rest == 0
    assert c.sent and any(type(e).__name__ == "RegimeChange" for e in c.events)


def test_a_consolidated_feed_named_by_a_fresh_string_is_still_the_consolidated_feed() -> None:
    """The twin tells the consolidated feed by the interned "ALL" first: a venue name built
    at run time (not interned, as a decoded one is) must still be compared by value."""
    fresh = "".join(["A", "LL"])
    assert fresh == "ALL" and fresh is not sys.intern("ALL")
    steps: list[tuple[Any, ...]] = [("band", "ABC", -200, 200)]
    for i in range(300):
        steps.append(("quote", fresh if i % 2 else "V1", "ABC", (i // 20) % 5 - 2, 1 + i % 2,
                      1 + i % 3, 2))
        if i % 7 == 0:
            steps.append(("trade", "V1", "ABC", i % 3 - 1, 2))
        steps.append(("wait", MS))
    c, _ = run_twins(steps)
    assert c.rest < len(steps) // 4  # the C road, with the fresh name taken as consolidated


@pytest.mark.parametrize("c_lane", [True, False], ids=["c", "python"])
def test_sparing_the_market_maker_and_the_twap_changes_nothing(c_lane: bool) -> None:
    """The market maker that stops listening to quotes while its quotes are out (and never
    listens to trades) and the TWAP spared the trades between its wakeups send, emit and
    change exactly what the same strategies hearing everything do, on either road; and the
    sparing is real: the maker's hook is called a small fraction of the times."""
    CountedTwapSchedule.asked = AttentiveTwapSchedule.asked = 0
    spared, full = World(c_lane), World(c_lane, spared=False)
    drive(spared, full, long_session(5))
    assert isinstance(full.maker, HearingMarketMaker)
    assert full.maker.heard > 2_000
    assert 0 < spared.maker.heard < full.maker.heard // 4
    # the TWAP ran to its end, asked on its wakeups only, not on every trade
    assert any(type(e).__name__ == "OrderSubmitted" and "twap" in str(e) for e in spared.events)
    assert 0 < CountedTwapSchedule.asked < AttentiveTwapSchedule.asked // 2
    # what the engine keeps for it: the TWAP's next wakeup; nothing for a POV or an attentive
    # schedule (every lot counts)
    engine = spared.system.engine
    (schedule,) = engine._algos["XYZ"].values()
    assert engine._volume_quiet == {"XYZ": schedule.next_wakeup()}
    assert not full.system.engine._volume_quiet and full.system.engine._algos["XYZ"]


class Sleeper(MarketMaker):
    """Hears ABC's quotes only when woken; records what its hook hears."""

    def __init__(self) -> None:
        super().__init__("ABC", name="sleeper")
        self.seen: list[Event] = []
        self.listen(quotes=False, trades=False)

    def on_market_data(self, ev: Event) -> None:
        self.seen.append(ev)

    def on_start(self) -> None:
        return None


class Waker(MarketMaker):
    """On its first quote of ABC, wakes the sleeper (added after it) from inside its hook."""

    def __init__(self, sleeper: Sleeper) -> None:
        super().__init__("ABC", name="waker")
        self.sleeper = sleeper

    def on_market_data(self, ev: Event) -> None:
        if type(ev) is Quote and not self.sleeper.hears_quotes:
            self.sleeper.listen(quotes=True)

    def on_start(self) -> None:
        return None


@pytest.mark.parametrize("c_lane", [True, False], ids=["c", "python"])
def test_a_strategy_woken_by_an_earlier_hook_hears_the_same_event(c_lane: bool) -> None:
    sleeper = Sleeper()
    loop = EventLoop()
    system = TradingSystem(loop, [Desk(v, loop, []) for v in VENUES], _matrix(), INSTRUMENTS,
                           strategies=[Waker(sleeper), sleeper])
    if not c_lane:
        vars(system).pop("on_market_data", None)
    system.start()
    trade = Trade(SEC, "V1", "ABC", 1, 10_000, 1, 1, 0, 0)
    quote = Quote(SEC + 1, "ALL", "ABC", 9_999, 3, 10_001, 3)
    for ev in (trade, quote, Quote(SEC + 2, "ALL", "ABC", 9_999, 6, 10_001, 3)):
        loop.call_at(ev.t_ns, system.on_market_data, ev)
    loop.run(SEC + 10)
    assert sleeper.seen[0] is quote  # not the trade (not listened to), the waking quote
    assert len(sleeper.seen) == 2

"""The market's protections wired into real venues: stop logic, LULD, circuit breakers."""

from __future__ import annotations

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND, SimClock
from flashguard.core.events import Event, OrderFilled, Trade, VenueStatus
from flashguard.core.loop import EventLoop
from flashguard.core.orders import OrderType, Side, TimeInForce
from flashguard.market.exchange import Market, Protections
from flashguard.market.protections.circuit_breaker import MwcbParams
from flashguard.market.protections.luld import LuldParams
from flashguard.market.protections.stop_logic import StopLogicParams
from flashguard.market.venue import Venue, VenueConfig

T0 = 13 * 3600 * NS_PER_SECOND
SYM = "FGX"


def build(protections: Protections, venues: int = 2) -> tuple[EventLoop, Market, list[Venue], list[Event]]:
    loop = EventLoop(SimClock(T0))
    sink: list[Event] = []
    market = Market(loop, [SYM], "0.01", protections, session_open_ns=9 * 3600 * NS_PER_SECOND + 30 * NS_PER_MINUTE, prior_close=5000, sink=sink.append)
    vs = []
    for i in range(venues):
        v = Venue(VenueConfig(f"V{i}", entry_latency_ns=0, md_latency_ns=0), [SYM], loop)
        market.add_venue(v)
        vs.append(v)
    return loop, market, vs, sink


def ladder(venue: Venue, owner: int, side: int, prices: range, qty: int = 1) -> None:
    for p in prices:
        venue.submit(owner, SYM, side, qty, p)


def test_stop_logic_clamps_a_sweep_pauses_five_seconds_and_reopens_by_auction() -> None:
    loop, market, (v, _), sink = build(Protections(stop_logic=StopLogicParams(ticks=24, pause_ns=5 * NS_PER_SECOND)))
    reports: list[Event] = []
    v.connect(9, reports.append)
    v.submit(1, SYM, Side.BUY, 1, 5000)
    v.submit(2, SYM, Side.SELL, 1, 5000)  # first trade: the anchor
    loop.run(T0 + 1)
    ladder(v, 1, 1, range(4999, 4949, -1))  # one lot at each of 50 bid levels
    loop.run(T0 + 2)
    v.submit(9, SYM, Side.SELL, 50, order_type=OrderType.MARKET, tif=TimeInForce.DAY)
    loop.run(T0 + 3)
    fills = [r for r in reports if isinstance(r, OrderFilled)]
    assert min(f.price for f in fills) == 5000 - 24  # exactly 24 ticks away is allowed, no further
    assert sum(f.qty for f in fills) == 24
    assert v.status[SYM] == "paused"
    statuses = [(e.venue, e.status, e.reason) for e in sink if isinstance(e, VenueStatus)]
    assert statuses == [("V0", "paused", "stop_logic")]
    assert market.halts[0].kind == "stop_logic" and market.halts[0].end_ns is None
    loop.run(T0 + 3 + 5 * NS_PER_SECOND)
    assert v.status[SYM] == "open"
    assert market.halts[0].end_ns is not None and market.halts[0].end_ns - market.halts[0].start_ns == 5 * NS_PER_SECOND
    assert [e.status for e in sink if isinstance(e, VenueStatus)] == ["paused", "auction", "open"]
    # the clamped remainder (26 lots) rested at 4976, above every bid left: nothing crossed
    assert v.engine.books[SYM].l1() == (4975, 1, 4976, 26)


def test_the_other_venue_keeps_trading_during_a_local_stop_logic_pause() -> None:
    loop, _, (a, b), _ = build(Protections(stop_logic=StopLogicParams(ticks=2)))
    a.submit(1, SYM, Side.BUY, 1, 5000)
    a.submit(2, SYM, Side.SELL, 1, 5000)
    loop.run(T0 + 1)
    ladder(a, 1, 1, range(4999, 4990, -1))
    loop.run(T0 + 2)
    a.submit(3, SYM, Side.SELL, 9, 4990)
    loop.run(T0 + 3)
    assert a.status[SYM] == "paused" and b.status[SYM] == "open"


def test_luld_reprices_orders_into_the_band_so_nothing_trades_outside_it() -> None:
    loop, market, (v, _), _sink = build(Protections(luld=LuldParams(tier=1)))
    v.submit(1, SYM, Side.BUY, 1, 5000)
    v.submit(2, SYM, Side.SELL, 1, 5000)
    loop.run(T0 + 1)
    band = market.bands(SYM)
    assert band == (4750, 5250)
    ladder(v, 1, 1, range(4800, 4600, -50), qty=5)  # bids at 4800, 4750, 4700, 4650
    loop.run(T0 + 2)
    trades: list[Trade] = []
    market.trade_listeners.append(lambda _v, t: trades.append(t))
    v.submit(3, SYM, Side.SELL, 20, order_type=OrderType.MARKET, tif=TimeInForce.IOC)
    loop.run(T0 + 3)
    assert trades and min(t.price for t in trades) >= band[0]
    assert {t.price for t in trades} == {4800, 4750}


def test_luld_limit_state_then_pause_on_every_venue_then_reopening() -> None:
    loop, market, (a, b), _sink = build(Protections(luld=LuldParams(tier=1)))
    a.submit(1, SYM, Side.BUY, 1, 5000)
    a.submit(2, SYM, Side.SELL, 1, 5000)
    loop.run(T0 + 1)
    a.submit(2, SYM, Side.SELL, 5, 4750)  # the offer sits at the lower band: limit state
    loop.run(T0 + 2)
    assert a.status[SYM] == "limit_state" and b.status[SYM] == "limit_state"
    loop.run(T0 + 2 + 15 * NS_PER_SECOND)
    assert a.status[SYM] == "paused" and b.status[SYM] == "paused"
    reports: list[Event] = []
    a.connect(5, reports.append)
    a.submit(5, SYM, Side.BUY, 2, 4800)  # entered during the pause, held for the auction
    loop.run(T0 + 3 + 15 * NS_PER_SECOND)
    assert a.engine.books[SYM].best_bid() is None
    loop.run(T0 + 3 + 15 * NS_PER_SECOND + 5 * NS_PER_MINUTE)
    # one auction print: 2 lots at 4800 (4750 and 4800 tie on volume and imbalance; 4800 is
    # closer to the reference 5000); the new band around 4800 no longer touches the offer
    fills = [r for r in reports if isinstance(r, OrderFilled)]
    assert [(f.price, f.qty) for f in fills] == [(4800, 2)]
    assert a.status[SYM] == "open" and b.status[SYM] == "open"
    assert market.bands(SYM) == (4560, 5040)
    (halt,) = market.halts
    assert (halt.venue, halt.kind, halt.end_ns - halt.start_ns) == ("ALL", "luld", 5 * NS_PER_MINUTE)


def test_circuit_breaker_halts_every_venue_together() -> None:
    loop, market, (a, b), _sink = build(Protections(mwcb=MwcbParams()))
    a.submit(1, SYM, Side.BUY, 1, 4640)
    a.submit(2, SYM, Side.SELL, 1, 4640)  # -7.2% from the prior close of 5000
    loop.run(T0 + 2 * NS_PER_SECOND)
    assert a.status[SYM] == "halted" and b.status[SYM] == "halted"
    loop.run(T0 + 2 * NS_PER_SECOND + 15 * NS_PER_MINUTE)
    assert a.status[SYM] == "open" and b.status[SYM] == "open"
    assert [h.kind for h in market.halts] == ["mwcb"]

"""The trading system as a whole: snapshots, a lost venue session, determinism, wiring
errors."""

from __future__ import annotations

import pytest
from sor_rig import INSTRUMENTS, MS, SEC, SYMBOL, US, Market, matrix

from flashguard.core.events import KillSwitch, PortfolioSnapshot, VenueStatus, encode
from flashguard.core.loop import EventLoop
from flashguard.core.orders import Side
from flashguard.market.venue import Venue, VenueConfig
from flashguard.system.gateway import InProcessGateway
from flashguard.system.router import RouterConfig
from flashguard.system.trading import TradingSystem


def test_snapshots_mark_the_book_every_interval() -> None:
    m = Market([VenueConfig("A", taker_fee=30)], snapshot_every_ns=SEC)
    m.rest("A", Side.BUY, 50, 9_990)
    m.rest("A", Side.SELL, 50, 10_000)
    m.settle()
    m.buy(10, urgency="aggressive")
    m.at(1_500 * MS, lambda: m.rest("A", Side.BUY, 1, 9_000))  # the world is not idle yet
    m.settle(2 * SEC)
    snaps = [e for e in m.events if isinstance(e, PortfolioSnapshot)]
    assert [s.t_ns for s in snaps][:2] == [SEC, 2 * SEC]
    last = snaps[-1]
    # 10 lots bought at 100.00, marked at the mid 99.95, and 0.30 ticks a lot in fees
    pnl = 10 * (9_995 - 10_000) * 0.01 - 10 * 30 / 100 * 0.01
    assert last.pnl == pytest.approx(pnl)
    assert last.equity == pytest.approx(10**10 + pnl)
    assert last.gross == pytest.approx(10 * 99.95)
    assert last.drawdown_pct == pytest.approx(-pnl / 10**10 * 100)
    assert last.mode == "active"


def test_snapshots_stop_when_the_world_is_idle() -> None:
    m = Market([VenueConfig("A")], snapshot_every_ns=SEC)
    m.run()  # returns: nothing else is scheduled, so the snapshot timer lets go
    assert m.loop.pending() == 0


def test_a_lost_venue_session_kills_and_drops_every_parent() -> None:
    m = Market([VenueConfig("A"), VenueConfig("B")])
    for v in "AB":
        m.rest(v, Side.BUY, 10, 9_990)
        m.rest(v, Side.SELL, 10, 10_010)
    m.settle()
    pid = m.buy(5, limit=9_980)
    m.settle()
    m.system.on_report(VenueStatus(m.now, "B", "", "disconnected", "heartbeat lost"))
    m.settle()
    assert [e.engaged for e in m.events if isinstance(e, KillSwitch)] == [True]
    assert m.hands.done[-1].parent_id == pid and m.hands.done[-1].state == "cancelled"
    assert m.system.mode() == "killed"


def run_crash_scenario() -> list[bytes]:
    m = Market([VenueConfig("A", taker_fee=5), VenueConfig("B"), VenueConfig("D")],
               dark=frozenset({"D"}), router=RouterConfig(crash_max_child=7))
    m.system.engine.pin_regime("hands", "preservation", "test")
    for v in "AB":
        m.rest(v, Side.BUY, 40, 9_990)
        offer = m.rest(v, Side.SELL, 40, 10_000 + (v == "B"))
    m.rest("D", Side.SELL, 30, 10_000)
    m.settle()
    t0 = m.now
    m.buy(70, urgency="aggressive")
    m.at(t0 + 10 * US, lambda: m.venues["B"].cancel(1, SYMBOL, offer))
    m.at(t0 + 3 * MS, lambda: m.rest("B", Side.SELL, 60, 10_002))
    m.settle(300 * MS)
    return [encode(e) for e in m.events]


def test_the_same_scenario_gives_the_same_journal() -> None:
    first = run_crash_scenario()
    assert len(first) > 40  # probes, scores, children, fills: a scenario worth replaying
    assert first == run_crash_scenario()


def test_wiring_errors_name_the_problem() -> None:
    loop = EventLoop()
    venue = Venue(VenueConfig("A"), [SYMBOL], loop)
    gw = InProcessGateway(venue, 5)
    with pytest.raises(ValueError, match="gateway name='A' appears twice"):
        TradingSystem(loop, [gw, InProcessGateway(venue, 6)], matrix(), INSTRUMENTS)
    with pytest.raises(ValueError, match="gateways=\\[\\]"):
        TradingSystem(loop, [], matrix(), INSTRUMENTS)
    with pytest.raises(ValueError, match="latency_ns=-1"):
        InProcessGateway(venue, 5, latency_ns=-1)
    system = TradingSystem(loop, [gw], matrix(), INSTRUMENTS)
    from sor_rig import Hands

    system.add_strategy(Hands("x"))
    with pytest.raises(ValueError, match="strategy name='x' is already taken"):
        system.add_strategy(Hands("x"))

from __future__ import annotations

from flashguard.core.events import Event, OrderCancelled, OrderFilled
from flashguard.core.loop import EventLoop
from flashguard.core.orders import Side, TimeInForce
from flashguard.market.darkpool import DarkPool
from flashguard.market.venue import VenueConfig


def make(nbbo: list[tuple[int | None, int | None]]) -> tuple[EventLoop, DarkPool, list[Event]]:
    loop = EventLoop()
    pool = DarkPool(VenueConfig("DARK", entry_latency_ns=0, md_latency_ns=0), ["X"], loop, lambda _s: nbbo[0])
    reports: list[Event] = []
    for owner in (1, 2, 3):
        pool.connect(owner, reports.append)
    return loop, pool, reports


def test_crosses_at_the_lit_midpoint_and_shows_nothing() -> None:
    loop, pool, reports = make([(100, 104)])
    pool.submit(1, "X", Side.SELL, 10, price=101)
    pool.submit(2, "X", Side.BUY, 4, price=103)
    loop.run()
    fills = [r for r in reports if isinstance(r, OrderFilled)]
    assert [(f.owner, f.price, f.qty, f.maker) for f in fills] == [(1, 102, 4, True), (2, 102, 4, False)]
    assert pool.l1("X") == (None, 0, None, 0)


def test_a_limit_caps_the_peg_and_ioc_remainder_is_cancelled() -> None:
    loop, pool, reports = make([(100, 104)])
    pool.submit(1, "X", Side.SELL, 10, price=103)  # mid 102 is below its limit: no trade
    pool.submit(2, "X", Side.BUY, 4, price=105, tif=TimeInForce.IOC)
    loop.run()
    assert not [r for r in reports if isinstance(r, OrderFilled)]
    assert isinstance(reports[-1], OrderCancelled) and reports[-1].cancelled_qty == 4


def test_resting_orders_cross_when_the_midpoint_moves_into_both_limits() -> None:
    nbbo: list[tuple[int | None, int | None]] = [(100, 104)]
    loop, pool, reports = make(nbbo)
    pool.submit(1, "X", Side.SELL, 5, price=103)
    pool.submit(2, "X", Side.BUY, 5, price=104)
    loop.run()
    assert not [r for r in reports if isinstance(r, OrderFilled)]
    nbbo[0] = (102, 105)  # mid 103
    pool.on_nbbo("X")
    loop.run()
    assert {(f.owner, f.price) for f in reports if isinstance(f, OrderFilled)} == {(1, 103), (2, 103)}


def test_no_midpoint_without_a_two_sided_lit_market() -> None:
    loop, pool, reports = make([(None, 104)])
    pool.submit(1, "X", Side.SELL, 5, price=90)
    pool.submit(2, "X", Side.BUY, 5, price=110)
    loop.run()
    assert not [r for r in reports if isinstance(r, OrderFilled)]
    assert pool.resting("X") == 2

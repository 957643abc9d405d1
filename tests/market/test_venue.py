from flashguard.core.events import (
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    Quote,
    Trade,
)
from flashguard.core.loop import EventLoop
from flashguard.core.orders import OrderType, Side, TimeInForce
from flashguard.market.venue import Venue, VenueConfig


def make(entry: int = 1_000, md: int = 500) -> tuple[EventLoop, Venue]:
    loop = EventLoop()
    venue = Venue(
        VenueConfig("XA", entry_latency_ns=entry, md_latency_ns=md, maker_fee=-20, taker_fee=30),
        ["ES"],
        loop,
    )
    return loop, venue


def test_request_reaches_engine_after_entry_latency_and_report_returns_after_it() -> None:
    loop, venue = make(entry=1_000)
    got: list[tuple[int, Event]] = []
    venue.connect(7, lambda ev: got.append((loop.now_ns(), ev)))
    venue.submit(7, "ES", Side.SELL, 5, price=100)
    loop.run()
    assert [(t, type(e)) for t, e in got] == [(2_000, OrderAccepted)]
    assert got[0][1].t_ns == 1_000  # stamped at the venue on arrival


def test_market_data_after_md_latency() -> None:
    loop, venue = make(entry=1_000, md=500)
    seen: list[tuple[int, Event]] = []
    venue.subscribe(lambda ev: seen.append((loop.now_ns(), ev)))
    venue.submit(1, "ES", Side.SELL, 5, price=100)
    loop.run()
    assert len(seen) == 1
    t, q = seen[0]
    assert t == 1_500 and isinstance(q, Quote)
    assert (q.bid, q.bid_qty, q.ask, q.ask_qty) == (0, 0, 100, 5)


def test_displayed_depth_vanishes_before_a_slow_order_arrives() -> None:
    """A maker close to the venue cancels while a remote taker's order is in flight."""
    loop = EventLoop()
    venue = Venue(VenueConfig("XA", entry_latency_ns=0, md_latency_ns=0), ["ES"], loop)
    reports: list[Event] = []
    venue.connect(1, lambda ev: None, latency_ns=1_000)  # co-located maker
    venue.connect(2, reports.append, latency_ns=50_000)  # remote taker
    oid = venue.submit(1, "ES", Side.SELL, 5, price=100)
    loop.run()
    start = loop.now_ns()
    # The taker saw the ask and sends an IOC that needs 50 us to arrive ...
    venue.submit(2, "ES", Side.BUY, 5, price=100, tif=TimeInForce.IOC)
    # ... while the maker's cancel, sent 10 us later over a 1 us path, gets there first.
    loop.call_at(start + 10_000, lambda: venue.cancel(1, "ES", oid))
    loop.run()
    assert not any(isinstance(e, OrderFilled) for e in reports)
    cancels = [e for e in reports if isinstance(e, OrderCancelled)]
    assert len(cancels) == 1 and cancels[0].reason == "ioc_remainder"


def test_fill_and_fees() -> None:
    loop, venue = make()
    reports: list[Event] = []
    venue.connect(1, reports.append)
    venue.connect(2, reports.append)
    trades: list[Event] = []
    venue.subscribe(lambda ev: trades.append(ev) if isinstance(ev, Trade) else None)
    venue.submit(1, "ES", Side.SELL, 5, price=100)
    venue.submit(2, "ES", Side.BUY, 3, order_type=OrderType.MARKET, tif=TimeInForce.IOC)
    loop.run()
    fills = [e for e in reports if isinstance(e, OrderFilled)]
    assert [(f.owner, f.qty, f.maker) for f in fills] == [(1, 3, True), (2, 3, False)]
    assert [venue.fee(f.qty, f.maker) for f in fills] == [-60, 90]
    assert len(trades) == 1 and trades[0].price == 100


def test_orders_rejected_while_halted_then_accepted_after_reopen() -> None:
    loop, venue = make()
    reports: list[Event] = []
    venue.connect(1, reports.append)
    venue.set_status("ES", "halted", "test")
    venue.submit(1, "ES", Side.BUY, 1, price=99)
    loop.run()
    assert isinstance(reports[-1], OrderRejected) and reports[-1].reason == "venue_halted"
    venue.set_status("ES", "open", "test")
    venue.submit(1, "ES", Side.BUY, 1, price=99)
    loop.run()
    assert isinstance(reports[-1], OrderAccepted)
    assert venue.engine.book("ES").best_bid() == 99

from flashguard.core.events import (
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    Quote,
    Trade,
    VenueStatus,
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


def test_orders_rejected_while_closed() -> None:
    loop, venue = make()
    reports: list[Event] = []
    venue.connect(1, reports.append)
    venue.set_status("ES", "closed", "test")
    venue.submit(1, "ES", Side.BUY, 1, price=99)
    loop.run()
    assert isinstance(reports[-1], OrderRejected) and reports[-1].reason == "venue_closed"
    assert venue.engine.book("ES").best_bid() is None


def test_halt_holds_orders_without_matching_then_reopening_auction_uncrosses() -> None:
    loop, venue = make()
    reports: list[Event] = []
    for owner in (1, 2, 3):
        venue.connect(owner, reports.append)
    venue.submit(1, "ES", Side.SELL, 5, price=101)  # resting before the halt
    loop.run()
    venue.set_status("ES", "halted", "test")
    venue.submit(2, "ES", Side.BUY, 4, price=103)  # would trade at once if open
    venue.submit(3, "ES", Side.SELL, 2, price=100)
    loop.run()
    assert not [r for r in reports if isinstance(r, OrderFilled)]
    assert [type(r) for r in reports[-2:]] == [OrderAccepted, OrderAccepted]
    result = venue.reopen("ES", reference_price=102)
    loop.run()
    # demand 4 at <= 103; supply 2 at 100 and 5 at 101: volume 4 at 101 (103 would also do 4,
    # but 101..103 tie on volume and imbalance; 102, the reference, is the closest)
    assert result.volume == 4
    fills = [r for r in reports if isinstance(r, OrderFilled)]
    assert {f.price for f in fills} == {result.price}
    assert sum(f.qty for f in fills if f.side == 1) == 4
    assert venue.status["ES"] == "open"
    assert venue.engine.book("ES").best_ask() == 101  # 3 lots of the resting sell remain
    assert venue.engine.book("ES").l1()[3] == 3


def test_reopen_over_an_unchanged_book_publishes_a_fresh_quote() -> None:
    loop, venue = make()
    feed: list[Event] = []
    venue.subscribe(feed.append)
    venue.connect(1, None)
    venue.submit(1, "ES", Side.BUY, 3, price=99)
    venue.submit(1, "ES", Side.SELL, 3, price=101)
    loop.run()
    quotes_before = [e for e in feed if isinstance(e, Quote)]
    assert quotes_before and (quotes_before[-1].bid, quotes_before[-1].ask) == (99, 101)
    for status in ("paused", "open"):
        feed.clear()
        if status == "open":
            venue.reopen("ES", reference_price=100)  # nothing crosses: the book is as it was
        else:
            venue.set_status("ES", status, "test")
        loop.run()
    kinds = [type(e) for e in feed]
    assert kinds == [VenueStatus, Quote], kinds
    q = feed[-1]
    assert isinstance(q, Quote) and (q.bid, q.bid_qty, q.ask, q.ask_qty) == (99, 3, 101, 3)
    feed.clear()
    venue.set_status("ES", "halted", "again")
    venue.set_status("ES", "open", "resumed without an auction")
    loop.run()
    assert [type(e) for e in feed] == [VenueStatus, VenueStatus, Quote]

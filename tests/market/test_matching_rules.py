"""One test per matching rule, each pinned to the exact event sequence it produces.

Events are written in a compact form (see `brief`) so that a test shows, in order, every
type, order id, price, quantity, leaves quantity and reason the engine reported.
"""

from __future__ import annotations

from typing import Any

import pytest

from flashguard.core.events import (
    CancelOrder,
    Event,
    ModifyOrder,
    NewOrder,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
    RequestRejected,
    Trade,
)
from flashguard.core.orders import OrderType, SelfTradePrevention, Side, TimeInForce

VENUE = "XTST"
ES = "ES"
NQ = "NQ"
BUY = Side.BUY
SELL = Side.SELL
DAY = TimeInForce.DAY
GTC = TimeInForce.GTC
IOC = TimeInForce.IOC
FOK = TimeInForce.FOK
STP = SelfTradePrevention

Brief = tuple[Any, ...]


# --- helpers -------------------------------------------------------------------------------


def make(engine_cls: Any, stp: SelfTradePrevention = STP.NONE) -> Any:
    return engine_cls(VENUE, [ES, NQ], stp)


def new(
    oid: int,
    side: Side | int,
    price: int,
    qty: int,
    *,
    owner: int | None = None,
    tif: TimeInForce | int = GTC,
    market: bool = False,
    instrument: str = ES,
    t: int = 1_000,
) -> NewOrder:
    """A new order; by default each order has its own owner, so no self-trade can happen."""
    return NewOrder(
        t, VENUE, instrument, oid, f"c{oid}", oid + 100 if owner is None else owner, int(side),
        int(OrderType.MARKET if market else OrderType.LIMIT), int(tif), price, qty,
    )


def cancel(oid: int, *, owner: int | None = None, instrument: str = ES, t: int = 2_000) -> CancelOrder:
    return CancelOrder(t, VENUE, instrument, oid, oid + 100 if owner is None else owner)


def modify(
    oid: int, price: int, qty: int, *, owner: int | None = None, t: int = 3_000
) -> ModifyOrder:
    return ModifyOrder(t, VENUE, ES, oid, oid + 100 if owner is None else owner, price, qty)


def brief(events: list[Event]) -> list[Brief]:
    """Events as compact tuples: every field a matching rule decides, nothing else."""
    out: list[Brief] = []
    for e in events:
        if isinstance(e, OrderAccepted):
            out.append(("accepted", e.order_id))
        elif isinstance(e, OrderRejected):
            out.append(("rejected", e.order_id, e.reason))
        elif isinstance(e, Trade):
            out.append(("trade", e.price, e.qty, e.maker_order_id, e.taker_order_id))
        elif isinstance(e, OrderFilled):
            out.append(("fill", e.order_id, e.price, e.qty, e.leaves_qty, "maker" if e.maker else "taker"))
        elif isinstance(e, OrderCancelled):
            out.append(("cancelled", e.order_id, e.cancelled_qty, e.reason))
        elif isinstance(e, OrderExpired):
            out.append(("expired", e.order_id, e.expired_qty))
        elif isinstance(e, OrderModified):
            out.append(("modified", e.order_id, e.price, e.qty, "kept" if e.priority_kept else "lost"))
        elif isinstance(e, RequestRejected):
            out.append(("request_rejected", e.order_id, e.request, e.reason))
        else:
            raise AssertionError(f"unexpected event {e!r}")
    return out


def trade(price: int, qty: int, maker: int, taker: int, maker_leaves: int, taker_leaves: int) -> list[Brief]:
    """The three events of one execution: the print, then the maker's and the taker's fill."""
    return [
        ("trade", price, qty, maker, taker),
        ("fill", maker, price, qty, maker_leaves, "maker"),
        ("fill", taker, price, qty, taker_leaves, "taker"),
    ]


def send(engine: Any, *requests: Any) -> list[Brief]:
    events: list[Event] = []
    for r in requests:
        events.extend(engine.handle(r))
    return brief(events)


def rest(engine: Any, *orders: NewOrder) -> None:
    """Put orders on the book; each must rest whole, without trading."""
    for o in orders:
        assert send(engine, o) == [("accepted", o.order_id)], o


def l3(engine: Any, side: Side, instrument: str = ES) -> list[tuple[int, list[tuple[int, int]]]]:
    """The book's L3 view as (price, [(order id, open qty), ...]) from the touch outwards."""
    return [
        (price, [(o.order_id, o.qty) for o in orders])
        for price, orders in engine.book(instrument).l3(side)
    ]


def snapshot(engine: Any) -> tuple[Any, ...]:
    return l3(engine, BUY), l3(engine, SELL), l3(engine, BUY, NQ), l3(engine, SELL, NQ)


# --- price and time priority ---------------------------------------------------------------


def test_price_priority_buy_takes_the_lowest_ask_first(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 102, 1), new(2, SELL, 101, 1), new(3, SELL, 103, 1))
    assert send(eng, new(10, BUY, 103, 3)) == [
        ("accepted", 10),
        *trade(101, 1, maker=2, taker=10, maker_leaves=0, taker_leaves=2),
        *trade(102, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=1),
        *trade(103, 1, maker=3, taker=10, maker_leaves=0, taker_leaves=0),
    ]
    assert eng.book(ES).l1() == (None, 0, None, 0)


def test_price_priority_sell_takes_the_highest_bid_first(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 98, 2), new(2, BUY, 100, 2), new(3, BUY, 99, 2))
    assert send(eng, new(10, SELL, 99, 3)) == [
        ("accepted", 10),
        *trade(100, 2, maker=2, taker=10, maker_leaves=0, taker_leaves=1),
        *trade(99, 1, maker=3, taker=10, maker_leaves=1, taker_leaves=0),
    ]
    assert l3(eng, BUY) == [(99, [(3, 1)]), (98, [(1, 2)])]


def test_time_priority_within_a_level_is_fifo(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 2, t=1), new(2, SELL, 101, 2, t=2), new(3, SELL, 101, 2, t=3))
    assert send(eng, new(10, BUY, 101, 3, t=4)) == [
        ("accepted", 10),
        *trade(101, 2, maker=1, taker=10, maker_leaves=0, taker_leaves=1),
        *trade(101, 1, maker=2, taker=10, maker_leaves=1, taker_leaves=0),
    ]
    # the partly filled order keeps its place at the front
    assert l3(eng, SELL) == [(101, [(2, 1), (3, 2)])]


# --- fills ---------------------------------------------------------------------------------


def test_partial_fill_of_the_maker(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 5))
    assert send(eng, new(10, BUY, 101, 2)) == [
        ("accepted", 10),
        *trade(101, 2, maker=1, taker=10, maker_leaves=3, taker_leaves=0),
    ]
    assert l3(eng, SELL) == [(101, [(1, 3)])]
    assert l3(eng, BUY) == []


def test_partial_fill_of_the_taker_rests_the_remainder(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 2))
    assert send(eng, new(10, BUY, 101, 5)) == [
        ("accepted", 10),
        *trade(101, 2, maker=1, taker=10, maker_leaves=0, taker_leaves=3),
    ]
    assert eng.book(ES).l1() == (101, 3, None, 0)
    assert l3(eng, BUY) == [(101, [(10, 3)])]


def test_trade_happens_at_the_makers_price(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 100, 1), new(2, BUY, 95, 1))
    assert send(eng, new(10, BUY, 105, 1)) == [
        ("accepted", 10),
        *trade(100, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=0),
    ]
    assert send(eng, new(11, SELL, 90, 1)) == [
        ("accepted", 11),
        *trade(95, 1, maker=2, taker=11, maker_leaves=0, taker_leaves=0),
    ]


def test_never_trades_worse_than_the_takers_limit(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 1), new(2, SELL, 102, 1), new(3, SELL, 103, 5))
    assert send(eng, new(10, BUY, 102, 10)) == [
        ("accepted", 10),
        *trade(101, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=9),
        *trade(102, 1, maker=2, taker=10, maker_leaves=0, taker_leaves=8),
    ]
    assert eng.book(ES).l2() == ([(102, 8)], [(103, 5)])


def test_a_non_crossing_order_rests(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 1))
    assert send(eng, new(2, BUY, 100, 4)) == [("accepted", 2)]
    assert eng.book(ES).l1() == (100, 4, 101, 1)


# --- cancel --------------------------------------------------------------------------------


def test_cancel_removes_the_open_quantity(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 5), new(2, SELL, 101, 1))
    send(eng, new(10, BUY, 101, 2))
    assert send(eng, cancel(1)) == [("cancelled", 1, 3, "user")]
    assert l3(eng, SELL) == [(101, [(2, 1)])]
    assert send(eng, cancel(2)) == [("cancelled", 2, 1, "user")]
    assert l3(eng, SELL) == []
    assert eng.book(ES).best_ask() is None


def test_cancel_of_an_unknown_or_dead_order_is_rejected(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 1))
    send(eng, cancel(1))
    assert send(eng, cancel(1)) == [("request_rejected", 1, "cancel", "unknown_order")]
    assert send(eng, cancel(99)) == [("request_rejected", 99, "cancel", "unknown_order")]
    assert send(eng, cancel(1, instrument="NOPE")) == [
        ("request_rejected", 1, "cancel", "unknown_order")
    ]


def test_cancel_of_another_owners_order_is_rejected(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 4, owner=7))
    assert send(eng, cancel(1, owner=8)) == [("request_rejected", 1, "cancel", "not_owner")]
    assert l3(eng, SELL) == [(101, [(1, 4)])]


def test_cancel_in_the_wrong_instrument_does_not_touch_the_order(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 4))
    assert send(eng, cancel(1, instrument=NQ)) == [("request_rejected", 1, "cancel", "unknown_order")]
    assert l3(eng, SELL) == [(101, [(1, 4)])]


# --- modify --------------------------------------------------------------------------------


def test_modify_size_decrease_keeps_priority(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 5), new(2, BUY, 100, 5))
    assert send(eng, modify(1, 100, 3)) == [("modified", 1, 100, 3, "kept")]
    assert l3(eng, BUY) == [(100, [(1, 3), (2, 5)])]
    assert eng.book(ES).l1() == (100, 8, None, 0)
    assert send(eng, new(10, SELL, 100, 4)) == [
        ("accepted", 10),
        *trade(100, 3, maker=1, taker=10, maker_leaves=0, taker_leaves=1),
        *trade(100, 1, maker=2, taker=10, maker_leaves=4, taker_leaves=0),
    ]


def test_modify_to_the_same_price_and_size_keeps_priority(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 5), new(2, BUY, 100, 5))
    assert send(eng, modify(1, 100, 5)) == [("modified", 1, 100, 5, "kept")]
    assert l3(eng, BUY) == [(100, [(1, 5), (2, 5)])]


def test_modify_size_increase_loses_priority(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 5), new(2, BUY, 100, 5))
    assert send(eng, modify(1, 100, 7)) == [("modified", 1, 100, 7, "lost")]
    assert l3(eng, BUY) == [(100, [(2, 5), (1, 7)])]
    assert eng.book(ES).l1() == (100, 12, None, 0)


def test_modify_of_a_partly_filled_order_sets_its_open_quantity(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 5), new(2, BUY, 100, 5))
    send(eng, new(10, SELL, 100, 2))  # order 1 now has 3 open
    assert send(eng, modify(1, 100, 4)) == [("modified", 1, 100, 4, "lost")]
    assert l3(eng, BUY) == [(100, [(2, 5), (1, 4)])]


def test_modify_price_change_loses_priority(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 5), new(2, BUY, 99, 5), new(3, BUY, 100, 1))
    assert send(eng, modify(1, 99, 5)) == [("modified", 1, 99, 5, "lost")]
    assert l3(eng, BUY) == [(100, [(3, 1)]), (99, [(2, 5), (1, 5)])]
    # even a move away and back again goes to the back of the queue
    assert send(eng, modify(2, 98, 5), modify(2, 99, 5)) == [
        ("modified", 2, 98, 5, "lost"),
        ("modified", 2, 99, 5, "lost"),
    ]
    assert l3(eng, BUY) == [(100, [(3, 1)]), (99, [(1, 5), (2, 5)])]


def test_modify_price_change_may_trade_on_arrival(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 5), new(3, SELL, 101, 2), new(4, SELL, 102, 2))
    assert send(eng, modify(1, 101, 5)) == [
        ("modified", 1, 101, 5, "lost"),
        *trade(101, 2, maker=3, taker=1, maker_leaves=0, taker_leaves=3),
    ]
    assert eng.book(ES).l2() == ([(101, 3)], [(102, 2)])


def test_modify_that_fills_completely_leaves_nothing_resting(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 105, 2), new(3, BUY, 100, 6))
    assert send(eng, modify(1, 99, 2)) == [
        ("modified", 1, 99, 2, "lost"),
        *trade(100, 2, maker=3, taker=1, maker_leaves=4, taker_leaves=0),
    ]
    assert l3(eng, SELL) == []
    assert send(eng, cancel(1)) == [("request_rejected", 1, "cancel", "unknown_order")]


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (modify(99, 100, 1), "unknown_order"),
        (modify(1, 100, 1, owner=5), "not_owner"),
        (modify(1, 100, 0), "invalid_qty"),
        (modify(1, 100, -2), "invalid_qty"),
        (modify(1, 0, 3), "invalid_price"),
        (modify(1, -100, 3), "invalid_price"),
    ],
)
def test_bad_modify_is_rejected_and_changes_nothing(
    engine_cls: Any, request_: ModifyOrder, reason: str
) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 5), new(2, BUY, 100, 5))
    assert send(eng, request_) == [("request_rejected", request_.order_id, "modify", reason)]
    assert l3(eng, BUY) == [(100, [(1, 5), (2, 5)])]


def test_modify_of_a_filled_order_is_rejected(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 1))
    send(eng, new(10, SELL, 100, 1))
    assert send(eng, modify(1, 100, 1)) == [("request_rejected", 1, "modify", "unknown_order")]


# --- time in force and market orders -------------------------------------------------------


def test_ioc_remainder_is_cancelled(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 2))
    assert send(eng, new(10, BUY, 101, 5, tif=IOC)) == [
        ("accepted", 10),
        *trade(101, 2, maker=1, taker=10, maker_leaves=0, taker_leaves=3),
        ("cancelled", 10, 3, "ioc_remainder"),
    ]
    assert eng.book(ES).l1() == (None, 0, None, 0)


def test_ioc_that_cannot_trade_is_cancelled_whole(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 102, 2))
    assert send(eng, new(10, BUY, 101, 5, tif=IOC)) == [
        ("accepted", 10),
        ("cancelled", 10, 5, "ioc_remainder"),
    ]
    assert l3(eng, BUY) == []


def test_fok_exactly_fillable_fills_across_levels(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 2), new(2, SELL, 102, 3), new(3, SELL, 103, 9))
    assert send(eng, new(10, BUY, 102, 5, tif=FOK)) == [
        ("accepted", 10),
        *trade(101, 2, maker=1, taker=10, maker_leaves=0, taker_leaves=3),
        *trade(102, 3, maker=2, taker=10, maker_leaves=0, taker_leaves=0),
    ]
    assert l3(eng, SELL) == [(103, [(3, 9)])]


def test_fok_one_lot_short_does_nothing(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 2), new(2, SELL, 102, 3), new(3, SELL, 103, 9), new(4, BUY, 99, 1))
    before = snapshot(eng)
    assert send(eng, new(10, BUY, 102, 6, tif=FOK)) == [
        ("accepted", 10),
        ("cancelled", 10, 6, "fok_unfillable"),
    ]
    assert snapshot(eng) == before


def test_fok_market_order(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 2), new(2, BUY, 90, 3))
    before = snapshot(eng)
    assert send(eng, new(10, SELL, 0, 6, tif=FOK, market=True)) == [
        ("accepted", 10),
        ("cancelled", 10, 6, "fok_unfillable"),
    ]
    assert snapshot(eng) == before
    assert send(eng, new(11, SELL, 0, 5, tif=FOK, market=True)) == [
        ("accepted", 11),
        *trade(100, 2, maker=1, taker=11, maker_leaves=0, taker_leaves=3),
        *trade(90, 3, maker=2, taker=11, maker_leaves=0, taker_leaves=0),
    ]


@pytest.mark.parametrize("tif", [DAY, GTC, IOC])
def test_market_order_on_an_empty_side_is_cancelled(engine_cls: Any, tif: TimeInForce) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 3))  # liquidity on the same side does not help
    assert send(eng, new(10, BUY, 0, 4, tif=tif, market=True)) == [
        ("accepted", 10),
        ("cancelled", 10, 4, "no_liquidity"),
    ]
    assert l3(eng, BUY) == [(100, [(1, 3)])]


def test_market_order_sweeps_levels_and_cancels_the_rest(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 1), new(2, SELL, 102, 2), new(3, SELL, 150, 1))
    assert send(eng, new(10, BUY, 0, 6, market=True)) == [
        ("accepted", 10),
        *trade(101, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=5),
        *trade(102, 2, maker=2, taker=10, maker_leaves=0, taker_leaves=3),
        *trade(150, 1, maker=3, taker=10, maker_leaves=0, taker_leaves=2),
        ("cancelled", 10, 2, "no_liquidity"),
    ]
    assert eng.book(ES).l2() == ([], [])


def test_market_order_filled_in_full_leaves_no_cancel(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, BUY, 100, 5))
    assert send(eng, new(10, SELL, 0, 3, market=True)) == [
        ("accepted", 10),
        *trade(100, 3, maker=1, taker=10, maker_leaves=2, taker_leaves=0),
    ]


# --- self-trade prevention -----------------------------------------------------------------
# The ask queue at 101 is A (owner 8, 1 lot), B (owner 7, 2 lots), C (owner 8, 3 lots);
# owner 7 then buys 4 lots at 101 and meets its own order B after trading with A.


def _stp_book(engine_cls: Any, stp: SelfTradePrevention) -> Any:
    eng = make(engine_cls, stp)
    rest(
        eng,
        new(1, SELL, 101, 1, owner=8),
        new(2, SELL, 101, 2, owner=7),
        new(3, SELL, 101, 3, owner=8),
    )
    return eng


def test_stp_none_lets_the_owner_trade_with_itself(engine_cls: Any) -> None:
    eng = _stp_book(engine_cls, STP.NONE)
    assert send(eng, new(10, BUY, 101, 4, owner=7)) == [
        ("accepted", 10),
        *trade(101, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=3),
        *trade(101, 2, maker=2, taker=10, maker_leaves=0, taker_leaves=1),
        *trade(101, 1, maker=3, taker=10, maker_leaves=2, taker_leaves=0),
    ]
    assert l3(eng, SELL) == [(101, [(3, 2)])]


def test_stp_cancel_resting_cancels_it_and_keeps_matching(engine_cls: Any) -> None:
    eng = _stp_book(engine_cls, STP.CANCEL_RESTING)
    assert send(eng, new(10, BUY, 101, 4, owner=7)) == [
        ("accepted", 10),
        *trade(101, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=3),
        ("cancelled", 2, 2, "self_trade"),
        *trade(101, 3, maker=3, taker=10, maker_leaves=0, taker_leaves=0),
    ]
    assert eng.book(ES).l2() == ([], [])


def test_stp_cancel_resting_across_levels(engine_cls: Any) -> None:
    eng = make(engine_cls, STP.CANCEL_RESTING)
    rest(eng, new(1, SELL, 101, 2, owner=7), new(2, SELL, 102, 2, owner=8))
    assert send(eng, new(10, BUY, 102, 3, owner=7)) == [
        ("accepted", 10),
        ("cancelled", 1, 2, "self_trade"),
        *trade(102, 2, maker=2, taker=10, maker_leaves=0, taker_leaves=1),
    ]
    assert eng.book(ES).l2() == ([(102, 1)], [])


def test_stp_cancel_incoming_cancels_the_remainder_and_leaves_the_resting_order(
    engine_cls: Any,
) -> None:
    eng = _stp_book(engine_cls, STP.CANCEL_INCOMING)
    assert send(eng, new(10, BUY, 101, 4, owner=7)) == [
        ("accepted", 10),
        *trade(101, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=3),
        ("cancelled", 10, 3, "self_trade"),
    ]
    assert l3(eng, SELL) == [(101, [(2, 2), (3, 3)])]
    assert l3(eng, BUY) == []


def test_stp_cancel_both(engine_cls: Any) -> None:
    eng = _stp_book(engine_cls, STP.CANCEL_BOTH)
    assert send(eng, new(10, BUY, 101, 4, owner=7)) == [
        ("accepted", 10),
        *trade(101, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=3),
        ("cancelled", 2, 2, "self_trade"),
        ("cancelled", 10, 3, "self_trade"),
    ]
    assert l3(eng, SELL) == [(101, [(3, 3)])]
    assert l3(eng, BUY) == []


def test_stp_cancel_both_when_the_own_order_is_alone_at_its_level(engine_cls: Any) -> None:
    eng = make(engine_cls, STP.CANCEL_BOTH)
    rest(eng, new(1, SELL, 101, 2, owner=7), new(2, SELL, 102, 2, owner=8))
    assert send(eng, new(10, BUY, 102, 3, owner=7)) == [
        ("accepted", 10),
        ("cancelled", 1, 2, "self_trade"),
        ("cancelled", 10, 3, "self_trade"),
    ]
    assert eng.book(ES).l2() == ([], [(102, 2)])


def test_stp_applies_to_an_order_re_entering_after_modify(engine_cls: Any) -> None:
    eng = make(engine_cls, STP.CANCEL_INCOMING)
    rest(eng, new(1, SELL, 101, 2, owner=7), new(2, BUY, 99, 3, owner=7))
    assert send(eng, modify(2, 101, 3, owner=7)) == [
        ("modified", 2, 101, 3, "lost"),
        ("cancelled", 2, 3, "self_trade"),
    ]
    assert eng.book(ES).l2() == ([], [(101, 2)])


@pytest.mark.parametrize(
    ("stp", "fillable", "events_when_filled"),
    [
        (STP.NONE, 6, [
            *trade(101, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=5),
            *trade(101, 2, maker=2, taker=10, maker_leaves=0, taker_leaves=3),
            *trade(101, 3, maker=3, taker=10, maker_leaves=0, taker_leaves=0),
        ]),
        (STP.CANCEL_RESTING, 4, [
            *trade(101, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=3),
            ("cancelled", 2, 2, "self_trade"),
            *trade(101, 3, maker=3, taker=10, maker_leaves=0, taker_leaves=0),
        ]),
        (STP.CANCEL_INCOMING, 1, [
            *trade(101, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=0),
        ]),
        (STP.CANCEL_BOTH, 1, [
            *trade(101, 1, maker=1, taker=10, maker_leaves=0, taker_leaves=0),
        ]),
    ],
    ids=lambda v: v.name if isinstance(v, STP) else None,
)
def test_fok_counts_only_what_self_trade_prevention_lets_it_trade(
    engine_cls: Any, stp: SelfTradePrevention, fillable: int, events_when_filled: list[Brief]
) -> None:
    eng = _stp_book(engine_cls, stp)
    before = snapshot(eng)
    assert send(eng, new(11, BUY, 101, fillable + 1, owner=7, tif=FOK)) == [
        ("accepted", 11),
        ("cancelled", 11, fillable + 1, "fok_unfillable"),
    ]
    assert snapshot(eng) == before  # not even its own resting order was cancelled
    assert send(eng, new(10, BUY, 101, fillable, owner=7, tif=FOK)) == [
        ("accepted", 10),
        *events_when_filled,
    ]


# --- rejects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (new(5, BUY, 100, 0), "invalid_qty"),
        (new(5, BUY, 100, -3), "invalid_qty"),
        (new(5, SELL, 0, 1), "invalid_price"),
        (new(5, SELL, -101, 1), "invalid_price"),
        (new(5, BUY, 100, 1, instrument="NOPE"), "unknown_instrument"),
        (new(5, 0, 100, 1), "invalid_side"),
        (new(5, 2, 100, 1), "invalid_side"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_invalid_new_orders_are_rejected(engine_cls: Any, order: NewOrder, reason: str) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 2), new(2, BUY, 100, 2))
    before = snapshot(eng)
    assert send(eng, order) == [("rejected", 5, reason)]
    assert snapshot(eng) == before


def test_a_market_order_needs_no_price(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 2))
    assert send(eng, new(5, BUY, 0, 1, market=True))[0] == ("accepted", 5)


def test_duplicate_of_a_live_order_id_is_rejected(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 2))
    assert send(eng, new(1, BUY, 101, 2)) == [("rejected", 1, "duplicate_order_id")]
    assert l3(eng, SELL) == [(101, [(1, 2)])]
    assert l3(eng, BUY) == []


@pytest.mark.parametrize(
    ("field", "order"),
    [
        ("tif", NewOrder(1, VENUE, ES, 5, "c5", 1, 1, int(OrderType.LIMIT), 9, 100, 1)),
        ("order_type", NewOrder(1, VENUE, ES, 5, "c5", 1, 1, 7, int(GTC), 100, 1)),
    ],
)
def test_an_unknown_tif_or_order_type_is_rejected(engine_cls: Any, field: str, order: NewOrder) -> None:
    # An order with tif=9 would otherwise rest forever (never IOC, never expired at the end of
    # the day) and one with order_type=7 would be treated as a limit order.
    eng = make(engine_cls)
    assert send(eng, order) == [("rejected", 5, f"invalid_{field}")]
    assert snapshot(eng) == ([], [], [], [])


# --- market-data views ---------------------------------------------------------------------


def test_views_of_an_empty_book(engine_cls: Any) -> None:
    book = make(engine_cls).book(ES)
    assert book.best_bid() is None
    assert book.best_ask() is None
    assert book.l1() == (None, 0, None, 0)
    assert book.levels(BUY) == []
    assert book.l2() == ([], [])
    assert book.l3(SELL) == []
    assert book.crossed() is False


def test_l1_l2_l3_views(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(
        eng,
        new(1, BUY, 100, 5), new(2, BUY, 100, 3), new(3, BUY, 99, 4), new(4, BUY, 97, 1),
        new(5, SELL, 101, 2), new(6, SELL, 103, 6), new(7, SELL, 103, 1),
    )
    book = eng.book(ES)
    assert book.best_bid() == 100
    assert book.best_ask() == 101
    assert book.l1() == (100, 8, 101, 2)
    assert book.levels(BUY) == [(100, 8), (99, 4), (97, 1)]
    assert book.levels(SELL, 1) == [(101, 2)]
    assert book.l2(2) == ([(100, 8), (99, 4)], [(101, 2), (103, 7)])
    assert l3(eng, BUY)[:2] == [(100, [(1, 5), (2, 3)]), (99, [(3, 4)])]
    assert [(p, [o.order_id for o in orders]) for p, orders in book.l3(SELL, 1)] == [(101, [5])]
    assert book.crossed() is False
    # the views follow a cancel, a partial fill and an emptied level
    send(eng, cancel(1), new(10, SELL, 99, 2), cancel(5))
    assert book.l1() == (100, 1, 103, 7)
    assert l3(eng, BUY) == [(100, [(2, 1)]), (99, [(3, 4)]), (97, [(4, 1)])]
    assert l3(eng, SELL) == [(103, [(6, 6), (7, 1)])]
    assert eng.book(NQ).l2() == ([], [])


def test_resting_orders_in_l3_carry_owner_side_and_price(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 2, owner=42))
    [(price, [order])] = eng.book(ES).l3(SELL)
    assert (price, order.order_id, order.owner, order.side, order.price, order.qty) == (
        101, 1, 42, -1, 101, 2,
    )


# --- session -------------------------------------------------------------------------------


def test_expire_day_orders_expires_day_but_not_gtc(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(
        eng,
        new(1, BUY, 100, 3, tif=DAY), new(2, BUY, 100, 4, tif=GTC), new(3, SELL, 105, 5, tif=DAY),
        new(4, SELL, 200, 1, tif=GTC, instrument=NQ), new(5, BUY, 190, 2, tif=DAY, instrument=NQ),
    )
    send(eng, new(10, BUY, 105, 2, tif=IOC))  # order 3 keeps 3 open
    events = eng.expire_day_orders(9_000)
    assert all(e.t_ns == 9_000 for e in events)
    assert sorted(brief(events)) == [("expired", 1, 3), ("expired", 3, 3), ("expired", 5, 2)]
    assert snapshot(eng) == ([(100, [(2, 4)])], [], [], [(200, [(4, 1)])])
    assert eng.expire_day_orders(9_001) == []


def test_cancel_all_cancels_every_owner_on_every_book(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(
        eng,
        new(1, BUY, 100, 3, owner=1), new(2, SELL, 105, 4, owner=2, tif=DAY),
        new(3, SELL, 200, 1, owner=1, instrument=NQ),
    )
    events = eng.cancel_all(9_000)
    assert sorted(brief(events)) == [
        ("cancelled", 1, 3, "cancel_all"),
        ("cancelled", 2, 4, "cancel_all"),
        ("cancelled", 3, 1, "cancel_all"),
    ]
    assert snapshot(eng) == ([], [], [], [])


def test_cancel_all_of_one_owner(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(
        eng,
        new(1, BUY, 100, 3, owner=1), new(2, BUY, 100, 4, owner=2), new(3, SELL, 105, 4, owner=1),
        new(4, SELL, 200, 1, owner=1, instrument=NQ),
    )
    events = eng.cancel_all(9_000, owner=1, reason="kill_switch")
    assert sorted(brief(events)) == [
        ("cancelled", 1, 3, "kill_switch"),
        ("cancelled", 3, 4, "kill_switch"),
        ("cancelled", 4, 1, "kill_switch"),
    ]
    assert snapshot(eng) == ([(100, [(2, 4)])], [], [], [])


# --- what every report carries -------------------------------------------------------------


def test_reports_carry_time_venue_instrument_owner_and_side(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 2, owner=8, t=5))
    events = eng.handle(new(10, BUY, 101, 3, owner=7, t=77, tif=IOC))
    assert [type(e).__name__ for e in events] == [
        "OrderAccepted", "Trade", "OrderFilled", "OrderFilled", "OrderCancelled",
    ]
    accepted, print_, maker, taker, cancelled = events
    assert all((e.t_ns, e.venue, e.instrument) == (77, VENUE, ES) for e in events)
    assert (accepted.owner, accepted.side, accepted.price, accepted.qty, accepted.tif) == (
        7, 1, 101, 3, int(IOC),
    )
    assert (maker.owner, maker.side, maker.client_order_id) == (8, -1, "c1")
    assert (taker.owner, taker.side, taker.client_order_id) == (7, 1, "c10")
    assert print_.aggressor == int(BUY)
    assert maker.trade_id == taker.trade_id == print_.trade_id
    assert (cancelled.owner, cancelled.client_order_id) == (7, "c10")


def test_trade_ids_are_unique_and_increasing(engine_cls: Any) -> None:
    eng = make(engine_cls)
    rest(eng, new(1, SELL, 101, 1), new(2, SELL, 102, 1), new(3, SELL, 103, 1))
    events = eng.handle(new(10, BUY, 103, 2)) + eng.handle(new(11, BUY, 103, 1))
    ids = [e.trade_id for e in events if isinstance(e, Trade)]
    assert len(ids) == 3
    assert ids == sorted(set(ids))


def test_handle_refuses_what_is_not_a_request(engine_cls: Any) -> None:
    eng = make(engine_cls)
    with pytest.raises(TypeError, match=r"Trade"):
        eng.handle(Trade(1, VENUE, ES, 1, 100, 1, 1, 1, 2))

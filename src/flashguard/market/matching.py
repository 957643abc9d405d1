"""Price-time priority matching for one venue.

One `MatchingEngine` per venue holds an `OrderBook` per instrument. Each request (NewOrder,
CancelOrder, ModifyOrder) is handled whole and returns the events it caused, in order:
acknowledgements, then for each execution a Trade print, the maker's fill and the taker's
fill, then any cancel of the incoming remainder. A book is never crossed at rest: an incoming
order trades until it no longer crosses, and only then may its remainder rest.

Rules:
- LIMIT orders trade at the resting order's price, never worse than their own limit.
- MARKET orders take what is there; against an empty opposite side they are cancelled with
  reason "no_liquidity", never filled at an absurd price (a venue adds collars on top).
- IOC: the unfilled remainder is cancelled. FOK: fills completely at once or not at all.
- Modify: a size decrease at the same price keeps priority; a price change or a size increase
  re-enters the order at the back of its (new) level, where it may trade.
- Self-trade prevention when an incoming order meets a resting order of the same owner:
  cancel the resting one, the incoming one, or both (`SelfTradePrevention`).

`PyMatchingEngine` below is the reference. `MatchingEngine` is its C twin from `_cengine.c`
(same API, same events, several times faster) when that extension is built, unless the
environment sets FLASHGUARD_PURE=1; `IMPLEMENTATION` says which one ("c" or "python").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

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
from flashguard.core.native import c_twin
from flashguard.core.orders import SelfTradePrevention, TimeInForce
from flashguard.market.book import OrderBook, RestingOrder

_LIMIT = 1
_MARKET = 2
_TIFS = frozenset(int(t) for t in TimeInForce)
_DAY = int(TimeInForce.DAY)
_IOC = int(TimeInForce.IOC)
_FOK = int(TimeInForce.FOK)
_NO_LIMIT = -(1 << 62)  # the key bound of an order without a price limit

STP_NONE = int(SelfTradePrevention.NONE)
STP_RESTING = int(SelfTradePrevention.CANCEL_RESTING)
STP_INCOMING = int(SelfTradePrevention.CANCEL_INCOMING)
STP_BOTH = int(SelfTradePrevention.CANCEL_BOTH)


class PyMatchingEngine:
    __slots__ = ("books", "stp", "trade_seq", "venue")

    def __init__(
        self,
        venue: str,
        instruments: Iterable[str],
        stp: SelfTradePrevention = SelfTradePrevention.CANCEL_RESTING,
    ) -> None:
        self.venue = venue
        self.books: dict[str, OrderBook] = {sym: OrderBook(sym) for sym in instruments}
        self.stp = int(SelfTradePrevention(stp))
        self.trade_seq = 0

    def book(self, instrument: str) -> OrderBook:
        return self.books[instrument]

    def handle(self, request: Event) -> list[Event]:
        if type(request) is NewOrder:
            return self.submit(request)
        if type(request) is CancelOrder:
            return self.cancel(request)
        if type(request) is ModifyOrder:
            return self.modify(request)
        raise TypeError(f"request={type(request).__name__} is not a venue request")

    # --- new orders ----------------------------------------------------------------------

    def _reject(self, r: NewOrder, reason: str) -> list[Event]:
        return [
            OrderRejected(
                r.t_ns, self.venue, r.instrument, r.order_id, r.client_order_id, r.owner, reason
            )
        ]

    def submit(self, r: NewOrder) -> list[Event]:
        book = self.books.get(r.instrument)
        if book is None:
            return self._reject(r, "unknown_instrument")
        qty = r.qty
        if qty <= 0:
            return self._reject(r, "invalid_qty")
        is_market = r.order_type == _MARKET
        if not is_market and r.price <= 0:
            return self._reject(r, "invalid_price")
        if r.order_id in book.orders:
            return self._reject(r, "duplicate_order_id")
        if r.side != 1 and r.side != -1:
            return self._reject(r, "invalid_side")
        if r.order_type != _LIMIT and r.order_type != _MARKET:
            return self._reject(r, "invalid_order_type")
        if r.tif not in _TIFS:
            return self._reject(r, "invalid_tif")
        t = r.t_ns
        venue = self.venue
        out: list[Event] = [
            OrderAccepted(
                t, venue, r.instrument, r.order_id, r.client_order_id, r.owner, r.side,
                r.order_type, r.tif, r.price, qty,
            )
        ]
        tif = r.tif
        if tif == _FOK and self._fillable(book, r.side, r.price, is_market, qty, r.owner) < qty:
            out.append(
                OrderCancelled(
                    t, venue, r.instrument, r.order_id, r.client_order_id, r.owner, qty,
                    "fok_unfillable",
                )
            )
            return out
        remaining, stp_stop = self._match(
            book, r.side, r.price, is_market, qty, r.owner, r.order_id, r.client_order_id, t, out
        )
        if remaining:
            if stp_stop:
                reason = "self_trade"
            elif is_market:
                reason = "no_liquidity"
            elif tif == _IOC or tif == _FOK:
                reason = "ioc_remainder"
            else:
                book.rest(
                    RestingOrder(
                        r.order_id, r.client_order_id, r.owner, r.side, r.price, remaining, tif, t
                    )
                )
                return out
            out.append(
                OrderCancelled(
                    t, venue, r.instrument, r.order_id, r.client_order_id, r.owner, remaining,
                    reason,
                )
            )
        return out

    def _fillable(
        self, book: OrderBook, side: int, price: int, is_market: bool, qty: int, owner: int
    ) -> int:
        """Quantity an incoming order could trade now, honouring self-trade prevention."""
        if side == 1:
            keys, levels, sign = book.ask_keys, book.asks, -1
        else:
            keys, levels, sign = book.bid_keys, book.bids, 1
        limit_key = _NO_LIMIT if is_market else sign * price
        stp = self.stp
        avail = 0
        for i in range(len(keys) - 1, -1, -1):
            key = keys[i]
            if key < limit_key:
                break
            level = levels[sign * key]
            if stp == STP_NONE:
                avail += level.qty
            else:
                for o in level.orders:
                    if not o.qty:
                        continue
                    if o.owner == owner:
                        if stp == STP_RESTING:
                            continue
                        return avail
                    avail += o.qty
                    if avail >= qty:
                        return avail
            if avail >= qty:
                return avail
        return avail

    def _match(
        self,
        book: OrderBook,
        side: int,
        price: int,
        is_market: bool,
        qty: int,
        owner: int,
        order_id: int,
        client_order_id: str,
        t: int,
        out: list[Event],
    ) -> tuple[int, bool]:
        """Trade an incoming order against the opposite side. Returns (remaining, stopped by
        self-trade prevention)."""
        if side == 1:
            keys, levels, sign = book.ask_keys, book.asks, -1
        else:
            keys, levels, sign = book.bid_keys, book.bids, 1
        limit_key = _NO_LIMIT if is_market else sign * price
        venue = self.venue
        instrument = book.instrument
        all_orders = book.orders
        stp = self.stp
        remaining = qty
        append = out.append
        while keys:
            key = keys[-1]
            if key < limit_key:
                break
            px = sign * key
            level = levels[px]
            queue = level.orders
            while queue:
                maker = queue[0]
                mq = maker.qty
                if not mq:
                    queue.popleft()
                    continue
                if stp and maker.owner == owner:
                    if stp == STP_INCOMING:
                        return remaining, True
                    # cancel the resting order (STP_RESTING and STP_BOTH)
                    queue.popleft()
                    del all_orders[maker.order_id]
                    maker.qty = 0
                    level.qty -= mq
                    level.count -= 1
                    append(
                        OrderCancelled(
                            t, venue, instrument, maker.order_id, maker.client_order_id,
                            maker.owner, mq, "self_trade",
                        )
                    )
                    if stp == STP_BOTH:
                        if level.count == 0:
                            del levels[px]
                            keys.pop()
                        return remaining, True
                    continue
                self.trade_seq += 1
                tid = self.trade_seq
                if mq <= remaining:
                    fill = mq
                    queue.popleft()
                    del all_orders[maker.order_id]
                    maker.qty = 0
                    level.count -= 1
                else:
                    fill = remaining
                    maker.qty = mq - fill
                level.qty -= fill
                remaining -= fill
                append(Trade(t, venue, instrument, tid, px, fill, side, maker.order_id, order_id))
                append(
                    OrderFilled(
                        t, venue, instrument, maker.order_id, maker.client_order_id, maker.owner,
                        maker.side, px, fill, maker.qty, True, tid,
                    )
                )
                append(
                    OrderFilled(
                        t, venue, instrument, order_id, client_order_id, owner, side, px, fill,
                        remaining, False, tid,
                    )
                )
                if not remaining:
                    break
            if level.count == 0:
                del levels[px]
                keys.pop()
            if not remaining:
                break
        return remaining, False

    # --- cancel and modify ---------------------------------------------------------------

    def cancel(self, r: CancelOrder, reason: str = "user") -> list[Event]:
        book = self.books.get(r.instrument)
        order = book.orders.get(r.order_id) if book is not None else None
        if order is None or book is None:
            return [
                RequestRejected(
                    r.t_ns, self.venue, r.instrument, r.order_id, r.owner, "cancel",
                    "unknown_order",
                )
            ]
        if order.owner != r.owner:
            return [
                RequestRejected(
                    r.t_ns, self.venue, r.instrument, r.order_id, r.owner, "cancel", "not_owner"
                )
            ]
        qty = book.remove(order)
        return [
            OrderCancelled(
                r.t_ns, self.venue, r.instrument, order.order_id, order.client_order_id,
                order.owner, qty, reason,
            )
        ]

    def modify(self, r: ModifyOrder) -> list[Event]:
        book = self.books.get(r.instrument)
        order = book.orders.get(r.order_id) if book is not None else None
        reason = ""
        if order is None or book is None:
            reason = "unknown_order"
        elif order.owner != r.owner:
            reason = "not_owner"
        elif r.qty <= 0:
            reason = "invalid_qty"
        elif r.price <= 0:
            reason = "invalid_price"
        if reason or order is None or book is None:
            return [
                RequestRejected(
                    r.t_ns, self.venue, r.instrument, r.order_id, r.owner, "modify", reason
                )
            ]
        if r.price == order.price and r.qty <= order.qty:
            book.reduce(order, r.qty)
            return [
                OrderModified(
                    r.t_ns, self.venue, r.instrument, r.order_id, r.owner, r.price, r.qty, True
                )
            ]
        book.remove(order)
        t = r.t_ns
        out: list[Event] = [
            OrderModified(t, self.venue, r.instrument, r.order_id, r.owner, r.price, r.qty, False)
        ]
        remaining, stp_stop = self._match(
            book, order.side, r.price, False, r.qty, order.owner, order.order_id,
            order.client_order_id, t, out,
        )
        if remaining:
            if stp_stop:
                out.append(
                    OrderCancelled(
                        t, self.venue, r.instrument, order.order_id, order.client_order_id,
                        order.owner, remaining, "self_trade",
                    )
                )
            else:
                book.rest(
                    RestingOrder(
                        order.order_id, order.client_order_id, order.owner, order.side, r.price,
                        remaining, order.tif, t,
                    )
                )
        return out

    # --- session ----------------------------------------------------------------------------

    def cancel_all(self, t_ns: int, owner: int | None = None, reason: str = "cancel_all") -> list[Event]:
        """Cancel every resting order (of one owner, if given) on every book of this venue."""
        out: list[Event] = []
        for book in self.books.values():
            for order in list(book.orders.values()):
                if owner is None or order.owner == owner:
                    qty = book.remove(order)
                    out.append(
                        OrderCancelled(
                            t_ns, self.venue, book.instrument, order.order_id,
                            order.client_order_id, order.owner, qty, reason,
                        )
                    )
        return out

    def expire_day_orders(self, t_ns: int) -> list[Event]:
        """End of the trading day: DAY orders expire, GTC orders stay."""
        out: list[Event] = []
        for book in self.books.values():
            for order in list(book.orders.values()):
                if order.tif == _DAY:
                    qty = book.remove(order)
                    out.append(
                        OrderExpired(
                            t_ns, self.venue, book.instrument, order.order_id,
                            order.client_order_id, order.owner, qty,
                        )
                    )
        return out


_C = c_twin("flashguard.market._cengine")
IMPLEMENTATION = "c" if _C is not None else "python"
if TYPE_CHECKING:
    # typed as the C engine: its API is the public one both engines share
    from flashguard.market._cengine import MatchingEngine as MatchingEngine
else:
    MatchingEngine = _C.MatchingEngine if _C is not None else PyMatchingEngine

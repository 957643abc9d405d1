"""The limit order book of one instrument on one venue.

Layout chosen by measurement for the hot path:
- a dict of price -> Level per side, each Level a FIFO deque of resting orders;
- per side, a plain sorted list of level keys with the best level at the end (key = price
  for bids, -price for asks), kept with C-level bisect: the touch is an O(1) index and new
  levels near the touch insert with a tiny memmove;
- a dict of order id -> resting order, so a cancel is O(1): the order is marked dead (qty 0)
  and stays in its deque until matching or compaction skips it.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque

from flashguard.core.orders import Side


class RestingOrder:
    __slots__ = ("client_order_id", "order_id", "owner", "price", "qty", "side", "t_ns", "tif")

    def __init__(
        self,
        order_id: int,
        client_order_id: str,
        owner: int,
        side: int,
        price: int,
        qty: int,
        tif: int,
        t_ns: int,
    ) -> None:
        self.order_id = order_id
        self.client_order_id = client_order_id
        self.owner = owner
        self.side = side
        self.price = price
        self.qty = qty  # open quantity; 0 once filled or cancelled
        self.tif = tif
        self.t_ns = t_ns


class Level:
    __slots__ = ("count", "orders", "price", "qty")

    def __init__(self, price: int) -> None:
        self.price = price
        self.qty = 0
        self.count = 0
        self.orders: deque[RestingOrder] = deque()


class OrderBook:
    __slots__ = ("ask_keys", "asks", "bid_keys", "bids", "instrument", "orders")

    def __init__(self, instrument: str) -> None:
        self.instrument = instrument
        self.bids: dict[int, Level] = {}
        self.asks: dict[int, Level] = {}
        self.bid_keys: list[int] = []  # prices ascending; best bid last
        self.ask_keys: list[int] = []  # -prices ascending; best ask last
        self.orders: dict[int, RestingOrder] = {}

    # --- mutation (used by the matching engine) ------------------------------------------

    def rest(self, order: RestingOrder) -> None:
        price = order.price
        if order.side == 1:
            levels = self.bids
            keys = self.bid_keys
            key = price
        else:
            levels = self.asks
            keys = self.ask_keys
            key = -price
        level = levels.get(price)
        if level is None:
            level = Level(price)
            levels[price] = level
            if not keys or key > keys[-1]:
                keys.append(key)
            else:
                insort(keys, key)
        level.orders.append(order)
        level.qty += order.qty
        level.count += 1
        self.orders[order.order_id] = order

    def remove(self, order: RestingOrder) -> int:
        """Take a live resting order out of the book; returns the quantity it had open."""
        del self.orders[order.order_id]
        qty = order.qty
        order.qty = 0
        if order.side == 1:
            levels = self.bids
            keys = self.bid_keys
            key = order.price
        else:
            levels = self.asks
            keys = self.ask_keys
            key = -order.price
        level = levels[order.price]
        level.qty -= qty
        level.count -= 1
        if level.count == 0:
            del levels[order.price]
            if keys[-1] == key:
                keys.pop()
            else:
                del keys[bisect_left(keys, key)]
        elif len(level.orders) > 2 * level.count + 16:
            level.orders = deque([o for o in level.orders if o.qty])
        return qty

    def reduce(self, order: RestingOrder, new_qty: int) -> None:
        """Lower a resting order's open quantity in place (keeps its time priority)."""
        levels = self.bids if order.side == 1 else self.asks
        levels[order.price].qty -= order.qty - new_qty
        order.qty = new_qty

    # --- views ---------------------------------------------------------------------------

    def order(self, order_id: int) -> RestingOrder | None:
        """The resting order with this id, or None."""
        return self.orders.get(order_id)

    def order_count(self) -> int:
        return len(self.orders)

    def best_bid(self) -> int | None:
        return self.bid_keys[-1] if self.bid_keys else None

    def best_ask(self) -> int | None:
        return -self.ask_keys[-1] if self.ask_keys else None

    def l1(self) -> tuple[int | None, int, int | None, int]:
        """(best bid, its size, best ask, its size); a missing side is (None, 0)."""
        bk = self.bid_keys
        ak = self.ask_keys
        if bk:
            bid: int | None = bk[-1]
            bid_qty = self.bids[bk[-1]].qty
        else:
            bid, bid_qty = None, 0
        if ak:
            ask: int | None = -ak[-1]
            ask_qty = self.asks[-ak[-1]].qty
        else:
            ask, ask_qty = None, 0
        return bid, bid_qty, ask, ask_qty

    def levels(self, side: Side | int, depth: int | None = None) -> list[tuple[int, int]]:
        """L2: [(price, qty), ...] from the best level outwards."""
        if side == 1:
            keys, book, sign = self.bid_keys, self.bids, 1
        else:
            keys, book, sign = self.ask_keys, self.asks, -1
        n = len(keys) if depth is None else min(depth, len(keys))
        out = []
        for i in range(1, n + 1):
            price = sign * keys[-i]
            out.append((price, book[price].qty))
        return out

    def lots_within(self, side: Side | int, limit: float, depth: int) -> int:
        """Resting lots on the best `depth` levels of a side priced no further out than
        `limit` (bids at or above it, asks at or below it): `levels(side, depth)` summed over
        that prefix, without building the list."""
        if side == 1:
            keys, book, sign = self.bid_keys, self.bids, 1
        else:
            keys, book, sign = self.ask_keys, self.asks, -1
        total = 0
        for i in range(1, min(depth, len(keys)) + 1):
            price = sign * keys[-i]
            if sign * (price - limit) < 0:  # so written, a NaN limit counts every level
                break
            total += book[price].qty
        return total

    def l2(self, depth: int | None = None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        return self.levels(Side.BUY, depth), self.levels(Side.SELL, depth)

    def l3(self, side: Side | int, depth: int | None = None) -> list[tuple[int, list[RestingOrder]]]:
        """L3: [(price, [orders in time priority]), ...] from the best level outwards."""
        book = self.bids if side == 1 else self.asks
        return [(price, [o for o in book[price].orders if o.qty]) for price, _ in self.levels(side, depth)]

    def depth_qty(self, side: Side | int, levels: int | None = None) -> int:
        return sum(q for _, q in self.levels(side, levels))

    def crossed(self) -> bool:
        bb = self.best_bid()
        ba = self.best_ask()
        return bb is not None and ba is not None and bb >= ba

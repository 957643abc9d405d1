"""Trades of a rolling time window with running sums, so a window mean costs O(1).

Each trade enters once and leaves once (amortised O(1) per trade); nothing is recomputed
over the window.
"""

from __future__ import annotations

from collections import deque


class TradeWindow:
    """Trades in arrival (time) order with the running count, sum of prices, sum of
    quantities and sum of price x quantity of the trades currently inside."""

    __slots__ = ("count", "sum_notional", "sum_price", "sum_qty", "trades")

    def __init__(self) -> None:
        # (t_ns, price, qty), oldest first: callers may read it (a hot path skips a call to
        # oldest_t), only this class changes it
        self.trades: deque[tuple[int, int, int]] = deque()
        self.count = 0
        self.sum_price = 0
        self.sum_qty = 0
        self.sum_notional = 0

    def __len__(self) -> int:
        return self.count

    def push(self, t_ns: int, price: int, qty: int) -> None:
        self.trades.append((t_ns, price, qty))
        self.count += 1
        self.sum_price += price
        self.sum_qty += qty
        self.sum_notional += price * qty

    def oldest_t(self) -> int | None:
        return self.trades[0][0] if self.trades else None

    def pop_oldest(self) -> None:
        _, price, qty = self.trades.popleft()
        self.count -= 1
        self.sum_price -= price
        self.sum_qty -= qty
        self.sum_notional -= price * qty

    def clear(self) -> None:
        self.trades.clear()
        self.count = self.sum_price = self.sum_qty = self.sum_notional = 0

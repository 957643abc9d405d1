"""Positions and P&L, exact in integers.

Each position keeps its open lots first-in first-out, so realized P&L is an exact integer in
tick-lots (price ticks x lots) and never drifts the way an average-cost float does. Money in
currency appears only at the edge: `Instrument.tick_value()` converts tick-lots, fees are in
fee units of 1/100 tick per lot.

Identity the tests hold it to: for any sequence of fills and any mark m,
realized + unrealized(m) == cash + position * m, where cash = -sum(side * price * qty).
"""

from __future__ import annotations

from collections import deque


class Position:
    __slots__ = ("fees", "lots", "qty", "realized")

    def __init__(self) -> None:
        self.qty = 0  # signed lots: > 0 long, < 0 short
        self.lots: deque[list[int]] = deque()  # [price, signed qty] open lots, oldest first
        self.realized = 0  # tick-lots
        self.fees = 0  # fee units (1/100 tick per lot)

    def apply_fill(self, side: int, price: int, qty: int, fee: int = 0) -> int:
        """Book a fill; returns the realized P&L (tick-lots) it produced."""
        if qty <= 0:
            raise ValueError(f"qty={qty} must be > 0")
        if side not in (1, -1):
            raise ValueError(f"side={side} must be 1 or -1")
        self.fees += fee
        signed = side * qty
        realized = 0
        lots = self.lots
        while qty and lots and (lots[0][1] > 0) != (side > 0):
            lot = lots[0]
            take = min(qty, abs(lot[1]))
            # closing a long (lot > 0) by selling at price gains price - lot price per lot
            realized += (price - lot[0]) * take * (1 if lot[1] > 0 else -1)
            lot[1] += take if lot[1] < 0 else -take
            qty -= take
            if lot[1] == 0:
                lots.popleft()
        if qty:
            lots.append([price, side * qty])
        self.qty += signed
        self.realized += realized
        return realized

    def cost(self) -> int:
        """Signed cost of the open lots in tick-lots."""
        return sum(p * q for p, q in self.lots)

    def unrealized(self, mark: int) -> int:
        return mark * self.qty - self.cost()

    def avg_price(self) -> float | None:
        return self.cost() / self.qty if self.qty else None


class Portfolio:
    """Positions per (strategy, instrument), with totals over strategies."""

    def __init__(self) -> None:
        self.positions: dict[tuple[str, str], Position] = {}

    def position(self, strategy: str, instrument: str) -> Position:
        key = (strategy, instrument)
        pos = self.positions.get(key)
        if pos is None:
            pos = self.positions[key] = Position()
        return pos

    def on_fill(
        self, strategy: str, instrument: str, side: int, price: int, qty: int, fee: int = 0
    ) -> int:
        return self.position(strategy, instrument).apply_fill(side, price, qty, fee)

    def net_qty(self, instrument: str) -> int:
        return sum(p.qty for (_, sym), p in self.positions.items() if sym == instrument)

    def pnl_ticks(self, marks: dict[str, int], strategy: str | None = None) -> int:
        """Realized + unrealized in tick-lots (fees excluded) at the given marks."""
        total = 0
        for (strat, sym), pos in self.positions.items():
            if strategy is not None and strat != strategy:
                continue
            total += pos.realized
            if pos.qty:
                total += pos.unrealized(marks[sym])
        return total

    def fees(self, strategy: str | None = None) -> int:
        return sum(
            p.fees for (strat, _), p in self.positions.items() if strategy in (None, strat)
        )

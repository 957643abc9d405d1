"""The system's own orders, positions and equity, as the risk framework counts them.

An order counts against its strategy's limits from the moment the gate passes it (in flight)
until a terminal report (filled, cancelled, expired, rejected by the venue): `open_buy` and
`open_sell` hold the working plus in-flight quantity per side, so a position check never
waits for an acknowledgement. Equity is marked to market, in micro-currency, and kept
incrementally: a fill or a mark move changes it by a delta, never by a sum over history.

Not flashguard.system.portfolio, which books realized P&L lot by lot (FIFO) with fees, for
reports, and sums over positions when asked: risk needs only equity (cash + position x mark,
before fees) on every event, in O(1). At the same marks the two give the same number
(tests/risk/test_risk_twins.py).
"""

from __future__ import annotations

from collections import deque

import msgspec

from flashguard.system.risk.limits import StrategyLimits
from flashguard.system.risk.marketdata import InstrumentMarket
from flashguard.system.risk.params import StrategyParams
from flashguard.system.risk.throttle import RateWindow
from flashguard.system.risk.types import StrategyMode


class StrategyBook:
    __slots__ = (
        "agency",
        "equity",
        "executions",
        "flatten",
        "hwm",
        "limits",
        "messages",
        "mode",
        "name",
        "open_orders",
        "params",
        "positions",
        "size_permille",
        "vol_level",
    )

    def __init__(self, name: str, params: StrategyParams) -> None:
        self.name = name
        self.params = params
        # True: the strategy works a client's order, so its position is the client's. Its
        # own limits (L1, L2) still count it; the desk's portfolio (equity, exposure, VaR,
        # the kill switch's drawdown, gross reductions) does not.
        self.agency = False
        # True from a halt that unwinds the strategy (on_halt = "flatten") to its restart:
        # orders that only reduce its positions pass; nothing else does
        self.flatten = False
        self.limits = StrategyLimits(params)
        self.mode = StrategyMode.ACTIVE
        self.size_permille = 1000  # 1000 = full size; a volatility level 1 lowers it
        self.vol_level = 0
        self.open_orders = 0
        self.positions: dict[str, PositionBook] = {}
        self.equity = 0  # micros, since the session started
        self.hwm = 0
        self.messages = RateWindow(self.limits.max_messages, self.limits.message_window_ns)
        self.executions: deque[int] = deque()  # fill times inside the execution window


class PositionBook:
    """One strategy's position in one instrument, with its working + in-flight quantity."""

    __slots__ = ("market", "open_buy", "open_sell", "pos", "strategy")

    def __init__(self, strategy: StrategyBook, market: InstrumentMarket) -> None:
        self.strategy = strategy
        self.market = market
        self.pos = 0
        self.open_buy = 0
        self.open_sell = 0

    def exposure(self) -> int:
        """Signed value of the position at the mark, in micros."""
        return self.pos * self.market.mark * self.market.tick_value


class OrderRecord(msgspec.Struct, gc=False):
    """One live order. `leaves` is what the limits count; `confirmed` what the venue has
    acknowledged, so a growing amendment counts at once and falls back if it is refused."""

    client_order_id: str
    venue: str
    book: PositionBook
    side: int
    price: int
    leaves: int
    confirmed: int
    order_id: int
    owner: int
    filled: int = 0
    acked: bool = False
    cancel: int = 0  # 0 none, 1 owed on the ack (no venue id yet), 2 sent

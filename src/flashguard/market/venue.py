"""A venue: a matching engine behind a network, with fees, a market-data feed and a status.

Participants talk to a venue only through `submit`, `cancel` and `modify`. A request reaches
the engine after the venue's order-entry latency; execution reports travel back to their
owner after the same latency; market data (quotes, trades, status changes) reaches each
subscriber after the venue's market-data latency. Because all of this runs on the shared
event loop, a resting order can be cancelled by a fast participant before a slow participant's
order, sent when the quote was displayed, arrives: displayed depth that vanishes is a
consequence of latency, not a flag.

Fees are per lot in fee units of 1/100 tick (negative = rebate); a fill carries `maker`, so
whoever books it applies the venue's schedule (`Venue.fee`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import msgspec

from flashguard.core.events import (
    CancelOrder,
    Event,
    ModifyOrder,
    NewOrder,
    OrderRejected,
    Quote,
    Trade,
    VenueStatus,
)
from flashguard.core.loop import EventLoop
from flashguard.core.orders import OrderType, SelfTradePrevention, Side, TimeInForce
from flashguard.market.matching import MatchingEngine

Listener = Callable[[Event], None]

OPEN = "open"
TRADING_STATES = frozenset({OPEN, "limit_state"})


class VenueConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    entry_latency_ns: int = 200_000
    md_latency_ns: int = 100_000
    maker_fee: int = 0  # fee units (1/100 tick) per lot; negative is a rebate
    taker_fee: int = 0
    stp: SelfTradePrevention = SelfTradePrevention.CANCEL_RESTING

    def __post_init__(self) -> None:
        for field in ("entry_latency_ns", "md_latency_ns"):
            value = getattr(self, field)
            if value < 0:
                raise ValueError(f"venue {self.name}: {field}={value} must be >= 0")


class Venue:
    def __init__(self, config: VenueConfig, instruments: Iterable[str], loop: EventLoop) -> None:
        self.config = config
        self.name = config.name
        self.loop = loop
        self.engine = MatchingEngine(config.name, instruments, config.stp)
        self.status: dict[str, str] = {sym: OPEN for sym in self.engine.books}
        self._owners: dict[int, Listener] = {}
        self._latency: dict[int, int] = {}
        self._subscribers: list[Listener] = []
        self._last_l1: dict[str, tuple[int | None, int, int | None, int]] = {}
        self._next_order_id = 1
        self.messages = 0

    # --- wiring --------------------------------------------------------------------------

    def connect(self, owner: int, on_report: Listener, latency_ns: int | None = None) -> None:
        """Register the handler that receives `owner`'s execution reports. latency_ns is the
        owner's one-way order-entry latency (co-located or remote); default: the venue's."""
        self._owners[owner] = on_report
        if latency_ns is not None:
            if latency_ns < 0:
                raise ValueError(f"latency_ns={latency_ns} must be >= 0")
            self._latency[owner] = latency_ns

    def latency(self, owner: int) -> int:
        return self._latency.get(owner, self.config.entry_latency_ns)

    def subscribe(self, listener: Listener) -> None:
        """Receive this venue's market data (Quote, Trade, VenueStatus) after md latency."""
        self._subscribers.append(listener)

    def fee(self, qty: int, maker: bool) -> int:
        return qty * (self.config.maker_fee if maker else self.config.taker_fee)

    # --- order entry ---------------------------------------------------------------------

    def submit(
        self,
        owner: int,
        instrument: str,
        side: Side | int,
        qty: int,
        price: int = 0,
        order_type: OrderType | int = OrderType.LIMIT,
        tif: TimeInForce | int = TimeInForce.DAY,
        client_order_id: str = "",
    ) -> int:
        """Send a new order; returns the venue order id at once (reports follow)."""
        order_id = self._next_order_id
        self._next_order_id += 1
        t = self.loop.now_ns() + self.latency(owner)
        request = NewOrder(
            t, self.name, instrument, order_id, client_order_id, owner, int(side),
            int(order_type), int(tif), price, qty,
        )
        self.loop.call_at(t, lambda: self._arrive(request))
        return order_id

    def cancel(self, owner: int, instrument: str, order_id: int) -> None:
        t = self.loop.now_ns() + self.latency(owner)
        request = CancelOrder(t, self.name, instrument, order_id, owner)
        self.loop.call_at(t, lambda: self._arrive(request))

    def modify(self, owner: int, instrument: str, order_id: int, price: int, qty: int) -> None:
        t = self.loop.now_ns() + self.latency(owner)
        request = ModifyOrder(t, self.name, instrument, order_id, owner, price, qty)
        self.loop.call_at(t, lambda: self._arrive(request))

    # --- what happens at the venue -------------------------------------------------------

    def _arrive(self, request: Event) -> None:
        self.messages += 1
        if type(request) is NewOrder:
            status = self.status.get(request.instrument, OPEN)
            if status not in TRADING_STATES:
                self._report(
                    [
                        OrderRejected(
                            request.t_ns, self.name, request.instrument, request.order_id,
                            request.client_order_id, request.owner, f"venue_{status}",
                        )
                    ]
                )
                return
        events = self.engine.handle(request)
        self._report(events)
        self._publish_market_data(request, events)

    def _report(self, events: list[Event]) -> None:
        """Deliver each execution report to its owner after the return-path latency."""
        owners = self._owners
        call_later = self.loop.call_later
        for ev in events:
            if type(ev) is Trade:
                continue
            owner: int = ev.owner  # type: ignore[attr-defined]
            handler = owners.get(owner)
            if handler is not None:
                call_later(self.latency(owner), _bind(handler, ev))

    def _publish_market_data(self, request: Event, events: list[Event]) -> None:
        instrument: str = request.instrument  # type: ignore[attr-defined]
        md: list[Event] = [ev for ev in events if type(ev) is Trade]
        l1 = self.engine.books[instrument].l1()
        if l1 != self._last_l1.get(instrument):
            self._last_l1[instrument] = l1
            bid, bid_qty, ask, ask_qty = l1
            md.append(
                Quote(self.loop.now_ns(), self.name, instrument, bid or 0, bid_qty, ask or 0, ask_qty)
            )
        if md:
            self._broadcast(md)

    def _broadcast(self, md: list[Event]) -> None:
        if not self._subscribers:
            return
        subscribers = self._subscribers

        def deliver() -> None:
            for ev in md:
                for listener in subscribers:
                    listener(ev)

        self.loop.call_later(self.config.md_latency_ns, deliver)

    # --- status --------------------------------------------------------------------------

    def set_status(self, instrument: str, status: str, reason: str) -> VenueStatus:
        """Change an instrument's trading status on this venue and publish it."""
        self.status[instrument] = status
        event = VenueStatus(self.loop.now_ns(), self.name, instrument, status, reason)
        self._broadcast([event])
        return event


def _bind(handler: Listener, event: Event) -> Callable[[], None]:
    return lambda: handler(event)

"""A venue: a matching engine behind a network, with fees, a market-data feed and a status.

Participants talk to a venue only through `submit`, `cancel` and `modify`. A request reaches
the engine after the participant's order-entry latency; execution reports travel back after
the same latency; market data (quotes, trades, status changes) reaches each subscriber after
the venue's market-data latency. Because all of this runs on the shared event loop, a resting
order can be cancelled by a fast participant before a slow participant's order, sent when the
quote was displayed, arrives: displayed depth that vanishes is a consequence of latency, not a
flag.

Status per instrument: "open" and "limit_state" trade continuously. "paused", "halted" and
"auction" do not match anything: new orders are accepted and held for the reopening auction,
and orders (held or resting) can be modified and cancelled. `reopen` runs the call auction
(one price for everything that crosses) and resumes continuous trading. "closed" and
"disconnected" reject new orders.

A `guard` (the market's protections, see `flashguard.market.exchange`) may reprice or reject
each new order before it matches (LULD bands, stop logic, collars) and is told what a request
did afterwards, unless that cannot concern it: nothing traded, nothing was clamped on entry
and the top of the book is the one it last saw (`Guard`).

Order entry, the delivery of execution reports, a lit venue's arrival path, its market
data after a request and the feed's delivery to subscribers run in C (`_cengine.VenueCore`,
the base of `VenueBase`, and `_cengine.venue_broadcast` / `venue_deliver`) when the extension
is built, unless FLASHGUARD_PURE=1; `_PyVenueCore` is the reference, and `CORE` says which
("c" or "python").

Fees are per lot in fee units of 1/100 tick (negative = rebate); a fill carries `maker`, so
whoever books it applies the venue's schedule (`Venue.fee`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol, cast

import msgspec

from flashguard.core.events import (
    CancelOrder,
    Event,
    ModifyOrder,
    NewOrder,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderModified,
    OrderRejected,
    Quote,
    Trade,
    VenueStatus,
)
from flashguard.core.loop import EventLoop
from flashguard.core.native import c_twin
from flashguard.core.orders import OrderType, SelfTradePrevention, Side, TimeInForce
from flashguard.market.matching import MatchingEngine
from flashguard.market.protections.auction import AuctionResult, uncross

Listener = Callable[[Event], None]

OPEN = "open"
TRADING_STATES = frozenset({OPEN, "limit_state"})
HOLDING_STATES = frozenset({"paused", "halted", "auction"})
_MARKET = int(OrderType.MARKET)
_LIMIT = int(OrderType.LIMIT)


class Guard(Protocol):
    """admit() may reprice or reject a new order; after() is told what a request did. A guard
    that keeps venue._guard_top[instrument] = (best bid, best ask) as it last saw them, and
    sets its `_clamped` (not None) when admit() clamps an order, is not called after a request
    that traded nothing, clamped nothing and left that top as it was (`_guard_wants`)."""

    def admit(self, venue: Venue, order: NewOrder) -> NewOrder | OrderRejected: ...

    def after(self, venue: Venue, request: Event, events: list[Event]) -> None: ...


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


class _PyVenueCore:
    """What `_cengine.VenueCore` does in C (this is the reference): order entry, the delivery
    of execution reports, a lit venue's arrival path, and the feed (`_broadcast`, `_deliver`:
    `_cengine.venue_broadcast` and `venue_deliver`). The attributes are VenueBase's."""

    name: str
    loop: EventLoop
    status: dict[str, str]
    engine: MatchingEngine
    guard: Guard | None
    messages: int
    _latency: dict[int, int]
    _entry_latency_ns: int
    _routes: dict[int, tuple[Listener, int]]
    _subscribers: list[Listener]
    _next_order_id: int
    _arrive_cb: Listener
    config: VenueConfig
    _guard_top: dict[str, tuple[int | None, int | None]]
    _last_l1: dict[str, tuple[int | None, int, int | None, int]]

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
        self._next_order_id = order_id + 1
        loop = self.loop
        t = loop.clock.now_ns() + self._latency.get(owner, self._entry_latency_ns)
        request = NewOrder(
            t, self.name, instrument, order_id, client_order_id, owner, int(side),
            int(order_type), int(tif), price, qty,
        )
        loop.call_at(t, self._arrive, request)
        return order_id

    def cancel(self, owner: int, instrument: str, order_id: int) -> None:
        loop = self.loop
        t = loop.clock.now_ns() + self._latency.get(owner, self._entry_latency_ns)
        loop.call_at(t, self._arrive, CancelOrder(t, self.name, instrument, order_id, owner))

    def modify(self, owner: int, instrument: str, order_id: int, price: int, qty: int) -> None:
        loop = self.loop
        t = loop.clock.now_ns() + self._latency.get(owner, self._entry_latency_ns)
        loop.call_at(
            t, self._arrive, ModifyOrder(t, self.name, instrument, order_id, owner, price, qty)
        )

    def _arrive(self, request: Event) -> None:
        raise NotImplementedError

    def _report(self, events: list[Event]) -> None:
        """Deliver each execution report to its owner after the return-path latency."""
        routes = self._routes
        if not routes:
            return
        now = -1  # read from the clock at the first report that has a listener
        for ev in events:
            if type(ev) is Trade:
                continue
            route = routes.get(ev.owner)  # type: ignore[attr-defined]
            if route is not None:
                if now < 0:
                    loop = self.loop
                    now = loop.clock.now_ns()
                    call_at = loop.call_at
                call_at(now + route[1], route[0], ev)

    def _lit_arrive(self, request: Event) -> None:
        """A lit venue's arrival (Venue._arrive)."""
        self.messages += 1
        instrument: str = request.instrument  # type: ignore[attr-defined]
        status = self.status.get(instrument)
        if status is None:
            events = self.engine.handle(request)  # the engine rejects the unknown instrument
            self._report(events)
            return
        if status not in TRADING_STATES:
            self._arrive_not_trading(request, status)
            return
        guard = self.guard
        if guard is not None and type(request) is NewOrder:
            admitted = guard.admit(cast("Venue", self), request)
            if type(admitted) is OrderRejected:
                self._report([admitted])
                return
            request = admitted
        events = self.engine.handle(request)
        self._report(events)
        if self._subscribers:
            self._publish_market_data(instrument, events)
        if guard is not None and self._guard_wants(guard, request, instrument, events):
            guard.after(cast("Venue", self), request, events)

    def _guard_wants(self, guard: Guard, request: Event, instrument: str, events: list[Event]) -> bool:
        """Whether the guard's `after` has anything to do. It has unless the request traded
        nothing, the top of the book is still the one the guard last saw (`_guard_top`, kept
        by the guard) and the guard clamped nothing on entry (its `_clamped`): then `after`
        would change nothing, and most requests (cancels, quotes behind the touch) skip it."""
        if type(events) is not list or any(type(ev) is Trade for ev in events):
            return True
        top = self._guard_top.get(instrument)
        if type(top) is not tuple or len(top) != 2:
            return True
        book = self.engine.book(instrument)
        if top != (book.best_bid(), book.best_ask()):
            return True
        return type(request) is NewOrder and getattr(guard, "_clamped", True) is not None

    def _arrive_not_trading(self, request: Event, status: str) -> None:
        raise NotImplementedError

    def _publish_market_data(self, instrument: str, events: list[Event], fresh_quote: bool = False) -> None:
        raise NotImplementedError

    def _lit_publish_market_data(
        self, instrument: str, events: list[Event], fresh_quote: bool = False
    ) -> None:
        """A lit venue's market data after a request (Venue._publish_market_data): the trades
        among `events`, and a quote when the top of book changed (or always with
        `fresh_quote`: back to trading, a subscriber that dropped this venue's quotes while it
        was paused must see it two-sided again, even over an unchanged book)."""
        if not self._subscribers:
            return
        md: list[Event] = [ev for ev in events if type(ev) is Trade]
        l1 = self.engine.books[instrument].l1()
        if fresh_quote or l1 != self._last_l1.get(instrument):
            self._last_l1[instrument] = l1
            bid, bid_qty, ask, ask_qty = l1
            md.append(
                Quote(self.loop.now_ns(), self.name, instrument, bid or 0, bid_qty, ask or 0, ask_qty)
            )
        if md:
            self._broadcast(md)

    def _broadcast(self, md: list[Event]) -> None:
        """Hand `md` to every subscriber after the venue's market-data latency (VenueBase)."""
        if not self._subscribers or not md:
            return
        self.loop.call_later(self.config.md_latency_ns, self._deliver, md)

    def _deliver(self, md: list[Event]) -> None:
        subscribers = self._subscribers
        for ev in md:
            for listener in subscribers:
                listener(ev)


_c = c_twin("flashguard.market._cengine")
if TYPE_CHECKING:
    _Core = _PyVenueCore
else:
    _Core = _c.VenueCore if _c is not None else _PyVenueCore
CORE = "c" if _Core is not _PyVenueCore else "python"


class VenueBase(_Core):
    """What every venue shares: the network (per-owner latency, execution reports after the
    return-path latency, a feed after the market-data latency), fees, ids and a status per
    instrument. Subclasses decide what happens when a request arrives (`_arrive`)."""

    dark = False

    def __init__(self, config: VenueConfig, instruments: Iterable[str], loop: EventLoop) -> None:
        self.config = config
        self.name = config.name
        self.loop = loop
        self.status: dict[str, str] = dict.fromkeys(instruments, OPEN)
        self._owners: dict[int, Listener] = {}
        self._latency: dict[int, int] = {}
        self._entry_latency_ns = config.entry_latency_ns
        # owner -> (report handler, return latency) for the owners that listen: one lookup per
        # execution report
        self._routes: dict[int, tuple[Listener, int]] = {}
        self._subscribers: list[Listener] = []
        self._next_order_id = 1
        self.messages = 0
        self._arrive_cb = self._arrive  # what an arrival calls (bound once)
        # the top of each book (best bid, best ask) as the guard last saw it; the guard keeps it
        self._guard_top: dict[str, tuple[int | None, int | None]] = {}

    # --- wiring --------------------------------------------------------------------------

    def connect(self, owner: int, on_report: Listener | None, latency_ns: int | None = None) -> None:
        """Register the handler that receives `owner`'s execution reports (None: the owner
        does not listen). latency_ns is the owner's one-way order-entry latency (co-located or
        remote); default: the venue's."""
        if on_report is not None:
            self._owners[owner] = on_report
        if latency_ns is not None:
            if latency_ns < 0:
                raise ValueError(f"latency_ns={latency_ns} must be >= 0")
            self._latency[owner] = latency_ns
        handler = self._owners.get(owner)
        if handler is not None:
            self._routes[owner] = (handler, self.latency(owner))

    def latency(self, owner: int) -> int:
        return self._latency.get(owner, self.config.entry_latency_ns)

    def subscribe(self, listener: Listener) -> None:
        """Receive this venue's market data (Quote, Trade, VenueStatus) after md latency."""
        self._subscribers.append(listener)

    def fee(self, qty: int, maker: bool) -> int:
        return qty * (self.config.maker_fee if maker else self.config.taker_fee)

    def _arrive(self, request: Event) -> None:
        raise NotImplementedError

    # --- feed and status -----------------------------------------------------------------

    if not TYPE_CHECKING and _c is not None:
        # the feed's delivery in C (references: _PyVenueCore._broadcast and _deliver)
        _broadcast = _c.venue_broadcast
        _deliver = _c.venue_deliver

    def set_status(self, instrument: str, status: str, reason: str) -> VenueStatus:
        """Change an instrument's trading status on this venue and publish it."""
        if instrument not in self.status:
            raise ValueError(f"venue {self.name}: unknown instrument={instrument!r}")
        self.status[instrument] = status
        event = VenueStatus(self.loop.now_ns(), self.name, instrument, status, reason)
        self._broadcast([event])
        return event


class Venue(VenueBase):
    def __init__(
        self,
        config: VenueConfig,
        instruments: Iterable[str],
        loop: EventLoop,
        guard: Guard | None = None,
    ) -> None:
        self.engine = MatchingEngine(config.name, instruments, config.stp)
        # the engine's books by instrument, as a plain dict: agents and the market's guard read
        # a book on nearly every message (engine.books builds a read-only view per access)
        self.books = dict(self.engine.books)
        super().__init__(config, self.engine.books, loop)
        self.guard = guard
        self._held: dict[str, dict[int, NewOrder]] = {sym: {} for sym in self.engine.books}
        self._last_l1: dict[str, tuple[int | None, int, int | None, int]] = {}

    def l1(self, instrument: str) -> tuple[int | None, int, int | None, int]:
        """What the venue displays right now (not what a subscriber has seen yet)."""
        return self.books[instrument].l1()

    # --- what happens at the venue -------------------------------------------------------

    _arrive = _Core._lit_arrive

    def _arrive_not_trading(self, request: Event, status: str) -> None:
        """No matching while paused, halted or in auction: hold new orders for the reopening;
        cancels and modifies work on held and resting orders alike."""
        kind = type(request)
        instrument: str = request.instrument  # type: ignore[attr-defined]
        held = self._held[instrument]
        t = request.t_ns
        if kind is NewOrder:
            assert isinstance(request, NewOrder)
            reason = invalid_reason(request)
            if status not in HOLDING_STATES or reason:
                self._report([
                    OrderRejected(
                        t, self.name, instrument, request.order_id, request.client_order_id,
                        request.owner, reason or f"venue_{status}",
                    )
                ])
                return
            held[request.order_id] = request
            self._report([
                OrderAccepted(
                    t, self.name, instrument, request.order_id, request.client_order_id,
                    request.owner, request.side, request.order_type, request.tif,
                    request.price, request.qty,
                )
            ])
        elif kind is CancelOrder:
            assert isinstance(request, CancelOrder)
            order = held.get(request.order_id)
            if order is not None and order.owner == request.owner:
                del held[request.order_id]
                self._report([
                    OrderCancelled(
                        t, self.name, instrument, order.order_id, order.client_order_id,
                        order.owner, order.qty, "user",
                    )
                ])
            else:
                self._report(self.engine.handle(request))
                self._publish_market_data(instrument, [])
        elif kind is ModifyOrder:
            assert isinstance(request, ModifyOrder)
            self._modify_not_trading(request, held)

    def _modify_not_trading(self, r: ModifyOrder, held: dict[int, NewOrder]) -> None:
        order = held.get(r.order_id)
        resting = self.engine.books[r.instrument].order(r.order_id)
        if r.qty <= 0 or r.price <= 0 or (order is None and resting is None):
            self._report(self.engine.handle(r))  # the engine's own rejection
            return
        if order is not None:
            if order.owner != r.owner:
                self._report(self.engine.handle(r))
                return
            held[r.order_id] = msgspec.structs.replace(order, price=r.price, qty=r.qty)
        else:
            assert resting is not None
            if resting.owner != r.owner:
                self._report(self.engine.handle(r))
                return
            if r.price == resting.price and r.qty <= resting.qty:
                self._report(self.engine.handle(r))  # a size cut keeps priority in the book
                self._publish_market_data(r.instrument, [])
                return
            # A re-price must not match now: the order leaves the book and waits for the auction.
            self.engine.cancel(CancelOrder(r.t_ns, self.name, r.instrument, r.order_id, r.owner))
            held[r.order_id] = NewOrder(
                r.t_ns, self.name, r.instrument, r.order_id, resting.client_order_id, r.owner,
                resting.side, _LIMIT, resting.tif, r.price, r.qty,
            )
            self._publish_market_data(r.instrument, [])
        self._report([
            OrderModified(r.t_ns, self.name, r.instrument, r.order_id, r.owner, r.price, r.qty, False)
        ])

    def set_status(self, instrument: str, status: str, reason: str) -> VenueStatus:
        event = super().set_status(instrument, status, reason)
        if status == OPEN:
            self._publish_market_data(instrument, [], fresh_quote=True)
        return event

    _publish_market_data = _Core._lit_publish_market_data

    # --- the reopening auction -----------------------------------------------------------

    def held_orders(self, instrument: str) -> list[NewOrder]:
        return list(self._held[instrument].values())

    def reopen(self, instrument: str, reference_price: int, reason: str = "reopened") -> AuctionResult:
        """Run the reopening auction and resume continuous trading.

        Every resting and held order takes part; resting orders keep their time priority
        ahead of orders entered during the pause. What crosses trades at one price (see
        `protections.auction.uncross`); the rest of the held orders then enter the book."""
        t = self.loop.now_ns()
        book = self.engine.books[instrument]
        held = self._held[instrument]
        buys: list[tuple[int, int | None, int, int]] = []
        sells: list[tuple[int, int | None, int, int]] = []
        orders: dict[int, tuple[int, str, int, int]] = {}  # id -> (owner, client id, side, qty)
        priority = 0
        for side, out in ((1, buys), (-1, sells)):
            for _price, level in book.l3(side):
                for o in level:
                    priority += 1
                    out.append((o.order_id, o.price, o.qty, priority))
                    orders[o.order_id] = (o.owner, o.client_order_id, side, o.qty)
        for h in held.values():
            priority += 1
            price = None if h.order_type == _MARKET else h.price
            (buys if h.side == 1 else sells).append((h.order_id, price, h.qty, priority))
            orders[h.order_id] = (h.owner, h.client_order_id, h.side, h.qty)
        result = uncross(buys, sells, reference_price)
        events: list[Event] = []
        if result.price is not None:
            events = self._execute_auction(instrument, t, result, orders, held)
        released = list(held.values())
        held.clear()
        self.status[instrument] = OPEN
        status = VenueStatus(t, self.name, instrument, OPEN, reason)
        self._report(events)
        self._broadcast([status])
        self._publish_market_data(instrument, events, fresh_quote=True)
        for order in released:
            # Already acknowledged when held: only what happens to them now is reported.
            after = [ev for ev in self.engine.handle(order) if type(ev) is not OrderAccepted]
            self._report(after)
            self._publish_market_data(instrument, after)
        return result

    def _execute_auction(
        self,
        instrument: str,
        t: int,
        result: AuctionResult,
        orders: dict[int, tuple[int, str, int, int]],
        held: dict[int, NewOrder],
    ) -> list[Event]:
        price = result.price
        assert price is not None
        left = {oid: info[3] for oid, info in orders.items()}
        events: list[Event] = []
        engine = self.engine
        for buy_id, sell_id, qty in result.allocations:
            engine.trade_seq += 1
            trade_id = engine.trade_seq
            events.append(Trade(t, self.name, instrument, trade_id, price, qty, 0, sell_id, buy_id))
            for oid in (buy_id, sell_id):
                owner, client_id, side, _ = orders[oid]
                left[oid] -= qty
                events.append(
                    OrderFilled(
                        t, self.name, instrument, oid, client_id, owner, side, price, qty,
                        left[oid], False, trade_id,
                    )
                )
        for oid, remaining in left.items():
            if remaining == orders[oid][3]:
                continue
            owner = orders[oid][0]
            if oid in held:
                if remaining:
                    held[oid] = msgspec.structs.replace(held[oid], qty=remaining)
                else:
                    del held[oid]
            elif remaining:
                book_order = engine.books[instrument].order(oid)
                assert book_order is not None
                engine.modify(ModifyOrder(t, self.name, instrument, oid, owner, book_order.price, remaining))
            else:
                engine.cancel(CancelOrder(t, self.name, instrument, oid, owner), "auction_fill")
        return events


def invalid_reason(order: NewOrder) -> str:
    if order.qty <= 0:
        return "invalid_qty"
    if order.order_type == _LIMIT and order.price <= 0:
        return "invalid_price"
    if order.side not in (1, -1):
        return "invalid_side"
    return ""


__all__ = ["HOLDING_STATES", "OPEN", "TRADING_STATES", "Guard", "Venue", "VenueBase", "VenueConfig"]

"""A dark pool: nothing displayed, every execution at the lit market's midpoint.

Orders rest hidden and are pegged to the midpoint of the consolidated best bid and offer of
the lit venues, read at the moment of matching (`nbbo` callable). A limit price caps the peg
(a buy trades only if mid <= limit, a sell only if mid >= limit); a market order is an
unlimited peg. An incoming order trades against the oldest eligible resting orders of the
other side; IOC remainders are cancelled. When the lit market is one-sided, locked or crossed
there is no midpoint and nothing trades. When the midpoint moves, resting orders that have
become compatible cross (`on_nbbo`).

The midpoint of bid b and ask a is (b + a) // 2 ticks: a whole tick, at or above the bid and
below the ask. The feed shows trades (after the fact, like a dark pool's prints) and status,
never quotes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

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
    RequestRejected,
    Trade,
)
from flashguard.core.loop import EventLoop
from flashguard.core.orders import OrderType, TimeInForce
from flashguard.market.protections.auction import NO_CROSS, AuctionResult
from flashguard.market.venue import TRADING_STATES, VenueBase, VenueConfig, invalid_reason

Listener = Callable[[Event], None]
Nbbo = Callable[[str], tuple[int | None, int | None]]
_MARKET = int(OrderType.MARKET)
_IOC = int(TimeInForce.IOC)
_FOK = int(TimeInForce.FOK)


class _Resting:
    __slots__ = ("client_order_id", "limit", "order_id", "owner", "qty", "side", "tif")

    def __init__(self, o: NewOrder) -> None:
        self.order_id = o.order_id
        self.client_order_id = o.client_order_id
        self.owner = o.owner
        self.side = o.side
        self.limit: int | None = None if o.order_type == _MARKET else o.price
        self.qty = o.qty
        self.tif = o.tif


class DarkPool(VenueBase):
    dark = True

    def __init__(self, config: VenueConfig, instruments: Iterable[str], loop: EventLoop, nbbo: Nbbo) -> None:
        super().__init__(config, instruments, loop)
        self._nbbo = nbbo
        self._buys: dict[str, list[_Resting]] = {sym: [] for sym in self.status}
        self._sells: dict[str, list[_Resting]] = {sym: [] for sym in self.status}
        self._trade_seq = 0

    def l1(self, instrument: str) -> tuple[int | None, int, int | None, int]:
        return (None, 0, None, 0)  # nothing is displayed

    def reopen(self, instrument: str, reference_price: int, reason: str = "reopened") -> AuctionResult:
        """No auction in the dark: trading resumes and whatever now crosses at the mid trades."""
        self.set_status(instrument, "open", reason)
        self.on_nbbo(instrument)
        return NO_CROSS

    def resting(self, instrument: str) -> int:
        return len(self._buys[instrument]) + len(self._sells[instrument])

    # --- matching ----------------------------------------------------------------------------

    def _arrive(self, request: Event) -> None:
        self.messages += 1
        kind = type(request)
        instrument: str = request.instrument  # type: ignore[attr-defined]
        t = request.t_ns
        if instrument not in self.status:
            if kind is NewOrder:
                assert isinstance(request, NewOrder)
                self._reject(request, "unknown_instrument")
            return
        if kind is NewOrder:
            assert isinstance(request, NewOrder)
            self._new(request)
        elif kind is CancelOrder:
            assert isinstance(request, CancelOrder)
            o = self._find(instrument, request.order_id, request.owner)
            if o is None:
                self._report([RequestRejected(t, self.name, instrument, request.order_id, request.owner, "cancel", "unknown_order")])
                return
            self._remove(instrument, o)
            self._report([OrderCancelled(t, self.name, instrument, o.order_id, o.client_order_id, o.owner, o.qty, "user")])
        elif kind is ModifyOrder:
            assert isinstance(request, ModifyOrder)
            o = self._find(instrument, request.order_id, request.owner)
            if o is None or request.qty <= 0 or request.price <= 0:
                reason = "unknown_order" if o is None else "invalid_qty" if request.qty <= 0 else "invalid_price"
                self._report([RequestRejected(t, self.name, instrument, request.order_id, request.owner, "modify", reason)])
                return
            keeps = request.price == o.limit and request.qty <= o.qty
            o.limit, o.qty = request.price, request.qty
            if not keeps:  # back of the queue, like a lit book
                self._remove(instrument, o)
                (self._buys if o.side == 1 else self._sells)[instrument].append(o)
            self._report([OrderModified(t, self.name, instrument, o.order_id, o.owner, request.price, request.qty, keeps)])
            if self.status[instrument] in TRADING_STATES:
                self.on_nbbo(instrument)

    def _new(self, o: NewOrder) -> None:
        invalid = invalid_reason(o)
        if invalid:
            self._reject(o, invalid)
            return
        if self.status[o.instrument] not in TRADING_STATES and o.tif in (_IOC, _FOK):
            self._reject(o, f"venue_{self.status[o.instrument]}")
            return
        if self.status[o.instrument] in ("closed", "disconnected"):
            self._reject(o, f"venue_{self.status[o.instrument]}")
            return
        events: list[Event] = [
            OrderAccepted(o.t_ns, self.name, o.instrument, o.order_id, o.client_order_id, o.owner,
                          o.side, o.order_type, o.tif, o.price, o.qty)
        ]
        incoming = _Resting(o)
        if self.status[o.instrument] in TRADING_STATES:
            mid = self._mid(o.instrument)
            if mid is not None and _eligible(incoming, mid):
                book = self._sells if o.side == 1 else self._buys
                queue = book[o.instrument]
                available = sum(r.qty for r in queue if _eligible(r, mid))
                if o.tif != _FOK or available >= o.qty:
                    self._cross(o.instrument, incoming, queue, mid, o.t_ns, events)
        if incoming.qty:
            if o.tif in (_IOC, _FOK):
                events.append(OrderCancelled(o.t_ns, self.name, o.instrument, o.order_id, o.client_order_id, o.owner, incoming.qty, "ioc" if o.tif == _IOC else "fok"))
            else:
                (self._buys if o.side == 1 else self._sells)[o.instrument].append(incoming)
        self._report(events)
        self._broadcast([ev for ev in events if type(ev) is Trade])

    def on_nbbo(self, instrument: str) -> None:
        """The lit midpoint moved: cross resting orders that have become compatible."""
        buys, sells = self._buys[instrument], self._sells[instrument]
        if not buys or not sells or self.status[instrument] not in TRADING_STATES:
            return
        mid = self._mid(instrument)
        if mid is None:
            return
        t = self.loop.now_ns()
        events: list[Event] = []
        for b in list(buys):
            if _eligible(b, mid):
                self._cross(instrument, b, sells, mid, t, events, incoming_maker=True)
                if b.qty == 0:
                    buys.remove(b)
        self._report(events)
        self._broadcast([ev for ev in events if type(ev) is Trade])

    def _cross(
        self,
        instrument: str,
        taker: _Resting,
        queue: list[_Resting],
        mid: int,
        t: int,
        events: list[Event],
        incoming_maker: bool = False,
    ) -> None:
        for maker in list(queue):
            if taker.qty == 0:
                break
            if not _eligible(maker, mid) or maker.owner == taker.owner:
                continue
            qty = min(taker.qty, maker.qty)
            taker.qty -= qty
            maker.qty -= qty
            self._trade_seq += 1
            events.append(Trade(t, self.name, instrument, self._trade_seq, mid, qty, taker.side, maker.order_id, taker.order_id))
            for o, is_maker in ((maker, True), (taker, incoming_maker)):
                events.append(OrderFilled(t, self.name, instrument, o.order_id, o.client_order_id, o.owner, o.side, mid, qty, o.qty, is_maker, self._trade_seq))
            if maker.qty == 0:
                queue.remove(maker)

    def _mid(self, instrument: str) -> int | None:
        bid, ask = self._nbbo(instrument)
        if bid is None or ask is None or bid >= ask:
            return None
        return (bid + ask) // 2

    def _find(self, instrument: str, order_id: int, owner: int) -> _Resting | None:
        for queue in (self._buys[instrument], self._sells[instrument]):
            for o in queue:
                if o.order_id == order_id and o.owner == owner:
                    return o
        return None

    def _remove(self, instrument: str, o: _Resting) -> None:
        (self._buys if o.side == 1 else self._sells)[instrument].remove(o)

    def _reject(self, o: NewOrder, reason: str) -> None:
        self._report([OrderRejected(o.t_ns, self.name, o.instrument, o.order_id, o.client_order_id, o.owner, reason)])


def _eligible(o: _Resting, mid: int) -> bool:
    if o.limit is None:
        return True
    return mid <= o.limit if o.side == 1 else mid >= o.limit


"""The market: several venues and the protections that govern them, wired together.

Scope of each protection, as in the US and at the CME:
- LULD (per instrument) is market-wide: its reference price follows every venue's prints; the
  limit state is judged on the national best bid and offer (read from the venues' books at the
  instant, which is what the SIP computes); a pause stops every venue, lit and dark; each lit
  venue reopens by its own auction, the primary venue's (the first lit venue's) price reopens
  the band. Orders are repriced into the band on entry, so nothing trades outside it.
- Market-wide circuit breakers watch the index (the scenario's main instrument, sampled once a
  second) and halt every instrument on every venue together.
- Stop logic and velocity logic are per venue, like the CME's: an aggressive order is clamped
  at the protection price; if its remainder could still trade beyond it, that venue pauses for
  a few seconds and reopens by auction.
- Price collars (crypto rules) are per venue: a limit order outside the collar is rejected, a
  market order is capped at the collar.

A venue's status is the most severe of the market-wide state and its own (closed > halted >
paused > auction > limit_state > open). Every change is a VenueStatus event with the reason,
sent to `sink` together with each newly published LuldBand; `halts` records every interval in
which a venue did not trade continuously.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import (
    Event,
    LuldBand,
    NewOrder,
    OrderFilled,
    OrderRejected,
    Trade,
    VenueStatus,
)
from flashguard.core.loop import EventLoop
from flashguard.core.native import c_twin
from flashguard.market.darkpool import DarkPool
from flashguard.market.protections.circuit_breaker import CircuitBreaker, MwcbParams
from flashguard.market.protections.collar import CollarParams, PriceCollar
from flashguard.market.protections.luld import Luld, LuldParams
from flashguard.market.protections.stop_logic import StopLogic, StopLogicParams
from flashguard.market.protections.transition import Transition
from flashguard.market.venue import TRADING_STATES, Venue

_MARKET = 2
_LIMIT = 1
_Guards = tuple[PriceCollar | None, Luld | None, list[tuple[str, StopLogic]] | None]
_UNGUARDED: _Guards = (None, None, None)
_SEVERITY = {"open": 0, "limit_state": 1, "auction": 2, "paused": 3, "halted": 4, "closed": 5}
WIDE = "ALL"
# `nbbo` in C (`_cengine.venue_nbbo`, same answer) and the guard's hot path (`_cengine.GuardCore`,
# reference `_PyGuardCore`), unless FLASHGUARD_PURE=1 or not built
_c = c_twin("flashguard.market._cengine")


class Protections(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which protections a scenario switches on, with their parameters."""

    luld: LuldParams = LuldParams(enabled=False)
    mwcb: MwcbParams = MwcbParams(enabled=False)
    stop_logic: StopLogicParams = StopLogicParams(enabled=False)
    velocity_logic: StopLogicParams = StopLogicParams(enabled=False, window_ns=NS_PER_SECOND)
    collar: CollarParams = CollarParams(enabled=False)


@dataclass
class Halt:
    venue: str
    kind: str
    start_ns: int
    end_ns: int | None
    reason: str


class _PyGuardCore:
    """What `_cengine.GuardCore` does in C (this is the reference): the market's admission
    of each new order and its look at what each request did. The attributes are Market's."""

    _guards: dict[tuple[str, str], _Guards]
    _clamped: tuple[int, int, int, str] | None
    _luld: dict[str, Luld]
    _wide: dict[str, str]
    _stops: dict[tuple[str, str], list[tuple[str, StopLogic]]]
    last_price: dict[str, int]
    trade_listeners: list[Callable[[Venue, Trade], None]]
    lit: list[Venue]
    dark: list[DarkPool]

    def admit(self, venue: Venue, order: NewOrder) -> NewOrder | OrderRejected:
        sym = order.instrument
        key = (venue.name, sym)
        guards = self._guards.get(key)
        if guards is None:
            return order
        t = order.t_ns
        price = order.price
        market = order.order_type == _MARKET
        side = order.side
        collar, luld, stops = guards
        if collar is not None:
            bounds = collar.bounds(t)
            if bounds is not None:
                lo, hi = bounds
                if market:
                    price, market = (hi if side == 1 else lo), False
                elif not lo <= price <= hi:
                    return OrderRejected(t, venue.name, sym, order.order_id, order.client_order_id, order.owner, "price_collar")
        if luld is not None:
            band = luld.bands(t)
            if band is not None:
                lo, hi = band
                if side == 1 and (market or price > hi):
                    price, market = hi, False
                elif side == -1 and (market or price < lo):
                    price, market = lo, False
        if stops is not None:
            book = venue.books[sym]
            if side == 1:
                best = book.best_ask()
                aggressive = best is not None and (market or price >= best)
            else:
                best = book.best_bid()
                aggressive = best is not None and (market or price <= best)
            if aggressive:
                limit, kind = _tightest(stops, t, side)
                if limit is not None and (market or (price > limit if side == 1 else price < limit)):
                    price, market = limit, False
                    self._clamped = (order.order_id, side, limit, kind)
        if market == (order.order_type == _MARKET) and price == order.price:
            return order
        return msgspec.structs.replace(order, order_type=_MARKET if market else _LIMIT, price=0 if market else price)

    def after(self, venue: Venue, request: Event, events: list[Event]) -> None:
        sym: str = request.instrument  # type: ignore[attr-defined]
        key = (venue.name, sym)
        traded = False
        for ev in events:
            if type(ev) is Trade:
                assert isinstance(ev, Trade)
                traded = True
                self._on_trade(venue, key, ev)
        clamped = self._clamped
        if clamped is not None:
            self._clamped = None
            self._maybe_trigger(venue, key, request, events, clamped)
        book = venue.books[sym]
        top = (book.best_bid(), book.best_ask())
        # the venue skips this call when nothing traded, nothing was clamped and the top is
        # still venue._guard_top[sym] (see Venue._guard_wants)
        seen = venue._guard_top
        if traded or top != seen.get(sym):
            seen[sym] = top
            self._on_top_change(sym, request.t_ns)

    def _on_trade(self, venue: Venue, key: tuple[str, str], ev: Trade) -> None:
        t = ev.t_ns
        price = ev.price
        self.last_price[ev.instrument] = price
        collar, luld, stops = self._guards.get(key, _UNGUARDED)
        if luld is not None:
            luld.on_trade(t, price, ev.qty)
        if stops is not None:
            for _, stop in stops:
                stop.on_trade(t, price)
        if collar is not None:
            collar.on_trade(t, price, ev.qty)
        for listener in self.trade_listeners:
            listener(venue, ev)

    def _on_top_change(self, sym: str, t: int) -> None:
        luld = self._luld.get(sym)
        bid, ask = self.nbbo(sym)
        if luld is not None and self._wide[sym] in ("open", "limit_state"):
            self._apply_wide(sym, luld.on_quote(t, bid, ask))
            self._publish_band(sym, t)
        for pool in self.dark:
            pool.on_nbbo(sym)

    def nbbo(self, instrument: str) -> tuple[int | None, int | None]:
        raise NotImplementedError

    def _maybe_trigger(
        self,
        venue: Venue,
        key: tuple[str, str],
        request: Event,
        events: list[Event],
        clamped: tuple[int, int, int, str],
    ) -> None:
        raise NotImplementedError

    def _apply_wide(self, sym: str, transitions: list[Transition]) -> None:
        raise NotImplementedError

    def _publish_band(self, sym: str, t: int) -> None:
        raise NotImplementedError


if TYPE_CHECKING:
    _GuardBase = _PyGuardCore
else:
    _GuardBase = _c.GuardCore if _c is not None else _PyGuardCore
GUARD = "c" if _GuardBase is not _PyGuardCore else "python"


class Market(_GuardBase):
    def __init__(
        self,
        loop: EventLoop,
        instruments: Sequence[str],
        tick_size: Decimal | str,
        protections: Protections,
        *,
        session_open_ns: int,
        prior_close: int,
        index_instrument: str | None = None,
        sink: Callable[[Event], object] | None = None,
    ) -> None:
        self.loop = loop
        self.instruments = list(instruments)
        self.protections = protections
        self.lit: list[Venue] = []
        self.dark: list[DarkPool] = []
        self.sink = sink
        self.halts: list[Halt] = []
        self._open_halts: dict[tuple[str, str, str], Halt] = {}
        p = protections
        self._luld = {s: Luld(p.luld, tick_size, session_open_ns) for s in instruments} if p.luld.enabled else {}
        self._mwcb = CircuitBreaker(p.mwcb, prior_close, 0) if p.mwcb.enabled else None
        self._index = index_instrument or self.instruments[0]
        self._wide: dict[str, str] = dict.fromkeys(instruments, "open")
        self._local: dict[tuple[str, str], str] = {}
        self._stops: dict[tuple[str, str], list[tuple[str, StopLogic]]] = {}
        # what guards each (venue, instrument): collar, LULD, stop logics (one lookup per order)
        self._guards: dict[tuple[str, str], _Guards] = {}
        self._clamped: tuple[int, int, int, str] | None = None  # order id, side, limit, kind
        self._bands: dict[str, tuple[int, int] | None] = dict.fromkeys(instruments)
        self._timer_at: dict[object, int] = {}
        self.last_price: dict[str, int] = {}
        self.trade_listeners: list[Callable[[Venue, Trade], None]] = []
        if self._mwcb is not None or self._luld:
            loop.call_at(loop.now_ns() + NS_PER_SECOND, self._each_second)

    # --- wiring ----------------------------------------------------------------------------

    def add_venue(self, venue: Venue | DarkPool) -> None:
        if isinstance(venue, DarkPool):
            self.dark.append(venue)
            return
        venue.guard = self
        self.lit.append(venue)
        p = self.protections
        for sym in self.instruments:
            key = (venue.name, sym)
            self._local[key] = "open"
            stops = [(kind, StopLogic(params)) for kind, params in
                     (("stop_logic", p.stop_logic), ("velocity_logic", p.velocity_logic)) if params.enabled]
            if stops:
                self._stops[key] = stops
            collar = PriceCollar(p.collar) if p.collar.enabled else None
            self._guards[key] = (collar, self._luld.get(sym), stops or None)

    # the reference's admission and post-trade path, for what the C one leaves to it
    _admit_py = _PyGuardCore.admit
    _after_py = _PyGuardCore.after
    _on_top_change_py = _PyGuardCore._on_top_change
    _on_trade = _PyGuardCore._on_trade

    @property
    def venues(self) -> list[Venue | DarkPool]:
        return [*self.lit, *self.dark]

    def nbbo(self, instrument: str) -> tuple[int | None, int | None]:
        """Best bid and offer across the lit venues that are trading, right now."""
        if _c is not None:
            best: tuple[int | None, int | None] = _c.venue_nbbo(self.lit, instrument)
            return best
        return _py_nbbo(self.lit, instrument)

    def bands(self, instrument: str) -> tuple[int, int] | None:
        luld = self._luld.get(instrument)
        return None if luld is None else luld.bands(self.loop.now_ns())

    def _maybe_trigger(
        self,
        venue: Venue,
        key: tuple[str, str],
        request: Event,
        events: list[Event],
        clamped: tuple[int, int, int, str],
    ) -> None:
        order_id, side, limit, kind = clamped
        if type(request) is not NewOrder or request.order_id != order_id:
            return
        filled = sum(ev.qty for ev in events if type(ev) is OrderFilled and ev.order_id == order_id)
        if filled >= request.qty:
            return
        book = venue.books[key[1]]
        beyond = book.best_bid() if side == -1 else book.best_ask()
        if beyond is None or (beyond >= limit if side == -1 else beyond <= limit):
            return
        for stop_kind, stop in self._stops[key]:
            if stop_kind == kind:
                self._apply_local(venue, key, [stop.trigger(request.t_ns, kind)], stop, kind)

    # --- market-wide state ------------------------------------------------------------------

    def _each_second(self) -> None:
        t = self.loop.now_ns()
        if self._mwcb is not None and self._index in self.last_price:
            self._apply_mwcb(self._mwcb.on_index(t, self.last_price[self._index]))
        for sym in self._luld:
            self._publish_band(sym, t)
        self.loop.call_at(t + NS_PER_SECOND, self._each_second)

    def _publish_band(self, sym: str, t: int) -> None:
        luld = self._luld[sym]
        band = luld.bands(t)
        if band != self._bands[sym] and band is not None:
            self._bands[sym] = band
            if self.sink is not None:
                self.sink(LuldBand(t, WIDE, sym, band[0], band[1]))
            for v in self.lit:
                v._broadcast([LuldBand(t, WIDE, sym, band[0], band[1])])

    def _apply_mwcb(self, transitions: list[Transition]) -> None:
        for tr in transitions:
            for sym in self.instruments:
                self._set_wide(sym, tr, "mwcb")
                if tr.status == "auction":
                    self._reopen_wide(sym, tr.t_ns, "mwcb")
        self._schedule(self._mwcb, self._poll_mwcb)

    def _poll_mwcb(self) -> None:
        assert self._mwcb is not None
        self._apply_mwcb(self._mwcb.poll(self.loop.now_ns()))

    def _apply_wide(self, sym: str, transitions: list[Transition]) -> None:
        luld = self._luld[sym]
        for tr in transitions:
            self._set_wide(sym, tr, "luld")
            if tr.status == "auction":
                self._reopen_wide(sym, tr.t_ns, "luld")
        self._schedule(luld, self._poll_luld, sym)

    def _poll_luld(self, sym: str) -> None:
        self._apply_wide(sym, self._luld[sym].poll(self.loop.now_ns()))

    def _reopen_wide(self, sym: str, t: int, kind: str) -> None:
        luld = self._luld.get(sym)
        reference = self._reference(sym)
        if kind == "luld" and luld is not None and not self._two_sided(sym):
            self._apply_wide_no_reopen(sym, luld.extend(t))
            return
        self._wide[sym] = "open"
        self._close_halt(WIDE, sym, kind, t)
        price: int | None = None
        for v in self.lit:
            if self._local[(v.name, sym)] == "open":
                auction = v.set_status(sym, "auction", kind)  # whether or not anyone journals
                if self.sink is not None:
                    self.sink(auction)
                result = v.reopen(sym, reference, f"{kind}_reopened")
                if self.sink is not None:
                    self.sink(VenueStatus(t, v.name, sym, "open", f"{kind}_reopened"))
                if price is None and result.price is not None:
                    price = result.price
                v._guard_top[sym] = (None, None)
            else:
                v.set_status(sym, self._local[(v.name, sym)], "local_protection")
        for pool in self.dark:
            pool.reopen(sym, reference, f"{kind}_reopened")
        if kind == "luld" and luld is not None:
            self._apply_wide(sym, luld.reopened(t, price))
        if price is not None:
            self.last_price[sym] = price
        self._on_top_change(sym, t)

    def _apply_wide_no_reopen(self, sym: str, transitions: list[Transition]) -> None:
        for tr in transitions:
            self._set_wide(sym, tr, "luld")
        self._schedule(self._luld[sym], self._poll_luld, sym)

    def _two_sided(self, sym: str) -> bool:
        """A reopening needs buying and selling interest somewhere (resting or held); without
        it the pause is extended."""
        has_buy = has_sell = False
        for v in self.lit:
            book = v.engine.books[sym]
            held = v.held_orders(sym)
            has_buy = has_buy or book.best_bid() is not None or any(o.side == 1 for o in held)
            has_sell = has_sell or book.best_ask() is not None or any(o.side == -1 for o in held)
        return has_buy and has_sell

    def _reference(self, sym: str) -> int:
        luld = self._luld.get(sym)
        if luld is not None and luld.reference is not None:
            return round(luld.reference)
        return self.last_price.get(sym, 1)

    def _set_wide(self, sym: str, tr: Transition, kind: str) -> None:
        status = tr.status
        if status == "auction":
            return  # the reopening happens at once (see _reopen_wide)
        self._wide[sym] = status
        if status in ("paused", "halted", "closed"):
            self._open_halt(WIDE, sym, kind, tr.t_ns, f"{status}: {tr.reason}")
        for v in self.venues:
            effective = _worse(status, self._local.get((v.name, sym), "open"))
            if v.status[sym] != effective:
                event = v.set_status(sym, effective, tr.reason)
                if self.sink is not None:
                    self.sink(event)

    # --- per-venue state (stop logic) -----------------------------------------------------

    def _apply_local(
        self,
        venue: Venue,
        key: tuple[str, str],
        transitions: list[Transition],
        stop: StopLogic,
        kind: str,
    ) -> None:
        sym = key[1]
        for tr in transitions:
            if tr.status == "auction":
                self._local[key] = "open"
                self._close_halt(venue.name, sym, kind, tr.t_ns)
                if _SEVERITY[self._wide[sym]] >= _SEVERITY["auction"]:
                    stop.reopened(tr.t_ns, None)  # the market-wide pause decides the reopening
                    continue
                auction = venue.set_status(sym, "auction", kind)  # whether or not anyone journals
                if self.sink is not None:
                    self.sink(auction)
                result = venue.reopen(sym, self.last_price.get(sym, self._reference(sym)), f"{kind}_reopened")
                if self.sink is not None:
                    self.sink(VenueStatus(tr.t_ns, venue.name, sym, "open", f"{kind}_reopened"))
                for _, s in self._stops[key]:
                    # the logic that paused the venue reopens; with stop and velocity logic both
                    # on, the other one never paused (a paused venue takes no order that could
                    # trigger it) and keeps measuring from its own window
                    if s.status == "auction":
                        s.reopened(tr.t_ns, result.price)
                if result.price is not None:
                    self.last_price[sym] = result.price
                venue._guard_top[sym] = (None, None)
                self._on_top_change(sym, tr.t_ns)
                continue
            self._local[key] = tr.status
            self._open_halt(venue.name, sym, kind, tr.t_ns, f"{tr.status}: {tr.reason}")
            effective = _worse(self._wide[sym], tr.status)
            if venue.status[sym] != effective:
                event = venue.set_status(sym, effective, tr.reason)
                if self.sink is not None:
                    self.sink(event)
        self._schedule(stop, self._poll_local, venue, key, stop, kind)

    def _poll_local(self, venue: Venue, key: tuple[str, str], stop: StopLogic, kind: str) -> None:
        self._apply_local(venue, key, stop.poll(self.loop.now_ns()), stop, kind)

    # --- timers and the halt record -------------------------------------------------------

    def _schedule(
        self, protection: Luld | StopLogic | CircuitBreaker | None, poll: Callable[..., None], *args: Any
    ) -> None:
        """Call poll(*args) at the protection's next deadline; one timer per deadline."""
        if protection is None:
            return
        deadline = protection.next_deadline()
        if deadline is None or self._timer_at.get(protection) == deadline:
            return
        self._timer_at[protection] = deadline
        self.loop.call_at(deadline, self._fire, protection, deadline, poll, args)

    def _fire(
        self,
        protection: Luld | StopLogic | CircuitBreaker,
        deadline: int,
        poll: Callable[..., None],
        args: tuple[Any, ...],
    ) -> None:
        if self._timer_at.get(protection) == deadline:  # not superseded by a later deadline
            del self._timer_at[protection]
            poll(*args)

    def _open_halt(self, venue: str, sym: str, kind: str, t: int, reason: str) -> None:
        key = (venue, sym, kind)
        if key in self._open_halts:
            return
        halt = Halt(venue, kind, t, None, reason)
        self._open_halts[key] = halt
        self.halts.append(halt)

    def _close_halt(self, venue: str, sym: str, kind: str, t: int) -> None:
        halt = self._open_halts.pop((venue, sym, kind), None)
        if halt is not None:
            halt.end_ns = t


def _tightest(stops: list[tuple[str, StopLogic]], t: int, side: int) -> tuple[int | None, str]:
    best: int | None = None
    kind = ""
    for k, stop in stops:
        if stop.status != "open":
            continue
        limit = stop.limit_price(t, side)
        if limit is not None and (best is None or (limit < best if side == 1 else limit > best)):
            best, kind = limit, k
    return best, kind


def _worse(a: str, b: str) -> str:
    return a if _SEVERITY.get(a, 5) >= _SEVERITY.get(b, 5) else b


def _py_nbbo(lit: Sequence[Venue], instrument: str) -> tuple[int | None, int | None]:
    """Market.nbbo's reference (`_cengine.nbbo` is its C twin)."""
    bid: int | None = None
    ask: int | None = None
    for v in lit:
        if v.status[instrument] not in TRADING_STATES:
            continue
        book = v.books[instrument]
        b = book.best_bid()
        a = book.best_ask()
        if b is not None and (bid is None or b > bid):
            bid = b
        if a is not None and (ask is None or a < ask):
            ask = a
    return bid, ask

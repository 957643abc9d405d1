"""The event-driven state every risk rule reads.

State changes only by applying events (execution reports, quotes, trades) or the gate's own
decisions (an order it passed, an amendment). Every method here is O(1) per event, or O(k)
in the strategies holding one instrument; nothing walks the open orders except a deliberate
cancel-all. Orders are keyed by client_order_id, which must be unique within one gate; events
about orders the gate never passed (other participants', or the gate's own rejections) are
ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

from flashguard.core.events import (
    OrderAccepted,
    OrderFilled,
    OrderModified,
    Quote,
    RequestRejected,
    Trade,
)
from flashguard.core.instruments import Instrument
from flashguard.system.risk.ledger import OrderRecord, PositionBook, StrategyBook
from flashguard.system.risk.limits import OrderLimits, tick_value_micros
from flashguard.system.risk.marketdata import InstrumentMarket
from flashguard.system.risk.params import RiskMatrix, VenueParams
from flashguard.system.risk.throttle import TokenBucket
from flashguard.system.risk.types import RiskOrder


class VenueSession:
    """The message budgets of one venue session: orders and cancels apart."""

    __slots__ = ("cancels", "name", "orders", "status")

    def __init__(self, name: str, params: VenueParams) -> None:
        self.name = name
        self.orders = TokenBucket(params.max_msgs_per_s, params.burst)
        self.cancels = TokenBucket(params.cancel_msgs_per_s, params.cancel_burst)
        self.status: dict[str, str] = {}  # instrument ("" = whole venue) -> last status


class View:
    """The slice of state one order touches: its strategy, its position in the instrument,
    the instrument's market, the venue session, and the order book of live orders; plus what
    only this strategy on this venue and instrument remembers: recent orders (for the
    duplicate rule) and price bounds cached against the market's version (for the fused
    pre-trade predicate)."""

    __slots__ = (
        "book",
        "buy_hi",
        "hi",
        "last_buy_hi",
        "last_sell_lo",
        "limits",
        "lo",
        "market",
        "orders",
        "recent",
        "recent_end",
        "recent_old",
        "seen",
        "sell_lo",
        "session",
        "strategy",
    )

    def __init__(
        self,
        strategy: StrategyBook,
        book: PositionBook,
        session: VenueSession,
        limits: OrderLimits,
        orders: dict[str, OrderRecord],
    ) -> None:
        self.strategy = strategy
        self.book = book
        self.market = book.market
        self.session = session
        self.limits = limits
        self.orders = orders
        # pretrade.dup_key(price, signed qty) -> (when last sent, its parent_id); `remember`
        self.recent: dict[int, tuple[int, str]] = {}
        self.recent_old: dict[int, tuple[int, str]] = {}
        self.recent_end = 0
        self.seen = -1  # the market version the bounds below were computed for
        self.buy_hi = self.sell_lo = self.lo = self.hi = 0
        self.last_buy_hi = self.last_sell_lo = 0

    def last_sent(self, key: int) -> tuple[int, str] | None:
        """When an order with this `pretrade.dup_key` was last sent here, and the parent it
        belonged to, if it may still be inside a duplicate window."""
        last = self.recent.get(key)
        return self.recent_old.get(key) if last is None else last

    def remember(self, key: int, t_ns: int, window: int, parent_id: str = "") -> None:
        """Remember an order sent at t_ns. The memory is two generations of one window each:
        at the first order past the current one's end, the older generation (entirely
        outside the window by then) is dropped whole. O(1) per order, no sweeps, and the
        dicts stay as small as two windows of orders."""
        if t_ns >= self.recent_end:
            self.recent_old = self.recent if t_ns < self.recent_end + window else {}
            self.recent = {}
            self.recent_end = t_ns + window
        self.recent[key] = (t_ns, parent_id)


class RiskState:
    __slots__ = (
        "by_venue_id", "equity", "exposure", "gross", "hwm", "instruments", "mark_mid",
        "markets", "matrix", "money_version", "net", "net_pos", "orders", "sessions",
        "strategies", "views",
    )

    def __init__(self, matrix: RiskMatrix, instruments: Mapping[str, Instrument]) -> None:
        self.matrix = matrix
        self.instruments = dict(instruments)
        self.mark_mid = matrix.portfolio.mark_price == "mid"
        self.markets: dict[str, InstrumentMarket] = {}
        self.strategies: dict[str, StrategyBook] = {}
        self.sessions: dict[str, VenueSession] = {}
        self.orders: dict[str, OrderRecord] = {}
        self.by_venue_id: dict[tuple[str, int], OrderRecord] = {}
        self.views: dict[str, dict[str, dict[str, View]]] = {}  # strategy, venue, instrument
        # the portfolio, all strategies together (micros)
        self.equity = 0
        self.hwm = 0
        # bumped whenever any strategy's equity or high-water mark (or the portfolio's) is
        # set: a watcher of drawdowns need look again only when it moved
        self.money_version = 0
        self.net_pos: dict[str, int] = {}  # instrument -> lots over all strategies
        self.exposure: dict[str, int] = {}  # instrument -> signed value at the mark
        self.gross = 0  # sum of |exposure|
        self.net = 0  # sum of exposure

    # --- lookups that create on first use ------------------------------------------------

    def market(self, symbol: str) -> InstrumentMarket | None:
        m = self.markets.get(symbol)
        if m is None:
            instrument = self.instruments.get(symbol)
            if instrument is None:
                return None
            m = InstrumentMarket(
                symbol,
                tick_value_micros(instrument),
                self.matrix.instrument(symbol),
                self.mark_mid,
            )
            self.markets[symbol] = m
        return m

    def strategy(self, name: str) -> StrategyBook:
        sb = self.strategies.get(name)
        if sb is None:
            sb = StrategyBook(name, self.matrix.strategy(name))
            self.strategies[name] = sb
        return sb

    def session(self, venue: str) -> VenueSession:
        s = self.sessions.get(venue)
        if s is None:
            s = VenueSession(venue, self.matrix.venue(venue))
            self.sessions[venue] = s
        return s

    def position(self, strategy: str, symbol: str) -> PositionBook | None:
        sb = self.strategy(strategy)
        pb = sb.positions.get(symbol)
        if pb is None:
            m = self.market(symbol)
            if m is None:
                return None
            pb = PositionBook(sb, m)
            sb.positions[symbol] = pb
            m.holders.append(pb)
        return pb

    def view(self, strategy: str, venue: str, symbol: str) -> View:
        """The view of (strategy, venue, instrument), made once and kept in `views`."""
        by_instrument = self.views.setdefault(strategy, {}).setdefault(venue, {})
        v = by_instrument.get(symbol)
        if v is None:
            v = self._new_view(strategy, venue, symbol)
            by_instrument[symbol] = v
        return v

    def _new_view(self, strategy: str, venue: str, symbol: str) -> View:
        sb = self.strategy(strategy)
        pb = self.position(strategy, symbol)
        if pb is None:  # an instrument the system does not know: nothing may trade it
            unknown = Instrument(symbol)
            pb = PositionBook(sb, InstrumentMarket(symbol, 1, self.matrix.instrument(symbol), False))
            limits = OrderLimits(sb.params, unknown, self.matrix.instrument(symbol))
            limits.allowed = limits.known = False
            limits.qty_cap = 0  # as OrderLimits compiles an instrument off the allow-list
        else:
            limits = OrderLimits(
                sb.params, self.instruments[symbol], self.matrix.instrument(symbol)
            )
        return View(sb, pb, self.session(venue), limits, self.orders)

    # --- the gate's own decisions --------------------------------------------------------

    def register(self, o: RiskOrder, v: View) -> OrderRecord:
        """An order the gate passed: it counts from now, in flight."""
        rec = OrderRecord(
            o.client_order_id, o.venue, v.book, o.side, o.price, o.qty, o.qty, o.order_id, o.owner
        )
        self.orders[o.client_order_id] = rec
        sb = v.strategy
        sb.open_orders += 1
        if o.side > 0:
            v.book.open_buy += o.qty
        else:
            v.book.open_sell += o.qty
        # by_venue_id is filled on the ack: modifies and their refusals only follow an ack
        return rec

    def amend(self, o: RiskOrder) -> None:
        """An amendment the gate passed: growth counts at once, a cut once the venue confirms."""
        rec = self.orders[o.replaces]
        if o.qty > rec.leaves:
            self._set_leaves(rec, o.qty)
        rec.price = o.price

    def _set_leaves(self, rec: OrderRecord, leaves: int) -> None:
        diff = leaves - rec.leaves
        if rec.side > 0:
            rec.book.open_buy += diff
        else:
            rec.book.open_sell += diff
        rec.leaves = leaves

    def close(self, rec: OrderRecord) -> None:
        """A terminal report: the order stops counting."""
        self._set_leaves(rec, 0)
        sb = rec.book.strategy
        sb.open_orders -= 1
        del self.orders[rec.client_order_id]
        if rec.order_id:
            self.by_venue_id.pop((rec.venue, rec.order_id), None)

    # --- execution reports ---------------------------------------------------------------

    def own(self, client_order_id: str, venue: str) -> OrderRecord | None:
        rec = self.orders.get(client_order_id)
        return rec if rec is not None and rec.venue == venue else None

    def on_accepted(self, ev: OrderAccepted) -> OrderRecord | None:
        rec = self.own(ev.client_order_id, ev.venue)
        if rec is not None:
            rec.acked = True
            rec.owner = ev.owner
            if rec.order_id != ev.order_id:
                self.by_venue_id.pop((rec.venue, rec.order_id), None)
                rec.order_id = ev.order_id
            self.by_venue_id[(ev.venue, ev.order_id)] = rec
        return rec

    def on_fill(self, ev: OrderFilled) -> OrderRecord | None:
        rec = self.own(ev.client_order_id, ev.venue)
        if rec is None:
            return None
        book = rec.book
        m = book.market
        if not m.mark:
            m.mark = ev.price  # nothing was held, so no equity moves with this first mark
        qty = ev.qty
        signed = rec.side * qty
        book.pos += signed
        rec.filled += qty
        rec.confirmed -= qty
        self._set_leaves(rec, max(rec.leaves - qty, ev.leaves_qty))
        tv = m.tick_value
        # equity = cash + position x mark: a fill moves it by its edge against the mark (fees
        # are the venue's schedule, not on the fill, so equity here is before fees)
        self._book_equity(book.strategy, signed * (m.mark - ev.price) * tv)
        if not book.strategy.agency:
            self._set_net_pos(m, self.net_pos.get(m.symbol, 0) + signed)
        if ev.leaves_qty <= 0:
            self.close(rec)
        return rec

    def on_modified(self, ev: OrderModified) -> OrderRecord | None:
        rec = self.by_venue_id.get((ev.venue, ev.order_id))
        if rec is not None:
            self._set_leaves(rec, ev.qty)
            rec.confirmed = ev.qty
            rec.price = ev.price
        return rec

    def on_request_rejected(self, ev: RequestRejected) -> None:
        rec = self.by_venue_id.get((ev.venue, ev.order_id))
        if rec is not None and ev.request == "modify" and rec.leaves != rec.confirmed:
            self._set_leaves(rec, rec.confirmed)

    # --- market data ---------------------------------------------------------------------

    def on_quote(self, ev: Quote) -> InstrumentMarket | None:
        """Returns the market when its mark moved."""
        return self._on_market(ev)

    def on_trade(self, ev: Trade) -> InstrumentMarket | None:
        """Returns the market when its mark moved."""
        return self._on_market(ev)

    def _on_market(self, ev: Quote | Trade) -> InstrumentMarket | None:
        m = self.markets.get(ev.instrument) or self.market(ev.instrument)
        if m is None:
            return None
        old = m.mark
        if isinstance(ev, Quote):
            m.on_quote(ev)
        else:
            m.on_trade(ev)
        if m.mark != old:
            self._remark(m, old)
            return m
        return None

    def _remark(self, m: InstrumentMarket, old: int) -> None:
        if not old:
            return  # a first mark: no position existed to revalue
        move = (m.mark - old) * m.tick_value
        for pb in m.holders:
            if pb.pos:
                self._book_equity(pb.strategy, pb.pos * move)
        self._set_exposure(m.symbol, self.net_pos.get(m.symbol, 0) * m.mark * m.tick_value)

    # --- money ---------------------------------------------------------------------------

    def _book_equity(self, sb: StrategyBook, delta: int) -> None:
        self.money_version += 1
        sb.equity += delta
        if sb.equity > sb.hwm:
            sb.hwm = sb.equity
        if sb.agency:
            return  # the client's money, not the desk's
        self.equity += delta
        if self.equity > self.hwm:
            self.hwm = self.equity

    def _set_net_pos(self, m: InstrumentMarket, lots: int) -> None:
        self.net_pos[m.symbol] = lots
        self._set_exposure(m.symbol, lots * m.mark * m.tick_value)

    def _set_exposure(self, symbol: str, value: int) -> None:
        old = self.exposure.get(symbol, 0)
        self.exposure[symbol] = value
        self.gross += abs(value) - abs(old)
        self.net += value - old

    def reset_high_water_marks(self) -> None:
        """A new trading day: drawdowns are intraday, measured from today's equity."""
        self.money_version += 1
        self.hwm = self.equity
        for sb in self.strategies.values():
            sb.hwm = sb.equity

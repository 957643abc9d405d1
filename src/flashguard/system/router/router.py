"""The smart order router: where and how each parent order trades.

Normal mode routes to the best price net of fees across the consolidated book, splitting a
parent into children of at most `max_child` lots by displayed size (liquidity-taking IOC
children), or posts passive DAY children at one price split across venues by their displayed
size. Crash mode (the strategy's regime is capital preservation) works a parent in rounds:

1. probe: one small IOC ping to every venue showing liquidity (and each dark pool) at once;
2. score: each IOC's filled / displayed feeds the venue's reliability EWMA (`scores.py`);
   the next round sends size only to venues whose score clears `min_score`, even at a worse
   displayed price (a "reroute" decision names the better-priced venue it passed over);
3. tactic: a passive parent becomes IOC children with a price limit;
4. fragment: at most one child of `crash_max_child` lots per venue per round, and a slice
   at the mid to each dark pool;
5. band and halt: no child is ever priced outside the LULD band (published, else the risk
   gate's estimate); a halted or paused venue gets nothing, and while no venue of the
   instrument is trading the parent is queued, released only once a venue has reopened
   and published a fresh quote (crash mode then probes again: the landscape is new).

Our own orders are not liquidity for our own orders: a taking parent pulls our passive
children resting opposite it within its limit and never aims at them, and a passive parent
stays off any price one of our taking parents on the other side would reach until it is done.

Every child passes `RiskGate.check` before it leaves (risk sits on the only road to a
venue), is journaled as `OrderSubmitted` before the gateway sees it, and every decision is
a `RouteDecision` event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from flashguard.core.events import (
    CancelOrder,
    Event,
    LuldBand,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    Quote,
    RouteDecision,
    VenueStatus,
)
from flashguard.core.loop import EventLoop
from flashguard.core.orders import OrderType, TimeInForce
from flashguard.system.gateway import Gateway
from flashguard.system.risk import RiskGate, RiskOrder
from flashguard.system.router import plan
from flashguard.system.router.book import CONSOLIDATED, PAUSED, TRADING, ConsolidatedBook
from flashguard.system.router.config import NS_PER_MS, RouterConfig
from flashguard.system.router.dedupe import RecentChildren
from flashguard.system.router.orders import (
    ACTIVE,
    CANCELLED,
    CANCELLING,
    DONE,
    QUEUED,
    WAITING,
    Child,
    Parent,
)
from flashguard.system.router.scores import VenueScores

LIMIT = int(OrderType.LIMIT)
IOC = int(TimeInForce.IOC)
DAY = int(TimeInForce.DAY)
_END_REPORTS = (OrderCancelled, OrderExpired, OrderRejected)


class RouterListener(Protocol):
    def on_child_fill(self, parent: Parent, fill: OrderFilled) -> None: ...

    def on_parent_final(self, parent: Parent) -> None: ...


def _ignore(_: Event) -> None:
    return None


class SmartOrderRouter:
    def __init__(
        self,
        gateways: Mapping[str, Gateway],
        gate: RiskGate,
        loop: EventLoop,
        *,
        emit: Callable[[Event], None] = _ignore,
        config: RouterConfig | None = None,
        band_fallback: Callable[[str], tuple[int, int] | None] | None = None,
        listener: RouterListener | None = None,
    ) -> None:
        self.config = cfg = config if config is not None else RouterConfig()
        self.gateways = dict(gateways)
        self.gate = gate
        self.loop = loop
        self.emit = emit
        self.listener = listener
        self.band_fallback = band_fallback
        dark = {name for name, gw in self.gateways.items() if gw.dark}
        self.book = ConsolidatedBook(list(self.gateways), dark, cfg.reopen_grace_ns)
        self.scores = VenueScores(cfg.score_alpha, cfg.score_initial)
        # per lot, fee units: (maker, taker)
        self._fees = {n: (gw.fee(1, True), gw.fee(1, False)) for n, gw in self.gateways.items()}
        self._recent = RecentChildren()
        self.parents: dict[str, Parent] = {}  # live parents
        self._by_instrument: dict[str, dict[str, Parent]] = {}
        self._children: dict[str, Child] = {}

    # --- parents -----------------------------------------------------------------------------

    def submit(self, p: Parent) -> None:
        if p.id in self.parents:
            raise ValueError(f"parent_id={p.id!r} is already live")
        now = self.loop.now_ns()
        p.t_start = now
        bid, ask = self.book.nbbo(p.instrument, now)
        p.arrival_mid2 = bid + ask if bid and ask else 0
        self.parents[p.id] = p
        self._by_instrument.setdefault(p.instrument, {})[p.id] = p
        self._decide(
            p, "route", qty=p.qty, price=p.arrival_mid2 // 2,
            detail=f"side={'buy' if p.side > 0 else 'sell'} "
            f"urgency={'passive' if p.passive else 'aggressive'} "
            f"mode={'crash' if p.crash else 'normal'} limit={p.limit} mid2={p.arrival_mid2}",
        )
        self._step(p)

    def cancel(self, parent_id: str, reason: str) -> bool:
        """The owner's cancel: stop routing, cancel the working children. False if the parent
        is not live."""
        p = self.parents.get(parent_id)
        if p is None:
            return False
        self._end(p, reason, send=True)
        return True

    def abandon(self, parent_id: str, reason: str) -> bool:
        """A risk directive's stop: route nothing more; the gate cancels the children."""
        p = self.parents.get(parent_id)
        if p is None:
            return False
        self._end(p, reason, send=False)
        return True

    def set_allowance(self, parent_id: str, allowance: int) -> None:
        """An execution algorithm released more of the parent (cumulative lots)."""
        p = self.parents.get(parent_id)
        if p is None or allowance <= p.allowance:
            return
        p.allowance = allowance
        if p.state in (ACTIVE, WAITING):
            self._step(p)

    def set_crash(self, strategy: str, on: bool) -> None:
        """The strategy's regime changed: its live parents switch tactics now."""
        for p in [q for q in self.parents.values() if q.strategy == strategy]:
            if p.crash == on or p.state == CANCELLING:
                continue
            p.crash = on
            p.probed_at = None
            p.tactic_shifted = False
            if on:
                for child in list(p.children.values()):
                    if not child.ioc:
                        self._cancel_child(child)
            else:
                self._decide(p, "tactic", detail="normal: best net price, as the intent asks")
            if p.state in (ACTIVE, WAITING):
                self._step(p)

    def owner_of(self, client_order_id: str) -> str | None:
        """The strategy of a live child of this router, or None."""
        child = self._children.get(client_order_id)
        return child.parent.strategy if child is not None else None

    # --- market data -------------------------------------------------------------------------

    def on_quote(self, ev: Quote) -> None:
        """`on_market_data` for a Quote: the book, then the parents waiting on it."""
        became_usable = self.book.on_quote(ev)
        if ev.venue == CONSOLIDATED:
            return
        parents = self._by_instrument.get(ev.instrument)
        if not parents:
            return
        if became_usable:
            self._try_release(ev.instrument)
        for p in list(parents.values()):
            if p.state == WAITING:
                self._step(p)

    def on_market_data(self, ev: Event) -> None:
        kind = type(ev)
        if kind is Quote:
            assert isinstance(ev, Quote)
            self.on_quote(ev)
        elif kind is VenueStatus:
            assert isinstance(ev, VenueStatus)
            now = self.loop.now_ns()
            self.book.on_status(ev, now)
            instruments = [ev.instrument] if ev.instrument else list(self._by_instrument)
            for instrument in instruments:
                if ev.status in PAUSED:
                    for p in list(self._by_instrument.get(instrument, {}).values()):
                        if p.state in (ACTIVE, WAITING):
                            self._step(p)
                elif ev.status in TRADING:
                    self._try_release(instrument)
                    # no fresh quote within the grace: release on the last one known
                    self.loop.call_at(now + self.book.grace_ns, self._release_later(instrument))
        elif kind is LuldBand:
            assert isinstance(ev, LuldBand)
            self.book.on_band(ev)
            for p in list(self._by_instrument.get(ev.instrument, {}).values()):
                if p.state == WAITING:
                    self._step(p)

    # --- execution reports -------------------------------------------------------------------

    def on_report(self, ev: Event) -> bool:
        """Account one execution report; False if it is not about a child of this router."""
        cid: str | None = getattr(ev, "client_order_id", None)
        child = self._children.get(cid) if cid is not None else None
        if child is None:
            return False
        kind = type(ev)
        if kind is OrderFilled:
            assert isinstance(ev, OrderFilled)
            self._on_fill(child, ev)
        elif kind is OrderAccepted:
            assert isinstance(ev, OrderAccepted)
            child.order_id = ev.order_id
        elif kind in _END_REPORTS:
            rejected = kind is OrderRejected
            self._close(child, rejected)
            self._after_child(child.parent)
        return True

    def _on_fill(self, child: Child, ev: OrderFilled) -> None:
        p = child.parent
        qty = ev.qty
        child.filled += qty
        p.filled += qty
        p.working -= qty
        p.venues.add(child.venue)
        finished = ev.leaves_qty <= 0 or child.filled >= child.qty
        if finished:
            self._close(child, False)
        if self.listener is not None:
            self.listener.on_child_fill(p, ev)
        if finished:
            self._after_child(p)

    def _close(self, child: Child, rejected: bool) -> None:
        p = child.parent
        if self._children.pop(child.cid, None) is None:
            return
        del p.children[child.cid]
        p.working -= child.leaves
        if child.ioc:
            p.ioc_out -= 1
            if child.probe:
                p.probes_out -= 1
        if child.ioc or rejected:
            score = self.scores.observe(child.venue, child.filled, child.qty)
            self._decide(
                p, "score", child.venue, child.filled, child.price,
                f"score={score:.4f} filled={child.filled} aimed={child.qty}"
                + (" venue_reject" if rejected else ""),
            )

    def _after_child(self, p: Parent) -> None:
        if p.final:
            return
        if p.state == CANCELLING:
            if not p.children:
                self._finish(p, CANCELLED)
            return
        if p.filled >= p.qty:
            self._finish(p, DONE)
            return
        if p.state != QUEUED:
            self._step(p)

    # --- the routing step --------------------------------------------------------------------

    def _step(self, p: Parent) -> None:
        """Decide what to send for the parent now, and send it."""
        free = p.free
        if free <= 0:
            p.state = ACTIVE
            return
        now = self.loop.now_ns()
        paused = self._must_queue(p, now)
        if paused:
            p.state = QUEUED
            p.probed_at = None  # the landscape after the reopen is new
            self._decide(p, "queue", qty=p.remaining, detail="paused: " + ",".join(paused))
            return
        if p.ioc_out and (p.crash or not p.passive):
            return  # one round at a time: the next is planned on what this one learnt
        if p.crash or not p.passive:
            self._clear_own_way(p)
        fresh = self._fresh(p, now)
        plans = self._plan(p, free, now, fresh)
        if not plans:
            p.state = WAITING
            if fresh.refused and not p.retry_armed:
                # held back only by another parent's children inside the duplicate window:
                # look again when it has passed
                p.retry_armed = True
                self.loop.call_at(now + fresh.window, self._retry_later(p))
            return
        p.state = ACTIVE
        sent = sum(self._send(p, c, now) for c in plans)
        if sent:
            p.risk_rejects = 0
            if p.passive and not p.crash and p.free > 0:
                p.state = WAITING  # what risk held back is posted on the next quote
            return
        p.risk_rejects += 1
        if p.risk_rejects >= self.config.max_risk_rejects:
            self._end(p, f"risk refused {p.risk_rejects} rounds", send=True)
        else:
            p.state = WAITING

    def plan_for(self, p: Parent) -> list[plan.ChildPlan]:
        """The children the router would send for the parent now, without sending them."""
        now = self.loop.now_ns()
        return self._plan(p, p.free, now, self._fresh(p, now))

    def _plan(self, p: Parent, free: int, now: int, fresh: _Fresh) -> list[plan.ChildPlan]:
        if p.crash:
            return self._crash_plans(p, free, now, fresh)
        if p.passive:
            return self._post_plans(p, free, now, fresh)
        return plan.take(
            p.side, free, self._offers(p, now), p.limit, self._band(p.instrument),
            self._child_cap(p, self.config.max_child), fresh,
        )

    def _must_queue(self, p: Parent, now: int) -> list[str]:
        """The venues a parent waits for when every lit venue is halted, paused or just
        reopened without a fresh quote; empty when it may route (a venue halted alone is
        routed around)."""
        paused = self.book.paused(p.instrument, now)
        if not paused:
            return []
        lines = self.book.lines(p.instrument)
        if any(self.book.usable(lines[v], now) for v in self.book.lit):
            return []
        return paused

    def _try_release(self, instrument: str) -> None:
        parents = self._by_instrument.get(instrument)
        if not parents:
            return
        now = self.loop.now_ns()
        for p in list(parents.values()):
            if p.state == QUEUED and not self._must_queue(p, now):
                p.state = ACTIVE
                self._decide(p, "release", qty=p.remaining, detail="reopened, fresh quotes")
                self._step(p)

    def _retry_later(self, p: Parent) -> Callable[[], None]:
        def retry() -> None:
            p.retry_armed = False
            if p.state == WAITING:
                self._step(p)

        return retry

    def _release_later(self, instrument: str) -> Callable[[], None]:
        return lambda: self._try_release(instrument)

    def _crash_plans(
        self, p: Parent, free: int, now: int, fresh: _Fresh
    ) -> list[plan.ChildPlan]:
        cfg = self.config
        if not p.tactic_shifted:
            p.tactic_shifted = True
            self._decide(
                p, "tactic",
                detail=("passive -> ioc with price limit; " if p.passive else "")
                + f"crash: probe, ioc children <= {cfg.crash_max_child}, min score "
                f"{cfg.min_score}",
            )
        offers = self._offers(p, now)
        dark = self._dark_offers(p, now)
        band = self._band(p.instrument)
        if p.probed_at is None or now - p.probed_at >= cfg.probe_ttl_ns:
            p.probed_at = now
            pings = plan.probes(p.side, free, offers, dark, p.limit, band, cfg.probe_qty, fresh)
            if pings:
                return pings
        cap = self._child_cap(p, cfg.crash_max_child)
        plans, skipped = plan.crash_take(
            p.side, free, offers, dark, p.limit, band, cap, fresh, self.scores.get,
            cfg.min_score, cfg.dark_fraction,
        )
        lit = [c for c in plans if c.venue not in self.book.dark]
        if skipped and lit:
            chosen = lit[0]
            best = plan.net_cost(p.side, chosen.price, self._fees[chosen.venue][1])
            for o in skipped:
                if plan.net_cost(p.side, o.price, o.fee) <= best:
                    self._decide(
                        p, "reroute", o.venue, o.avail, o.price,
                        f"score={self.scores.get(o.venue):.4f} < {cfg.min_score}: to "
                        f"{chosen.venue} at {chosen.price}",
                    )
        return plans

    def _post_plans(
        self, p: Parent, free: int, now: int, fresh: _Fresh
    ) -> list[plan.ChildPlan]:
        lines = self.book.lines(p.instrument)
        usable = [lines[v] for v in self.book.lit if self.book.usable(lines[v], now)]
        if not usable:
            return []
        bid = max((ln.bid for ln in usable), default=0)
        ask = min((ln.ask for ln in usable if ln.ask), default=0)
        side = p.side
        if side > 0:
            price = p.limit or bid
            if ask:
                price = min(price, ask - 1)
        else:
            price = p.limit or ask
            if bid:
                price = max(price, bid + 1)
        band = self._band(p.instrument)
        if band is not None:
            price = min(price, band[1]) if side > 0 else max(price, band[0])
        if not plan.inside(side, price, p.limit, band):
            return []
        if self._would_meet_own_taker(p, price):
            return []  # posted again (on a quote) once our own order on the other side is done
        venues = [(ln.venue, ln.near(side)[1], self._fees[ln.venue][0]) for ln in usable]
        return plan.post(side, free, price, venues, self._child_cap(p, self.config.max_child), fresh)

    # --- inputs to the plans -----------------------------------------------------------------

    def _offers(self, p: Parent, now: int) -> list[plan.Offer]:
        out = []
        lines = self.book.lines(p.instrument)
        usable = self.book.usable
        side = p.side
        own = self._own_resting(p)
        for v in self.book.lit:
            line = lines[v]
            if not usable(line, now):
                continue
            price, avail = line.available(side)
            if price and own:
                # our own resting orders at (or through) that price are not liquidity: the
                # venue's self-trade prevention would cancel them, and their parents would
                # post them again
                avail -= sum(q for (ov, op), q in own.items()
                             if ov == v and (op <= price if side > 0 else op >= price))
            if price and avail > 0:
                out.append(plan.Offer(v, price, avail, self._fees[v][1]))
        return out

    def _clear_own_way(self, p: Parent) -> None:
        """Cancel our own passive children resting opposite a taking parent within its limit:
        an order of ours is not liquidity for another (self-match prevention at the router,
        before the venue's self-trade prevention cancels it and its parent posts it again)."""
        for q in self._by_instrument.get(p.instrument, {}).values():
            if q.side == p.side or not q.children:
                continue
            for c in list(q.children.values()):
                if not c.ioc and not c.cancel_sent and plan.inside(p.side, c.price, p.limit, None):
                    self._decide(q, "cancel", c.venue, c.leaves, c.price,
                                 f"{c.cid}: clears the way for our own {p.id}")
                    self._cancel_child(c)

    def _would_meet_own_taker(self, p: Parent, price: int) -> bool:
        """True while a taking parent of ours on the other side would reach `price`."""
        for q in self._by_instrument.get(p.instrument, {}).values():
            if (q.side != p.side and (q.crash or not q.passive) and not q.final
                    and q.remaining > 0 and plan.inside(q.side, price, q.limit, None)):
                return True
        return False

    def _own_resting(self, p: Parent) -> dict[tuple[str, int], int]:
        """Lots of our own passive children resting opposite p, by (venue, price)."""
        own: dict[tuple[str, int], int] = {}
        for q in self._by_instrument.get(p.instrument, {}).values():
            if q.side == p.side:
                continue
            for c in q.children.values():
                if not c.ioc and c.leaves > 0:
                    key = (c.venue, c.price)
                    own[key] = own.get(key, 0) + c.leaves
        return own

    def _dark_offers(self, p: Parent, now: int) -> list[plan.Offer]:
        if not self.book.dark:
            return []
        bid, ask = self.book.nbbo(p.instrument, now)
        if not (bid and ask):
            return []
        # limit at the mid, rounded to the far side by at most half a tick
        mid = (bid + ask + 1) // 2 if p.side > 0 else (bid + ask) // 2
        lines = self.book.lines(p.instrument)
        return [
            plan.Offer(v, mid, 0, self._fees[v][1])
            for v in sorted(self.book.dark)
            if self.book.usable(lines[v], now)
        ]

    def _band(self, instrument: str) -> tuple[int, int] | None:
        band = self.book.band(instrument)
        if band is None and self.band_fallback is not None:
            band = self.band_fallback(instrument)
        return band

    def _child_cap(self, p: Parent, cap: int) -> int:
        """No child larger than the router's cap or what layer 1 would let through now."""
        max_qty = self.gate.matrix.strategy(p.strategy).max_order_qty
        keep = round(self.gate.size_multiplier(p.strategy) * 1000)
        return max(1, min(cap, max_qty * keep // 1000))

    def _fresh(self, p: Parent, now: int) -> _Fresh:
        window = self.gate.matrix.strategy(p.strategy).duplicate_window_ms * NS_PER_MS
        return _Fresh(self._recent, p, now, window)

    # --- sending and cancelling --------------------------------------------------------------

    def _send(self, p: Parent, c: plan.ChildPlan, now: int) -> bool:
        gw = self.gateways[c.venue]
        cid = f"{p.id}/{p.seq}"
        p.seq += 1
        tif = IOC if c.ioc else DAY
        decision = "probe" if c.probe else "child"
        rejection = self.gate.check(
            RiskOrder(p.strategy, c.venue, p.instrument, cid, p.side, LIMIT, tif, c.price, c.qty,
                      now, owner=gw.owner, parent_id=p.id)
        )
        if rejection is not None:
            self._decide(
                p, decision, c.venue, c.qty, c.price,
                f"{cid} refused {rejection.layer}.{rejection.rule}",
            )
            return False
        self._decide(p, decision, c.venue, c.qty, c.price, f"{cid} {'ioc' if c.ioc else 'day'}")
        # journaled before the venue can acknowledge it
        self.emit(OrderSubmitted(now, c.venue, p.instrument, p.strategy, cid, p.side, LIMIT, tif,
                                 c.price, c.qty))
        order_id = gw.submit(p.instrument, p.side, c.qty, c.price, LIMIT, tif, cid)
        child = Child(cid, p, c.venue, c.price, c.qty, c.ioc, c.probe, order_id)
        self._children[cid] = child
        p.children[cid] = child
        p.working += c.qty
        if c.ioc:
            p.ioc_out += 1
            if c.probe:
                p.probes_out += 1
            if c.venue not in self.book.dark:
                self.book.consume(p.instrument, c.venue, p.side, c.qty)
        window = self.gate.matrix.strategy(p.strategy).duplicate_window_ms * NS_PER_MS
        self._recent.remember(
            (p.strategy, c.venue, p.instrument, c.price, p.side * c.qty), now, window, p.id
        )
        return True

    def _cancel_child(self, child: Child) -> None:
        if child.cancel_sent:
            return
        child.cancel_sent = True
        p = child.parent
        now = self.loop.now_ns()
        gw = self.gateways[child.venue]
        self.gate.check_cancel(p.strategy, child.venue, now)  # cancels always pass; counted
        self.emit(CancelOrder(now, child.venue, p.instrument, child.order_id, gw.owner))
        gw.cancel(p.instrument, child.order_id)

    def _end(self, p: Parent, reason: str, send: bool) -> None:
        if p.final or p.state == CANCELLING:
            return
        p.reason = reason
        self._decide(p, "cancel", qty=p.remaining, detail=reason)
        if not p.children:
            self._finish(p, CANCELLED)
            return
        p.state = CANCELLING
        if send:
            for child in list(p.children.values()):
                if not child.ioc:  # an IOC ends by itself within one round trip
                    self._cancel_child(child)

    def _finish(self, p: Parent, state: str) -> None:
        p.state = state
        self.parents.pop(p.id, None)
        by_instrument = self._by_instrument.get(p.instrument)
        if by_instrument is not None:
            by_instrument.pop(p.id, None)
        if self.listener is not None:
            self.listener.on_parent_final(p)
        if (p.crash or not p.passive) and by_instrument:
            # our passive orders it kept off the book may go back up now
            for q in list(by_instrument.values()):
                if q.side != p.side and q.passive and q.state == WAITING:
                    self._step(q)

    def _decide(
        self, p: Parent, decision: str, venue: str = "", qty: int = 0, price: int = 0,
        detail: str = "",
    ) -> None:
        self.emit(RouteDecision(self.loop.now_ns(), p.strategy, p.id, p.instrument, decision,
                                venue, qty, price, detail))


class _Fresh:
    """The planners' duplicate check for one parent at one moment (does a child repeat
    another parent's?); remembers whether it held anything back."""

    __slots__ = ("instrument", "now", "parent_id", "recent", "refused", "side", "strategy",
                 "window")

    def __init__(self, recent: RecentChildren, p: Parent, now: int, window: int) -> None:
        self.recent = recent
        self.parent_id = p.id
        self.strategy = p.strategy
        self.instrument = p.instrument
        self.side = p.side
        self.now = now
        self.window = window
        self.refused = False

    def __call__(self, venue: str, price: int, qty: int) -> bool:
        key = (self.strategy, venue, self.instrument, price, self.side * qty)
        if self.recent.clear(key, self.now, self.window, self.parent_id):
            return True
        self.refused = True
        return False

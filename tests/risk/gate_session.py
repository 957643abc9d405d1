"""One gate driven step by step, for the parity tests of the C twin (imported by name; pytest
puts this folder on the path).

A step is a tuple (name, *args) that `Session.run` dispatches to `do_<name>`. Two sessions
fed the same steps must answer, emit and hold the same, whether `check` runs in C
(`_cgate.Lane` with `_cgate.admit_limit_order`) or in Python (`RiskGate._check` with
`fastpath.admit_limit_order`)."""

from __future__ import annotations

from typing import Any

from risk_rig import LIMIT, MARKET, SEC, Rig

from flashguard.core.events import (
    LuldBand,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderModified,
    OrderRejected,
    RequestRejected,
    Trade,
    VenueStatus,
)
from flashguard.system.risk import fastpath
from flashguard.system.risk import strategy as l2
from flashguard.system.risk.params import RiskMatrix
from flashguard.system.risk.types import RiskOrder

STRATEGIES = ("s1", "s2")
VENUES = ("XNAS", "ARCX")
SYMBOLS = ("ABC", "XYZ")
PARENTS = ("", "p1", "p2")
KINDS = ("limit", "market", "amend", "same")
OPERATIONS = ("kill", "reset", "restart", "clear")
STATUSES = ("halted", "open", "paused", "disconnected")


class Session:
    """`lane=True`: `check` as the gate builds it (the C twin when built); False: the Python
    reference all the way down."""

    def __init__(self, m: RiskMatrix, lane: bool) -> None:
        self.rig = Rig(m)
        gate = self.rig.gate
        if not lane:
            gate.check = gate._check
            gate._admit = fastpath.admit_limit_order
        self.rig.at(SEC)
        self.mids = {s: 10_000 for s in SYMBOLS}
        for s in SYMBOLS:
            self.rig.market(s, 9_999, 10_001, last=10_000)
        self.sent: list[RiskOrder] = []
        self.answers: list[Any] = []
        self.n = 0

    def run(self, script: list[tuple[Any, ...]]) -> None:
        for s in script:
            self.step(s)

    def step(self, s: tuple[Any, ...]) -> None:
        getattr(self, "do_" + s[0])(*s[1:])

    def now(self) -> int:
        return self.rig.clock.now_ns()

    def pick(self, i: int) -> RiskOrder | None:
        return self.sent[-1 - i % len(self.sent)] if self.sent else None

    # --- orders ----------------------------------------------------------------------------

    def do_order(self, s: int, vn: int, sym: int, side: int, off: int, qty: int,
                 kind: str, parent: int = 0) -> None:
        self.n += 1
        symbol = SYMBOLS[sym]
        price = self.mids[symbol] - side * off
        cid, otype, pid = f"o{self.n}", LIMIT, PARENTS[parent % len(PARENTS)]
        target = self.pick(s + vn)
        if kind == "market":
            otype, price = MARKET, 0
        elif kind == "amend" and target is not None:
            o = RiskOrder(target.strategy, target.venue, target.instrument, cid, target.side,
                          LIMIT, 1, price, qty, self.now(), target.client_order_id,
                          target.order_id, 7, pid)
            self.answers.append(self.rig.gate.check(o))
            return
        elif kind == "same" and target is not None:  # a resend: duplicate, or reused id
            o = RiskOrder(target.strategy, target.venue, target.instrument,
                          target.client_order_id if off % 2 else cid, target.side, LIMIT, 1,
                          target.price, target.qty, self.now(), "", self.n, 7, pid)
            r = self.rig.gate.check(o)
            self.answers.append(r)
            if r is None and o.client_order_id == cid:
                self.sent.append(o)
            return
        o = RiskOrder(STRATEGIES[s], VENUES[vn], symbol, cid, side, otype, 1, price, qty,
                      self.now(), "", self.n, 7, pid)
        r = self.rig.gate.check(o)
        self.answers.append(r)
        if r is None:
            self.sent.append(o)

    def do_cancel(self, i: int) -> None:
        o = self.pick(i)
        if o is not None:
            self.rig.gate.check_cancel(o.strategy, o.venue, self.now())
            self.rig.feed(OrderCancelled(self.now(), o.venue, o.instrument, o.order_id,
                                         o.client_order_id, 7, o.qty, "user"))

    # --- execution reports -----------------------------------------------------------------

    def do_ack(self, i: int) -> None:
        o = self.pick(i)
        if o is not None:
            self.rig.feed(OrderAccepted(self.now(), o.venue, o.instrument, o.order_id,
                                        o.client_order_id, 7, o.side, o.order_type, 1, o.price,
                                        o.qty))

    def do_fill(self, i: int, qty: int, slip: int) -> None:
        o = self.pick(i)
        if o is not None and o.client_order_id in self.rig.gate.state.orders:
            rec = self.rig.gate.state.orders[o.client_order_id]
            q = min(qty, rec.leaves)
            self.rig.fill(o, q, price=self.mids[o.instrument] + slip, leaves=rec.leaves - q,
                          t=self.now())

    def do_reject(self, i: int) -> None:
        o = self.pick(i)
        if o is not None:
            self.rig.feed(OrderRejected(self.now(), o.venue, o.instrument, o.order_id,
                                        o.client_order_id, 7, "venue says no"))

    def do_expire(self, i: int) -> None:
        o = self.pick(i)
        if o is not None:
            self.rig.feed(OrderExpired(self.now(), o.venue, o.instrument, o.order_id,
                                       o.client_order_id, 7, o.qty))

    def do_modified(self, i: int, qty: int, refused: bool) -> None:
        o = self.pick(i)
        if o is None:
            return
        if refused:
            self.rig.feed(RequestRejected(self.now(), o.venue, o.instrument, o.order_id, 7,
                                          "modify", "too late"))
        else:
            self.rig.feed(OrderModified(self.now(), o.venue, o.instrument, o.order_id, 7,
                                        o.price, qty, False))

    # --- market data -----------------------------------------------------------------------

    def do_quote(self, sym: int, move: int) -> None:
        symbol = SYMBOLS[sym]
        self.mids[symbol] = max(100, self.mids[symbol] + move)
        mid = self.mids[symbol]
        self.rig.market(symbol, mid - 1, mid + 1)
        if move % 3 == 0:
            self.rig.feed(Trade(self.now(), "XNAS", symbol, 0, mid, 1, 1, 0, 0))

    def do_trade(self, sym: int, off: int) -> None:
        symbol = SYMBOLS[sym]
        self.rig.feed(Trade(self.now(), VENUES[sym], symbol, 0, self.mids[symbol] + off, 1, 1,
                            0, 0))

    def do_band(self, sym: int, below: int, above: int) -> None:
        """A published band around the mid; a negative width makes one that is no band."""
        symbol = SYMBOLS[sym]
        mid = self.mids[symbol]
        self.rig.feed(LuldBand(self.now(), "ALL", symbol, mid - below, mid + above))

    def do_status(self, vn: int, status: str) -> None:
        self.rig.feed(VenueStatus(self.now(), VENUES[vn], "", status, "test"))

    def do_wait(self, dt: int) -> None:
        self.rig.at(self.now() + dt)

    # --- decisions -------------------------------------------------------------------------

    def do_operator(self, what: str) -> None:
        gate = self.rig.gate
        if what == "kill":
            gate.kill("ops", "test")
        elif what == "reset" and gate.kill_engaged:
            gate.reset("risk-officer", "test")
        elif what == "clear" and gate.portfolio_reduce_only:
            gate.clear_portfolio_reduce_only("risk-officer", "test")
        elif what == "restart":
            for s in STRATEGIES:
                if gate.strategy_mode(s):
                    gate.restart_strategy(s, "risk-officer", "test")

    def do_halt(self, s: int) -> None:
        """A layer 2 halt, as a runaway would call it."""
        sb = self.rig.gate.state.strategy(STRATEGIES[s])
        self.rig.gate._escalate(sb, l2.message_runaway(sb), self.now())

    # --- what it holds ---------------------------------------------------------------------

    def outcome(self) -> tuple[Any, ...]:
        gate = self.rig.gate
        orders = {cid: (rec.venue, rec.side, rec.price, rec.leaves, rec.confirmed, rec.filled,
                        rec.order_id, rec.owner, rec.acked, rec.cancel)
                  for cid, rec in gate.state.orders.items()}
        modes = {s: (gate.strategy_mode(s), gate.size_multiplier(s)) for s in STRATEGIES}
        books = {(s, x): (pb.pos, pb.open_buy, pb.open_sell)
                 for s in STRATEGIES for x, pb in gate.state.strategy(s).positions.items()}
        t = self.now()
        views = {
            (s, vn, x): (v.strategy.open_orders, dict(v.recent), dict(v.recent_old),
                         v.recent_end, v.session.orders.level_at(t),
                         v.session.orders.level_at(t + SEC))
            for s, by_venue in gate.state.views.items()
            for vn, by_instrument in by_venue.items()
            for x, v in by_instrument.items()
        }
        return (self.answers, self.rig.events, self.rig.cancels, orders, modes, books, views,
                gate.kill_engaged, gate.portfolio_reduce_only, gate.state.equity)

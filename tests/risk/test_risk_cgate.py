"""`RiskGate.check` in C (`_cgate.Lane` with `_cgate.admit_limit_order`) decides, counts and
emits exactly what its Python reference `RiskGate._check` does, over random sessions that
visit every way off the common case: runaway counters tripping and rolling, strategies
escalating and restarting, the kill switch and its reset, venues halting and reopening,
market orders, amendments, duplicates, a saturated throttle."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from risk_rig import LIMIT, MARKET, MS, ROOMY, SEC, Rig, matrix

from flashguard.core.events import OrderAccepted, OrderCancelled, Trade, VenueStatus
from flashguard.system.risk import fastpath
from flashguard.system.risk.types import RiskOrder

pytestmark = pytest.mark.skipif(
    fastpath.IMPLEMENTATION != "c", reason="flashguard.system.risk._cgate is not built"
)

TIGHT = matrix(
    strategy_defaults={**ROOMY, "max_order_qty": 10, "max_open_orders": 6, "max_position": 25,
                       "max_messages": 12, "message_window_ms": 1_000, "duplicate_window_ms": 50,
                       "drawdown_reduce": 1, "drawdown_halt": 40, "max_executions": 6},
    kill_switch={"max_messages": 60, "message_window_ms": 1_000, "cooldown_after_reopen_s": 1},
    venue_defaults={"max_msgs_per_s": 20, "burst": 6, "cancel_msgs_per_s": 100,
                    "cancel_burst": 50},
    portfolio={"max_gross": 500, "on_gross_breach": ["reduce_only"]},
)
STRATEGIES = ("s1", "s2")
VENUES = ("XNAS", "ARCX")
SYMBOLS = ("ABC", "XYZ")

order = st.tuples(
    st.just("order"), st.integers(0, 1), st.integers(0, 1), st.integers(0, 1),
    st.sampled_from([1, -1]), st.integers(-3, 12), st.integers(1, 12),
    st.sampled_from(["limit", "limit", "limit", "market", "amend", "same"]),
)
step = st.one_of(
    order, order, order, order,
    st.tuples(st.just("ack"), st.integers(0, 5)),
    st.tuples(st.just("fill"), st.integers(0, 5), st.integers(1, 4), st.integers(-30, 30)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("quote"), st.integers(0, 1), st.integers(-20, 20)),
    st.tuples(st.just("wait"), st.sampled_from([0, MS, 20 * MS, 60 * MS, 300 * MS, 1_100 * MS])),
    st.tuples(st.just("operator"), st.sampled_from(["kill"] + ["reset", "restart"] * 5
                                                   + ["clear"] * 2)),
    st.tuples(st.just("status"), st.integers(0, 1), st.sampled_from(["halted", "open"])),
)


class Session:
    """One gate, driven step by step; `log` is everything it answered and emitted."""

    def __init__(self, lane: bool) -> None:
        self.rig = Rig(TIGHT)
        if not lane:
            self.rig.gate.check = self.rig.gate._check  # the Python reference
        assert (self.rig.gate.check == self.rig.gate._check) is not lane
        self.rig.at(SEC)
        self.mids = {s: 10_000 for s in SYMBOLS}
        for s in SYMBOLS:
            self.rig.market(s, 9_999, 10_001, last=10_000)
        self.sent: list[RiskOrder] = []
        self.answers: list[Any] = []
        self.n = 0

    def run(self, script: list[tuple[Any, ...]]) -> None:
        for s in script:
            getattr(self, "do_" + s[0])(*s[1:])

    def now(self) -> int:
        return self.rig.clock.now_ns()

    def pick(self, i: int) -> RiskOrder | None:
        return self.sent[-1 - i % len(self.sent)] if self.sent else None

    def do_order(self, s: int, vn: int, sym: int, side: int, off: int, qty: int,
                 kind: str) -> None:
        self.n += 1
        symbol = SYMBOLS[sym]
        price = self.mids[symbol] - side * off
        cid, replaces, otype = f"o{self.n}", "", LIMIT
        target = self.pick(s + vn)
        if kind == "market":
            otype, price = MARKET, 0
        elif kind == "amend" and target is not None:
            replaces = target.client_order_id
            o = RiskOrder(target.strategy, target.venue, target.instrument, cid, target.side,
                          LIMIT, 1, price, qty, self.now(), replaces, target.order_id, 7)
            self.answers.append(self.rig.gate.check(o))
            return
        elif kind == "same" and target is not None:  # a resend: duplicate, or reused id
            o = RiskOrder(target.strategy, target.venue, target.instrument,
                          target.client_order_id if off % 2 else cid, target.side, LIMIT, 1,
                          target.price, target.qty, self.now(), "", self.n, 7)
            self.answers.append(self.rig.gate.check(o))
            return
        o = RiskOrder(STRATEGIES[s], VENUES[vn], symbol, cid, side, otype, 1, price, qty,
                      self.now(), replaces, self.n, 7)
        r = self.rig.gate.check(o)
        self.answers.append(r)
        if r is None:
            self.sent.append(o)

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

    def do_cancel(self, i: int) -> None:
        o = self.pick(i)
        if o is not None:
            self.rig.gate.check_cancel(o.strategy, o.venue, self.now())
            self.rig.feed(OrderCancelled(self.now(), o.venue, o.instrument, o.order_id,
                                         o.client_order_id, 7, o.qty, "user"))

    def do_quote(self, sym: int, move: int) -> None:
        symbol = SYMBOLS[sym]
        self.mids[symbol] += move
        mid = self.mids[symbol]
        self.rig.market(symbol, mid - 1, mid + 1)
        if move % 3 == 0:
            self.rig.feed(Trade(self.now(), "XNAS", symbol, 0, mid, 1, 1, 0, 0))

    def do_wait(self, dt: int) -> None:
        self.rig.at(self.now() + dt)

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

    def do_status(self, vn: int, status: str) -> None:
        self.rig.feed(VenueStatus(self.now(), VENUES[vn], "", status, "test"))

    def outcome(self) -> tuple[Any, ...]:
        gate = self.rig.gate
        orders = {cid: (rec.leaves, rec.confirmed, rec.filled, rec.cancel)
                  for cid, rec in gate.state.orders.items()}
        modes = {s: gate.strategy_mode(s) for s in STRATEGIES}
        positions = {(s, x): gate.position(s, x) for s in STRATEGIES for x in SYMBOLS}
        return (self.answers, self.rig.events, self.rig.cancels, orders, modes, positions,
                gate.kill_engaged, gate.portfolio_reduce_only)


@settings(max_examples=250, deadline=None)
@given(st.lists(step, min_size=30, max_size=150))
def test_the_c_lane_equals_the_python_reference(script: list[tuple[Any, ...]]) -> None:
    lane, reference = Session(lane=True), Session(lane=False)
    lane.run(script)
    reference.run(script)
    assert lane.outcome() == reference.outcome()


def test_sessions_reach_the_paths_off_the_common_case() -> None:
    """The generator is able to reach what the parity test is for: a runaway trip, a kill,
    a rejection by the rules, a duplicate."""
    s = Session(lane=True)
    s.run([("order", i % 2, 0, 0, 1, i, 1, "limit") for i in range(8)])
    assert [r.rule if r else None for r in s.answers] == [None] * 6 + ["message_throttle"] * 2
    s.run([("wait", SEC), ("order", 0, 0, 0, 1, 6, 1, "limit"), ("order", 0, 0, 0, 1, 6, 1, "same")])
    assert s.answers[-2] is None and s.answers[-1].rule == "duplicate_order"
    s.run([("order", 0, 1, 1, -1, i, 1, "limit") for i in range(12)])
    assert s.answers[-1].rule == "strategy_halted"
    s.run([("operator", "kill"), ("order", 1, 1, 1, -1, 2, 3, "limit")])
    assert s.answers[-1] is not None and s.answers[-1].rule == "kill_switch"

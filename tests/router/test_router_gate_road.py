"""Risk on the only road to a venue, in a run: the trading system's gate does not emit accepts
(`emit_accepts=False`, one RiskAction per order would double the journal), so the journal's
record of an accept is the `OrderSubmitted` the router writes after the gate passed the order.
That record is only worth as much as this test: every OrderSubmitted is an order the gate
passed, in the same order, and nothing the gate refused is submitted. (The journal-level
check of the same, on every built-in scenario, is `every_order_accounted` in
tests/run/test_run_invariants.py.)"""

from __future__ import annotations

from sor_rig import SEC, Market, matrix

from flashguard.core.events import OrderRejected, RiskAction
from flashguard.core.orders import Side
from flashguard.market.venue import VenueConfig
from flashguard.system.risk import Rejection, RiskOrder
from flashguard.system.router import RouterConfig


def test_every_submitted_order_passed_the_gate_and_no_refused_one_was_sent() -> None:
    # a venue order budget that crash mode's fragments overrun: some children must be
    # refused by layer 1's throttle
    m = Market([VenueConfig("A"), VenueConfig("B"), VenueConfig("C")],
               risk=matrix(venue={"max_msgs_per_s": 1, "burst": 3}),
               router=RouterConfig(crash_max_child=5))
    gate = m.system.gate
    assert not gate.emit_accepts
    passed: list[str] = []
    refused: list[str] = []
    check = gate.check

    def recording(o: RiskOrder) -> Rejection | None:
        r = check(o)
        (passed if r is None else refused).append(o.client_order_id)
        return r

    gate.check = recording
    for v in "ABC":
        m.rest(v, Side.BUY, 30, 9_990 - ord(v) % 3)
        m.rest(v, Side.SELL, 30, 10_000 + ord(v) % 3)
    m.settle()
    m.buy(20, urgency="aggressive")  # normal mode
    m.settle()
    m.system.engine.pin_regime("hands", "preservation", "test")
    m.buy(25, urgency="aggressive")  # crash mode: probes, then fragments of 5
    m.settle(3 * SEC)

    submitted = [s.client_order_id for s in m.submitted()]
    assert len(submitted) > 5 and refused  # both roads taken
    assert submitted == passed
    assert not set(refused) & set(submitted)
    risk_rejected = {e.client_order_id for e in m.events
                     if isinstance(e, OrderRejected) and e.layer}
    assert risk_rejected == set(refused)
    assert not [e for e in m.events if isinstance(e, RiskAction) and e.action == "accept"]
    throttled = [e for e in m.events if isinstance(e, OrderRejected) and e.layer]
    assert {(e.layer, e.rule) for e in throttled} == {("L1", "message_throttle")}

"""The state the rules read stays equal to a plain recount of the orders and fills, whatever
sequence of reports arrives; and it ignores what is not the system's own."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from risk_rig import ROOMY, SEC, Rig, matrix

from flashguard.core.events import (
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
    RequestRejected,
)
from flashguard.system.risk.types import RiskOrder

steps = st.lists(
    st.tuples(st.sampled_from(["new", "ack", "fill", "cancel", "expire", "reject", "amend",
                               "modified", "modify_refused"]),
              st.integers(0, 30), st.integers(1, 5), st.sampled_from([1, -1])),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(steps)
@example([("new", 0, 2, 1), ("ack", 0, 1, 1), ("amend", 0, 5, 1), ("modify_refused", 0, 1, 1)])
@example([("new", 0, 4, -1), ("ack", 0, 1, 1), ("amend", 0, 1, -1), ("fill", 0, 1, 1),
          ("modified", 0, 1, 1)])
def test_counts_equal_a_recount(script: list[tuple[str, int, int, int]]) -> None:
    rig = Rig(matrix(strategy_defaults=ROOMY))
    rig.at(SEC).market("ABC", 9_999, 10_001)
    state = rig.gate.state
    sent: list[RiskOrder] = []
    # the model: cid -> side, the venue's open qty, what the limits count, a pending amendment
    live: dict[str, dict[str, Any]] = {}
    position = 0
    for kind, pick, qty, side in script:
        t = rig.clock.now_ns()
        target = sent[-1 - pick % min(len(sent), 3)] if sent else None  # mostly recent ones
        if kind == "new":
            o = rig.order(side=side, qty=qty, price=10_000 - side * 5)
            if rig.gate.check(o) is None:
                sent.append(o)
                live[o.client_order_id] = {"side": side, "venue": qty, "counted": qty}
            continue
        if target is None or target.client_order_id not in live:
            continue
        rec = live[target.client_order_id]
        cid, oid = target.client_order_id, target.order_id
        if kind == "ack":
            rec["acked"] = True
            rig.feed(OrderAccepted(t, "XNAS", "ABC", oid, cid, 7, target.side, 1, 1,
                                   target.price, target.qty))
        elif kind == "fill":
            q = min(qty, rec["venue"])
            rec["venue"] -= q
            rec["counted"] = max(rec["counted"] - q, rec["venue"])
            position += rec["side"] * q
            rig.feed(OrderFilled(t, "XNAS", "ABC", oid, cid, 7, rec["side"], target.price, q,
                                 rec["venue"], False, 0))
            if rec["venue"] == 0:
                del live[cid]
        elif kind in ("cancel", "expire", "reject"):
            del live[cid]
            rig.feed(
                OrderCancelled(t, "XNAS", "ABC", oid, cid, 7, rec["venue"], "user")
                if kind == "cancel" else
                OrderExpired(t, "XNAS", "ABC", oid, cid, 7, rec["venue"])
                if kind == "expire" else
                OrderRejected(t, "XNAS", "ABC", oid, cid, 7, "venue says no")
            )
        elif kind == "amend":
            amend = rig.order(side=rec["side"], qty=qty, price=target.price, cid=cid,
                              replaces=cid)
            if rig.gate.check(amend) is None:
                rec["pending"] = qty
                rec["counted"] = max(rec["counted"], qty)
        elif "pending" in rec and "acked" in rec:  # a venue answers a modify after its ack
            if kind == "modified":
                rec["venue"] = rec["counted"] = rec.pop("pending")
                rig.feed(OrderModified(t, "XNAS", "ABC", oid, 7, target.price, rec["venue"],
                                       False))
            else:
                rec.pop("pending")
                rec["counted"] = rec["venue"]
                rig.feed(RequestRejected(t, "XNAS", "ABC", oid, 7, "modify", "no"))
    book = state.position("s1", "ABC")
    assert book is not None and book.pos == position
    assert book.open_buy == sum(r["counted"] for r in live.values() if r["side"] > 0)
    assert book.open_sell == sum(r["counted"] for r in live.values() if r["side"] < 0)
    assert state.strategy("s1").open_orders == len(live) == len(state.orders)
    assert state.net_pos.get("ABC", 0) == position


def test_other_participants_and_risk_rejections_are_not_ours() -> None:
    rig = Rig(matrix(strategy_defaults=ROOMY))
    rig.at(SEC).market("ABC", 9_999, 10_001)
    o = rig.send(rig.order(qty=3, price=9_990, cid="mine"))
    rig.feed(OrderFilled(SEC, "XNAS", "ABC", 999, "theirs", 8, 1, 9_990, 5, 0, False, 1))
    rig.feed(OrderFilled(SEC, "ARCX", "ABC", o.order_id, "mine", 7, 1, 9_990, 1, 2, False, 2))
    # the gate's own rejection of an amendment of "mine", coming back on the bus
    rig.feed(OrderRejected(SEC, "XNAS", "ABC", o.order_id, "mine", 7, "L1.x", "L1", "x"))
    book = rig.gate.state.strategy("s1").positions["ABC"]
    assert (book.pos, book.open_buy) == (0, 3)
    assert "mine" in rig.gate.state.orders


def test_recovery_adopts_the_journaled_orders_then_replays_their_reports() -> None:
    first = Rig(matrix(strategy_defaults=ROOMY))
    first.at(SEC).market("ABC", 9_999, 10_001)
    a = first.send(first.order(side=1, qty=4, price=9_990))
    b = first.send(first.order(side=-1, qty=2, price=10_010))
    first.fill(a, qty=3)
    # a restart: a new gate, the journal replayed into it
    second = Rig(matrix(strategy_defaults=ROOMY))
    second.at(SEC).market("ABC", 9_999, 10_001)
    for o in (a, b):
        second.gate.adopt(o)
        second.gate.adopt(o)  # idempotent
    second.fill(a, qty=3)
    for rig in (first, second):
        book = rig.gate.state.position("s1", "ABC")
        assert book is not None
        assert (book.pos, book.open_buy, book.open_sell) == (3, 1, 2)
        assert rig.gate.state.strategy("s1").open_orders == 2

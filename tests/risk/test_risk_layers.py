"""Switching layers off for an ablation (`RiskGate(disabled=...)`): for each layer, a breach it
acts on when it is on, and the same breach let through when it is off; and what each switch
leaves in place (the ledger, the hard facts, VaR, the operator's kill)."""

from __future__ import annotations

from typing import Any

import pytest
from risk_rig import MARKET, MS, ROOMY, SEC, Rig, matrix

from flashguard.core.events import Quote, VenueStatus
from flashguard.system.risk import RiskGate, fastpath
from flashguard.system.risk.layers import LAYERS
from flashguard.system.risk.types import StrategyMode

ON: frozenset[str] = frozenset()


def off(*layers: str) -> frozenset[str]:
    return frozenset(layers)


def make(disabled: frozenset[str] = ON, strategy: dict[str, Any] | None = None,
         **sections: dict[str, Any]) -> Rig:
    rig = Rig(matrix(strategy_defaults={**ROOMY, **(strategy or {})}, **sections),
              disabled=disabled)
    rig.at(SEC).market("ABC", 9_999, 10_001)  # no trade yet: no LULD band estimate
    return rig


def mark(rig: Rig, mid: int, t: int | None = None) -> None:
    t = rig.clock.now_ns() if t is None else t
    rig.feed(Quote(t, "ALL", "ABC", mid - 1, 10, mid + 1, 10))


def rules(rig: Rig) -> list[str]:
    return [e.rule for e in rig.rejections()]


# --- the switch itself -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [frozenset({"L5"}), frozenset({"l1"}), frozenset({"L1", "kill"}),
                                 frozenset({3})])
def test_an_unknown_layer_is_an_error_naming_the_field_and_the_value(bad: frozenset[Any]) -> None:
    wrong = next(x for x in bad if x not in LAYERS)
    with pytest.raises(ValueError, match=r"disabled=") as info:
        make(bad)
    assert repr(wrong) in str(info.value)


def test_a_bare_string_is_refused_rather_than_read_as_letters() -> None:
    with pytest.raises(ValueError, match=r"disabled='L1'"):
        make("L1")  # type: ignore[arg-type]


def test_disabled_is_keyword_only_and_kept() -> None:
    rig = make(off("L2", "L4"))
    assert rig.gate.disabled == {"L2", "L4"}
    with pytest.raises(TypeError):
        RiskGate(rig.matrix, {}, rig.clock, frozenset({"L1"}))  # type: ignore[misc]


def test_without_layer_1_the_gate_runs_in_python_and_otherwise_keeps_its_c_twin() -> None:
    lane = fastpath.IMPLEMENTATION == "c"
    g = make(off("L1")).gate
    assert g.check == g._check
    for layers in (ON, off("L2"), off("L3"), off("L4"), off("L2", "L3", "L4")):
        g = make(layers).gate
        assert (g.check != g._check) is lane


# --- layer 1 ---------------------------------------------------------------------------------

# (limits, the order at the limit, the order one unit over it, the rule)
L1_BOUNDARIES = [
    ({"max_order_qty": 10}, {"qty": 10}, {"qty": 11}, "max_order_qty"),
    # one lot of ABC at $100.00 is $100: $1,000 is 10 lots
    ({"max_order_notional": 1_000}, {"qty": 10}, {"qty": 11}, "max_order_notional"),
    ({"max_position": 5}, {"qty": 5}, {"qty": 6}, "max_position"),
    # 20% from the reference mid 10_000
    ({"fat_finger_bps": 2_000}, {"price": 8_000}, {"price": 7_999}, "fat_finger"),
    # 5% through the reference mid 10_000
    ({"collar_bps": 500}, {"price": 10_500}, {"price": 10_501}, "collar_reference"),
]


@pytest.mark.parametrize(("limits", "at", "over", "rule"), L1_BOUNDARIES,
                         ids=[b[3] for b in L1_BOUNDARIES])
def test_layer_1_rejects_one_over_its_limit_and_lets_it_through_when_off(
    limits: dict[str, int], at: dict[str, int], over: dict[str, int], rule: str,
) -> None:
    order = {"price": 9_990, "qty": 1}
    on = make(strategy=limits)
    assert on.gate.check(on.order(**{**order, **at})) is None
    r = on.gate.check(on.order(**{**order, **over}))
    assert r is not None and (r.layer, r.rule) == ("L1", rule)

    ablated = make(off("L1"), strategy=limits)
    o = ablated.order(**{**order, **over})
    assert ablated.gate.check(o) is None
    # still booked: the position and the open orders stay known
    assert ablated.gate.open_orders() == 1
    assert ablated.gate.state.orders[o.client_order_id].leaves == o.qty
    ablated.fill(o)
    assert ablated.gate.position("s1", "ABC") == o.qty
    assert ablated.gate.open_orders() == 0


def test_without_layer_1_no_protective_rule_rejects() -> None:
    rig = make(off("L1"), strategy={"max_open_orders": 2, "duplicate_window_ms": 50,
                                    "instruments": ["XYZ"]},
               venue_defaults={"max_msgs_per_s": 1, "burst": 1})
    t = rig.clock.now_ns()
    orders = [
        rig.order(price=9_990, qty=3, t=t),  # ABC is off the allow-list
        rig.order(price=9_990, qty=3, t=t),  # a duplicate, past max open orders and the budget
        rig.order(price=9_990, qty=3, t=t),
        rig.order(order_type=MARKET, price=0, instrument="XYZ", t=t),  # into an empty book
        rig.order(price=5_000, instrument="XYZ", t=t + 10 * SEC),  # no reference quote at all
    ]
    assert [rig.gate.check(o) for o in orders] == [None] * 5
    assert rig.rejections() == [] and rig.actions("reject") == []
    assert rig.gate.open_orders() == 5


def test_without_layer_1_the_hard_facts_still_reject() -> None:
    rig = make(off("L1"))
    live = rig.send(rig.order(price=9_990, cid="A1"))
    cases = [
        (rig.order(instrument="NOPE"), "instrument_allowed"),  # unknown to the system
        (rig.order(qty=0), "tick_lot"),
        (rig.order(side=0), "tick_lot"),
        (rig.order(price=0), "tick_lot"),
        (rig.order(order_type=9), "tick_lot"),
        (rig.order(cid="A1", price=9_980), "duplicate_order"),  # a live id reused
        (rig.order(replaces="nothing", qty=2), "amend_target"),
        (rig.order(replaces=live.client_order_id, side=-1, qty=2), "amend_target"),
    ]
    for o, rule in cases:
        r = rig.gate.check(o)
        assert r is not None and (r.layer, r.rule) == ("L1", rule), (o, r)
    # an amendment of a live order is booked on its new size, past any limit
    assert rig.gate.check(rig.order(replaces="A1", price=9_990, qty=10**6)) is None
    assert rig.gate.state.orders["A1"].leaves == 10**6


# --- layer 2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("disabled", [ON, off("L2")], ids=["on", "off"])
def test_layer_2_drawdown(disabled: frozenset[str]) -> None:
    rig = make(disabled, strategy={"drawdown_reduce": 50, "drawdown_halt": 100})
    o = rig.send(rig.order(side=1, qty=10, price=10_000))
    rig.fill(o)
    working = rig.send(rig.order(side=1, qty=1, price=9_000))
    mark(rig, 10_300)  # the high-water mark
    mark(rig, 9_800)  # $50 down: at the limit
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    mark(rig, 9_799)
    mark(rig, 8_999)  # past the halt limit too
    if disabled:
        assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
        assert [a for a in rig.actions() if a.layer == "L2"] == []
        assert rig.cancels == []
        assert rig.gate.check(rig.order(side=1, qty=1, price=9_000)) is None
    else:
        assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
        # the shipped matrix flattens a halted strategy: the risk layer says it unwinds it
        assert [a.action for a in rig.actions()] == [
            "reduce_only", "halt_strategy", "flatten_strategy"]
        assert [c.order_id for c in rig.cancels] == [working.order_id]
    assert rig.gate.drawdown("s1") > 0  # measured either way


@pytest.mark.parametrize("disabled", [ON, off("L2")], ids=["on", "off"])
def test_layer_2_volatility_size_cut(disabled: frozenset[str]) -> None:
    rig = make(disabled, strategy={"vol_level1_bps": 40.0, "vol_level2_bps": 120.0,
                                   "vol_size_cut": 0.5, "max_order_qty": 10,
                                   "reference_max_age_ms": 600_000})
    rig.send(rig.order(qty=1, price=9_990))  # the strategy trades ABC
    t = rig.clock.now_ns()
    for i, mid in enumerate((10_000, 10_050, 10_050)):  # one 50 bps return: 50 > 40
        mark(rig, mid, t + (i + 1) * SEC)
    cut = not disabled
    assert rig.gate.size_multiplier("s1") == (0.5 if cut else 1.0)
    assert bool(rig.actions("reduce_size")) is cut
    r = rig.gate.check(rig.order(qty=6, price=9_990))
    assert (r is not None and r.rule == "max_order_qty") is cut


@pytest.mark.parametrize("disabled", [ON, off("L2")], ids=["on", "off"])
def test_layer_2_message_runaway(disabled: frozenset[str]) -> None:
    rig = make(disabled, strategy={"max_messages": 5, "message_window_ms": 1_000})
    t = 2 * SEC
    for i in range(5):  # at the limit
        assert rig.gate.check(rig.order(price=9_990 + i, t=t + i)) is None
    r = rig.gate.check(rig.order(price=9_980, t=t + 5))
    if disabled:
        assert r is None and rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
        assert rig.actions() == [] and rig.cancels == []
    else:
        assert r is not None and (r.layer, r.rule) == ("L2", "strategy_halted")


@pytest.mark.parametrize("disabled", [ON, off("L2")], ids=["on", "off"])
def test_layer_2_repeated_executions(disabled: frozenset[str]) -> None:
    rig = make(disabled, strategy={"max_executions": 2, "execution_window_ms": 100})
    orders = [rig.send(rig.order(price=9_990 + i)) for i in range(3)]
    t = rig.clock.now_ns()
    for i, o in enumerate(orders):
        rig.fill(o, t=t + i * MS)
    expected = StrategyMode.ACTIVE if disabled else StrategyMode.HALTED
    assert rig.gate.strategy_mode("s1") == expected
    assert len(rig.gate.state.strategy("s1").executions) == (0 if disabled else 3)


# --- layer 3 ---------------------------------------------------------------------------------

ROOMY_PORTFOLIO: dict[str, Any] = {
    "capital": 10**9, "max_gross": 10**9, "max_net": 10**9, "max_concentration": 1.0,
    "max_var": 10**9, "max_es": 10**9,
}


@pytest.mark.parametrize("disabled", [ON, off("L3")], ids=["on", "off"])
def test_layer_3_gross_exposure(disabled: frozenset[str]) -> None:
    rig = make(disabled, portfolio={**ROOMY_PORTFOLIO, "max_gross": 1_000,
                                    "on_gross_breach": ["reduce_gross", "reduce_only"]})
    a = rig.send(rig.order(side=1, qty=10, price=10_000))  # $1,000: at the limit
    rig.fill(a)
    entry = rig.send(rig.order(side=1, qty=1, price=9_000))
    assert rig.actions() == []
    b = rig.send(rig.order(side=1, qty=1, price=10_000))  # $1,100
    rig.fill(b)
    r = rig.gate.check(rig.order(side=1, qty=1, price=9_001))
    if disabled:
        assert not rig.gate.portfolio_reduce_only and rig.gate.reduction_targets() == {}
        assert rig.actions() == [] and rig.cancels == [] and r is None
    else:
        assert rig.gate.portfolio_reduce_only
        assert rig.gate.reduction_targets() == {("s1", "ABC"): 8}
        assert [c.order_id for c in rig.cancels] == [entry.order_id]
        assert r is not None and (r.layer, r.rule) == ("L3", "reduce_only")


@pytest.mark.parametrize("disabled", [ON, off("L3")], ids=["on", "off"])
def test_layer_3_var_is_computed_either_way_and_acted_on_only_when_on(
    disabled: frozenset[str],
) -> None:
    moves = [12, -30, 7, 0, 25, -4, -18, 9, 3, -11, 6, -22, 14, 1, -7, 19, -2, 8, -15, 4]
    rig = make(disabled, portfolio={
        **ROOMY_PORTFOLIO, "var_interval_ms": 1_000, "var_window": 50,
        "var_min_samples": len(moves), "var_method": "historical", "max_var": 2,
        "on_var_breach": ["reduce_only"]})
    o = rig.send(rig.order(side=1, qty=10, price=10_000))
    rig.fill(o)
    mid = 10_000
    for k, move in enumerate(moves):
        mid += move
        mark(rig, mid, (k + 2) * SEC)
    assert rig.gate.portfolio.var == pytest.approx(3.0)  # the worst of 20: 30 ticks x $0.10
    assert rig.gate.portfolio_reduce_only is not bool(disabled)
    assert bool(rig.actions("portfolio_reduce_only")) is not bool(disabled)


# --- layer 4 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("disabled", [ON, off("L4")], ids=["on", "off"])
def test_layer_4_runaway_messages(disabled: frozenset[str]) -> None:
    rig = make(disabled, kill_switch={"max_messages": 6, "message_window_ms": 1_000})
    t = 2 * SEC
    for i in range(6):  # at the limit
        assert rig.gate.check(rig.order(price=9_990 - i, strategy=f"s{i % 3}", t=t)) is None
    r = rig.gate.check(rig.order(price=9_900, strategy="s9", t=t))
    rig.gate.check_cancel("s9", "XNAS", t)
    assert rig.gate.kill_engaged is not bool(disabled)
    assert (r is None) is bool(disabled)
    assert len(rig.cancels) == (0 if disabled else 6)


@pytest.mark.parametrize("disabled", [ON, off("L4")], ids=["on", "off"])
def test_layer_4_lost_venue_connection(disabled: frozenset[str]) -> None:
    rig = make(disabled)
    rig.send(rig.order(price=9_990, venue="BATS"))
    rig.feed(VenueStatus(2 * SEC, "BATS", "", "disconnected", "heartbeat timeout"))
    assert rig.gate.kill_engaged is not bool(disabled)
    assert bool(rig.actions("kill")) is not bool(disabled)


@pytest.mark.parametrize("disabled", [ON, off("L4")], ids=["on", "off"])
def test_layer_4_catastrophic_drawdown(disabled: frozenset[str]) -> None:
    rig = make(disabled, kill_switch={"max_drawdown": 100})
    o = rig.send(rig.order(side=1, qty=10, price=10_000))
    rig.fill(o)
    mark(rig, 9_000, 2 * SEC)  # $100 down: at the limit
    assert not rig.gate.kill_engaged
    mark(rig, 8_999, 3 * SEC)
    assert rig.gate.kill_engaged is not bool(disabled)


def test_without_layer_4_the_operators_kill_still_works() -> None:
    rig = make(off("L4"))
    working = [rig.send(rig.order(price=9_990 - i, venue=v)) for i, v in
               enumerate(("XNAS", "ARCX", "BATS"))]
    rig.gate.kill("ops", "manual test")
    assert rig.gate.kill_engaged
    assert sorted(c.order_id for c in rig.cancels) == sorted(o.order_id for o in working)
    r = rig.gate.check(rig.order(price=9_980))
    assert r is not None and (r.layer, r.rule) == ("L4", "kill_switch")
    assert rig.gate.reset("risk-officer", "test over")
    assert rig.gate.check(rig.order(price=9_980)) is None


def test_all_layers_off_still_books_every_order() -> None:
    rig = make(off(*LAYERS), strategy={"max_order_qty": 1, "max_messages": 1},
               kill_switch={"max_messages": 1})
    sent = [rig.send(rig.order(price=9_990 - i, qty=5)) for i in range(4)]
    for o in sent:
        rig.fill(o)
    assert rig.gate.position("s1", "ABC") == 20
    assert not rig.gate.kill_engaged
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    assert rig.actions() == []

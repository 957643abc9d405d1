"""Layer 3: exposure and VaR/ES limits of all strategies together, and their actions."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from risk_rig import ROOMY, SEC, Rig, matrix

from flashguard.core.events import Quote
from flashguard.system.risk.var import (
    ewma_es,
    ewma_var,
    historical_es,
    historical_var,
    parametric_es,
    parametric_var,
)

ROOMY_PORTFOLIO: dict[str, Any] = {
    "capital": 10**9, "max_gross": 10**9, "max_net": 10**9, "max_concentration": 1.0,
    "max_var": 10**9, "max_es": 10**9,
}


def make(**portfolio: Any) -> Rig:
    rig = Rig(matrix(strategy_defaults=ROOMY, portfolio={**ROOMY_PORTFOLIO, **portfolio}))
    rig.at(SEC).market("ABC", 9_999, 10_001)  # $100
    rig.market("XYZ", 4_999, 5_001)  # $50
    return rig


def trade(rig: Rig, side: int, qty: int, symbol: str = "ABC", strategy: str = "s1") -> None:
    price = 10_000 if symbol == "ABC" else 5_000
    o = rig.send(rig.order(side=side, qty=qty, price=price, instrument=symbol,
                           strategy=strategy))
    rig.fill(o)


def mark(rig: Rig, mid: int, symbol: str = "ABC") -> None:
    rig.feed(Quote(rig.clock.now_ns(), "ALL", symbol, mid - 1, 10, mid + 1, 10))


def long_below_then_at_then_above(rig: Rig, strategy: str = "s1") -> list[list[str]]:
    """10 ABC bought at a mark of 99.99 ($999.90), then marked at 100.00 ($1,000) and 100.01
    ($1,000.10): the rules' value just below, at and just above a $1,000 limit. Returns the
    rules acted on after each step."""
    mark(rig, 9_999)
    steps = []
    trade_at(rig, 1, 10, 9_999, strategy=strategy)
    steps.append([a.rule for a in rig.actions()])
    for mid in (10_000, 10_001):
        mark(rig, mid)
        steps.append([a.rule for a in rig.actions()])
    return steps


def trade_at(rig: Rig, side: int, qty: int, price: int, strategy: str = "s1") -> None:
    o = rig.send(rig.order(side=side, qty=qty, price=price, strategy=strategy))
    rig.fill(o)


@pytest.mark.parametrize(
    ("limits", "rule", "value"),
    [
        ({"max_gross": 1_000, "on_gross_breach": ["reduce_only"]}, "gross", 1_000.1),
        ({"max_net": 1_000, "on_net_breach": ["reduce_only"]}, "net", 1_000.1),
        ({"capital": 10_000, "max_concentration": 0.1,
          "on_concentration_breach": ["reduce_only"]}, "concentration", 0.10001),
    ],
)
def test_exposure_limits_just_below_at_and_just_above(
    limits: dict[str, Any], rule: str, value: float
) -> None:
    rig = make(**limits)
    assert long_below_then_at_then_above(rig) == [[], [], [rule]]
    [action] = rig.actions()
    assert (action.layer, action.action) == ("L3", "portfolio_reduce_only")
    assert action.value == pytest.approx(value) and rig.gate.portfolio_reduce_only


def test_gross_exposure_boundary_and_its_actions() -> None:
    rig = make(max_gross=1_500, on_gross_breach=["reduce_gross", "reduce_only"],
               reduce_fraction=0.25)
    trade(rig, 1, 10, "ABC")  # $1,000 long
    trade(rig, -1, 10, "XYZ", strategy="s2")  # $500 short: gross $1,500, at the limit
    assert rig.actions() == [] and not rig.gate.portfolio_reduce_only
    trade(rig, -1, 2, "XYZ", strategy="s2")  # gross $1,600
    reduce, only = rig.actions()
    assert (reduce.layer, reduce.rule, reduce.action) == ("L3", "gross", "reduce_gross")
    assert reduce.value == pytest.approx(1_600) and reduce.limit == 1_500
    assert only.action == "portfolio_reduce_only" and rig.gate.portfolio_reduce_only
    assert rig.gate.reduction_targets() == {("s1", "ABC"): 7, ("s2", "XYZ"): -9}
    # reduce-only for the whole portfolio: entries out, exits in
    r = rig.gate.check(rig.order(side=1, qty=1, price=9_990, strategy="s3"))
    assert r is not None and (r.layer, r.rule) == ("L3", "reduce_only")
    assert rig.gate.check(rig.order(side=1, qty=1, price=10_000, strategy="s1")) is not None
    exit_ = rig.send(rig.order(side=-1, qty=3, price=10_000, strategy="s1"))
    rig.fill(exit_)
    assert ("s1", "ABC") not in rig.gate.reduction_targets()  # reached 7


def test_a_breach_acts_once_and_rearms_when_back_within() -> None:
    rig = make(max_gross=1_000, on_gross_breach=["reduce_gross"])
    trade(rig, 1, 11)
    trade(rig, 1, 1)
    assert len(rig.actions("reduce_gross")) == 1
    trade(rig, -1, 5)  # $700: back within
    trade(rig, 1, 5)  # $1,200 again
    assert len(rig.actions("reduce_gross")) == 2


def test_net_exposure_counts_signs() -> None:
    rig = make(max_net=600, on_net_breach=["reduce_only"])
    trade(rig, -1, 8, "XYZ")  # -$400
    trade(rig, 1, 10, "ABC")  # +$1,000: net $600, at the limit
    assert not rig.gate.portfolio_reduce_only
    trade(rig, 1, 1, "XYZ")  # net $650
    [action] = rig.actions()
    assert (action.rule, action.action) == ("net", "portfolio_reduce_only")
    assert action.value == pytest.approx(650)


def test_concentration_by_instrument() -> None:
    rig = make(capital=10_000, max_concentration=0.1, on_concentration_breach=["reduce_only"])
    trade(rig, 1, 10)  # $1,000: 10% of capital
    assert not rig.gate.portfolio_reduce_only
    trade(rig, 1, 1, strategy="s2")  # the same instrument from another strategy: 11%
    [action] = rig.actions()
    assert (action.rule, action.detail) == ("concentration", "ABC")
    assert action.value == pytest.approx(0.11)


def test_clearing_portfolio_reduce_only_is_authorised_and_journaled() -> None:
    rig = make(max_net=100, on_net_breach=["reduce_only"])
    trade(rig, 1, 2)
    assert rig.gate.portfolio_reduce_only
    with pytest.raises(PermissionError):
        rig.gate.clear_portfolio_reduce_only("trader", "fine")
    rig.gate.clear_portfolio_reduce_only("risk-officer", "net back in range")
    assert not rig.gate.portfolio_reduce_only
    assert rig.actions("clear_portfolio_reduce_only")[0].detail.startswith("by=risk-officer")


# --- VaR and ES of the current portfolio -----------------------------------------------------

MOVES = [12, -30, 7, 0, 25, -4, -18, 9, 3, -11, 6, -22, 14, 1, -7, 19, -2, 8, -15, 4]


def run_var(max_var: int, max_es: int, method: str = "historical",
            moves: list[int] = MOVES) -> Rig:
    rig = make(var_interval_ms=1_000, var_window=50, var_min_samples=len(moves),
               var_method=method, max_var=max_var, max_es=max_es,
               on_var_breach=["reduce_gross"], on_es_breach=["reduce_only"])
    trade(rig, 1, 10)  # 10 shares: each tick of mark is $0.10
    mid = 10_000
    for k, move in enumerate(moves):
        mid += move
        rig.at((k + 2) * SEC)
        rig.feed(Quote(rig.clock.now_ns(), "ALL", "ABC", mid - 1, 10, mid + 1, 10))
    return rig


def test_var_and_es_of_the_held_position_over_the_sampled_marks() -> None:
    pnl = np.array(MOVES) * 0.10
    expected_var = historical_var(pnl, 0.99)  # 20 samples: the worst, -$3.00
    expected_es = historical_es(pnl, 0.975)
    assert expected_var == pytest.approx(3.0) and expected_es == pytest.approx(3.0)
    rig = run_var(max_var=3, max_es=3)  # at the limits
    assert rig.gate.portfolio.var == pytest.approx(expected_var)
    assert rig.gate.portfolio.es == pytest.approx(expected_es)
    assert rig.actions() == []


def test_var_breach_reduces_gross_and_es_breach_goes_reduce_only() -> None:
    rig = run_var(max_var=2, max_es=2)
    var_action, es_action = rig.actions()
    assert (var_action.rule, var_action.action) == ("var", "reduce_gross")
    assert var_action.value == pytest.approx(3.0) and var_action.limit == 2
    assert (es_action.rule, es_action.action) == ("es", "portfolio_reduce_only")
    assert rig.gate.reduction_targets() == {("s1", "ABC"): 7}


@pytest.mark.parametrize(("worst", "breached"), [(-29, False), (-30, False), (-31, True)])
def test_var_and_es_limits_just_below_at_and_just_above(worst: int, breached: bool) -> None:
    # 20 samples: VaR 99% and ES 97.5% are both the worst outcome, $2.90 / $3.00 / $3.10
    moves = [worst if m == -30 else m for m in MOVES]
    rig = run_var(max_var=3, max_es=3, moves=moves)
    assert rig.gate.portfolio.var == pytest.approx(-worst / 10)
    assert rig.gate.portfolio.es == pytest.approx(-worst / 10)
    actions = [(a.rule, a.action, a.value, a.limit) for a in rig.actions()]
    if breached:
        assert actions == [("var", "reduce_gross", pytest.approx(3.1), 3),
                           ("es", "portfolio_reduce_only", pytest.approx(3.1), 3)]
    else:
        assert actions == []


@pytest.mark.parametrize(
    ("method", "direct_var", "direct_es"),
    [
        ("historical", historical_var, historical_es),
        ("parametric", parametric_var, parametric_es),
        ("ewma", ewma_var, ewma_es),
    ],
)
def test_the_gate_computes_var_and_es_by_the_matrix_method(
    method: str, direct_var: Callable[..., float], direct_es: Callable[..., float]
) -> None:
    pnl = np.array(MOVES) * 0.10
    expected_var, expected_es = direct_var(pnl, 0.99), direct_es(pnl, 0.975)
    rig = run_var(max_var=10**9, max_es=10**9, method=method)
    assert rig.gate.portfolio.var == pytest.approx(expected_var, rel=1e-12)
    assert rig.gate.portfolio.es == pytest.approx(expected_es, rel=1e-12)
    # and the limits act on that number: one unit below it breaches
    rig = run_var(max_var=math.ceil(expected_var) - 1, max_es=math.ceil(expected_es) - 1,
                  method=method)
    var_action, es_action = rig.actions()
    assert var_action.rule == "var" and var_action.value == pytest.approx(expected_var)
    assert es_action.rule == "es" and es_action.value == pytest.approx(expected_es)
    assert var_action.detail.startswith(f"{method} 0.99 ")


def test_the_three_methods_give_three_answers() -> None:
    """Otherwise the dispatch test above could pass with one method behind all three names."""
    pnl = np.array(MOVES) * 0.10
    answers = {round(f(pnl, 0.99), 9) for f in (historical_var, parametric_var, ewma_var)}
    assert len(answers) == 3


def test_no_var_decision_before_enough_samples() -> None:
    rig = make(var_interval_ms=1_000, var_min_samples=30, max_var=1)
    trade(rig, 1, 10)
    for k in range(10):
        rig.at((k + 2) * SEC)
        rig.feed(Quote(rig.clock.now_ns(), "ALL", "ABC", 9_000 - 1, 10, 9_000 + 1, 10))
    assert rig.actions() == []

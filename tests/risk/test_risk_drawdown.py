"""`RiskGate.drawdown(strategy)` and `RiskGate.portfolio_drawdown()`: the intraday drawdown from
the high-water mark, marked to market, as a fraction of the peak account value (capital +
P&L at the high-water mark); read-only."""

from __future__ import annotations

import pytest
from risk_rig import ROOMY, SEC, Rig, matrix

from flashguard.core.events import Quote

# capital $1,000 per strategy, $5,000 for the portfolio; ABC ticks are a cent: 10 lots move
# $0.10 per tick of mark
STRATEGY = {**ROOMY, "capital": 1_000}
PORTFOLIO = {"capital": 5_000, "max_gross": 10**9, "max_net": 10**9, "max_concentration": 1.0}


def make() -> Rig:
    rig = Rig(matrix(strategy_defaults=STRATEGY, portfolio=PORTFOLIO))
    rig.at(SEC).market("ABC", 9_999, 10_001)
    return rig


def mark(rig: Rig, mid: int) -> None:
    rig.feed(Quote(rig.clock.now_ns(), "ALL", "ABC", mid - 1, 10, mid + 1, 10))


def buy(rig: Rig, qty: int, strategy: str) -> None:
    o = rig.send(rig.order(side=1, qty=qty, price=10_000, strategy=strategy))
    rig.fill(o)  # at the mid: no edge, equity unchanged


def test_drawdown_from_the_high_water_mark_as_a_fraction_of_the_peak() -> None:
    rig = make()
    assert rig.gate.drawdown("s1") == 0.0
    buy(rig, 10, "s1")
    mark(rig, 10_300)  # +$30: the high-water mark, account $1,030
    assert rig.gate.drawdown("s1") == 0.0
    mark(rig, 9_800)  # -$20: $50 below the peak
    assert rig.gate.drawdown("s1") == pytest.approx(50 / 1_030)
    mark(rig, 10_400)  # a new high: no drawdown
    assert rig.gate.drawdown("s1") == 0.0


def test_portfolio_drawdown_sums_the_strategies_on_the_portfolio_capital() -> None:
    rig = make()
    buy(rig, 10, "s1")
    buy(rig, 20, "s2")  # 30 lots together: $0.30 a tick
    mark(rig, 10_100)  # +$30
    mark(rig, 9_900)  # -$30: $60 below the peak of $5,030
    assert rig.gate.portfolio_drawdown() == pytest.approx(60 / 5_030)
    assert rig.gate.drawdown("s1") == pytest.approx(20 / 1_010)
    assert rig.gate.drawdown("s2") == pytest.approx(40 / 1_020)


def test_a_loss_of_the_whole_peak_reads_as_one() -> None:
    rig = make()
    buy(rig, 200, "s1")  # $2 a tick
    mark(rig, 9_000)  # -$2,000 on $1,000 of capital
    assert rig.gate.drawdown("s1") == 1.0
    assert rig.gate.portfolio_drawdown() == pytest.approx(2_000 / 5_000)


def test_the_queries_change_nothing() -> None:
    rig = make()
    assert rig.gate.drawdown("nobody") == 0.0
    assert "nobody" not in rig.gate.state.strategies  # no state made for the asking
    buy(rig, 10, "s1")
    mark(rig, 9_500)
    sb = rig.gate.state.strategy("s1")
    before = (sb.equity, sb.hwm, rig.gate.state.equity, rig.gate.state.hwm, len(rig.events))
    for _ in range(2):
        rig.gate.drawdown("s1")
        rig.gate.portfolio_drawdown()
    assert (sb.equity, sb.hwm, rig.gate.state.equity, rig.gate.state.hwm,
            len(rig.events)) == before

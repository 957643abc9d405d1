"""A strategy working a client's order (agency): its fills are the client's position. Its own
limits count them; the desk's portfolio (equity, exposure, drawdown, reductions) does not."""

from __future__ import annotations

import pytest
from risk_rig import ROOMY, SEC, Rig, matrix

from flashguard.system.risk.portfolio import reduction_targets


def _desk_and_client() -> Rig:
    rig = Rig(matrix(strategy_defaults=ROOMY))
    rig.gate.set_agency("client")
    rig.at(SEC).market("ABC", 9_999, 10_001)
    for strategy, side in (("desk", 1), ("client", -1)):
        o = rig.send(rig.order(side=side, qty=10, price=10_000, strategy=strategy))
        rig.fill(o)
    return rig


def test_the_clients_fills_move_its_own_book_but_not_the_desks() -> None:
    rig = _desk_and_client()
    st = rig.gate.state
    tick_value = st.markets["ABC"].tick_value
    assert rig.gate.position("client", "ABC") == -10
    assert st.net_pos["ABC"] == 10  # the desk's long only: the client's sale is not netted
    assert st.gross == st.net == 10 * 10_000 * tick_value
    rig.market("ABC", 9_899, 9_901)  # the mark falls 100 ticks
    assert st.strategy("client").equity == 10 * 100 * tick_value  # the client's short gains
    assert st.strategy("desk").equity == -10 * 100 * tick_value
    assert st.equity == st.strategy("desk").equity  # the desk's account is its own book
    assert st.hwm == 0
    assert rig.gate.portfolio_drawdown() > 0


def test_a_gross_reduction_cuts_only_the_desks_positions() -> None:
    rig = _desk_and_client()
    assert reduction_targets(rig.gate.state, 0.5) == {("desk", "ABC"): 5}


def test_agency_is_set_before_the_strategy_trades() -> None:
    rig = _desk_and_client()
    with pytest.raises(ValueError, match="strategy='desk' already holds a position"):
        rig.gate.set_agency("desk")

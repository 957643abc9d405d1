import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.system.portfolio import Portfolio, Position

fills = st.lists(
    st.tuples(st.sampled_from([1, -1]), st.integers(1, 10_000), st.integers(1, 50)),
    min_size=0,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(fills, st.integers(1, 10_000))
def test_pnl_identity_and_position(seq: list[tuple[int, int, int]], mark: int) -> None:
    pos = Position()
    cash = 0
    net = 0
    for side, price, qty in seq:
        pos.apply_fill(side, price, qty)
        cash -= side * price * qty
        net += side * qty
    assert pos.qty == net
    assert sum(q for _, q in pos.lots) == net
    assert all((q > 0) == (net > 0) for _, q in pos.lots)  # open lots all on one side
    assert pos.realized + pos.unrealized(mark) == cash + net * mark


@settings(max_examples=200, deadline=None)
@given(fills, st.integers(1, 10_000))
def test_closing_out_leaves_only_realized_pnl(seq: list[tuple[int, int, int]], close: int) -> None:
    pos = Position()
    cash = 0
    for side, price, qty in seq:
        pos.apply_fill(side, price, qty)
        cash -= side * price * qty
    if pos.qty:
        side = -1 if pos.qty > 0 else 1
        cash -= side * close * abs(pos.qty)
        pos.apply_fill(side, close, abs(pos.qty))
    assert pos.qty == 0 and not pos.lots
    assert pos.unrealized(123) == 0
    assert pos.realized == cash


def test_fifo_known_answer() -> None:
    pos = Position()
    pos.apply_fill(1, 100, 2)
    pos.apply_fill(1, 110, 2)
    assert pos.apply_fill(-1, 120, 3) == (120 - 100) * 2 + (120 - 110) * 1
    assert pos.qty == 1 and list(pos.lots) == [[110, 1]]
    assert pos.apply_fill(-1, 90, 3) == (90 - 110) * 1  # flips to short 2 at 90
    assert pos.qty == -2 and list(pos.lots) == [[90, -2]]
    assert pos.unrealized(80) == 20


def test_portfolio_totals_and_bad_input() -> None:
    pf = Portfolio()
    pf.on_fill("mm", "ES", 1, 100, 3, fee=-6)
    pf.on_fill("mom", "ES", -1, 101, 1, fee=9)
    assert pf.net_qty("ES") == 2
    assert pf.pnl_ticks({"ES": 102}) == 3 * 2 + (-1)
    assert pf.pnl_ticks({"ES": 102}, strategy="mm") == 6
    assert pf.fees() == 3
    with pytest.raises(ValueError, match="qty=0"):
        pf.on_fill("mm", "ES", 1, 100, 0)

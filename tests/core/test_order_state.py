"""The order state machine: every transition of the TRANSITIONS table, allowed or forbidden,
fill accounting, and exactly one terminal state per order."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashguard.core.orders import (
    TRANSITIONS,
    InvalidTransition,
    OrderState,
    OrderStatus,
    Side,
)

S = OrderStatus
QTY = 3


def _order_in(status: OrderStatus) -> OrderState:
    """An order of QTY lots driven into `status` through the public API only."""
    o = OrderState(7, Side.BUY, QTY)
    if status is S.NEW:
        return o
    if status is S.REJECTED:
        o.reject()
        return o
    o.accept()
    if status is S.PARTIALLY_FILLED:
        o.fill(1)
    elif status is S.FILLED:
        o.fill(QTY)
    elif status is S.CANCELLED:
        o.cancel()
    elif status is S.EXPIRED:
        o.expire()
    assert o.status is status
    return o


def _attempt(target: OrderStatus) -> Callable[[OrderState], None]:
    """The API call that would move an order into `target`."""
    if target is S.ACCEPTED:
        return lambda o: o.accept()
    if target is S.REJECTED:
        return lambda o: o.reject()
    if target is S.CANCELLED:
        return lambda o: o.cancel()
    if target is S.EXPIRED:
        return lambda o: o.expire()
    if target is S.FILLED:
        return lambda o: o.fill(max(o.qty - o.filled, 1))
    if target is S.PARTIALLY_FILLED:
        return lambda o: o.fill(1)  # leaves > 1 whenever the order is live, as QTY = 3
    raise AssertionError(f"no API call leads to {target.name}")


PAIRS = [(a, b) for a in S for b in S if b is not S.NEW]
ALLOWED = [(a, b) for a, b in PAIRS if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in PAIRS if b not in TRANSITIONS[a]]


def _ids(pair: tuple[OrderStatus, OrderStatus]) -> str:
    return f"{pair[0].name}->{pair[1].name}"


@pytest.mark.parametrize("pair", ALLOWED, ids=_ids)
def test_allowed_transition(pair: tuple[OrderStatus, OrderStatus]) -> None:
    start, target = pair
    o = _order_in(start)
    _attempt(target)(o)
    assert o.status is target


@pytest.mark.parametrize("pair", FORBIDDEN, ids=_ids)
def test_forbidden_transition(pair: tuple[OrderStatus, OrderStatus]) -> None:
    start, target = pair
    o = _order_in(start)
    with pytest.raises(InvalidTransition, match=r"order 7"):
        _attempt(target)(o)
    assert o.status is start


def test_the_table_matches_the_order_lifecycle() -> None:
    # Written from the lifecycle, not copied from the table: a venue answers a new order
    # with an ack or a reject; a live order may fill, be cancelled or expire; nothing leaves
    # a terminal state and nothing returns to NEW.
    live = {S.ACCEPTED, S.PARTIALLY_FILLED}
    ends = {S.FILLED, S.CANCELLED, S.EXPIRED}
    assert TRANSITIONS[S.NEW] == {S.ACCEPTED, S.REJECTED}
    assert TRANSITIONS[S.ACCEPTED] == {S.ACCEPTED, S.PARTIALLY_FILLED} | ends
    assert TRANSITIONS[S.PARTIALLY_FILLED] == {S.PARTIALLY_FILLED} | ends
    for status in S:
        assert status.terminal == (status not in live | {S.NEW})
        if status.terminal:
            assert TRANSITIONS[status] == frozenset()


def test_a_forbidden_transition_names_both_states() -> None:
    o = _order_in(S.CANCELLED)
    with pytest.raises(InvalidTransition, match=r"CANCELLED -> EXPIRED"):
        o.expire()


def test_fill_accounting() -> None:
    o = OrderState(1, Side.SELL, 10)
    o.accept()
    assert (o.filled, o.leaves) == (0, 10)
    o.fill(3)
    o.fill(4)
    assert (o.status, o.filled, o.leaves) == (S.PARTIALLY_FILLED, 7, 3)
    o.fill(3)
    assert (o.status, o.filled, o.leaves) == (S.FILLED, 10, 0)


@pytest.mark.parametrize("qty", [0, -1, 4])
def test_bad_fill_quantity_is_refused(qty: int) -> None:
    o = OrderState(1, Side.BUY, 5)
    o.accept()
    o.fill(2)
    with pytest.raises(InvalidTransition, match=rf"fill qty={qty}"):
        o.fill(qty)
    assert (o.status, o.filled) == (S.PARTIALLY_FILLED, 2)


def test_a_refused_fill_leaves_the_quantities_unchanged() -> None:
    # A fill reported for a cancelled order is refused; the refusal must not have counted it.
    o = OrderState(1, Side.BUY, 5)
    o.accept()
    o.cancel()
    with pytest.raises(InvalidTransition):
        o.fill(2)
    assert (o.status, o.filled, o.leaves) == (S.CANCELLED, 0, 0)


def test_leaves_is_zero_once_terminal() -> None:
    o = OrderState(1, Side.BUY, 5)
    o.accept()
    o.fill(2)
    o.cancel()
    assert (o.filled, o.leaves) == (2, 0)


def test_modify_sets_the_open_quantity() -> None:
    o = OrderState(1, Side.BUY, 10)
    o.accept()
    o.fill(4)
    o.modify(2)  # open 6 -> 2: total becomes 4 filled + 2 open
    assert (o.status, o.qty, o.filled, o.leaves) == (S.PARTIALLY_FILLED, 6, 4, 2)
    o.modify(9)
    assert (o.qty, o.leaves) == (13, 9)
    o.fill(9)
    assert o.status is S.FILLED


@pytest.mark.parametrize("status", [S.NEW, S.FILLED, S.CANCELLED, S.REJECTED, S.EXPIRED])
def test_only_live_orders_may_be_modified(status: OrderStatus) -> None:
    o = _order_in(status)
    with pytest.raises(InvalidTransition):
        o.modify(1)
    assert o.status is status


def test_modify_to_zero_is_refused() -> None:
    o = _order_in(S.ACCEPTED)
    with pytest.raises(InvalidTransition, match=r"leaves=0"):
        o.modify(0)
    assert o.qty == QTY


@pytest.mark.parametrize("qty", [0, -3])
def test_an_order_needs_a_positive_quantity(qty: int) -> None:
    with pytest.raises(ValueError, match=rf"qty={qty}"):
        OrderState(1, Side.BUY, qty)


_OPS = st.lists(
    st.one_of(
        st.sampled_from(["accept", "reject", "cancel", "expire"]),
        st.tuples(st.just("fill"), st.integers(min_value=-1, max_value=6)),
        st.tuples(st.just("modify"), st.integers(min_value=-1, max_value=6)),
    ),
    max_size=20,
)


@given(_OPS)
def test_exactly_one_terminal_state(ops: list[str | tuple[str, int]]) -> None:
    o = OrderState(1, Side.BUY, 5)
    terminal_reached: list[OrderStatus] = []
    for op in ops:
        before = o.status
        try:
            if isinstance(op, tuple):
                getattr(o, op[0])(op[1])
            else:
                getattr(o, op)()
        except InvalidTransition:
            assert o.status is before
            continue
        assert not before.terminal, f"{op} moved a {before.name} order"
        if o.status.terminal:
            terminal_reached.append(o.status)
        assert 0 <= o.filled <= o.qty
        assert o.status is not S.FILLED or o.filled == o.qty
    assert len(terminal_reached) <= 1
    assert o.status.terminal == bool(terminal_reached)

"""The reopening auction: hand-computed answers and properties checked by brute force."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.market.protections import Allocation, AuctionResult, uncross

Order = tuple[int, int | None, int, int]


# --- known answers (worked by hand in the comments) -----------------------------------------


def test_simple_cross_and_price_time_allocation() -> None:
    buys: list[Order] = [(1, 101, 10, 1), (2, 100, 5, 2)]
    sells: list[Order] = [(3, 99, 8, 3), (4, 100, 10, 4)]
    # p=99: D=15 S=8 -> 8;  p=100: D=15 S=18 -> 15 (imb -3);  p=101: D=10 S=18 -> 10
    result = uncross(buys, sells, reference_price=100)
    assert (result.price, result.volume, result.imbalance) == (100, 15, -3)
    # buys best first: 1 (101) then 2; sells: 3 (99) then 4 (100), which gets 7 of 10
    assert result.allocations == (
        Allocation(1, 3, 8),
        Allocation(1, 4, 2),
        Allocation(2, 4, 5),
    )


def test_volume_tie_broken_by_imbalance() -> None:
    buys: list[Order] = [(1, 102, 10, 1)]
    sells: list[Order] = [(2, 100, 10, 1), (3, 101, 5, 2)]
    # volume 10 at 100, 101 and 102; imbalance 0 at 100, -5 at 101 and 102.
    # The reference (102) would pick 102: imbalance decides first.
    result = uncross(buys, sells, reference_price=102)
    assert (result.price, result.volume, result.imbalance) == (100, 10, 0)
    assert result.allocations == (Allocation(1, 2, 10),)


@pytest.mark.parametrize(("reference", "price"), [(101, 101), (105, 102), (90, 100), (100, 100)])
def test_volume_and_imbalance_tie_broken_by_reference(reference: int, price: int) -> None:
    # volume 10, imbalance 0 at every price from 100 to 102
    result = uncross([(1, 102, 10, 1)], [(2, 100, 10, 1)], reference)
    assert (result.price, result.volume, result.imbalance) == (price, 10, 0)


def test_reference_inside_the_range_is_a_candidate_with_better_imbalance() -> None:
    buys: list[Order] = [(1, 100, 5, 1), (2, 110, 5, 2)]
    sells: list[Order] = [(3, 100, 5, 1), (4, 110, 5, 2)]
    # 100: D=10 S=5 (imb +5); 110: D=5 S=10 (imb -5); 105: D=5 S=5 (imb 0)
    result = uncross(buys, sells, reference_price=105)
    assert (result.price, result.volume, result.imbalance) == (105, 5, 0)
    assert result.allocations == (Allocation(2, 3, 5),)


def test_market_orders_come_first() -> None:
    buys: list[Order] = [(1, None, 10, 5), (2, 101, 10, 1)]
    sells: list[Order] = [(3, 100, 4, 1), (4, 101, 10, 2)]
    # 100: D=20 S=4 -> 4;  101: D=20 S=14 -> 14 (imb +6)
    result = uncross(buys, sells, reference_price=100)
    assert (result.price, result.volume, result.imbalance) == (101, 14, 6)
    # the market buy goes first although its priority value is later
    assert result.allocations == (
        Allocation(1, 3, 4),
        Allocation(1, 4, 6),
        Allocation(2, 4, 4),
    )


def test_market_orders_only_cross_at_the_reference() -> None:
    result = uncross([(1, None, 5, 1)], [(2, None, 3, 1)], reference_price=777)
    assert (result.price, result.volume, result.imbalance) == (777, 3, 2)
    assert result.allocations == (Allocation(1, 2, 3),)


def test_time_priority_within_a_price() -> None:
    buys: list[Order] = [(1, 100, 5, 9), (2, 100, 5, 3), (3, 100, 5, 3)]
    result = uncross(buys, [(4, 100, 7, 1)], reference_price=100)
    # priority 3 before 9; order id breaks the tie between equal priorities
    assert result.allocations == (Allocation(2, 4, 5), Allocation(3, 4, 2))


@pytest.mark.parametrize(
    ("buys", "sells"),
    [
        ([(1, 99, 5, 1)], [(2, 100, 5, 1)]),  # bid below offer
        ([(1, 100, 5, 1)], []),  # one side only
        ([(1, None, 5, 1)], []),
        ([], []),
    ],
)
def test_no_cross(buys: list[Order], sells: list[Order]) -> None:
    assert uncross(buys, sells, reference_price=100) == AuctionResult(None, 0, 0, ())


def test_bad_orders_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"buys\[0\].qty=0"):
        uncross([(1, 100, 0, 1)], [], 100)
    with pytest.raises(ValueError, match=r"sells\[1\].price=-5"):
        uncross([], [(1, 100, 1, 1), (2, -5, 1, 1)], 100)
    with pytest.raises(ValueError, match="order_id=7 appears more than once"):
        uncross([(7, 100, 1, 1)], [(7, 100, 1, 1)], 100)
    with pytest.raises(ValueError, match=r"reference_price=1\.5"):
        uncross([], [], 1.5)  # type: ignore[arg-type]


# --- properties ----------------------------------------------------------------------------


def side(first_id: int) -> st.SearchStrategy[list[Order]]:
    order = st.tuples(
        st.one_of(st.none(), st.integers(95, 105)), st.integers(1, 20), st.integers(0, 5)
    )
    return st.lists(order, max_size=12).map(
        lambda xs: [(first_id + i, p, q, pr) for i, (p, q, pr) in enumerate(xs)]
    )


def demand(buys: list[Order], p: int) -> int:
    return sum(q for _, lim, q, _ in buys if lim is None or lim >= p)


def supply(sells: list[Order], p: int) -> int:
    return sum(q for _, lim, q, _ in sells if lim is None or lim <= p)


@settings(max_examples=400, deadline=None)
@given(side(0), side(1000), st.integers(90, 110))
def test_auction_properties(buys: list[Order], sells: list[Order], reference: int) -> None:
    result = uncross(buys, sells, reference)
    limits = sorted({lim for _, lim, _, _ in buys + sells if lim is not None})

    # no price at all (every tick, well beyond the limits) executes more
    everywhere = range(80, 121)
    best_volume = max(min(demand(buys, p), supply(sells, p)) for p in everywhere)
    assert result.volume == best_volume

    if result.price is None:
        assert best_volume == 0 and result.allocations == ()
        return
    p = result.price
    assert result.volume == min(demand(buys, p), supply(sells, p))
    assert result.imbalance == demand(buys, p) - supply(sells, p)

    # the rules pick it out of the candidates: volume, |imbalance|, distance to reference
    candidates = set(limits)
    if not limits or limits[0] < reference < limits[-1]:
        candidates.add(reference)

    def key(c: int) -> tuple[int, int, int]:
        d, s = demand(buys, c), supply(sells, c)
        return (-min(d, s), abs(d - s), abs(c - reference))
    ranked = sorted(candidates, key=key)
    assert key(ranked[0]) == key(p)
    # and the final tie-break (lower price) never has to decide
    assert sum(key(c) == key(p) for c in candidates) == 1

    # allocations: the volume exactly, within each order's size and limit
    assert sum(a.qty for a in result.allocations) == result.volume
    assert all(a.qty > 0 for a in result.allocations)
    by_id = {o[0]: o for o in buys + sells}
    filled: dict[int, int] = {}
    for a in result.allocations:
        filled[a.buy_id] = filled.get(a.buy_id, 0) + a.qty
        filled[a.sell_id] = filled.get(a.sell_id, 0) + a.qty
        buy_limit, sell_limit = by_id[a.buy_id][1], by_id[a.sell_id][1]
        assert a.buy_id < 1000 <= a.sell_id
        assert buy_limit is None or buy_limit >= p
        assert sell_limit is None or sell_limit <= p
    assert all(filled[i] <= by_id[i][2] for i in filled)

    # price-time priority: on each side, an order gets nothing unless every order ahead of it
    # is filled in full
    for orders, better in ((buys, lambda lim: -lim), (sells, lambda lim: lim)):
        eligible = [o for o in orders if o[1] is None or better(o[1]) <= better(p)]
        queue = sorted(
            eligible, key=lambda o: (o[1] is not None, better(o[1] or 0), o[3], o[0])
        )
        seen_partial = False
        for order_id, _, qty, _ in queue:
            got = filled.get(order_id, 0)
            assert not (seen_partial and got), f"order {order_id} filled out of priority"
            if got < qty:
                seen_partial = True

"""Fragmentation and the risk gate's duplicate-order rule: the children of one parent are not
duplicates of each other, so a parent goes out in equal children as fast as the rounds come
back; a child that would repeat another parent's inside the window is shaved instead of
being refused."""

from __future__ import annotations

from sor_rig import MS, Market, matrix

from flashguard.core.events import OrderRejected
from flashguard.core.orders import Side
from flashguard.market.venue import VenueConfig
from flashguard.system.router import RouterConfig

WINDOW = 50 * MS


def one_venue(**router: int) -> Market:
    m = Market([VenueConfig("A")], router=RouterConfig(**router),
               risk=matrix(duplicate_window_ms=50))
    m.rest("A", Side.BUY, 10, 9_990)
    m.rest("A", Side.SELL, 500, 10_000)
    m.settle()
    return m


def test_a_crash_mode_parent_goes_out_in_equal_children_inside_one_window() -> None:
    m = one_venue(crash_max_child=10)
    m.system.engine.pin_regime("hands", "preservation", "test")
    t0 = m.now
    m.buy(150, urgency="aggressive")
    m.settle(200 * MS)
    probe, *sized = m.submitted()
    assert (probe.qty, probe.t_ns) == (1, t0)
    # one child per round, each the full crash size, all at one price on one venue, and
    # all inside one duplicate window (the gate used to let 10 + 9 + ... + 1 = 55 through)
    assert [s.qty for s in sized] == [10] * 14 + [9]
    assert {(s.venue, s.price) for s in sized} == {("A", 10_000)}
    assert sized[-1].t_ns - t0 < WINDOW
    assert m.filled() == 150
    assert not [d for d in m.decisions() if "refused" in d.detail]
    assert not [e for e in m.events if isinstance(e, OrderRejected)]


def test_a_child_repeating_another_parents_is_shaved_not_refused() -> None:
    m = one_venue(max_child=100)
    t0 = m.now
    m.buy(10, urgency="aggressive")
    m.buy(10, urgency="aggressive")  # a second intent, the same side, price and size
    m.settle(WINDOW // 2)
    children = [(s.client_order_id.split("/")[0], s.qty) for s in m.submitted()]
    assert children == [("hands#1", 10), ("hands#2", 9), ("hands#2", 1)]
    assert all(s.t_ns == t0 for s in m.submitted())
    assert m.filled() == 20
    assert not [e for e in m.events if isinstance(e, OrderRejected)]

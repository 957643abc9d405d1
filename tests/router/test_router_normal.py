"""Normal-mode routing on real venues: best price net of fees, split by displayed size, child
size capped, passive posting; a cost that equals a hand calculation."""

from __future__ import annotations

from sor_rig import MAKER, SYSTEM, Market

from flashguard.core.events import OrderSubmitted
from flashguard.core.orders import Side, TimeInForce
from flashguard.market.venue import VenueConfig
from flashguard.system.router import RouterConfig
from flashguard.system.strategy import Intent


def three_venues(**router: int) -> Market:
    return Market(
        [
            VenueConfig("A", maker_fee=-20, taker_fee=30),
            VenueConfig("B", maker_fee=-10, taker_fee=10),
            VenueConfig("C", maker_fee=0, taker_fee=150),
        ],
        router=RouterConfig(**router) if router else None,
    )


def test_split_across_three_fee_schedules_costs_what_the_hand_calculation_says() -> None:
    m = three_venues(max_child=100)
    for venue in "ABC":
        m.rest(venue, Side.BUY, 10, 9_990)
    m.rest("A", Side.SELL, 100, 10_000)
    m.rest("B", Side.SELL, 150, 10_000)
    m.rest("C", Side.SELL, 200, 9_999)  # the best displayed price, the worst net of its fee
    m.settle()
    m.buy(300, urgency="aggressive")
    m.settle()

    # net per lot in fee units: B 1_000_010, A 1_000_030, C 999_900 + 150 = 1_000_050
    hand = (150 * 10_000 + 100 * 10_000 + 50 * 9_999) * 100 + 150 * 10 + 100 * 30 + 50 * 150
    fills = m.fills()
    gateways = m.system.gateways
    cost = sum(f.price * f.qty * 100 + gateways[f.venue].fee(f.qty, f.maker) for f in fills)
    assert m.filled() == 300
    assert cost == hand
    assert m.system.portfolio.fees("hands") == 150 * 10 + 100 * 30 + 50 * 150
    children = [(s.venue, s.qty, s.price, s.tif) for s in m.submitted()]
    ioc = int(TimeInForce.IOC)
    assert children == [
        ("B", 100, 10_000, ioc), ("B", 50, 10_000, ioc), ("A", 100, 10_000, ioc),
        ("C", 50, 9_999, ioc),
    ]
    assert m.hands.done[-1].state == "done" and m.hands.done[-1].filled == 300


def test_each_order_submitted_is_emitted_before_its_ack() -> None:
    m = three_venues()
    m.rest("A", Side.SELL, 10, 10_000)
    m.rest("A", Side.BUY, 10, 9_990)
    m.settle()
    m.buy(5, urgency="aggressive")
    m.settle()
    kinds = [type(e).__name__ for e in m.events
             if getattr(e, "client_order_id", "").startswith("hands#")]
    assert kinds.index("OrderSubmitted") < kinds.index("OrderAccepted") < kinds.index("OrderFilled")


def test_a_limit_is_never_crossed_and_the_rest_waits_for_liquidity() -> None:
    m = three_venues()
    m.rest("A", Side.SELL, 20, 10_000)
    m.rest("B", Side.SELL, 20, 10_002)
    m.rest("A", Side.BUY, 10, 9_990)
    m.settle()
    pid = m.buy(50, urgency="aggressive", limit=10_001)
    m.settle()
    assert m.filled() == 20
    assert all(s.price <= 10_001 for s in m.submitted())
    assert m.system.router.parents[pid].state == "waiting"
    m.rest("C", Side.SELL, 40, 10_001)  # liquidity inside the limit appears
    m.settle()
    assert m.filled() == 50
    assert [s.venue for s in m.submitted()][-1] == "C"


def test_passive_parent_posts_at_its_limit_split_by_displayed_size() -> None:
    m = three_venues(max_child=1_000)
    m.rest("A", Side.BUY, 30, 9_995)
    m.rest("B", Side.BUY, 10, 9_995)
    m.rest("C", Side.BUY, 1, 9_990)
    for venue in "ABC":
        m.rest(venue, Side.SELL, 5, 10_010)
    m.settle()
    m.buy(82, limit=9_996)
    m.settle()
    posted = {s.venue: (s.qty, s.price, s.tif) for s in m.submitted()}
    day = int(TimeInForce.DAY)
    # shares 30 : 10 : 1 of 82 -> 60, 20, 2 (floors), no remainder
    assert posted == {"A": (60, 9_996, day), "B": (20, 9_996, day), "C": (2, 9_996, day)}


def test_a_passive_limit_that_would_cross_joins_one_tick_inside() -> None:
    m = three_venues()
    m.rest("A", Side.SELL, 5, 10_000)
    m.rest("A", Side.BUY, 5, 9_990)
    m.settle()
    m.buy(5, limit=10_050)  # passive: it must not take the 10_000 offer
    m.settle()
    assert [s.price for s in m.submitted()] == [9_999]
    assert m.filled() == 0


def test_cancel_cancels_the_working_children() -> None:
    m = three_venues()
    m.rest("A", Side.BUY, 10, 9_990)
    m.rest("A", Side.SELL, 10, 10_010)
    m.settle()
    pid = m.buy(10, limit=9_991)
    m.settle()
    assert m.hands.cancel(pid)
    m.settle()
    assert m.hands.done[-1].parent_id == pid and m.hands.done[-1].state == "cancelled"
    cancelled = [e for e in m.events if type(e).__name__ == "OrderCancelled"
                 and getattr(e, "owner", 0) == SYSTEM]
    assert sum(c.cancelled_qty for c in cancelled) == 10
    assert m.venues["A"].engine.books["ABC"].l1()[0] == 9_990  # our bid is gone


def test_max_child_caps_each_child() -> None:
    m = three_venues(max_child=7)
    m.rest("B", Side.SELL, 20, 10_000)
    m.rest("B", Side.BUY, 5, 9_990)
    m.settle()
    m.buy(20, urgency="aggressive")
    m.settle()
    sizes = [s.qty for s in m.submitted()]
    assert max(sizes) <= 7 and sum(sizes) == 20 and m.filled() == 20


def test_the_kill_switch_refuses_the_intent_and_nothing_reaches_a_venue() -> None:
    m = three_venues()
    m.rest("A", Side.SELL, 10, 10_000)
    m.rest("A", Side.BUY, 10, 9_990)
    m.settle()
    m.system.gate.kill("risk-officer", "test")
    assert m.hands.submit(Intent("ABC", 1, 5, urgency="aggressive")) is None
    m.settle()
    assert not m.submitted()
    assert not [r for r in m.maker_reports if getattr(r, "owner", MAKER) == SYSTEM]
    assert not [e for e in m.events if isinstance(e, OrderSubmitted)]

"""Our own resting orders are not liquidity for our own aggressive orders. A taking parent
first pulls our passive children that rest opposite it within its limit, never aims an IOC
child at them, and the passive parent stays off that price until the taking parent is done.
Without this, the venue's self-trade prevention cancels the resting order, its parent posts
it again at once and the two loop (session 5 found the default desk's market maker and
momentum strategy doing this 200 times in 0.1 s, until layer 1's message throttle stopped
them)."""

from __future__ import annotations

from sor_rig import MS, SYSTEM, Hands, Market

from flashguard.core.events import OrderCancelled, OrderSubmitted
from flashguard.core.orders import Side, TimeInForce
from flashguard.market.venue import VenueConfig
from flashguard.system.strategy import Intent

IOC = int(TimeInForce.IOC)


def _market() -> tuple[Market, Hands]:
    other = Hands("other")
    m = Market([VenueConfig("A"), VenueConfig("B")], strategies=[other])
    m.rest("A", Side.BUY, 10, 9_990)
    m.rest("B", Side.BUY, 10, 9_990)
    m.rest("B", Side.SELL, 10, 10_002)  # the only offer that is not ours, once we post
    m.settle()
    return m, other


def _cancels(m: Market) -> list[OrderCancelled]:
    return [e for e in m.events if isinstance(e, OrderCancelled) and e.owner == SYSTEM]


def _sells(m: Market) -> list[OrderSubmitted]:
    return [s for s in m.submitted() if s.side == -1]


def test_an_aggressive_buy_pulls_our_own_offer_and_takes_the_outside_one() -> None:
    m, other = _market()
    m.sell(5, limit=10_000)  # passive: our offer is now the best ask
    m.settle()
    posted = _sells(m)
    assert posted and all(s.price == 10_000 for s in posted)

    other.submit(Intent("ABC", 1, 5, limit=10_002, urgency="aggressive"))
    m.settle(500 * MS)

    buys = [s for s in m.submitted() if s.side == 1]
    assert buys and all(s.tif == IOC and s.price == 10_002 and s.venue == "B" for s in buys), buys
    assert sum(f.qty for f in m.fills() if f.side == 1) == 5
    cancels = _cancels(m)
    assert cancels and all(c.reason != "self_trade" for c in cancels), cancels
    assert any("clears the way" in d.detail for d in m.decisions("cancel"))
    # once the buy was done our offer went back up at its price, and nothing traded with it
    assert len(_sells(m)) > len(posted) and all(s.price == 10_000 for s in _sells(m))
    assert not [f for f in m.fills() if f.side == -1]


def test_our_own_offer_stays_off_while_our_buy_works_and_returns_when_it_ends() -> None:
    m, other = _market()
    pid = m.sell(5, limit=10_000)
    m.settle()
    n_sells = len(_sells(m))

    buy = other.submit(Intent("ABC", 1, 5, limit=10_001, urgency="aggressive"))  # 10_002: too dear
    assert buy is not None
    m.settle(500 * MS)
    assert not [s for s in m.submitted() if s.side == 1]  # nothing of anyone's to take
    assert not m.fills()
    assert len(_sells(m)) == n_sells  # pulled, and not posted again inside the buy's limit
    assert all(c.reason != "self_trade" for c in _cancels(m))

    other.cancel(buy)
    m.rest("A", Side.BUY, 1, 9_991)  # any new quote: the waiting sell looks again
    m.settle(500 * MS)
    assert len(_sells(m)) > n_sells and _sells(m)[-1].price == 10_000
    assert pid not in {s.parent_id for s in m.hands.done}  # still working

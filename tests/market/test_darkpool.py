from __future__ import annotations

from flashguard.core.events import Event, OrderCancelled, OrderFilled
from flashguard.core.loop import EventLoop
from flashguard.core.orders import Side, TimeInForce
from flashguard.market.darkpool import DarkPool
from flashguard.market.venue import VenueConfig


def make(nbbo: list[tuple[int | None, int | None]]) -> tuple[EventLoop, DarkPool, list[Event]]:
    loop = EventLoop()
    pool = DarkPool(VenueConfig("DARK", entry_latency_ns=0, md_latency_ns=0), ["X"], loop, lambda _s: nbbo[0])
    reports: list[Event] = []
    for owner in (1, 2, 3):
        pool.connect(owner, reports.append)
    return loop, pool, reports


def test_crosses_at_the_lit_midpoint_and_shows_nothing() -> None:
    loop, pool, reports = make([(100, 104)])
    pool.submit(1, "X", Side.SELL, 10, price=101)
    pool.submit(2, "X", Side.BUY, 4, price=103)
    loop.run()
    fills = [r for r in reports if isinstance(r, OrderFilled)]
    assert [(f.owner, f.price, f.qty, f.maker) for f in fills] == [(1, 102, 4, True), (2, 102, 4, False)]
    assert pool.l1("X") == (None, 0, None, 0)


def test_a_limit_caps_the_peg_and_ioc_remainder_is_cancelled() -> None:
    loop, pool, reports = make([(100, 104)])
    pool.submit(1, "X", Side.SELL, 10, price=103)  # mid 102 is below its limit: no trade
    pool.submit(2, "X", Side.BUY, 4, price=105, tif=TimeInForce.IOC)
    loop.run()
    assert not [r for r in reports if isinstance(r, OrderFilled)]
    assert isinstance(reports[-1], OrderCancelled) and reports[-1].cancelled_qty == 4


def test_resting_orders_cross_when_the_midpoint_moves_into_both_limits() -> None:
    nbbo: list[tuple[int | None, int | None]] = [(100, 104)]
    loop, pool, reports = make(nbbo)
    pool.submit(1, "X", Side.SELL, 5, price=103)
    pool.submit(2, "X", Side.BUY, 5, price=104)
    loop.run()
    assert not [r for r in reports if isinstance(r, OrderFilled)]
    nbbo[0] = (102, 105)  # mid 103
    pool.on_nbbo("X")
    loop.run()
    assert {(f.owner, f.price) for f in reports if isinstance(f, OrderFilled)} == {(1, 103), (2, 103)}


def test_no_midpoint_without_a_two_sided_lit_market() -> None:
    loop, pool, reports = make([(None, 104)])
    pool.submit(1, "X", Side.SELL, 5, price=90)
    pool.submit(2, "X", Side.BUY, 5, price=110)
    loop.run()
    assert not [r for r in reports if isinstance(r, OrderFilled)]
    assert pool.resting("X") == 2


class _AlwaysAskedPool(DarkPool):
    """A pool whose on_nbbo the market's C guard cannot tell idle: it is always called."""

    def on_nbbo(self, instrument: str) -> None:
        self.asked = getattr(self, "asked", 0) + 1
        super().on_nbbo(instrument)


def _dark_market(pool_cls: type[DarkPool], seed: int) -> tuple[list[Event], int]:
    import random

    from flashguard.market.exchange import Market, Protections
    from flashguard.market.venue import Venue

    rng = random.Random(seed)
    loop = EventLoop()
    market = Market(loop, ["X"], "0.01", Protections(), session_open_ns=0, prior_close=1_000)
    lit = Venue(VenueConfig("LIT", 100, 50), ["X"], loop)
    market.add_venue(lit)
    pool = pool_cls(VenueConfig("DARK", 100, 50), ["X"], loop, market.nbbo)
    market.add_venue(pool)
    reports: list[Event] = []
    for owner in range(1, 9):
        for v in (lit, pool):
            v.connect(owner, reports.append)
    for _ in range(1_500):
        owner = rng.randrange(1, 9)
        side = rng.choice([Side.BUY, Side.SELL])
        price = 1_000 + rng.randint(-12, 12)
        if rng.random() < 0.85:  # the lit book: its midpoint moves
            lit.submit(owner, "X", side, rng.randint(1, 5), price=price,
                       tif=rng.choice([TimeInForce.DAY, TimeInForce.IOC]))
        else:  # resting dark orders on one side or both
            pool.submit(owner, "X", side, rng.randint(1, 5), price=price)
        loop.run(loop.now_ns() + rng.randrange(0, 400))
    loop.run()
    return reports, pool.resting("X")


def test_the_market_skips_only_dark_pools_with_nothing_to_cross() -> None:
    """The market's guard does not call a pool's on_nbbo when one side of it is empty (it would
    return at once): everything reported is what a pool asked on every move gets."""
    for seed in range(3):
        asked, left = _dark_market(_AlwaysAskedPool, seed)
        c, c_left = _dark_market(DarkPool, seed)
        assert [r for r in c if isinstance(r, OrderFilled) and r.venue == "DARK"]
        assert c == asked
        assert c_left == left

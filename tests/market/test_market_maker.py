"""The market makers' switches, one rule each (docs/market.md, market_maker.py's docstring):
post-only quotes, the order-flow toxicity limit, and the move check re-armed on return; and
the slow toxicity signal they read."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import Trade
from flashguard.market.agents.market_maker import MarketMaker
from flashguard.market.scenario import load_scenario
from flashguard.market.signals import Signals
from flashguard.market.simulation import Simulation

OTHER = 99  # a participant that is not in the crowd
MS = 1_000_000


def one_maker(**maker: Any) -> tuple[Simulation, MarketMaker]:
    """may6's venues with a single market maker and nobody else; nothing is started, so the
    test decides when the maker wakes and what the signals say."""
    d = msgspec.to_builtins(load_scenario("may6"))
    for group in ("hft", "fundamental", "momentum", "stop_loss", "noise"):
        d["agents"][group]["count"] = 0
    d["agents"]["sell_program"]["enabled"] = False
    params = {"count": 1, "pull_move": 0.01, "pull_move_spread": 0.0, "pull_flow": 0.0,
              "post_only": False, "rearm": False}
    d["agents"]["market_makers"].update(params | maker)
    sim = Simulation(msgspec.convert(d, type(load_scenario("may6"))), seed=1)
    for venue in sim.market.lit:
        venue.connect(OTHER, None, 0)
    return sim, sim.market_makers[0]


def settle(sim: Simulation) -> None:
    """Deliver what was sent (latencies are well under a millisecond)."""
    sim.loop.run(sim.loop.now_ns() + MS)


def xnys_quotes(mm: MarketMaker) -> tuple[int, int]:
    """(price of its best bid, of its best ask) on XNYS, venue index 0."""
    slots = mm.slots.slots
    return slots[(0, 1, 0)][1], slots[(0, -1, 0)][1]


@pytest.mark.parametrize("post_only", [True, False])
def test_a_post_only_quote_never_takes_it_slides_behind_the_opposite_best(post_only: bool) -> None:
    sim, mm = one_maker(post_only=post_only)
    sym = sim.instrument
    xnys = sim.market.lit[0]
    xnys.submit(OTHER, sym, -1, 5, 4990, 1, 1)  # a stale offer ten ticks under the maker's value
    settle(sim)
    sim.signals.fair = 5000.0
    mm._wake()
    settle(sim)
    if post_only:
        assert sim.trades == 0
        bid, ask = xnys_quotes(mm)
        assert bid == 4989  # one tick behind the offer it would have hit
        assert ask > 5000
        assert xnys.books[sym].l1()[2] == 4990  # the offer is still there
    else:
        assert sim.trades > 0  # without the switch the maker's bid sweeps the stale offer
        assert mm.inventory > 0


def test_post_only_leaves_quotes_that_do_not_cross_where_they_are() -> None:
    quoted = []
    for post_only in (False, True):
        sim, mm = one_maker(post_only=post_only)
        sim.signals.fair = 5000.0
        mm._wake()
        settle(sim)
        quoted.append(dict(mm.slots.slots))
    prices = [{k: v[1:] for k, v in q.items()} for q in quoted]
    assert prices[0] == prices[1] and prices[0]


@pytest.mark.parametrize(("toxicity", "out"), [(0.0899, False), (0.09, True)])
def test_a_maker_pulls_at_its_toxicity_limit_and_stays_out_until_it_clears(toxicity: float, out: bool) -> None:
    sim, mm = one_maker(pull_flow=0.09)
    sim.signals.fair = 5000.0
    mm._wake()
    settle(sim)
    assert mm.slots.live()
    sim.signals.toxicity_slow = toxicity
    mm._wake()
    settle(sim)
    assert (mm.slots.live() == 0) is out
    assert (mm.out_until > sim.loop.now_ns()) is out
    if out:
        # the cooldown passes, but the flow is still toxic: it stays out
        sim.loop.run(mm.out_until + MS)
        mm._wake()
        assert mm.slots.live() == 0 and mm.out_until > sim.loop.now_ns()
        sim.signals.toxicity_slow = 0.05
        sim.loop.run(mm.out_until + MS)
        mm._wake()
        settle(sim)
        assert mm.slots.live()


def test_without_a_toxicity_limit_no_flow_pulls_a_maker() -> None:
    sim, mm = one_maker()
    sim.signals.fair = 5000.0
    sim.signals.toxicity_slow = 1.0
    mm._wake()
    settle(sim)
    assert mm.slots.live()


def record_mids(signals: Signals, mids: list[float]) -> None:
    for m in mids:
        signals._mids.append(m)
    signals.mid = mids[-1]


@pytest.mark.parametrize("rearm", [True, False])
def test_the_move_check_rearms_from_the_price_a_maker_came_back_at(rearm: bool) -> None:
    sim, mm = one_maker(rearm=rearm, move_window_s=600, cooldown_s=60.0)
    s = sim.signals
    s.fair = 5000.0
    record_mids(s, [5000.0] * 10)
    mm._wake()
    assert mm.slots.live()
    # a 2% fall within the window: over its 1% limit, so it pulls
    record_mids(s, [4900.0] * 10)
    mm._wake()
    settle(sim)
    assert mm.slots.live() == 0
    # the cooldown passes and the market is steady at the lower price (still 2% under where it
    # was inside the 10-minute window)
    sim.loop.run(mm.out_until + MS)
    record_mids(s, [4900.0] * 61)
    s.fair = 4900.0
    mm._wake()
    settle(sim)
    if rearm:
        assert mm.slots.live()  # it comes back at 49.00 and measures from there
        sim.loop.run(sim.loop.now_ns() + 30 * NS_PER_SECOND)
        record_mids(s, [4900.0] * 30)
        mm._wake()
        assert mm.slots.live()  # the old fall no longer counts
        record_mids(s, [4850.0])  # ~1% under where it came back: out again
        mm._wake()
        settle(sim)
        assert mm.slots.live() == 0
    else:
        assert mm.slots.live() == 0  # the fall is still in its window


def trade(side: int, qty: int) -> Trade:
    return Trade(t_ns=0, venue="XNYS", instrument="FGX", trade_id=0, price=5000, qty=qty, aggressor=side,
                 maker_order_id=0, taker_order_id=0)


def test_slow_toxicity_is_the_aggressor_imbalance_with_a_ten_minute_half_life() -> None:
    s = Signals(5000)
    s.on_trade(trade(-1, 100))
    s.on_second(NS_PER_SECOND, 4999, 5001)
    assert s.toxicity_slow == pytest.approx(1.0)
    s.on_trade(trade(1, 100))
    s.on_second(2 * NS_PER_SECOND, 4999, 5001)
    a = 1 - 0.5 ** (1 / 600)
    # buys 100 (1 - a), sells 100 (1 - a)^2: |b - s| / (b + s) = a / (2 - a)
    assert s.toxicity_slow == pytest.approx(a / (2 - a))
    # ten minutes of balanced flow, then five of a steady 2:1 seller
    s2 = Signals(5000)
    for k in range(1, 601):
        s2.on_trade(trade(-1, 10))
        s2.on_trade(trade(1, 10))
        s2.on_second(k * NS_PER_SECOND, 4999, 5001)
    assert s2.toxicity_slow == pytest.approx(0.0, abs=1e-12)
    for k in range(601, 901):
        s2.on_trade(trade(-1, 20))
        s2.on_trade(trade(1, 10))
        s2.on_second(k * NS_PER_SECOND, 4999, 5001)
    # the fast measure (half-life 30 s) has reached the seller's 1/3; the slow one is still on
    # its way there, remembering the balanced flow before
    assert s2.toxicity == pytest.approx(1 / 3, rel=1e-2)
    assert 0.05 < s2.toxicity_slow < 0.25

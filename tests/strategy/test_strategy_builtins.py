"""Each built-in strategy does something sensible on a scripted market, and something
careful in capital preservation."""

from __future__ import annotations

from strategy_rig import MS, SEC, SYMBOL, Market, Provider, noise

from flashguard.core.events import OrderSubmitted
from flashguard.core.orders import Side, TimeInForce
from flashguard.market.venue import VenueConfig
from flashguard.system.strategy.builtins import (
    MarketMaker,
    MeanReversion,
    Momentum,
    PovOrder,
    TwapOrder,
)


def venues() -> list[VenueConfig]:
    return [VenueConfig("A"), VenueConfig("B")]


def sent_by(m: Market, strategy: str) -> list[OrderSubmitted]:
    return [s for s in m.submitted() if s.strategy == strategy]


def test_momentum_buys_a_rising_market_and_flattens_in_preservation() -> None:
    mom = Momentum(SYMBOL, lookback=5, threshold_ticks=3, qty=10, max_position=30,
                   sample_ns=200 * MS)
    m = Market(venues(), strategies=[mom])
    Provider(m, lambda t: 10_000 + min(t // (200 * MS), 40))  # +1 tick every 200 ms
    m.settle(8 * SEC)
    pos = m.system.gate.position("momentum", SYMBOL)
    assert pos == 30  # it bought the trend, up to its limit
    assert {s.side for s in sent_by(m, "momentum")} == {1}
    m.system.engine.pin_regime("momentum", "preservation", "test")
    t_pin = m.now
    m.settle(2 * SEC)
    assert m.system.gate.position("momentum", SYMBOL) == 0
    assert all(s.side == -1 for s in sent_by(m, "momentum") if s.t_ns >= t_pin)


def test_momentum_sells_a_falling_market() -> None:
    mom = Momentum(SYMBOL, lookback=5, threshold_ticks=3, qty=10, max_position=20,
                   sample_ns=200 * MS)
    m = Market(venues(), strategies=[mom])
    Provider(m, lambda t: 10_000 - min(t // (200 * MS), 40))
    m.settle(6 * SEC)
    assert m.system.gate.position("momentum", SYMBOL) == -20


def test_market_maker_quotes_both_sides_widens_then_pulls() -> None:
    mm = MarketMaker(SYMBOL, half_spread=2, qty=6, widen=3, pull_after_ns=2 * SEC)
    m = Market(venues(), strategies=[mm])
    Provider(m, lambda t: 10_000, half=5)
    m.settle(500 * MS)
    quotes = {(s.side, s.price, s.tif) for s in sent_by(m, "market_maker")}
    day = int(TimeInForce.DAY)
    assert quotes == {(1, 9_998, day), (-1, 10_002, day)}
    m.take("A", Side.SELL, 3, 1, owner=7)  # a seller hits the best bid: ours
    m.settle(500 * MS)
    assert m.system.gate.position("market_maker", SYMBOL) == 3
    m.system.engine.pin_regime("market_maker", "preservation", "test")
    t_pin = m.now
    m.settle(500 * MS)
    wide = [s for s in sent_by(m, "market_maker") if s.t_ns >= t_pin and s.tif == day]
    assert wide == []  # crash mode: a passive quote becomes a conditional IOC ...
    later = [d for d in m.decisions("route") if d.t_ns >= t_pin and d.strategy == "market_maker"]
    limits = sorted(int(d.detail.split("limit=")[1].split()[0]) for d in later)
    assert 9_994 in limits and 10_006 in limits  # ... at three times the spread
    m.settle(2 * SEC)  # stress lasted: quotes pulled, inventory flattened
    assert mm.pulled
    assert m.system.gate.position("market_maker", SYMBOL) == 0
    live = [p for p in m.system.router.parents.values() if p.strategy == "market_maker"]
    assert live == []


def test_market_maker_quotes_as_far_from_an_odd_spread_mid_on_both_sides() -> None:
    # a one-tick market, 10_000 / 10_001: the mid is 10_000.5. Rounded down to 10_000, the
    # offer would sit at the touch and the bid a tick behind it: more sells than buys, a book
    # that drifts short (the default desk's maker sat near -50 of 50 most of may6's calm hour)
    for half, bid, ask in ((1, 9_999, 10_002), (2, 9_998, 10_003)):
        mm = MarketMaker(SYMBOL, half_spread=half, qty=5)
        m = Market(venues(), strategies=[mm])
        for v in ("A", "B"):
            m.rest(v, Side.BUY, 100, 10_000)
            m.rest(v, Side.SELL, 100, 10_001)
        m.settle(300 * MS)
        quotes = {(s.side, s.price) for s in sent_by(m, "market_maker")}
        assert quotes == {(1, bid), (-1, ask)}, (half, quotes)


def test_market_maker_steps_back_the_side_that_adds_to_its_inventory() -> None:
    mm = MarketMaker(SYMBOL, half_spread=2, qty=10, max_inventory=20, skew_ticks=4)
    m = Market(venues(), strategies=[mm])
    Provider(m, lambda t: 10_000, half=5)
    m.settle(300 * MS)
    t_hit = m.now
    m.take("A", Side.SELL, 10, 1, owner=7)  # our bid is hit: long 10 of 20
    m.settle(SEC)
    assert m.system.gate.position("market_maker", SYMBOL) == 10
    quotes: dict[int, dict[int, int]] = {}  # time -> side -> price: re-quotes go in pairs
    for s in sent_by(m, "market_maker"):
        quotes.setdefault(s.t_ns, {})[s.side] = s.price
    widths = [(t, q[-1] - q[1]) for t, q in quotes.items() if len(q) == 2]
    assert {w for t, w in widths if t < t_hit} == {4}  # flat: 2 ticks either side
    # long half its limit: the bid 4 x 10/20 = 2 ticks further back, the offer where it was.
    # The mid it now sees is 9_998.5 (the provider's bid 9_995, its own offer 10_002), so its
    # flat quotes would be 9_996 / 10_001 (2 ticks from the mid, rounded outward): 5 + 2 = 7
    assert {w for t, w in widths if t > t_hit} == {7}


def test_market_maker_pulls_at_once_when_a_venue_halts_under_stress() -> None:
    mm = MarketMaker(SYMBOL, half_spread=2, qty=4, pull_after_ns=60 * SEC)
    m = Market(venues(), strategies=[mm])
    Provider(m, lambda t: 10_000, half=5)
    m.settle(300 * MS)
    m.venues["A"].set_status(SYMBOL, "limit_state", "luld")
    m.settle(100 * MS)
    assert mm.pulled  # the halt is stress, and under stress a dislocation pulls the quotes


def test_mean_reversion_fades_a_spike_and_exits_when_it_reverts() -> None:
    mr = MeanReversion(SYMBOL, window=20, entry_z=2.0, exit_z=0.5, qty=5, max_position=5,
                       sample_ns=200 * MS)
    m = Market(venues(), strategies=[mr])

    def path(t: int) -> int:
        wiggle = (t // (200 * MS)) % 2  # 0, 1, 0, 1 ...
        spike = 30 if 6 * SEC <= t < 8 * SEC else 0
        return 10_000 + wiggle + spike

    Provider(m, path, half=2, depth=50)
    noise(m, 5, 100 * MS, 20 * SEC, venue="A")
    noise(m, 5, 100 * MS, 20 * SEC, venue="B", owner=4)
    m.settle(6 * SEC)
    assert sent_by(m, "mean_reversion") == []  # a quiet market: nothing to fade
    m.settle(2 * SEC)
    sells = [s for s in sent_by(m, "mean_reversion") if s.side == -1]
    assert sells and all(s.price >= 10_025 for s in sells)  # it sold the spike
    m.settle(8 * SEC)
    buys = [s for s in sent_by(m, "mean_reversion") if s.side == 1]
    assert buys and max(b.price for b in buys) < min(s.price for s in sells)
    assert m.system.gate.position("mean_reversion", SYMBOL) == 0


def test_twap_releases_its_slices_on_schedule() -> None:
    twap = TwapOrder(SYMBOL, side=1, qty=50, duration_s=4, slices=5, urgency="aggressive")
    m = Market(venues(), strategies=[twap])
    Provider(m, lambda t: 10_000, depth=100)
    m.settle(5 * SEC)
    slices = sorted({s.t_ns // (100 * MS) for s in sent_by(m, "twap")})
    assert slices == [0, 8, 16, 24, 32]  # every 800 ms from the start
    assert twap.filled == 50


def test_twap_slows_down_in_preservation() -> None:
    twap = TwapOrder(SYMBOL, side=1, qty=50, duration_s=4, slices=5, urgency="aggressive")
    m = Market(venues(), strategies=[twap])
    m.system.engine.pin_regime("twap", "preservation", "test")
    Provider(m, lambda t: 10_000, depth=100)
    m.settle(4 * SEC)
    assert twap.filled == 30  # slices at 0, 1.6 s and 3.2 s instead of five
    m.settle(4 * SEC)
    assert twap.filled == 50


def test_pov_trades_its_share_of_the_volume() -> None:
    pov = PovOrder(SYMBOL, side=1, qty=1_000, rate=0.2, urgency="aggressive")
    m = Market(venues(), strategies=[pov])
    Provider(m, lambda t: 10_000, depth=500)
    noise(m, 10, 100 * MS, 3 * SEC)  # others: about 300 lots in 3 s
    m.settle(3 * SEC + 50 * MS)
    others = 10 * 29
    # the rate applies to all volume, ours included: x = 0.2 (others + x) -> x = others / 4
    assert others // 4 - 10 <= pov.filled <= others // 4 + 5

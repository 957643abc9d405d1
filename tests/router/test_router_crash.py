"""Crash mode on real venues: probes, reliability scores falling when displayed depth
vanishes before the child lands, rerouting, fragmentation, the dark pool, tactic shift."""

from __future__ import annotations

from sor_rig import MS, SYMBOL, US, Market

from flashguard.core.orders import Side, TimeInForce
from flashguard.market.venue import VenueConfig
from flashguard.system.router import RouterConfig


def abc_market(**kw: object) -> Market:
    return Market(
        [VenueConfig("A"), VenueConfig("B"), VenueConfig("C")], **kw  # type: ignore[arg-type]
    )


def test_vanishing_depth_lowers_the_score_and_the_remainder_is_rerouted() -> None:
    m = abc_market()
    for v in "ABC":
        m.rest(v, Side.BUY, 10, 9_990)
    a_offer = m.rest("A", Side.SELL, 100, 9_999)  # the best price ...
    m.rest("B", Side.SELL, 100, 10_000)
    m.rest("C", Side.SELL, 100, 10_001)
    m.settle()
    t0 = m.now
    m.buy(150, urgency="aggressive")
    # ... cancelled by a co-located maker 10 us later, while our child needs 200 us to arrive
    m.at(t0 + 10 * US, lambda: m.venues["A"].cancel(1, SYMBOL, a_offer))
    m.settle()

    first = [(s.venue, s.qty) for s in m.submitted() if s.t_ns == t0]
    assert first == [("A", 100), ("B", 50)]
    a_scores = [d for d in m.decisions("score") if d.venue == "A"]
    assert len(a_scores) == 1 and a_scores[0].qty == 0
    assert m.system.router.scores.get("A") < 1.0
    later = [(s.venue, s.qty) for s in m.submitted() if s.t_ns > t0]
    assert later and "A" not in {v for v, _ in later}
    assert sum(q for _, q in later) == 100
    assert m.filled() == 150


def test_crash_mode_probes_then_avoids_a_flickering_venue_even_at_a_better_price() -> None:
    m = abc_market(router=RouterConfig(crash_max_child=10, min_score=0.6, score_alpha=0.5))
    m.system.engine.pin_regime("hands", "preservation", "test")
    for v in "ABC":
        m.rest(v, Side.BUY, 10, 9_990)
    a_offer = m.rest("A", Side.SELL, 100, 9_999)
    m.rest("B", Side.SELL, 100, 10_000)
    m.rest("C", Side.SELL, 100, 10_001)
    m.settle()
    t0 = m.now
    m.buy(150, urgency="aggressive")
    # A's displayed depth flickers: gone before our ping lands, back right after
    m.at(t0 + 10 * US, lambda: m.venues["A"].cancel(1, SYMBOL, a_offer))
    m.at(t0 + 250 * US, lambda: m.rest("A", Side.SELL, 100, 9_999))
    m.settle(200 * MS)

    probes = m.decisions("probe")
    assert {(p.venue, p.qty) for p in probes} == {("A", 1), ("B", 1), ("C", 1)}
    assert all(p.t_ns == t0 for p in probes)
    assert m.system.router.scores.get("A") == 0.5
    reroutes = m.decisions("reroute")
    assert reroutes and {r.venue for r in reroutes} == {"A"}
    sized = [s for s in m.submitted() if s.t_ns > t0]
    assert sized and "A" not in {s.venue for s in sized}
    assert max(s.qty for s in sized) <= 10  # fragmented
    assert all(s.tif == int(TimeInForce.IOC) for s in m.submitted())
    assert m.filled() == 150
    assert next(d.detail for d in m.decisions("tactic")).startswith("crash")


def test_a_passive_parent_becomes_ioc_with_a_price_limit_in_crash_mode() -> None:
    m = abc_market()
    m.rest("A", Side.BUY, 10, 9_990)
    m.rest("A", Side.SELL, 10, 10_010)
    m.settle()
    pid = m.buy(20, limit=9_995)  # passive: rests at 9_995
    m.settle()
    assert [(s.tif, s.price) for s in m.submitted()] == [(int(TimeInForce.DAY), 9_995)]
    m.system.engine.pin_regime("hands", "preservation", "test")
    m.settle()
    tactic = m.decisions("tactic")
    assert tactic and tactic[0].detail.startswith("passive -> ioc")
    # the resting child was cancelled; nothing sells at or below 9_995, so nothing more is sent
    assert m.system.router.parents[pid].working == 0
    m.rest("B", Side.SELL, 30, 9_994)  # liquidity inside the limit appears
    m.settle()
    later = m.submitted()[1:]
    assert later and all(s.tif == int(TimeInForce.IOC) and s.price <= 9_995 for s in later)
    assert m.filled() == 20


def test_crash_mode_sends_slices_to_the_dark_pool_at_the_mid() -> None:
    m = Market(
        [VenueConfig("A"), VenueConfig("B"), VenueConfig("D")], dark=frozenset({"D"}),
        router=RouterConfig(crash_max_child=10, dark_fraction=0.25),
    )
    m.system.engine.pin_regime("hands", "preservation", "test")
    for v in "AB":
        m.rest(v, Side.BUY, 50, 9_990)
        m.rest(v, Side.SELL, 50, 10_010)
    m.rest("D", Side.SELL, 200, 10_000)  # hidden: the system sees no quote from D
    m.settle()
    m.buy(60, urgency="aggressive")
    m.settle()
    dark = [s for s in m.submitted() if s.venue == "D"]
    assert dark and all(s.price == 10_000 for s in dark)
    dark_fills = [f for f in m.fills() if f.venue == "D"]
    assert sum(f.qty for f in dark_fills) >= 10
    assert m.filled() == 60
    assert all(f.price <= 10_010 for f in m.fills())

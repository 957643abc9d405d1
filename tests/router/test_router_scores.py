"""Venue reliability scores: the EWMA alone (fills, partials, rejects), and a venue that rejects
crash-mode children losing its score and its size."""

from __future__ import annotations

import pytest
from sor_rig import SYSTEM, Market

from flashguard.core.events import NewOrder, OrderRejected
from flashguard.core.orders import Side
from flashguard.market.venue import Venue, VenueConfig
from flashguard.system.router import RouterConfig
from flashguard.system.router.scores import VenueScores

# --- the score alone --------------------------------------------------------------------------


def test_observe_moves_the_score_by_alpha_toward_the_fill_ratio() -> None:
    s = VenueScores(alpha=0.5, initial=1.0)
    assert s.get("A") == 1.0 and s.snapshot() == {}  # no evidence yet: the initial score
    assert s.observe("A", 10, 10) == 1.0  # a full fill keeps a perfect score
    assert s.observe("A", 4, 10) == pytest.approx(0.7)  # partial: 1.0 + 0.5 * (0.4 - 1.0)
    assert s.observe("A", 0, 10) == pytest.approx(0.35)  # nothing there: halfway to 0
    assert s.observe("A", 0, 0) == pytest.approx(0.175)  # a reject (nothing aimed at) is 0
    assert s.observe("A", 10, 10) == pytest.approx(0.5875)  # fills restore it
    assert s.get("B") == 1.0  # one venue's evidence says nothing about another
    assert s.snapshot() == {"A": pytest.approx(0.5875)}


def test_a_fill_beyond_what_was_displayed_counts_as_a_full_fill() -> None:
    s = VenueScores(alpha=0.25, initial=0.5)
    assert s.observe("D", 30, 10) == pytest.approx(0.625)  # ratio capped at 1, not 3


def test_bad_observations_and_parameters_name_the_value() -> None:
    s = VenueScores(alpha=0.5, initial=1.0)
    with pytest.raises(ValueError, match="filled=-1"):
        s.observe("A", -1, 10)
    with pytest.raises(ValueError, match="aimed=-2"):
        s.observe("A", 1, -2)
    with pytest.raises(ValueError, match="alpha=0"):
        VenueScores(alpha=0.0, initial=1.0)
    with pytest.raises(ValueError, match=r"initial=1\.5"):
        VenueScores(alpha=0.5, initial=1.5)


# --- a venue rejecting the system's children ---------------------------------------------------


class RefuseTheSystem:
    """A venue protection that refuses every new order of the system and nobody else's (as a
    venue whose session for us has gone bad while its book still looks fine)."""

    def admit(self, venue: Venue, order: NewOrder) -> NewOrder | OrderRejected:
        if order.owner != SYSTEM:
            return order
        return OrderRejected(order.t_ns, venue.name, order.instrument, order.order_id,
                             order.client_order_id, order.owner, "venue_refused")

    def after(self, venue: Venue, request: object, events: object) -> None:
        return None


def test_a_venue_reject_of_a_crash_mode_child_lowers_its_score() -> None:
    cfg = RouterConfig(crash_max_child=10, min_score=0.6, score_alpha=0.5)
    m = Market([VenueConfig("A"), VenueConfig("B"), VenueConfig("C")], router=cfg)
    m.system.engine.pin_regime("hands", "preservation", "test")
    m.rest("A", Side.SELL, 100, 9_999)  # the best offer, at a venue that refuses us
    m.rest("B", Side.SELL, 100, 10_000)
    m.rest("C", Side.SELL, 100, 10_001)
    for v in "ABC":
        m.rest(v, Side.BUY, 10, 9_990)
    m.venues["A"].guard = RefuseTheSystem()
    m.settle()
    t0 = m.now
    m.buy(150, urgency="aggressive")
    m.settle()

    refused = [e for e in m.events if isinstance(e, OrderRejected) and e.venue == "A"]
    assert refused and all(e.reason == "venue_refused" and not e.layer for e in refused)
    a_scores = [d for d in m.decisions("score") if d.venue == "A"]
    assert len(a_scores) == 1  # one reject: after it, A is below min_score and gets nothing
    [a] = a_scores
    expected = VenueScores(cfg.score_alpha, cfg.score_initial).observe("A", 0, cfg.probe_qty)
    assert expected == 0.5
    assert a.qty == 0 and a.detail == f"score={expected:.4f} filled=0 aimed=1 venue_reject"
    assert m.system.router.scores.get("A") == expected
    # the other venues' scores are fills, not rejects
    others = [d for d in m.decisions("score") if d.venue != "A"]
    assert others and not any("venue_reject" in d.detail for d in others)
    # the size goes where liquidity was shown to be real, at worse displayed prices
    assert {s.venue for s in m.submitted() if s.t_ns > t0} <= {"B", "C"}
    assert m.filled() == 150
    assert {f.venue for f in m.fills()} == {"B", "C"}
    assert [(s.venue, s.qty, s.t_ns) for s in m.submitted() if s.venue == "A"] == [("A", 1, t0)]

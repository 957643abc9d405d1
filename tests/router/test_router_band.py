"""LULD bands: no child is ever priced outside the band, in any mode or plan."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sor_rig import SYMBOL, Market

from flashguard.core.events import LuldBand
from flashguard.core.orders import Side
from flashguard.market.venue import VenueConfig
from flashguard.system.router import RouterConfig, plan


def test_a_published_band_keeps_every_child_inside_it() -> None:
    m = Market([VenueConfig("A"), VenueConfig("B"), VenueConfig("C")])
    m.rest("A", Side.BUY, 10, 9_950)
    m.rest("A", Side.SELL, 30, 10_050)
    m.rest("B", Side.SELL, 100, 10_120)  # above the upper band
    m.rest("C", Side.SELL, 100, 10_090)
    m.settle()
    m.system.on_market_data(LuldBand(m.now, "ALL", SYMBOL, 9_900, 10_100))
    m.buy(100, urgency="aggressive")
    m.settle()
    sent = m.submitted()
    assert sent and all(9_900 <= s.price <= 10_100 for s in sent)
    assert "B" not in {s.venue for s in sent}
    assert m.filled() == 100  # 30 at A, 70 at C: B's cheaper-looking size was out of bounds


def test_a_passive_sell_limit_below_the_band_is_posted_at_the_lower_band() -> None:
    m = Market([VenueConfig("A")])
    m.rest("A", Side.BUY, 10, 9_850)
    m.rest("A", Side.SELL, 10, 10_000)
    m.settle()
    m.system.on_market_data(LuldBand(m.now, "ALL", SYMBOL, 9_900, 10_100))
    m.sell(5, limit=9_800)
    m.settle()
    assert [s.price for s in m.submitted()] == [9_900]


def test_crash_mode_probes_and_children_stay_inside_the_band() -> None:
    m = Market(
        [VenueConfig("A"), VenueConfig("B"), VenueConfig("D")], dark=frozenset({"D"}),
        router=RouterConfig(crash_max_child=5),
    )
    m.system.engine.pin_regime("hands", "preservation", "test")
    m.rest("A", Side.BUY, 10, 9_700)
    m.rest("A", Side.SELL, 20, 9_960)  # inside the band below
    m.rest("B", Side.SELL, 50, 9_890)  # below the lower band: a sell there is not allowed
    m.rest("D", Side.BUY, 50, 9_830)  # the dark mid (9_700 + 9_890) / 2 is below the band
    m.settle()
    m.system.on_market_data(LuldBand(m.now, "ALL", SYMBOL, 9_900, 10_100))
    m.sell(10, urgency="aggressive")
    m.rest("A", Side.BUY, 30, 9_905)
    m.settle()
    sent = m.submitted()
    assert sent and all(9_900 <= s.price <= 10_100 for s in sent)
    assert "D" not in {s.venue for s in sent}


def test_without_a_published_band_the_risk_gates_estimate_bounds_the_children() -> None:
    m = Market([VenueConfig("A"), VenueConfig("B")])
    # trades at 10_000 give the gate's own band: 5% either side of their mean price,
    # [9_500, 10_500]; 20 of them, so that our own prints move the mean only a little
    for _ in range(20):
        m.rest("A", Side.SELL, 1, 10_000)
        m.take("A", Side.BUY, 1, 10_000)
    m.rest("A", Side.BUY, 10, 9_990)
    m.rest("A", Side.SELL, 10, 10_400)
    m.rest("B", Side.SELL, 100, 10_600)
    m.settle()
    assert m.system._gate_band(SYMBOL) == (9_500, 10_500)
    m.buy(50, urgency="aggressive")
    m.settle()
    assert [(s.venue, s.price) for s in m.submitted()] == [("A", 10_400)]


offers = st.lists(
    st.builds(plan.Offer, st.sampled_from(["A", "B", "C", "D"]), st.integers(1, 200),
              st.integers(0, 50), st.integers(-30, 200)),
    max_size=6, unique_by=lambda o: o.venue,
)


@settings(max_examples=300, deadline=None)
@given(
    side=st.sampled_from([1, -1]), qty=st.integers(1, 300), venues=offers, dark=offers,
    lo=st.integers(1, 150), width=st.integers(0, 80), limit=st.integers(0, 200),
    max_child=st.integers(1, 40),
)
def test_no_plan_prices_a_child_outside_the_band_or_the_limit(
    side: int, qty: int, venues: list[plan.Offer], dark: list[plan.Offer], lo: int, width: int,
    limit: int, max_child: int,
) -> None:
    band = (lo, lo + width)

    def fresh(venue: str, price: int, q: int) -> bool:
        return True

    plans = (
        plan.take(side, qty, venues, limit, band, max_child, fresh)
        + plan.crash_take(side, qty, venues, dark, limit, band, max_child, fresh,
                          lambda v: 1.0, 0.5, 0.25)[0]
        + plan.probes(side, qty, venues, dark, limit, band, 1, fresh)
    )
    for c in plans:
        assert band[0] <= c.price <= band[1]
        assert not limit or (c.price <= limit if side > 0 else c.price >= limit)
        assert 1 <= c.qty <= max(max_child, 1)
    taken = plan.take(side, qty, venues, limit, band, max_child, fresh)
    assert sum(c.qty for c in taken) <= qty
    shown = {o.venue: o.avail for o in venues}
    for venue in shown:
        assert sum(c.qty for c in taken if c.venue == venue) <= shown[venue]

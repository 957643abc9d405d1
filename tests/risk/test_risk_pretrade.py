"""Layer 1: each rule at its boundary (just below, at, just above), alone and through the gate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from risk_rig import INSTRUMENTS, MARKET, MS, ROOMY, SEC, Rig, matrix

from flashguard.core.events import LuldBand, OrderCancelled, OrderRejected, RiskAction
from flashguard.system.risk import pretrade as l1
from flashguard.system.risk.types import Rejection, RiskOrder


def make(rig_overrides: dict[str, object] | None = None, **sections: dict[str, object]) -> Rig:
    return Rig(matrix(strategy_defaults={**ROOMY, **(rig_overrides or {})}, **sections))


def verdict(rig: Rig, o: RiskOrder) -> str | None:
    """The rule that rejects the order through the full gate, or None when it passes; and
    the same answer from the layer's rules run alone on the same state."""
    v = rig.gate.state.view(o.strategy, o.venue, o.instrument)
    alone = l1.check(o, v, v.limits)
    r = rig.gate.check(o)
    assert (alone.rule if alone else None) == (r.rule if r else None)
    return r.rule if r else None


def quoted(overrides: dict[str, object] | None = None, **sections: dict[str, object]) -> Rig:
    rig = make(overrides, **sections)
    rig.at(SEC)
    rig.market("ABC", 9_999, 10_001)  # reference 10_000
    return rig


def test_max_order_qty_boundary() -> None:
    rig = quoted({"max_order_qty": 10})
    assert verdict(rig, rig.order(qty=9)) is None
    assert verdict(rig, rig.order(qty=10)) is None
    r = rig.gate.check(rig.order(qty=11))
    assert r is not None and (r.rule, r.value, r.limit) == ("max_order_qty", 11, 10)


def test_max_order_notional_boundary_in_currency() -> None:
    # 10_000 ticks of 0.01 = $100 a share; $1,000 allows 10 shares
    rig = quoted({"max_order_notional": 1_000})
    assert verdict(rig, rig.order(price=10_000, qty=9)) is None
    assert verdict(rig, rig.order(price=10_000, qty=10)) is None
    r = rig.gate.check(rig.order(price=10_000, qty=11))
    assert r is not None and r.rule == "max_order_notional"
    assert r.value == pytest.approx(1_100.0) and r.limit == pytest.approx(1_000.0)


def test_notional_uses_the_instruments_tick_value() -> None:
    # ES: tick 0.25 x multiplier 50 = $12.50 per tick-lot; 20_000 ticks = 5,000 points
    rig = make({"max_order_notional": 1_000_000, "collar_bps": 500})
    rig.at(SEC).market("ES", 19_999, 20_001)
    assert verdict(rig, rig.order(price=20_000, qty=4, instrument="ES")) is None  # $1,000,000
    r = rig.gate.check(rig.order(price=20_000, qty=5, instrument="ES"))
    assert r is not None and r.rule == "max_order_notional"
    assert r.value == pytest.approx(1_250_000.0)


def test_tick_and_lot_steps_of_the_venue() -> None:
    rig = quoted(instrument_defaults={"price_increment_ticks": 5, "lot_multiple": 10})
    assert verdict(rig, rig.order(price=10_005, qty=20)) is None
    assert verdict(rig, rig.order(price=10_004, qty=20)) == "tick_lot"
    assert verdict(rig, rig.order(price=10_006, qty=20)) == "tick_lot"
    assert verdict(rig, rig.order(price=10_005, qty=25)) == "tick_lot"
    assert verdict(rig, rig.order(price=10_005, qty=0)) == "tick_lot"
    assert verdict(rig, rig.order(side=0, price=10_005, qty=10)) == "tick_lot"
    assert verdict(rig, rig.order(price=0, qty=10)) == "tick_lot"


def test_decimals_at_the_edge_must_sit_on_the_grid() -> None:
    abc = INSTRUMENTS["ABC"]
    assert l1.to_ticks_and_lots(abc, "100.01", "5") == (10_001, 5)
    assert l1.to_ticks_and_lots(abc, None, 3) == (0, 3)
    off = l1.to_ticks_and_lots(abc, Decimal("100.005"), "5")
    assert isinstance(off, Rejection) and off.rule == "tick_lot"
    assert off.value == pytest.approx(100.005) and "tick_size=0.01" in off.detail
    half = l1.to_ticks_and_lots(abc, "100", "0.5")
    assert isinstance(half, Rejection) and "lot_size=1" in half.detail


@pytest.mark.parametrize(
    ("side", "price", "rule"),
    [
        (1, 10_199, None),
        (1, 10_200, None),  # at the collar: +2.00%
        (1, 10_201, "collar_last_trade"),
        (-1, 9_801, None),
        (-1, 9_800, None),
        (-1, 9_799, "collar_last_trade"),
    ],
)
def test_collar_against_the_last_trade(side: int, price: int, rule: str | None) -> None:
    # the reference quote sits 10% on the far side, so only the last trade binds
    rig = make({"collar_bps": 200, "fat_finger_bps": 5_000})
    bid, ask = (10_900, 11_100) if side > 0 else (8_900, 9_100)
    rig.at(SEC).market("ABC", bid, ask, last=10_000)
    assert verdict(rig, rig.order(side=side, price=price)) == rule


def test_a_stale_last_trade_is_no_reference() -> None:
    rig = make({"collar_bps": 200, "fat_finger_bps": 5_000, "reference_max_age_ms": 1_000})
    rig.at(SEC).market("ABC", 10_900, 11_100, last=10_000)
    rig.at(2 * SEC).market("ABC", 10_900, 11_100)  # quote refreshed, trade now 1 s old
    assert verdict(rig, rig.order(price=10_201)) == "collar_last_trade"  # age == max: binds
    rig.at(2 * SEC + 1).market("ABC", 10_900, 11_100)
    assert verdict(rig, rig.order(price=10_201)) is None  # 1 ns older: no longer a reference


@pytest.mark.parametrize(
    ("side", "price", "rule"),
    [
        (1, 10_199, None),
        (1, 10_200, None),
        (1, 10_201, "collar_reference"),
        (-1, 9_801, None),
        (-1, 9_800, None),
        (-1, 9_799, "collar_reference"),
    ],
)
def test_collar_against_the_reference_quote(side: int, price: int, rule: str | None) -> None:
    rig = make({"collar_bps": 200, "fat_finger_bps": 5_000})
    rig.at(SEC).market("ABC", 9_999, 10_001)
    assert verdict(rig, rig.order(side=side, price=price)) == rule


def test_reference_age_boundary_and_no_reference() -> None:
    rig = make({"reference_max_age_ms": 500})
    assert verdict(rig.at(SEC), rig.order()) == "stale_reference"  # no quote at all
    rig.market("ABC", 9_999, 10_001)
    assert verdict(rig, rig.order(t=SEC + 500 * MS - 1)) is None
    assert verdict(rig, rig.order(t=SEC + 500 * MS)) is None
    r = rig.gate.check(rig.order(t=SEC + 500 * MS + 1))
    assert r is not None and (r.rule, r.value, r.limit) == ("stale_reference", 500 * MS + 1,
                                                             500 * MS)


def test_reference_is_the_side_left_when_one_side_is_empty() -> None:
    rig = make({"collar_bps": 200, "fat_finger_bps": 5_000})
    rig.at(SEC).market("ABC", 0, 10_000)  # bids gone: the offer is the reference
    assert verdict(rig, rig.order(side=-1, price=9_800)) is None
    assert verdict(rig, rig.order(side=-1, price=9_799)) == "collar_reference"


@pytest.mark.parametrize(
    ("side", "price", "rule"),
    [
        (1, 9_001, None),  # a passive bid 9.99% below: allowed
        (1, 9_000, None),
        (1, 8_999, "fat_finger"),
        (-1, 10_999, None),
        (-1, 11_000, None),
        (-1, 11_001, "fat_finger"),
    ],
)
def test_fat_finger_either_side(side: int, price: int, rule: str | None) -> None:
    rig = make({"collar_bps": 500, "fat_finger_bps": 1_000})
    rig.at(SEC).market("ABC", 9_999, 10_001)
    assert verdict(rig, rig.order(side=side, price=price)) == rule


@pytest.mark.parametrize(
    ("price", "rule"),
    [(10_049, None), (10_050, None), (10_051, "luld_band"),
     (9_951, None), (9_950, None), (9_949, "luld_band")],
)
def test_never_outside_the_published_luld_band(price: int, rule: str | None) -> None:
    rig = make({"collar_bps": 500, "fat_finger_bps": 2_000})
    rig.at(SEC).market("ABC", 9_999, 10_001)
    rig.feed(LuldBand(SEC, "ALL", "ABC", 9_950, 10_050))
    side = 1 if price < 10_000 else -1  # passive either way: only the band binds
    assert verdict(rig, rig.order(side=side, price=price)) == rule


def test_a_published_band_overrides_the_estimate_until_the_next_one() -> None:
    rig = make({"collar_bps": 1_000, "fat_finger_bps": 2_000},
               instrument_defaults={"luld_band_bps": 500})
    rig.at(SEC).market("ABC", 9_999, 10_001, last=10_000)  # estimate 9_500 .. 10_500
    m = rig.gate.state.markets["ABC"]
    assert (m.band_lo, m.band_hi) == (9_500, 10_500)
    rig.feed(LuldBand(2 * SEC, "ALL", "ABC", 9_800, 10_200))
    assert verdict(rig, rig.order(side=-1, price=10_200)) is None
    assert verdict(rig, rig.order(side=-1, price=10_201)) == "luld_band"
    # trades move the estimate's mean, not the published band
    rig.at(3 * SEC).market("ABC", 9_999, 10_001, last=10_400)
    assert (m.band_lo, m.band_hi) == (9_800, 10_200)
    assert verdict(rig, rig.order(side=-1, price=10_201)) == "luld_band"
    # a venue relaying the next band: it replaces the last one, wider or narrower
    rig.feed(LuldBand(4 * SEC, "XNAS", "ABC", 9_700, 10_300))
    assert (m.band_lo, m.band_hi) == (9_700, 10_300)
    assert verdict(rig, rig.order(side=-1, price=10_300)) is None
    assert verdict(rig, rig.order(side=1, price=9_699)) == "luld_band"


def test_a_band_that_is_not_one_is_journaled_and_changes_nothing() -> None:
    rig = quoted()
    rig.feed(LuldBand(SEC, "ALL", "ABC", 9_900, 10_100))
    for lower, upper in ((10_100, 9_900), (0, 10_100), (-5, 10)):
        rig.feed(LuldBand(SEC, "ALL", "ABC", lower, upper))
    m = rig.gate.state.markets["ABC"]
    assert (m.band_lo, m.band_hi) == (9_900, 10_100)
    ignored = rig.actions("ignore_band")
    assert [(a.value, a.limit) for a in ignored] == [(10_100, 9_900), (0, 10_100), (-5, 10)]
    assert all(a.layer == "L1" and "not a band" in a.detail for a in ignored)
    rig.feed(LuldBand(SEC, "ALL", "NOPE", 1, 2))  # an instrument the system does not know
    assert "NOPE" not in rig.gate.state.markets and len(rig.actions("ignore_band")) == 3


def test_own_luld_band_from_the_mean_trade_price() -> None:
    rig = make({"collar_bps": 1_000, "fat_finger_bps": 2_000},
               instrument_defaults={"luld_band_bps": 500})
    rig.at(SEC).market("ABC", 9_999, 10_001, last=9_900)
    rig.market("ABC", 9_999, 10_001, last=10_100)  # mean 10_000: band 9_500 .. 10_500
    m = rig.gate.state.markets["ABC"]
    assert (m.band_lo, m.band_hi) == (9_500, 10_500)
    assert verdict(rig, rig.order(side=-1, price=10_500)) is None
    assert verdict(rig, rig.order(side=-1, price=10_501)) == "luld_band"
    # trades leave the 5-minute window
    rig.at(SEC + 301 * SEC).market("ABC", 9_999, 10_001, last=11_000)
    assert (m.band_lo, m.band_hi) == (10_450, 11_550)


def test_duplicate_order_window_boundary() -> None:
    rig = quoted({"duplicate_window_ms": 50})
    first = rig.send(rig.order(price=10_000, qty=3))
    t0 = first.t_ns
    assert verdict(rig, rig.order(price=10_000, qty=3, t=t0 + 50 * MS - 1)) == "duplicate_order"
    assert verdict(rig, rig.order(price=10_000, qty=4, t=t0 + 1)) is None  # another qty
    assert verdict(rig, rig.order(price=10_000, qty=3, t=t0 + 50 * MS)) is None
    assert verdict(rig, rig.order(price=10_000, qty=3, t=t0 + 51 * MS)) == "duplicate_order"


def test_duplicates_are_remembered_across_the_memorys_generations() -> None:
    """The memory keeps two windows' worth, dropping the older whole: an order sent just
    before a generation ends is still a duplicate just after."""
    rig = quoted({"duplicate_window_ms": 50})
    t0 = rig.send(rig.order(price=10_000, qty=1)).t_ns  # opens a generation [t0, t0 + 50ms)
    rig.send(rig.order(price=10_000, qty=2, t=t0 + 49 * MS))
    rig.send(rig.order(price=10_000, qty=3, t=t0 + 50 * MS))  # the next generation
    v = rig.gate.state.view("s1", "XNAS", "ABC")
    assert (len(v.recent), len(v.recent_old)) == (1, 2)
    assert verdict(rig, rig.order(price=10_000, qty=2, t=t0 + 98 * MS)) == "duplicate_order"
    assert verdict(rig, rig.order(price=10_000, qty=1, t=t0 + 98 * MS)) is None
    rig.send(rig.order(price=9_999, qty=1, t=t0 + 200 * MS))  # two windows on: both dropped
    assert (len(v.recent), len(v.recent_old)) == (1, 0)


def test_a_live_client_order_id_cannot_be_reused() -> None:
    rig = quoted()
    rig.send(rig.order(cid="A1"))
    assert verdict(rig, rig.order(cid="A1", price=9_990)) == "duplicate_order"


def test_max_open_orders_counts_in_flight_orders() -> None:
    rig = quoted({"max_open_orders": 3})
    a = rig.send(rig.order(price=9_990), ack=False)  # in flight
    rig.send(rig.order(price=9_991))
    assert verdict(rig, rig.order(price=9_992)) is None  # the 3rd: at the limit
    r = rig.gate.check(rig.order(price=9_993))
    assert r is not None and (r.rule, r.value, r.limit) == ("max_open_orders", 4, 3)
    rig.feed(OrderRejected(SEC, a.venue, a.instrument, a.order_id, a.client_order_id, 7, "venue"))
    assert verdict(rig, rig.order(price=9_994)) is None  # the venue's reject freed a slot


def test_max_position_counts_working_and_in_flight_orders() -> None:
    rig = quoted({"max_position": 10})
    rig.send(rig.order(side=1, qty=6, price=9_990), ack=False)  # in flight
    assert verdict(rig, rig.order(side=1, qty=5, price=9_991)) == "max_position"
    assert verdict(rig, rig.order(side=1, qty=4, price=9_992)) is None  # 6 + 4 = 10
    assert verdict(rig, rig.order(side=1, qty=1, price=9_993)) == "max_position"
    # the sell side counts on its own: a sell of 10 would be short 10 if it alone filled
    assert verdict(rig, rig.order(side=-1, qty=10, price=10_010)) is None
    assert verdict(rig, rig.order(side=-1, qty=1, price=10_011)) == "max_position"


def test_max_position_after_fills() -> None:
    rig = quoted({"max_position": 10})
    buy = rig.send(rig.order(side=1, qty=5, price=10_001))
    rig.fill(buy)  # long 5
    assert verdict(rig, rig.order(side=1, qty=5, price=9_990)) is None
    assert verdict(rig, rig.order(side=1, qty=1, price=9_991)) == "max_position"
    assert verdict(rig, rig.order(side=-1, qty=15, price=10_010)) is None  # to short 10
    assert verdict(rig, rig.order(side=-1, qty=1, price=10_011)) == "max_position"


def test_message_throttle_per_venue_session() -> None:
    rig = quoted(venue_defaults={"max_msgs_per_s": 1, "burst": 3, "cancel_msgs_per_s": 1,
                                 "cancel_burst": 1})
    t = rig.clock.now_ns()
    for i in range(3):
        assert verdict(rig, rig.order(price=9_990 + i, t=t)) is None
    r = rig.gate.check(rig.order(price=9_995, t=t))
    assert r is not None and r.rule == "message_throttle"
    assert verdict(rig, rig.order(price=9_996, t=t, venue="ARCX")) is None  # another session
    assert verdict(rig, rig.order(price=9_997, t=t + SEC - 1)) == "message_throttle"
    assert verdict(rig, rig.order(price=9_998, t=t + SEC)) is None  # refilled one message


def test_instrument_allow_list_and_unknown_instruments() -> None:
    rig = make({"instruments": ["ABC"]})
    rig.at(SEC).market("ABC", 9_999, 10_001)
    rig.market("XYZ", 9_999, 10_001)
    assert verdict(rig, rig.order(instrument="ABC")) is None
    assert verdict(rig, rig.order(instrument="XYZ")) == "instrument_allowed"
    assert verdict(rig, rig.order(instrument="NOPE")) == "instrument_allowed"


# --- market orders: valued conservatively, never waved through ------------------------------


def test_market_order_on_an_empty_book_is_rejected() -> None:
    rig = make()
    rig.at(SEC)
    assert verdict(rig, rig.order(order_type=MARKET, price=0)) == "market_order_liquidity"
    rig.market("ABC", 9_999, 0, last=10_000)  # a bid and a trade, but nothing to buy from
    assert verdict(rig, rig.order(side=1, order_type=MARKET, price=0)) == "market_order_liquidity"
    assert verdict(rig, rig.order(side=-1, order_type=MARKET, price=0)) is None


def test_market_order_notional_at_a_conservative_price() -> None:
    # valued at the highest price in sight (the last trade 10_101, above the offer 10_001),
    # marked up 5% and rounded up: 10_101 * 1.05 = 10_606.05 -> 10_607 ticks ($106.07)
    rig = make({"max_order_notional": 10_607, "market_order_markup_bps": 500},
               instrument_defaults={"luld_band_bps": 0})
    rig.at(SEC).market("ABC", 9_999, 10_001, last=10_101)
    v = rig.gate.state.view("s1", "XNAS", "ABC")
    assert l1.valuation_price(v, v.limits) == 10_607
    assert verdict(rig, rig.order(order_type=MARKET, price=0, qty=99)) is None
    assert verdict(rig, rig.order(order_type=MARKET, price=0, qty=100)) is None  # $10,607
    r = rig.gate.check(rig.order(order_type=MARKET, price=0, qty=101))
    assert r is not None and r.rule == "max_order_notional"
    assert r.value == pytest.approx(10_713.07) and r.limit == pytest.approx(10_607)


def test_market_order_needs_a_fresh_quote() -> None:
    rig = make({"reference_max_age_ms": 100})
    rig.at(SEC).market("ABC", 9_999, 10_001)
    assert verdict(rig, rig.order(order_type=MARKET, price=0, t=SEC + 100 * MS)) is None
    assert verdict(rig, rig.order(order_type=MARKET, price=0, t=SEC + 100 * MS + 1)) == (
        "stale_reference"
    )


@pytest.mark.parametrize(
    ("side", "bid", "ask", "rule"),
    [
        (1, 9_990, 10_049, None),  # the offer just inside the band
        (1, 9_990, 10_050, None),  # at the upper band: a trade there is inside
        (1, 9_990, 10_051, "luld_band"),  # just outside: the buy would trade above the band
        (-1, 9_951, 10_010, None),
        (-1, 9_950, 10_010, None),
        (-1, 9_949, 10_010, "luld_band"),
    ],
)
def test_market_order_never_trades_outside_the_band(
    side: int, bid: int, ask: int, rule: str | None
) -> None:
    rig = make()
    rig.at(SEC).feed(LuldBand(SEC, "ALL", "ABC", 9_950, 10_050))
    rig.market("ABC", bid, ask)
    o = rig.order(side=side, order_type=MARKET, price=0)
    assert verdict(rig, o) == rule
    if rule is not None:
        [action] = rig.actions("reject")
        assert (action.layer, action.rule) == ("L1", "luld_band")
        assert (action.value, action.limit) == ((ask, 10_050) if side > 0 else (bid, 9_950))


def test_a_market_order_is_judged_by_the_side_it_hits() -> None:
    rig = make()
    rig.at(SEC).feed(LuldBand(SEC, "ALL", "ABC", 9_950, 10_050))
    rig.market("ABC", 9_900, 10_100)  # both sides outside: a limit state either way
    for side in (1, -1):
        assert verdict(rig, rig.order(side=side, order_type=MARKET, price=0)) == "luld_band"
    rig.market("ABC", 9_990, 10_100)  # the bid is back inside: selling trades within
    assert verdict(rig, rig.order(side=-1, order_type=MARKET, price=0)) is None
    assert verdict(rig, rig.order(side=1, order_type=MARKET, price=0)) == "luld_band"


# --- amendments: judged on the new total ----------------------------------------------------


def test_an_amended_order_that_grows_past_the_limit_is_rejected() -> None:
    rig = quoted({"max_order_qty": 10})
    o = rig.send(rig.order(qty=8, price=9_990))
    rig.fill(o, qty=3)  # 5 open, 3 filled
    grow = rig.order(qty=8, price=9_990, cid=o.client_order_id, replaces=o.client_order_id)
    r = rig.gate.check(grow)
    assert r is not None and (r.rule, r.value, r.limit) == ("max_order_qty", 11, 10)
    ok = rig.order(qty=7, price=9_990, cid=o.client_order_id, replaces=o.client_order_id)
    assert rig.gate.check(ok) is None  # 3 + 7 = 10


def test_amendment_growth_counts_toward_the_position_at_once() -> None:
    rig = quoted({"max_position": 10})
    o = rig.send(rig.order(qty=4, price=9_990))
    grown = rig.order(qty=9, price=9_990, replaces=o.client_order_id)
    assert rig.gate.check(grown) is None
    assert verdict(rig, rig.order(qty=2, price=9_991)) == "max_position"  # 9 + 2 > 10
    assert verdict(rig, rig.order(qty=1, price=9_992)) is None


def test_an_amendment_must_name_a_live_order_of_its_own() -> None:
    rig = quoted()
    assert verdict(rig, rig.order(replaces="ghost")) == "amend_target"
    o = rig.send(rig.order(price=9_990))
    rig.feed(OrderCancelled(SEC, o.venue, o.instrument, o.order_id, o.client_order_id, 7, 1, "u"))
    assert verdict(rig, rig.order(replaces=o.client_order_id)) == "amend_target"


# --- what a rejection says -------------------------------------------------------------------


def test_a_rejection_is_journaled_with_layer_rule_value_and_limit() -> None:
    rig = quoted({"max_order_qty": 10})
    o = rig.order(qty=12)
    rig.gate.check(o)
    action, rejected = rig.events[-2], rig.events[-1]
    assert isinstance(action, RiskAction) and isinstance(rejected, OrderRejected)
    assert (action.layer, action.rule, action.value, action.limit, action.action) == (
        "L1", "max_order_qty", 12.0, 10.0, "reject"
    )
    assert action.strategy == "s1" and o.client_order_id in action.detail
    assert (rejected.layer, rejected.rule, rejected.client_order_id) == (
        "L1", "max_order_qty", o.client_order_id
    )
    assert "value=12" in rejected.reason and "limit=10" in rejected.reason


def test_accepts_are_journaled_only_when_asked() -> None:
    quiet = quoted()
    quiet.send(quiet.order())
    assert quiet.actions() == []
    loud = Rig(matrix(strategy_defaults=ROOMY), emit_accepts=True)
    loud.at(SEC).market("ABC", 9_999, 10_001)
    o = loud.send(loud.order())
    [accept] = loud.actions("accept")
    assert accept.detail == o.client_order_id and accept.t_ns == o.t_ns


def test_cancels_always_pass_on_their_own_budget() -> None:
    rig = quoted(venue_defaults={"max_msgs_per_s": 1, "burst": 1, "cancel_msgs_per_s": 1,
                                 "cancel_burst": 2})
    t = rig.clock.now_ns()
    rig.send(rig.order(t=t))
    assert verdict(rig, rig.order(price=9_990, t=t)) == "message_throttle"
    session = rig.gate.state.sessions["XNAS"]
    for _ in range(5):  # past the order budget, and past the cancel budget too
        assert rig.gate.check_cancel("s1", "XNAS", t) is None
    assert session.cancels.available(t) == 0
    # cancels never borrowed from the order budget: one second refills exactly one order
    assert verdict(rig, rig.order(price=9_991, t=t + SEC)) is None

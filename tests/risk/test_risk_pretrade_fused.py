"""The fused hot-path predicate says yes exactly when every layer 1 rule (but the throttle,
which the gate takes separately) says yes, for any order and any state.

Scenes start from an order every rule passes with room to spare, then push one or two
dimensions to within a unit of their limit, where a fused comparison could drift from its
rule (a `<` for a `<=`, a floor for a ceiling)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from risk_rig import INSTRUMENTS, LIMIT, ROOMY, matrix

from flashguard.system.risk import pretrade as l1
from flashguard.system.risk.fastpath import passes_limit_order
from flashguard.system.risk.state import RiskState, View
from flashguard.system.risk.types import RiskOrder

RULES_BUT_THROTTLE = l1.LIMIT_ORDER_RULES[:-1]
assert l1.LIMIT_ORDER_RULES[-1] is l1.message_throttle

BPS = 10_000
T = 1_000_000
FOCI = ["shape", "steps", "qty", "size", "notional", "age", "collar_ref", "collar_last",
        "fat", "band", "cid", "dup", "open", "position", "no_ref"]


@st.composite
def scenes(draw: Any) -> tuple[RiskOrder, View]:
    state = RiskState(matrix(strategy_defaults=ROOMY), INSTRUMENTS)
    v = state.view("s1", "XNAS", "ABC")
    lim, m, b, sb = v.limits, v.market, v.book, v.strategy
    d = st.integers(-1, 1)  # the distance from a boundary
    side = draw(st.sampled_from([1, -1]))
    ref = draw(st.integers(5_000, 20_000))
    bid, ask = ref - draw(st.integers(0, 3)), ref + draw(st.integers(0, 3))
    m.bid, m.ask, m.ref = bid, ask, (bid + ask) // 2
    ref = m.ref
    m.quote_t = T - draw(st.integers(0, 10))
    m.last, m.last_t = ref + draw(st.integers(-3, 3)), T - draw(st.integers(0, 10))
    lim.ref_max_age_ns = 100
    lim.collar_bps = draw(st.integers(50, 400))
    lim.fat_finger_bps = lim.collar_bps + draw(st.integers(0, 600))
    price = ref - side * draw(st.integers(0, 20))  # passive, near the touch
    qty = draw(st.integers(1, 10))
    kind = LIMIT
    cid = "new"
    foci = draw(st.lists(st.sampled_from(FOCI), min_size=1, max_size=2, unique=True))
    for focus in foci:
        if focus == "shape":
            side = draw(st.sampled_from([side, 0, 2]))
            qty = draw(st.sampled_from([qty, 0, -1]))
            price = draw(st.sampled_from([price, 0, -1]))
            kind = draw(st.sampled_from([LIMIT, 9]))  # market orders take the rules' path
            lim.allowed = draw(st.booleans())
        elif focus == "steps":
            lim.price_increment = draw(st.sampled_from([1, 2, 5]))
            lim.lot_multiple = draw(st.sampled_from([1, 3]))
            lim.steps = lim.price_increment != 1 or lim.lot_multiple != 1
        elif focus == "qty":
            lim.max_qty = max(1, qty + draw(d))
        elif focus == "size":
            sb.size_permille = draw(st.sampled_from([500, 333, 999]))
            lim.max_qty = max(1, qty * 1000 // sb.size_permille + draw(d))
        elif focus == "notional":
            lim.max_notional = max(1, price * qty + draw(d))
        elif focus == "age":
            m.quote_t = T - lim.ref_max_age_ns + draw(d)
            m.last_t = T - lim.ref_max_age_ns + draw(d)
        elif focus == "collar_ref":
            c = lim.collar_bps
            edge = ref * (BPS + c) // BPS if side > 0 else -(-ref * (BPS - c) // BPS)
            price = edge + draw(d)
        elif focus == "collar_last":
            m.last = ref + draw(st.integers(-200, 200))
            c = lim.collar_bps
            last = m.last
            edge = last * (BPS + c) // BPS if side > 0 else -(-last * (BPS - c) // BPS)
            price = edge + draw(d)
        elif focus == "fat":
            lim.fat_finger_bps = draw(st.integers(1, 300))
            reach = ref * lim.fat_finger_bps // BPS + draw(st.integers(0, 1))
            price = ref + draw(st.sampled_from([reach, -reach]))
        elif focus == "band":
            m.band_lo = price + draw(d)
            m.band_hi = max(m.band_lo, price + draw(d))
        elif focus == "cid":
            cid = "live"
            state.orders["live"] = None  # type: ignore[assignment]  # only its presence counts
        elif focus == "dup":
            lim.dup_window_ns = 50
            v.recent[(price, side * qty)] = T - 50 + draw(d)
        elif focus == "open":
            lim.max_open_orders = draw(st.integers(1, 4))
            sb.open_orders = lim.max_open_orders + draw(st.integers(-2, 0))
        elif focus == "position":
            b.pos = draw(st.integers(-20, 20))
            b.open_buy, b.open_sell = draw(st.integers(0, 9)), draw(st.integers(0, 9))
            worst = b.pos + b.open_buy + qty if side > 0 else b.open_sell + qty - b.pos
            lim.max_position = max(1, worst + draw(d))
        elif focus == "no_ref":
            m.bid = draw(st.sampled_from([0, m.bid]))
            m.ask = 0
            m.ref = m.bid
    m.version += 1
    return RiskOrder("s1", "XNAS", "ABC", cid, side, kind, 1, price, qty, T), v


@settings(max_examples=1_000, deadline=None)
@given(scenes())
def test_fused_predicate_equals_the_rules(scene: tuple[RiskOrder, View]) -> None:
    o, v = scene
    lim = v.limits
    expected = l1.first_rejection(RULES_BUT_THROTTLE, o, v, lim) is None
    assert passes_limit_order(o, v, lim) is expected
    # and again from the bounds now cached for this market version
    assert passes_limit_order(o, v, lim) is expected

"""The fused hot path (`fastpath.admit_limit_order`) and its C twin admit an order exactly when
every layer 1 rule passes it (the throttle included), and then book it exactly as the
reference path does (`RiskState.register`, the throttle token, the duplicate memory); when
they refuse, nothing that counts has changed.

Scenes start from an order every rule passes with room to spare, then push one or two
dimensions to within a unit of their limit, where a fused comparison could drift from its
rule (a `<` for a `<=`, a floor for a ceiling). Each scene is built three times, one state
for the rules, one for each twin."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from risk_rig import INSTRUMENTS, LIMIT, ROOMY, matrix

from flashguard.system.risk import fastpath
from flashguard.system.risk import pretrade as l1
from flashguard.system.risk.state import RiskState, View
from flashguard.system.risk.types import RiskOrder

# the C twin, when built and not switched off (FLASHGUARD_PURE=1)
C_ADMIT = fastpath.admit if fastpath.IMPLEMENTATION == "c" else None

BPS = 10_000
T = 1_000_000
MATRIX = matrix(strategy_defaults=ROOMY)
FOCI = ["shape", "steps", "qty", "size", "notional", "age", "collar_ref", "collar_last",
        "fat", "band", "cid", "dup", "dup_old", "open", "position", "no_ref", "throttle",
        "rotate"]


@st.composite
def recipes(draw: Any) -> dict[str, Any]:
    """The numbers of one scene; `build` turns them into a state, as often as asked."""
    d = st.integers(-1, 1)  # the distance from a boundary
    r: dict[str, Any] = {"side": draw(st.sampled_from([1, -1]))}
    bid, ask = draw(st.integers(5_000, 20_000)), 0
    ask = bid + draw(st.integers(0, 6))
    ref = (bid + ask) // 2
    r.update(bid=bid, ask=ask, quote_age=draw(st.integers(0, 10)),
             last=ref + draw(st.integers(-3, 3)), last_age=draw(st.integers(0, 10)),
             age=100, collar=draw(st.integers(50, 400)))
    r["fat"] = r["collar"] + draw(st.integers(0, 600))
    r.update(price=ref - r["side"] * draw(st.integers(0, 20)), qty=draw(st.integers(1, 10)),
             kind=LIMIT, cid="new", max_qty=ROOMY["max_order_qty"], keep=1000,
             max_notional=None, increment=1, lot=1, allowed=True, band=None, live=False,
             window=0, sent=None, sent_old=None, sent_by="", parent="", recent_end=0,
             max_open=10_000, open=0,
             pos=0, open_buy=0, open_sell=0, max_position=None, level=None)
    for focus in draw(st.lists(st.sampled_from(FOCI), min_size=1, max_size=2, unique=True)):
        side, price, qty = r["side"], r["price"], r["qty"]
        if focus == "shape":
            r["side"] = draw(st.sampled_from([side, 0, 2]))
            r["qty"] = draw(st.sampled_from([qty, 0, -1]))
            r["price"] = draw(st.sampled_from([price, 0, -1]))
            r["kind"] = draw(st.sampled_from([LIMIT, 2, 9]))  # only limit orders are fused
            r["allowed"] = draw(st.booleans())
        elif focus == "steps":
            r["increment"] = draw(st.sampled_from([1, 2, 5]))
            r["lot"] = draw(st.sampled_from([1, 3]))
        elif focus == "qty":
            r["max_qty"] = max(1, qty + draw(d))
        elif focus == "size":
            r["keep"] = draw(st.sampled_from([500, 333, 999]))
            r["max_qty"] = max(1, qty * 1000 // r["keep"] + draw(d))
        elif focus == "notional":
            r["max_notional"] = max(1, price * qty + draw(d))
        elif focus == "age":
            r["quote_age"] = r["age"] + draw(d)
            r["last_age"] = r["age"] + draw(d)
        elif focus == "collar_ref":
            c = r["collar"]
            edge = ref * (BPS + c) // BPS if side > 0 else -(-ref * (BPS - c) // BPS)
            r["price"] = edge + draw(d)
        elif focus == "collar_last":
            r["last"] = last = ref + draw(st.integers(-200, 200))
            c = r["collar"]
            edge = last * (BPS + c) // BPS if side > 0 else -(-last * (BPS - c) // BPS)
            r["price"] = edge + draw(d)
        elif focus == "fat":
            r["fat"] = draw(st.integers(1, 300))
            reach = ref * r["fat"] // BPS + draw(st.integers(0, 1))
            r["price"] = ref + draw(st.sampled_from([reach, -reach]))
        elif focus == "band":
            lo = price + draw(d)
            r["band"] = (lo, max(lo, price + draw(d)))
        elif focus == "cid":
            r["cid"], r["live"] = "live", True
        elif focus in ("dup", "dup_old"):
            r["window"] = 50
            r["sent" if focus == "dup" else "sent_old"] = T - 50 + draw(d)
            # children of one parent repeat each other freely; anyone else may not
            r["parent"] = draw(st.sampled_from(["", "p1"]))
            r["sent_by"] = draw(st.sampled_from(["", "p1", "p2"]))
        elif focus == "open":
            r["max_open"] = draw(st.integers(1, 4))
            r["open"] = r["max_open"] + draw(st.integers(-2, 0))
        elif focus == "position":
            r.update(pos=draw(st.integers(-20, 20)), open_buy=draw(st.integers(0, 9)),
                     open_sell=draw(st.integers(0, 9)))
            worst = (r["pos"] + r["open_buy"] + qty if side > 0
                     else r["open_sell"] + qty - r["pos"])
            r["max_position"] = max(1, worst + draw(d))
        elif focus == "no_ref":
            r["bid"] = draw(st.sampled_from([0, r["bid"]]))
            r["ask"] = 0
        elif focus == "throttle":
            r["level"] = draw(st.integers(0, 2)), draw(d)  # messages left, and a unit off
        elif focus == "rotate":
            r["window"] = 50
            r["recent_end"] = T + draw(st.sampled_from([-60, -50, -1, 0, 1, 40]))
    return r


def build(r: dict[str, Any]) -> tuple[RiskOrder, View, RiskState]:
    state = RiskState(MATRIX, INSTRUMENTS)
    v = state.view("s1", "XNAS", "ABC")
    lim, m, b, sb = v.limits, v.market, v.book, v.strategy
    m.bid, m.ask = r["bid"], r["ask"]
    m.ref = (m.bid + m.ask) // 2 if m.bid and m.ask else m.bid or m.ask
    m.quote_t, m.last, m.last_t = T - r["quote_age"], r["last"], T - r["last_age"]
    if r["band"] is not None:
        m.band_lo, m.band_hi = r["band"]
    m.version += 1
    lim.ref_max_age_ns, lim.collar_bps, lim.fat_finger_bps = r["age"], r["collar"], r["fat"]
    lim.max_qty = r["max_qty"]
    lim.allowed = r["allowed"]
    lim.qty_cap = lim.max_qty if lim.allowed else 0  # as OrderLimits compiles them
    lim.dup_stride = 2 * lim.max_qty + 1
    if r["max_notional"] is not None:
        lim.max_notional = r["max_notional"]
    lim.price_increment, lim.lot_multiple = r["increment"], r["lot"]
    lim.steps = lim.price_increment != 1 or lim.lot_multiple != 1
    lim.max_open_orders = r["max_open"]
    if r["max_position"] is not None:
        lim.max_position = r["max_position"]
    sb.size_permille, sb.open_orders = r["keep"], r["open"]
    b.pos, b.open_buy, b.open_sell = r["pos"], r["open_buy"], r["open_sell"]
    if r["live"]:
        state.orders["live"] = None  # type: ignore[assignment]  # only its presence counts
    lim.dup_window_ns = r["window"]
    side, price, qty = r["side"], r["price"], r["qty"]
    if r["window"] and 0 < qty <= lim.max_qty:
        key = l1.dup_key(price, side * qty, lim)
        if r["sent"] is not None:
            v.recent[key] = (r["sent"], r["sent_by"])
        if r["sent_old"] is not None:
            v.recent_old[key] = (r["sent_old"], r["sent_by"])
    v.recent_end = r["recent_end"]
    if r["recent_end"]:  # what the two generations held from other orders
        v.recent[-1] = (r["recent_end"] - r["window"], "")
        v.recent_old[-2] = (r["recent_end"] - 2 * r["window"], "")
    bucket = v.session.orders
    if r["level"] is not None:
        whole, off = r["level"]
        bucket.level, bucket.t_ns = max(0, whole * bucket.cost + off), T
    o = RiskOrder("s1", "XNAS", "ABC", r["cid"], side, r["kind"], 1, price, qty, T,
                  parent_id=r["parent"])
    return o, v, state


def snapshot(v: View) -> tuple[Any, ...]:
    """Everything a later check or report reads. Throttle levels are compared as seen from
    now on: a refused take may store its refill, which changes no later answer."""
    b, sb, bucket = v.book, v.strategy, v.session.orders
    records = {
        cid: None if rec is None else (rec.client_order_id, rec.venue, rec.book is b, rec.side,
                                       rec.price, rec.leaves, rec.confirmed, rec.order_id,
                                       rec.owner, rec.filled, rec.acked, rec.cancel)
        for cid, rec in v.orders.items()
    }
    return (records, b.pos, b.open_buy, b.open_sell, sb.open_orders,
            bucket.level_at(T), bucket.level_at(T + 10**9), dict(v.recent), dict(v.recent_old),
            v.recent_end)


def reference(o: RiskOrder, v: View, state: RiskState) -> bool:
    """What RiskGate._judge does with a plain limit order: the rules, then the booking. Only
    limit orders are fused: any other type is left to its own rules (a no here)."""
    lim = v.limits
    if o.order_type != LIMIT or l1.first_rejection(l1.LIMIT_ORDER_RULES, o, v, lim) is not None:
        return False
    assert v.session.orders.take(o.t_ns)
    state.register(o, v)
    if lim.dup_window_ns:
        v.remember(l1.dup_key(o.price, o.side * o.qty, lim), o.t_ns, lim.dup_window_ns,
                   o.parent_id)
    return True


TWINS = [fastpath.admit_limit_order] + ([C_ADMIT] if C_ADMIT else [])


@settings(max_examples=1_500, deadline=None)
@given(recipes())
def test_twins_admit_and_book_exactly_as_the_rules(r: dict[str, Any]) -> None:
    o, v, state = build(r)
    before = snapshot(v)
    expected = reference(o, v, state)
    after = snapshot(v)
    assert (after != before) is expected
    for twin in TWINS:
        o, v, _ = build(r)
        assert twin(o, v) is expected, twin
        assert snapshot(v) == after, twin
        # the price bounds now cached for this market version give the same answer
        if not expected:
            assert twin(o, v) is False


def test_a_plain_scene_is_admitted_by_all() -> None:
    """The scenes' starting point passes, so each focus above is what makes a difference."""
    o, v, state = build(_plain())
    assert reference(o, v, state)
    assert (v.orders["new"].leaves, v.strategy.open_orders, v.book.open_buy) == (3, 1, 3)
    for twin in TWINS:
        o, v, _ = build(_plain())
        assert twin(o, v) is True


def _plain() -> dict[str, Any]:
    return {"side": 1, "bid": 9_999, "ask": 10_001, "quote_age": 0, "last": 10_000,
            "last_age": 0, "age": 100, "collar": 200, "fat": 1_000, "price": 9_999, "qty": 3,
            "kind": LIMIT, "cid": "new", "max_qty": 1_000, "keep": 1000, "max_notional": None,
            "increment": 1, "lot": 1, "allowed": True, "band": None, "live": False,
            "window": 50, "sent": None, "sent_old": None, "sent_by": "", "parent": "",
            "recent_end": 0,
            "max_open": 10_000, "open": 0, "pos": 0, "open_buy": 0, "open_sell": 0,
            "max_position": None, "level": None}


@pytest.mark.skipif(C_ADMIT is None, reason="flashguard.system.risk._cgate is not built")
def test_c_twin_leaves_values_beyond_int64_to_the_rules() -> None:
    """Python ints are unbounded: where C cannot compute exactly it answers no, changing
    nothing, and the rules decide."""
    for qty, limit in ((2**63, 2**140), (3, 2**70)):
        o, v, _ = build({**_plain(), "qty": qty})
        lim = v.limits
        lim.max_qty = lim.qty_cap = lim.max_notional = lim.max_position = limit
        lim.dup_stride = 2 * limit + 1
        before = snapshot(v)
        assert C_ADMIT(o, v) is False
        assert snapshot(v) == before
        assert fastpath.admit_limit_order(o, v) is True  # Python computes it exactly


def test_the_c_twin_is_used_when_built() -> None:
    try:
        from flashguard.system.risk import _cgate  # noqa: F401
    except ImportError:
        built = False
    else:
        built = True
    pure = os.environ.get("FLASHGUARD_PURE", "") not in ("", "0")
    assert ("c" if built and not pure else "python") == fastpath.IMPLEMENTATION

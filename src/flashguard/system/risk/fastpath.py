"""Layer 1's hot path: the limit-order rules fused into one predicate.

A dozen rule calls and their attribute loads cost more than the comparisons they make, so a
plain limit order first meets `passes_limit_order`: every rule of
`pretrade.LIMIT_ORDER_RULES` but the throttle (which the gate takes itself), inline, with the
price rules reduced to integer bounds cached on the view per market version. It answers only
yes or no; a no is explained by running the rules. The rules define the semantics; this file
must agree with them exactly, which a property test holds it to
(tests/risk/test_risk_pretrade_fused.py).
"""

from __future__ import annotations

from flashguard.system.risk.limits import OrderLimits
from flashguard.system.risk.pretrade import BPS, LIMIT
from flashguard.system.risk.state import View
from flashguard.system.risk.types import RiskOrder


def price_bounds(v: View, lim: OrderLimits) -> None:
    """Cache on the view the integer price bounds the price rules imply for the market as it
    is now (its `version`): a price p breaks `p * BPS > X` exactly when p > X // BPS, and
    `p * BPS < Y` exactly when p < ceil(Y / BPS). No reference makes every price fail."""
    m = v.market
    v.seen = m.version
    ref = m.ref
    if ref:
        c = lim.collar_bps
        fat = ref * lim.fat_finger_bps // BPS
        lo, hi = ref - fat, ref + fat
        if m.band_hi:
            lo, hi = max(lo, m.band_lo), min(hi, m.band_hi)
        v.lo, v.hi = lo, hi
        v.buy_hi = min(ref * (BPS + c) // BPS, hi)
        v.sell_lo = max(-(-ref * (BPS - c) // BPS), lo)
    else:
        v.lo = v.buy_hi = 0
        v.hi = v.sell_lo = 1 << 62
    last = m.last
    if last:
        c = lim.collar_bps
        v.last_buy_hi = last * (BPS + c) // BPS
        v.last_sell_lo = -(-last * (BPS - c) // BPS)
    else:
        v.last_buy_hi, v.last_sell_lo = 1 << 62, 0


def passes_limit_order(o: RiskOrder, v: View, lim: OrderLimits) -> bool:
    """Every rule of LIMIT_ORDER_RULES but the throttle, fused into one function for the hot
    path (a dozen calls and their attribute loads cost more than the comparisons they make),
    with the price rules reduced to bounds cached per market version. True only if each of
    those rules passes; on False the rules themselves are run to say which one failed. The
    two are held equal by a property test (tests/risk/test_pretrade_fused.py)."""
    qty = o.qty
    price = o.price
    if not lim.allowed or qty <= 0 or price <= 0 or o.order_type != LIMIT:
        return False
    if lim.steps and (qty % lim.lot_multiple or price % lim.price_increment):
        return False
    if qty > lim.max_qty or price * qty > lim.max_notional:
        return False
    sb = v.strategy
    keep = sb.size_permille
    if keep != 1000 and qty * 1000 > lim.max_qty * keep:
        return False
    m = v.market
    t = o.t_ns
    age = lim.ref_max_age_ns
    if t - m.quote_t > age:
        return False
    if v.seen != m.version:
        price_bounds(v, lim)
    side = o.side
    if side == 1:
        if price > v.buy_hi or price < v.lo:
            return False
        if price > v.last_buy_hi and t - m.last_t <= age:
            return False
    elif side == -1:
        if price < v.sell_lo or price > v.hi:
            return False
        if price < v.last_sell_lo and t - m.last_t <= age:
            return False
    else:
        return False
    if o.client_order_id in v.orders:
        return False
    window = lim.dup_window_ns
    if window:
        t0 = v.recent.get((price, side * qty))
        if t0 is not None and t - t0 < window:
            return False
    if sb.open_orders >= lim.max_open_orders:
        return False
    b = v.book
    if side == 1:
        return b.pos + b.open_buy + qty <= lim.max_position
    return b.open_sell + qty - b.pos <= lim.max_position

"""Layer 1's hot path: a plain limit order judged and booked in one function.

A dozen rule calls and their attribute loads cost more than the comparisons they make, so a
limit order first meets `admit_limit_order`: every rule of `pretrade.LIMIT_ORDER_RULES`,
inline, with the price rules reduced to integer bounds cached on the view per market
version; then, on a yes, the throttle token and the bookkeeping of a passed order
(`RiskState.register` and the duplicate memory). It answers only yes or no and changes
nothing on a no; a no is explained by running the rules. The rules define the semantics; this
file must agree with them exactly, which a property test holds it to
(tests/risk/test_risk_pretrade_fused.py).

`admit` is the C twin of `admit_limit_order` from _cgate.c when that is built, else the
function itself; `lane` builds `RiskGate.check` the same way (tests/risk/test_risk_cgate.py
holds the twins equal). FLASHGUARD_PURE=1 keeps everything in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from flashguard.core.native import c_twin
from flashguard.system.risk.killswitch import KillSwitch
from flashguard.system.risk.ledger import OrderRecord, PositionBook, StrategyBook
from flashguard.system.risk.limits import OrderLimits
from flashguard.system.risk.marketdata import InstrumentMarket
from flashguard.system.risk.portfolio import PortfolioRisk
from flashguard.system.risk.pretrade import BPS, LIMIT
from flashguard.system.risk.state import VenueSession, View
from flashguard.system.risk.throttle import RateWindow, TokenBucket
from flashguard.system.risk.types import Rejection, RiskOrder

_NO_BOUND = 1 << 62


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
        v.hi = v.sell_lo = _NO_BOUND
    last = m.last
    if last:
        c = lim.collar_bps
        v.last_buy_hi = last * (BPS + c) // BPS
        v.last_sell_lo = -(-last * (BPS - c) // BPS)
    else:
        v.last_buy_hi, v.last_sell_lo = _NO_BOUND, 0


def admit_limit_order(o: RiskOrder, v: View) -> bool:
    """True: every layer 1 rule passes, the venue's order budget had a token, and the order is
    booked (in flight). False: nothing changed; run the rules to say why."""
    lim = v.limits
    qty = o.qty
    price = o.price
    # qty_cap is 0 for an instrument off the allow-list, so that order fails here
    if qty <= 0 or qty > lim.qty_cap or price <= 0 or o.order_type != LIMIT:
        return False
    if price * qty > lim.max_notional:
        return False
    if lim.steps and (qty % lim.lot_multiple or price % lim.price_increment):
        return False
    sb = v.strategy
    keep = sb.size_permille
    if keep != 1000 and qty * 1000 > lim.max_qty * keep:
        return False
    if sb.open_orders >= lim.max_open_orders:
        return False
    m = v.market
    t = o.t_ns
    age = lim.ref_max_age_ns
    if t - m.quote_t > age:
        return False
    cid = o.client_order_id
    orders = v.orders
    if cid in orders:
        return False
    window = lim.dup_window_ns
    if window:
        parent = o.parent_id
        key = price * lim.dup_stride + o.side * qty  # pretrade.dup_key, inline
        last = v.recent.get(key)  # View.last_sent, inline
        if last is None:
            last = v.recent_old.get(key)
        # within the window, only a child of the same parent may repeat it
        if last is not None and t - last[0] < window and not (parent and last[1] == parent):
            return False
    if v.seen != m.version:
        price_bounds(v, lim)
    b = v.book
    side = o.side
    if side == 1:
        if price > v.buy_hi or price < v.lo or b.pos + b.open_buy + qty > lim.max_position:
            return False
        if price > v.last_buy_hi and t - m.last_t <= age:
            return False
        if not v.session.orders.take(t):
            return False
        b.open_buy += qty
    elif side == -1:
        if price < v.sell_lo or price > v.hi or b.open_sell + qty - b.pos > lim.max_position:
            return False
        if price < v.last_sell_lo and t - m.last_t <= age:
            return False
        if not v.session.orders.take(t):
            return False
        b.open_sell += qty
    else:
        return False
    # RiskState.register, inline
    rec = OrderRecord(cid, o.venue, b, side, price, qty, qty, o.order_id, o.owner)
    orders[cid] = rec
    sb.open_orders += 1
    if window:
        if t >= v.recent_end:
            v.remember(key, t, window, o.parent_id)
        else:
            v.recent[key] = (t, o.parent_id)
    return True


def _load_c() -> ModuleType | None:
    """The C twin (_cgate.c) bound to these classes, when it is built."""
    _cgate = c_twin("flashguard.system.risk._cgate")
    if _cgate is None:
        return None
    classes = (RiskOrder, View, OrderLimits, StrategyBook, PositionBook, InstrumentMarket,
               VenueSession, TokenBucket, OrderRecord, RateWindow, KillSwitch, PortfolioRisk)
    _cgate.bind({c.__name__: c for c in classes}, price_bounds)
    return _cgate


_C = _load_c()
IMPLEMENTATION = "c" if _C is not None else "python"
admit: Callable[[RiskOrder, View], bool] = (
    _C.admit_limit_order if _C is not None else admit_limit_order
)

Check = Callable[[RiskOrder], "Rejection | None"]


def lane(
    views: dict[str, dict[str, dict[str, View]]],
    kill_switch: KillSwitch,
    portfolio: PortfolioRisk,
    judge: Callable[[RiskOrder, View], Rejection | None],
    full: Check,
) -> Check:
    """`RiskGate.check`: the C twin of the gate's common case (`_cgate.Lane`), which hands
    anything else to `full` (`RiskGate._check`, its reference) before it counted the message,
    or to `judge` after; without the C module, `full` itself."""
    if _C is None:
        return full
    check: Check = _C.Lane(views, kill_switch, portfolio, judge, full)
    return check

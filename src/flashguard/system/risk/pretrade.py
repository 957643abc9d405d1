"""Layer 1, pre-trade: each order, before it leaves. Cancels are never checked here.

Each rule is a pure function `(order, view, limits) -> Rejection | None` of the order, the
slice of state it touches (`state.View`) and its compiled limits (`limits.OrderLimits`); the
layer composes them below, cheapest and most basic first, the message throttle last (it is
the last door before the venue). A limit is a maximum that may be reached: a value equal to
its limit passes, one above it is rejected. Prices are compared with integer cross-products,
never divisions: `price * 10_000 > ref * (10_000 + bps)` is "more than bps above ref".
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flashguard.core.instruments import Instrument, InstrumentError
from flashguard.core.orders import OrderType
from flashguard.system.risk.limits import OrderLimits
from flashguard.system.risk.state import View
from flashguard.system.risk.types import L1, Rejection, RiskOrder

BPS = 10_000
LIMIT = int(OrderType.LIMIT)
MARKET = int(OrderType.MARKET)


def _bps(price: int, ref: int) -> float:
    return (price - ref) * BPS / ref


def instrument_allowed(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    if not lim.allowed:
        return Rejection(
            L1, "instrument_allowed", 0, 0, f"{o.instrument} is not on {o.strategy}'s allow-list"
        )
    return None


def tick_lot(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """Integer ticks and lots fit the instrument by construction; what is left to check is
    the sign, the venue's own price step and round-lot multiple, and a known order type."""
    r = order_shape(o, v, lim)
    if r is not None:
        return r
    if o.qty % lim.lot_multiple:
        return Rejection(L1, "tick_lot", o.qty, lim.lot_multiple, "qty is not a multiple of lots")
    if o.order_type == LIMIT and o.price % lim.price_increment:
        return Rejection(
            L1, "tick_lot", o.price, lim.price_increment, "price is not on the venue's step"
        )
    return None


def order_shape(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """What makes an order an order at all: at least one lot, a side, a known type, and a
    price above zero for a limit order."""
    if o.qty <= 0:
        return Rejection(L1, "tick_lot", o.qty, 1, "qty must be at least one lot")
    if o.side != 1 and o.side != -1:
        return Rejection(L1, "tick_lot", o.side, 1, "side must be +1 or -1")
    if o.order_type == LIMIT:
        if o.price <= 0:
            return Rejection(L1, "tick_lot", o.price, 1, "a limit price must be > 0 ticks")
    elif o.order_type != MARKET:
        return Rejection(L1, "tick_lot", o.order_type, LIMIT, "unknown order type")
    return None


def max_order_qty(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    # a volatility level 1 cuts the strategy's sizes: keep is in thousandths of full size
    keep = v.strategy.size_permille
    if o.qty * 1000 > lim.max_qty * keep:
        detail = "limit cut by volatility level 1" if keep < 1000 else ""
        return Rejection(L1, "max_order_qty", o.qty, lim.max_qty * keep // 1000, detail)
    return None


def max_order_notional(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    if o.price * o.qty > lim.max_notional:
        return _notional_rejection(o.price * o.qty, lim, "")
    return None


def _notional_rejection(ticklots: int, lim: OrderLimits, detail: str) -> Rejection:
    return Rejection(
        L1,
        "max_order_notional",
        ticklots * lim.tick_value,
        lim.max_notional * lim.tick_value,
        detail,
    )


def valuation_price(v: View, lim: OrderLimits) -> int:
    """A conservative price for an order that has none: the highest price in sight (bid,
    offer, last trade, upper band), marked up; 0 when there is none at all."""
    m = v.market
    high = max(m.bid, m.ask, m.last, m.band_hi)
    return -(-high * (BPS + lim.markup_bps) // BPS)


def market_order_liquidity(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """A market order takes whatever is there: it needs a fresh quote on the side it hits.
    Into an empty or stale book it would trade at any price, or not at all."""
    m = v.market
    side_px = m.ask if o.side > 0 else m.bid
    if not side_px:
        return Rejection(
            L1, "market_order_liquidity", 0, 1, "no offer to buy from" if o.side > 0 else
            "no bid to sell to"
        )
    age = o.t_ns - m.quote_t
    if age > lim.ref_max_age_ns:
        return Rejection(L1, "stale_reference", age, lim.ref_max_age_ns, "quote age in ns")
    return None


def market_order_band(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """A market order has no price of its own: it trades at the best price on the side it
    hits, so that price must be inside the band. A buy while the best offer is above the
    upper band (or a sell while the best bid is below the lower band) would trade outside
    it; at the band is inside."""
    m = v.market
    if m.band_hi:
        if o.side > 0:
            if m.ask > m.band_hi:
                return Rejection(
                    L1, "luld_band", m.ask, m.band_hi, "best offer above the upper band"
                )
        elif m.bid < m.band_lo:
            return Rejection(L1, "luld_band", m.bid, m.band_lo, "best bid below the lower band")
    return None


def market_order_notional(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    price = valuation_price(v, lim)
    if not price:
        return Rejection(L1, "max_order_notional", 0, 0, "no price to value a market order")
    if price * o.qty > lim.max_notional:
        return _notional_rejection(price * o.qty, lim, f"market order valued at {price} ticks")
    return None


def _collar(o: RiskOrder, ref: int, c: int, rule: str) -> Rejection | None:
    """An aggressive price more than c basis points through ref: a buy above, a sell below."""
    if o.side > 0:
        if o.price * BPS > ref * (BPS + c):
            return Rejection(L1, rule, _bps(o.price, ref), c, "buy above")
    elif o.price * BPS < ref * (BPS - c):
        return Rejection(L1, rule, -_bps(o.price, ref), c, "sell below")
    return None


def collar_last_trade(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """An aggressive price may not pass the last trade by more than the collar. A trade older
    than the reference age is no reference (the quote collar still applies)."""
    m = v.market
    if m.last and o.t_ns - m.last_t <= lim.ref_max_age_ns:
        return _collar(o, m.last, lim.collar_bps, "collar_last_trade")
    return None


def collar_reference(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """An aggressive price may not pass the reference (NBBO mid, or the one side left) by more
    than the collar, and the reference must be fresh: no quote, no limit order."""
    m = v.market
    ref = m.ref
    age = o.t_ns - m.quote_t
    if not ref or age > lim.ref_max_age_ns:
        return Rejection(
            L1, "stale_reference", age if ref else -1, lim.ref_max_age_ns,
            "quote age in ns" if ref else "no reference quote",
        )
    return _collar(o, ref, lim.collar_bps, "collar_reference")


def fat_finger(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """Any price far from the reference, on either side: a passive bid at a tenth of the
    market is harmless to the book but says the sender typed the wrong number."""
    ref = v.market.ref
    if ref and abs(o.price - ref) * BPS > ref * lim.fat_finger_bps:
        return Rejection(L1, "fat_finger", abs(_bps(o.price, ref)), lim.fat_finger_bps)
    return None


def luld_band(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    m = v.market
    if m.band_hi:
        if o.price > m.band_hi:
            return Rejection(L1, "luld_band", o.price, m.band_hi, "above the upper band")
        if o.price < m.band_lo:
            return Rejection(L1, "luld_band", o.price, m.band_lo, "below the lower band")
    return None


def dup_key(price: int, signed_qty: int, lim: OrderLimits) -> int:
    """(price, signed qty) as one int, cheaper to hash than a tuple. One-to-one while
    1 <= |signed_qty| <= max_qty: each price owns the range price * stride +- max_qty."""
    return price * lim.dup_stride + signed_qty


def duplicate_order(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """A live client_order_id reused, or the same side, price and quantity on the same venue
    and instrument again within the window (a stuck loop resending one order). Only orders
    within max_qty are ever remembered, so a larger one cannot repeat any of them.

    The rule guards what a strategy sends, not how the router slices it: children of one
    parent (the same non-empty `parent_id`) are never duplicates of each other, so a parent
    fragmented into equal children passes; an order of another parent, or one sent without
    a parent, repeating it within the window is a duplicate."""
    r = live_id(o, v, lim)
    if r is not None:
        return r
    window = lim.dup_window_ns
    if window and 0 < o.qty <= lim.max_qty:
        last = v.last_sent(dup_key(o.price, o.side * o.qty, lim))
        if last is not None:
            t, parent = last
            if o.t_ns - t < window and not (o.parent_id and parent == o.parent_id):
                detail = "ns since the same order" + (f" of parent {parent}" if parent else "")
                return Rejection(L1, "duplicate_order", o.t_ns - t, window, detail)
    return None


def live_id(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """A client_order_id already live: the venue would refuse it, and the ledger would lose
    the order it names."""
    if o.client_order_id in v.orders:
        return Rejection(L1, "duplicate_order", 0, 0, f"{o.client_order_id} is already live")
    return None


def instrument_known(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    if not lim.known:
        return Rejection(
            L1, "instrument_allowed", 0, 0, f"{o.instrument} is not an instrument the system knows"
        )
    return None


def max_open_orders(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    n = v.strategy.open_orders + 1
    if n > lim.max_open_orders:
        return Rejection(L1, "max_open_orders", n, lim.max_open_orders)
    return None


def max_position(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """The position if every working and in-flight order on this side filled, and this one."""
    b = v.book
    if o.side > 0:
        worst = b.pos + b.open_buy + o.qty
    else:
        worst = b.open_sell + o.qty - b.pos
    if worst > lim.max_position:
        return Rejection(L1, "max_position", worst, lim.max_position, "worst case, lots")
    return None


def message_throttle(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    bucket = v.session.orders
    if bucket.level_at(o.t_ns) < bucket.cost:
        return Rejection(L1, "message_throttle", 0, bucket.rate, f"{o.venue} order budget")
    return None


# --- amendments: judged on the order's new total --------------------------------------------


def amend_target(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    rec = v.orders.get(o.replaces)
    if rec is None or rec.book is not v.book or rec.venue != o.venue:
        return Rejection(L1, "amend_target", 0, 0, f"{o.replaces} is not a live order here")
    if o.side != rec.side or o.order_type != LIMIT:
        return Rejection(L1, "amend_target", o.side, rec.side, "an amendment keeps side and type")
    return None


def max_order_qty_amend(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    total = o.qty + v.orders[o.replaces].filled
    keep = v.strategy.size_permille
    if total * 1000 > lim.max_qty * keep:
        return Rejection(
            L1, "max_order_qty", total, lim.max_qty * keep // 1000, "amended total (filled + open)"
        )
    return None


def max_order_notional_amend(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    total = o.qty + v.orders[o.replaces].filled
    if o.price * total > lim.max_notional:
        return _notional_rejection(o.price * total, lim, "amended total (filled + open)")
    return None


def max_position_amend(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    b = v.book
    old = v.orders[o.replaces].leaves
    if o.side > 0:
        worst = b.pos + b.open_buy - old + o.qty
    else:
        worst = b.open_sell - old + o.qty - b.pos
    if worst > lim.max_position:
        return Rejection(L1, "max_position", worst, lim.max_position, "worst case, lots")
    return None


# --- the layer -------------------------------------------------------------------------------

Rule = Callable[[RiskOrder, View, OrderLimits], "Rejection | None"]

LIMIT_ORDER_RULES: tuple[Rule, ...] = (
    instrument_allowed,
    tick_lot,
    max_order_qty,
    max_order_notional,
    collar_last_trade,
    collar_reference,
    fat_finger,
    luld_band,
    duplicate_order,
    max_open_orders,
    max_position,
    message_throttle,
)

MARKET_ORDER_RULES: tuple[Rule, ...] = (
    instrument_allowed,
    tick_lot,
    max_order_qty,
    market_order_liquidity,
    market_order_band,
    market_order_notional,
    duplicate_order,
    max_open_orders,
    max_position,
    message_throttle,
)

AMENDMENT_RULES: tuple[Rule, ...] = (
    instrument_allowed,
    amend_target,
    tick_lot,
    max_order_qty_amend,
    max_order_notional_amend,
    collar_last_trade,
    collar_reference,
    fat_finger,
    luld_band,
    max_position_amend,
    message_throttle,
)


# what is left of layer 1 when it is switched off (RiskGate(disabled={"L1"})): facts no
# venue would accept an order without, and without which the ledger could not count it
HARD_FACT_RULES: tuple[Rule, ...] = (instrument_known, order_shape, live_id)
HARD_FACT_AMENDMENT_RULES: tuple[Rule, ...] = (instrument_known, amend_target, order_shape)


def first_rejection(
    rules: tuple[Rule, ...], o: RiskOrder, v: View, lim: OrderLimits
) -> Rejection | None:
    for rule in rules:
        r = rule(o, v, lim)
        if r is not None:
            return r
    return None


def rules_for(o: RiskOrder) -> tuple[Rule, ...]:
    if o.replaces:
        return AMENDMENT_RULES
    if o.order_type == MARKET:
        return MARKET_ORDER_RULES
    return LIMIT_ORDER_RULES


def check(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """Layer 1 for any order: the first rule that rejects it, or None."""
    return first_rejection(rules_for(o), o, v, lim)


def hard_facts(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """Layer 1 switched off: only an order no venue could take is rejected (an unknown
    instrument, no lot, no side, an unknown type, a limit price <= 0, a live
    client_order_id reused, an amendment of no live order or changing side or type)."""
    rules = HARD_FACT_AMENDMENT_RULES if o.replaces else HARD_FACT_RULES
    return first_rejection(rules, o, v, lim)


# --- the edge: decimals from a person or a FIX message -----------------------------------------


def to_ticks_and_lots(
    instrument: Instrument, price: Decimal | str | None, qty: Decimal | str | int
) -> tuple[int, int] | Rejection:
    """Convert a decimal price (None for a market order) and quantity to ticks and lots, or
    say which one is off the instrument's grid."""
    try:
        ticks = 0 if price is None else instrument.price_to_ticks(price)
    except InstrumentError as exc:
        return Rejection(L1, "tick_lot", _as_float(price), float(instrument.tick), str(exc))
    try:
        lots = instrument.qty_to_lots(qty)
    except InstrumentError as exc:
        return Rejection(L1, "tick_lot", _as_float(qty), float(instrument.lot), str(exc))
    return ticks, lots


def _as_float(value: object) -> float:
    try:
        return float(Decimal(str(value)))
    except ArithmeticError:
        return float("nan")

"""The reopening (call) auction: one price at which the collected orders uncross.

Candidate prices: every distinct limit price, plus the reference price when it lies strictly
between the lowest and the highest limit price (so a range of equal prices resolves to the
reference itself, as on Xetra). With market orders only, the reference price is the sole
candidate. No other price can execute more: between two adjacent limit prices the demand of
the upper one and the supply of the lower one apply, so executable volume there never beats
both ends (likewise beyond the extremes).

At a price p: demand D(p) = market buys + buys limited at >= p; supply S(p) = market sells +
sells limited at <= p; executable volume min(D, S); imbalance D - S (> 0: buyers left over).
The auction price is the candidate that, in order:
  1. maximises the executable volume;
  2. minimises |imbalance|;
  3. is closest to the reference price;
  4. is the lower price (the final, deterministic tie-break).
No cross (nothing executable) gives price None, volume 0, imbalance 0, no allocations.

Allocation is price-time priority on each side: market orders first, then the better limit
(higher buy, lower sell), then the lower priority value (earlier), then the lower order id;
the two queues are matched in that order until the volume is used up, so at most one order
per side ends partly filled. Cost: O(n log n) for n orders.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import msgspec

# (order_id, limit price in ticks or None for a market order, qty in lots, priority)
OrderTuple = tuple[int, int | None, int, int]


class AuctionOrder(NamedTuple):
    order_id: int
    price: int | None  # None: market order
    qty: int
    priority: int  # time priority: lower is earlier


class Allocation(NamedTuple):
    buy_id: int
    sell_id: int
    qty: int


class AuctionResult(msgspec.Struct, frozen=True):
    price: int | None
    volume: int
    imbalance: int  # D - S at the price: > 0 buyers left over, < 0 sellers
    allocations: tuple[Allocation, ...]


NO_CROSS = AuctionResult(None, 0, 0, ())


def uncross(
    buys: Sequence[OrderTuple], sells: Sequence[OrderTuple], reference_price: int
) -> AuctionResult:
    if isinstance(reference_price, bool) or not isinstance(reference_price, int):
        raise ValueError(f"reference_price={reference_price!r} must be an int (ticks)")
    buy_orders = _validated("buys", buys)
    sell_orders = _validated("sells", sells)
    seen: set[int] = set()
    for o in buy_orders + sell_orders:
        if o.order_id in seen:
            raise ValueError(f"order_id={o.order_id!r} appears more than once")
        seen.add(o.order_id)

    price, volume, imbalance = _auction_price(buy_orders, sell_orders, reference_price)
    if price is None:
        return NO_CROSS
    return AuctionResult(
        price, volume, imbalance, _allocate(buy_orders, sell_orders, price, volume)
    )


def _validated(side: str, orders: Iterable[OrderTuple]) -> list[AuctionOrder]:
    out = []
    for i, order in enumerate(orders):
        order_id, price, qty, priority = order
        for name, value in (("order_id", order_id), ("qty", qty), ("priority", priority)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{side}[{i}].{name}={value!r} must be an int")
        if qty <= 0:
            raise ValueError(f"{side}[{i}].qty={qty!r} must be > 0")
        if price is not None and (
            isinstance(price, bool) or not isinstance(price, int) or price <= 0
        ):
            raise ValueError(f"{side}[{i}].price={price!r} must be a positive int or None")
        out.append(AuctionOrder(order_id, price, qty, priority))
    return out


def _auction_price(
    buys: list[AuctionOrder], sells: list[AuctionOrder], reference: int
) -> tuple[int | None, int, int]:
    """(price, volume, imbalance) by the rules in the module docstring; price None: no cross."""
    buy_at: dict[int, int] = {}
    sell_at: dict[int, int] = {}
    market_buy = market_sell = 0
    for o in buys:
        if o.price is None:
            market_buy += o.qty
        else:
            buy_at[o.price] = buy_at.get(o.price, 0) + o.qty
    for o in sells:
        if o.price is None:
            market_sell += o.qty
        else:
            sell_at[o.price] = sell_at.get(o.price, 0) + o.qty
    prices = sorted(buy_at.keys() | sell_at.keys())
    if not prices:
        prices = [reference]
    elif prices[0] < reference < prices[-1] and reference not in buy_at and reference not in sell_at:
        insort(prices, reference)

    n = len(prices)
    demand = [0] * n
    running = market_buy
    for i in range(n - 1, -1, -1):
        running += buy_at.get(prices[i], 0)
        demand[i] = running
    best: tuple[int, int, int, int] | None = None
    best_imbalance = 0
    supply = market_sell
    for i, p in enumerate(prices):
        supply += sell_at.get(p, 0)
        volume = min(demand[i], supply)
        if not volume:
            continue
        key = (-volume, abs(demand[i] - supply), abs(p - reference), p)
        if best is None or key < best:
            best = key
            best_imbalance = demand[i] - supply
    if best is None:
        return None, 0, 0
    return best[3], -best[0], best_imbalance


def _allocate(
    buys: list[AuctionOrder], sells: list[AuctionOrder], price: int, volume: int
) -> tuple[Allocation, ...]:
    buy_queue = sorted(
        (o for o in buys if o.price is None or o.price >= price),
        key=lambda o: (o.price is not None, -(o.price or 0), o.priority, o.order_id),
    )
    sell_queue = sorted(
        (o for o in sells if o.price is None or o.price <= price),
        key=lambda o: (o.price is not None, o.price or 0, o.priority, o.order_id),
    )
    out: list[Allocation] = []
    bi = si = 0
    buy_left = buy_queue[0].qty if buy_queue else 0
    sell_left = sell_queue[0].qty if sell_queue else 0
    left = volume
    while left:
        qty = min(buy_left, sell_left, left)
        out.append(Allocation(buy_queue[bi].order_id, sell_queue[si].order_id, qty))
        left -= qty
        buy_left -= qty
        sell_left -= qty
        if not buy_left and left:
            bi += 1
            buy_left = buy_queue[bi].qty
        if not sell_left and left:
            si += 1
            sell_left = sell_queue[si].qty
    return tuple(out)

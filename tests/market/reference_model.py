"""A deliberately simple price-time order book, the yardstick for the matching engine.

A plain list of resting orders and brute force: every step of matching searches the whole
list for the best counterparty again. No levels, no indexes, no lazy deletion. A fill-or-kill
order is tried on a copy of the book and kept only if it filled completely, so no separate
"how much could fill" computation can drift from what matching really does.

Outcomes are reported as plain tuples, the same shape the property test derives from the
engine's events:
    ("trade", maker_id, taker_id, price, qty)
    ("cancelled", order_id, qty, reason) / ("expired", order_id, qty)
    ("accepted", order_id) / ("rejected", order_id, reason)
    ("modified", order_id, price, qty, priority_kept) / ("request_rejected", order_id, reason)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flashguard.core.orders import OrderType, SelfTradePrevention, TimeInForce

NONE = SelfTradePrevention.NONE
CANCEL_RESTING = SelfTradePrevention.CANCEL_RESTING
CANCEL_INCOMING = SelfTradePrevention.CANCEL_INCOMING
CANCEL_BOTH = SelfTradePrevention.CANCEL_BOTH
MARKET = OrderType.MARKET
DAY, IOC, FOK = TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK

Outcome = tuple[Any, ...]


@dataclass(eq=False)  # identity, so list.remove takes out exactly this order
class RefOrder:
    order_id: int
    owner: int
    side: int  # 1 buy, -1 sell
    price: int
    qty: int  # open quantity
    tif: int
    arrival: int  # time priority: smaller is earlier


class ReferenceBook:
    def __init__(self, instrument: str, stp: SelfTradePrevention) -> None:
        self.instrument = instrument
        self.stp = stp
        self.resting: list[RefOrder] = []
        self.clock = 0  # arrival counter

    # --- queries --------------------------------------------------------------------------

    def find(self, order_id: int) -> RefOrder | None:
        for o in self.resting:
            if o.order_id == order_id:
                return o
        return None

    def l3(self, side: int) -> list[tuple[int, list[tuple[int, int]]]]:
        """[(price, [(order id, qty) in time priority]), ...] from the best price outwards."""
        mine = sorted(
            (o for o in self.resting if o.side == side),
            key=lambda o: (-o.price * side, o.arrival),
        )
        out: list[tuple[int, list[tuple[int, int]]]] = []
        for o in mine:
            if not out or out[-1][0] != o.price:
                out.append((o.price, []))
            out[-1][1].append((o.order_id, o.qty))
        return out

    # --- requests -------------------------------------------------------------------------

    def new_order(
        self, order_id: int, owner: int, side: int, order_type: int, tif: int, price: int, qty: int,
        instrument: str,
    ) -> list[Outcome]:
        if instrument != self.instrument:
            return [("rejected", order_id, "unknown_instrument")]
        if qty <= 0:
            return [("rejected", order_id, "invalid_qty")]
        if order_type != MARKET and price <= 0:
            return [("rejected", order_id, "invalid_price")]
        if self.find(order_id) is not None:
            return [("rejected", order_id, "duplicate_order_id")]
        if side not in (1, -1):
            return [("rejected", order_id, "invalid_side")]
        out: list[Outcome] = [("accepted", order_id)]
        limit = None if order_type == MARKET else price
        if tif == FOK:
            trial = copy.deepcopy(self)
            trial_out: list[Outcome] = []
            left, _ = trial._match(order_id, owner, side, limit, qty, trial_out)
            if left:
                return [*out, ("cancelled", order_id, qty, "fok_unfillable")]
            self.resting = trial.resting
            return out + trial_out
        left, stopped = self._match(order_id, owner, side, limit, qty, out)
        if left:
            if stopped:
                out.append(("cancelled", order_id, left, "self_trade"))
            elif order_type == MARKET:
                out.append(("cancelled", order_id, left, "no_liquidity"))
            elif tif in (IOC, FOK):
                out.append(("cancelled", order_id, left, "ioc_remainder"))
            else:
                self._rest(RefOrder(order_id, owner, side, price, left, tif, 0))
        return out

    def cancel(self, order_id: int, owner: int, instrument: str) -> list[Outcome]:
        o = self.find(order_id) if instrument == self.instrument else None
        if o is None:
            return [("request_rejected", order_id, "unknown_order")]
        if o.owner != owner:
            return [("request_rejected", order_id, "not_owner")]
        self.resting.remove(o)
        return [("cancelled", order_id, o.qty, "user")]

    def modify(self, order_id: int, owner: int, price: int, qty: int) -> list[Outcome]:
        o = self.find(order_id)
        if o is None:
            return [("request_rejected", order_id, "unknown_order")]
        if o.owner != owner:
            return [("request_rejected", order_id, "not_owner")]
        if qty <= 0:
            return [("request_rejected", order_id, "invalid_qty")]
        if price <= 0:
            return [("request_rejected", order_id, "invalid_price")]
        if price == o.price and qty <= o.qty:
            o.qty = qty
            return [("modified", order_id, price, qty, True)]
        # anything else is a fresh arrival at the back of the queue, which may trade
        self.resting.remove(o)
        out: list[Outcome] = [("modified", order_id, price, qty, False)]
        left, stopped = self._match(order_id, o.owner, o.side, price, qty, out)
        if left:
            if stopped:
                out.append(("cancelled", order_id, left, "self_trade"))
            else:
                self._rest(RefOrder(order_id, o.owner, o.side, price, left, o.tif, 0))
        return out

    def expire_day_orders(self) -> list[Outcome]:
        gone = [o for o in self.resting if o.tif == DAY]
        self.resting = [o for o in self.resting if o.tif != DAY]
        return [("expired", o.order_id, o.qty) for o in gone]

    def cancel_all(self, owner: int | None) -> list[Outcome]:
        gone = [o for o in self.resting if owner is None or o.owner == owner]
        self.resting = [o for o in self.resting if not (owner is None or o.owner == owner)]
        return [("cancelled", o.order_id, o.qty, "cancel_all") for o in gone]

    # --- matching -------------------------------------------------------------------------

    def _rest(self, order: RefOrder) -> None:
        self.clock += 1
        order.arrival = self.clock
        self.resting.append(order)

    def _best_counterparty(self, side: int, limit: int | None) -> RefOrder | None:
        best: RefOrder | None = None
        for o in self.resting:
            if o.side != -side:
                continue
            if limit is not None and (o.price > limit if side == 1 else o.price < limit):
                continue
            if best is None:
                best = o
                continue
            better_price = o.price < best.price if side == 1 else o.price > best.price
            if better_price or (o.price == best.price and o.arrival < best.arrival):
                best = o
        return best

    def _match(
        self, order_id: int, owner: int, side: int, limit: int | None, qty: int, out: list[Outcome]
    ) -> tuple[int, bool]:
        """Trade an incoming order; returns (quantity left, stopped by self-trade prevention)."""
        left = qty
        while left:
            maker = self._best_counterparty(side, limit)
            if maker is None:
                return left, False
            if maker.owner == owner and self.stp != NONE:
                if self.stp in (CANCEL_RESTING, CANCEL_BOTH):
                    self.resting.remove(maker)
                    out.append(("cancelled", maker.order_id, maker.qty, "self_trade"))
                if self.stp in (CANCEL_INCOMING, CANCEL_BOTH):
                    return left, True
                continue
            fill = min(left, maker.qty)
            maker.qty -= fill
            left -= fill
            if maker.qty == 0:
                self.resting.remove(maker)
            out.append(("trade", maker.order_id, order_id, maker.price, fill))
        return 0, False

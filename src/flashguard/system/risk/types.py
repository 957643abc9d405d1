"""The vocabulary every risk layer shares: the order the gate checks, a rejection, a breach,
and a strategy's trading mode."""

from __future__ import annotations

from enum import IntEnum

import msgspec

L1 = "L1"  # pre-trade
L2 = "L2"  # strategy
L3 = "L3"  # portfolio
L4 = "L4"  # kill switch


class RiskOrder(msgspec.Struct, frozen=True, gc=False):
    """One order (or amendment) on its way to a venue.

    price is in ticks (0 for a market order), qty in lots, side +1 buy / -1 sell. An amendment
    names the client_order_id it `replaces`; its qty is the new open quantity, so the order is
    judged on its new total (filled so far + new open). order_id and owner are the venue-side
    identifiers when the sender knows them; they let the kill switch cancel an order that is
    still in flight. parent_id names the parent order (the strategy's intent) a router's
    child order slices, "" for an order sent as it is: children of one parent are never
    duplicates of each other (pretrade.duplicate_order)."""

    strategy: str
    venue: str
    instrument: str
    client_order_id: str
    side: int
    order_type: int
    tif: int
    price: int
    qty: int
    t_ns: int
    replaces: str = ""
    order_id: int = 0
    owner: int = 0
    parent_id: str = ""


class Rejection(msgspec.Struct, frozen=True, gc=False):
    """Why an order may not leave: the layer, the rule, the measured value and the limit, in the
    rule's units (lots, currency, basis points, ticks, messages, nanoseconds)."""

    layer: str
    rule: str
    value: float
    limit: float
    detail: str = ""

    @property
    def reason(self) -> str:
        text = f"{self.layer}.{self.rule}: value={self.value:g} limit={self.limit:g}"
        return f"{text} ({self.detail})" if self.detail else text


class Breach(msgspec.Struct, frozen=True, gc=False):
    """A limit a strategy or the portfolio has crossed, and the action it calls for."""

    rule: str
    value: float
    limit: float
    action: str
    detail: str = ""


class StrategyMode(IntEnum):
    """Ordered by severity: a trigger only ever moves a strategy up this scale; only an
    explicit, journaled restart moves it back."""

    ACTIVE = 0
    REDUCING = 1  # reduce-only: exits allowed, entries rejected
    HALTED = 2  # working orders cancelled, no new orders

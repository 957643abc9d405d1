"""Every event flashguard knows, defined in one place.

Events are immutable msgspec Structs: cheap to create, and they serialise for the journal
with their `type` tag. Prices are integer ticks, quantities integer lots, times integer
nanoseconds. Requests (what a participant asks a venue) are events too: every input is
journaled, not only every decision.
"""

from __future__ import annotations

from typing import Union

import msgspec


class Event(msgspec.Struct, frozen=True, gc=False, tag_field="type"):
    t_ns: int


# --- requests to a venue -------------------------------------------------------------------


class NewOrder(Event, frozen=True, gc=False, tag="new_order"):
    venue: str
    instrument: str
    order_id: int
    client_order_id: str
    owner: int
    side: int  # Side
    order_type: int  # OrderType
    tif: int  # TimeInForce
    price: int  # ticks; ignored for market orders
    qty: int  # lots


class CancelOrder(Event, frozen=True, gc=False, tag="cancel_order"):
    venue: str
    instrument: str
    order_id: int
    owner: int


class ModifyOrder(Event, frozen=True, gc=False, tag="modify_order"):
    """Set a resting order's price and open quantity. A size decrease at the same price keeps
    time priority; a price change or a size increase loses it."""

    venue: str
    instrument: str
    order_id: int
    owner: int
    price: int
    qty: int


# --- execution reports and prints ----------------------------------------------------------


class OrderAccepted(Event, frozen=True, gc=False, tag="order_accepted"):
    venue: str
    instrument: str
    order_id: int
    client_order_id: str
    owner: int
    side: int
    order_type: int
    tif: int
    price: int
    qty: int


class OrderRejected(Event, frozen=True, gc=False, tag="order_rejected"):
    """A venue's rejection (reason), or a risk layer's (layer and rule set)."""

    venue: str
    instrument: str
    order_id: int
    client_order_id: str
    owner: int
    reason: str
    layer: str = ""
    rule: str = ""


class OrderModified(Event, frozen=True, gc=False, tag="order_modified"):
    venue: str
    instrument: str
    order_id: int
    owner: int
    price: int
    qty: int
    priority_kept: bool


class RequestRejected(Event, frozen=True, gc=False, tag="request_rejected"):
    """A cancel or modify the venue could not apply (unknown order, not the owner, ...)."""

    venue: str
    instrument: str
    order_id: int
    owner: int
    request: str  # "cancel" | "modify"
    reason: str


class OrderFilled(Event, frozen=True, gc=False, tag="fill"):
    venue: str
    instrument: str
    order_id: int
    client_order_id: str
    owner: int
    side: int
    price: int
    qty: int
    leaves_qty: int
    maker: bool
    trade_id: int


class OrderCancelled(Event, frozen=True, gc=False, tag="order_cancelled"):
    venue: str
    instrument: str
    order_id: int
    client_order_id: str
    owner: int
    cancelled_qty: int
    reason: str


class OrderExpired(Event, frozen=True, gc=False, tag="order_expired"):
    venue: str
    instrument: str
    order_id: int
    client_order_id: str
    owner: int
    expired_qty: int


class Trade(Event, frozen=True, gc=False, tag="trade"):
    venue: str
    instrument: str
    trade_id: int
    price: int
    qty: int
    aggressor: int  # Side of the taker
    maker_order_id: int
    taker_order_id: int


# --- venue state and market data -----------------------------------------------------------


class VenueStatus(Event, frozen=True, gc=False, tag="venue_status"):
    """status: open | limit_state | paused | halted | auction | closed | disconnected (a lost session)."""

    venue: str
    instrument: str
    status: str
    reason: str


class Quote(Event, frozen=True, gc=False, tag="quote"):
    """Top of book as a venue (or the consolidated feed, venue "ALL") published it."""

    venue: str
    instrument: str
    bid: int
    bid_qty: int
    ask: int
    ask_qty: int


# --- risk decisions ------------------------------------------------------------------------


class RiskAction(Event, frozen=True, gc=False, tag="risk_action"):
    """A risk decision: layer (L1..L4), rule, the measured value, the limit, and the action."""

    layer: str
    rule: str
    value: float
    limit: float
    action: str
    strategy: str = ""
    detail: str = ""


class KillSwitch(Event, frozen=True, gc=False, tag="kill_switch"):
    engaged: bool
    by: str
    reason: str


class OperatorCommand(Event, frozen=True, gc=False, tag="operator"):
    """A person's command through the operator service, journaled before it is carried out:
    action ("kill", "reset", "halt", "resume"), who (the token's name) in which role, why,
    and the target (a strategy's name for halt and resume)."""

    action: str
    by: str
    role: str
    reason: str
    target: str = ""


# --- what the system did -------------------------------------------------------------------


class OrderSubmitted(Event, frozen=True, gc=False, tag="order_submitted"):
    """The trading system sent a child order to a venue (after every risk layer passed it)."""

    venue: str
    instrument: str
    strategy: str
    client_order_id: str
    side: int
    order_type: int
    tif: int
    price: int  # ticks; 0 for a market order
    qty: int


class LuldBand(Event, frozen=True, gc=False, tag="luld_band"):
    """A published LULD price band (inclusive, ticks), as the SIP disseminates it."""

    venue: str
    instrument: str
    lower: int
    upper: int


class RouteDecision(Event, frozen=True, gc=False, tag="route_decision"):
    """A smart-order-router decision: route, probe, score, reroute, tactic, queue, release."""

    strategy: str
    parent_id: str
    instrument: str
    decision: str
    venue: str = ""
    qty: int = 0
    price: int = 0
    detail: str = ""


class RegimeChange(Event, frozen=True, gc=False, tag="regime_change"):
    """A strategy switched between its normal (alpha) mode and capital preservation."""

    strategy: str
    mode: str  # "normal" | "preservation"
    reason: str


class PortfolioSnapshot(Event, frozen=True, gc=False, tag="snapshot"):
    """A periodic mark of the whole book, for the timeline and the report (currency units).

    mode is the most severe state anywhere: "active", "reducing", "halted" (a strategy),
    "reduce_only" (the portfolio) or "killed"."""

    equity: float
    pnl: float
    drawdown_pct: float
    gross: float
    net: float
    var: float
    es: float
    vpin_cdf: float
    mode: str


AnyEvent = Union[
    NewOrder,
    CancelOrder,
    ModifyOrder,
    OrderAccepted,
    OrderRejected,
    OrderModified,
    RequestRejected,
    OrderFilled,
    OrderCancelled,
    OrderExpired,
    Trade,
    VenueStatus,
    Quote,
    RiskAction,
    KillSwitch,
    OperatorCommand,
    OrderSubmitted,
    LuldBand,
    RouteDecision,
    RegimeChange,
    PortfolioSnapshot,
]

TERMINAL_EVENTS = (OrderRejected, OrderCancelled, OrderExpired)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(AnyEvent)


def encode(event: Event) -> bytes:
    return _encoder.encode(event)


def decode(data: bytes) -> Event:
    result: Event = _decoder.decode(data)
    return result

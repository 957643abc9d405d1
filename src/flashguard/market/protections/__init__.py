"""Exchange protections as standalone state machines driven by explicit calls with t_ns.

Each protection is pure logic: the venue feeds it trades, quotes or index values and the
time, asks it for bands or limits, and turns the `Transition`s it returns into
`VenueStatus` events. None reads a clock, none emits events, all use integer ticks and lots.
"""

from flashguard.market.protections.auction import (
    Allocation,
    AuctionOrder,
    AuctionResult,
    uncross,
)
from flashguard.market.protections.circuit_breaker import CircuitBreaker, MwcbParams
from flashguard.market.protections.collar import CollarParams, PriceCollar
from flashguard.market.protections.luld import Luld, LuldParams
from flashguard.market.protections.luld_bands import luld_bands
from flashguard.market.protections.stop_logic import StopLogic, StopLogicParams
from flashguard.market.protections.transition import Status, Transition

__all__ = [
    "Allocation",
    "AuctionOrder",
    "AuctionResult",
    "CircuitBreaker",
    "CollarParams",
    "Luld",
    "LuldParams",
    "MwcbParams",
    "PriceCollar",
    "Status",
    "StopLogic",
    "StopLogicParams",
    "Transition",
    "luld_bands",
    "uncross",
]

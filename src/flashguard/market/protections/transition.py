"""The one thing every protection tells the venue: its status changed, when, and why.

A protection never emits core events itself; the venue turns each `Transition` into a
`flashguard.core.events.VenueStatus` (status and reason carry over unchanged), so the
protections stay pure logic that a test can drive with plain calls.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Status = Literal["open", "limit_state", "paused", "halted", "auction", "closed"]


class Transition(msgspec.Struct, frozen=True, gc=False):
    """t_ns: when the change took effect (a timer's deadline, not the time it was polled).
    until_ns: when a pause or halt ends on its own; None if it does not (or no timer applies).
    level: the market-wide circuit-breaker level (1..3); 0 for every other protection."""

    t_ns: int
    status: Status
    reason: str
    until_ns: int | None = None
    level: int = 0

"""A fat-finger order: one huge marketable order, once, on one venue (an erroneous order that
no pre-trade control stopped)."""

from __future__ import annotations

import msgspec

from flashguard.core.clock import NS_PER_SECOND
from flashguard.market.agents.base import World

_IOC = 3


class FatFingerParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    enabled: bool = False
    at_s: int = 14 * 3600
    side: int = -1
    quantity: int = 5_000
    venue: int = 0
    limit_pct: float = 0.2  # how far through the book it may go


class FatFinger:
    def __init__(self, params: FatFingerParams, world: World, owner: int) -> None:
        self.p = params
        self.world = world
        self.owner = owner
        world.connect(owner, None, 1_000_000)

    def start(self) -> None:
        if self.p.enabled:
            self.world.loop.call_at(self.p.at_s * NS_PER_SECOND, self._fire)

    def _fire(self) -> None:
        p = self.p
        world = self.world
        venue = world.lit[min(p.venue, len(world.lit) - 1)]
        price = int(world.signals.mid * (1 + p.side * p.limit_pct))
        venue.submit(self.owner, world.instrument, p.side, p.quantity, max(1, price), 1, _IOC)

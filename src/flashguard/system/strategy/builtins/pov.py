"""POV: a parent worked as a fixed share of the market's volume.

`Pov(rate)` is the execution algorithm: each lot that trades in the instrument (anyone's)
releases `rate` of a lot of the parent, in whole slices of at least `min_slice` lots (the
last one may be smaller). In capital preservation the rate is cut by `preservation_factor`:
crash volume is not liquidity to lean on. `PovOrder` runs one POV parent alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from flashguard.system.strategy.base import PASSIVE, Intent
from flashguard.system.strategy.builtins.algo_order import AlgoOrder

PERMILLE = 1000


@dataclass(frozen=True, slots=True)
class Pov:
    rate: float
    min_slice: int = 1
    preservation_factor: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.rate <= 1:
            raise ValueError(f"pov rate={self.rate!r} must be in (0, 1]")
        if self.min_slice < 1:
            raise ValueError(f"pov min_slice={self.min_slice!r} must be >= 1")
        if not 0 < self.preservation_factor <= 1:
            raise ValueError(
                f"pov preservation_factor={self.preservation_factor!r} must be in (0, 1]"
            )

    @property
    def name(self) -> str:
        return "pov"

    def start(self, t_ns: int, qty: int) -> PovSchedule:
        return PovSchedule(self, qty)


class PovSchedule:
    """Credit in thousandths of a lot, so the share is exact in integers."""

    __slots__ = ("_credit", "_pending", "_released", "min_slice", "qty", "rate", "slow_rate")

    def __init__(self, spec: Pov, qty: int) -> None:
        self.qty = qty
        self.min_slice = spec.min_slice
        self.rate = round(spec.rate * PERMILLE)
        self.slow_rate = max(1, round(spec.rate * spec.preservation_factor * PERMILLE))
        self._credit = 0
        self._pending = 0  # volume not yet credited
        self._released = 0

    def on_volume(self, qty: int) -> None:
        self._pending += qty

    def allowance(self, t_ns: int, preservation: bool) -> int:
        if self._pending:
            self._credit += self._pending * (self.slow_rate if preservation else self.rate)
            self._pending = 0
        lots = min(self.qty, self._credit // PERMILLE)
        if lots < self.qty:
            lots -= lots % self.min_slice
        self._released = max(self._released, lots)
        return self._released

    def next_wakeup(self) -> int | None:
        return None


class PovOrder(AlgoOrder):
    """Buy (side=1) or sell (side=-1) qty lots at `rate` of the market's volume."""

    def __init__(
        self, instrument: str = "ES", side: int = 1, qty: int = 100, rate: float = 0.1,
        min_slice: int = 1, urgency: str = PASSIVE, limit: int | None = None,
        name: str | None = None, agency: bool = False,
    ) -> None:
        super().__init__(name or "pov", Intent(instrument, side, qty, limit, urgency,
                                               Pov(rate, min_slice), tag="pov"), agency)

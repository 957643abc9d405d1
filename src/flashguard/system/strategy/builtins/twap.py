"""TWAP: a parent released in equal slices at equal intervals.

`Twap(duration_ns, slices)` is the execution algorithm: put it on an intent
(`Intent(..., algo=Twap(600 * SECOND, 20))`) and the engine releases qty / slices lots at the
start and every duration / slices after; the router works each release as the intent's
urgency asks. In capital preservation it slows: each slice released then is followed by one
twice the usual interval later. `TwapOrder` is a strategy that does nothing but one TWAP
parent, for running the algorithm alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flashguard.system.strategy.base import PASSIVE, Intent
from flashguard.system.strategy.builtins.algo_order import AlgoOrder

SECOND = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Twap:
    duration_ns: int
    slices: int

    def __post_init__(self) -> None:
        if self.duration_ns <= 0:
            raise ValueError(f"twap duration_ns={self.duration_ns!r} must be > 0")
        if self.slices < 1:
            raise ValueError(f"twap slices={self.slices!r} must be >= 1")

    @property
    def name(self) -> str:
        return "twap"

    def start(self, t_ns: int, qty: int) -> TwapSchedule:
        return TwapSchedule(self, t_ns, qty)


class TwapSchedule:
    __slots__ = ("interval", "next_t", "qty", "released", "slices")

    # volume is not its measure: the allowance moves only at its wakeups (AlgoSchedule)
    volume_blind: ClassVar[bool] = True

    def __init__(self, spec: Twap, t_ns: int, qty: int) -> None:
        self.slices = min(spec.slices, qty)  # no empty slices
        self.interval = max(1, spec.duration_ns // self.slices)
        self.qty = qty
        self.released = 1  # the first slice goes at once
        self.next_t = t_ns + self.interval

    def allowance(self, t_ns: int, preservation: bool) -> int:
        while self.released < self.slices and t_ns >= self.next_t:
            self.released += 1
            self.next_t += self.interval * (2 if preservation else 1)
        return self.qty * self.released // self.slices

    def next_wakeup(self) -> int | None:
        return self.next_t if self.released < self.slices else None

    def on_volume(self, qty: int) -> None:
        return None


class TwapOrder(AlgoOrder):
    """Buy (side=1) or sell (side=-1) qty lots over duration_s seconds in `slices` slices."""

    def __init__(
        self, instrument: str = "ES", side: int = 1, qty: int = 100, duration_s: int = 600,
        slices: int = 20, urgency: str = PASSIVE, limit: int | None = None,
        name: str | None = None, agency: bool = False,
    ) -> None:
        super().__init__(name or "twap", Intent(instrument, side, qty, limit, urgency,
                                                Twap(duration_s * SECOND, slices), tag="twap"),
                         agency)

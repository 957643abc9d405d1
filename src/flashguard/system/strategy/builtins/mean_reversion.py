"""Mean reversion: fade moves away from a rolling mean.

Every `sample_ns` the consolidated mid joins a window of `window` samples. When the mid sits
`entry_z` standard deviations or more from the window's mean, it leans against the move with
a passive parent of `qty` lots at the near touch (selling above the mean, buying below), up
to `max_position`; when the mid is back within `exit_z` deviations it exits passively at
the mid.

Capital preservation: no entries (a crash is not a deviation that reverts on schedule: it is
the falling knife), and any position is exited aggressively.
"""

from __future__ import annotations

import math
from collections import deque

from flashguard.system.strategy.base import (
    PASSIVE,
    Intent,
    ParentStatus,
    Strategy,
)

SECOND = 1_000_000_000


class MeanReversion(Strategy):
    def __init__(
        self, instrument: str = "ES", window: int = 30, entry_z: float = 2.0,
        exit_z: float = 0.5, qty: int = 5, max_position: int = 20, sample_ns: int = SECOND,
        name: str | None = None,
    ) -> None:
        super().__init__(name or "mean_reversion")
        if window < 3 or not 0 <= exit_z < entry_z or qty < 1 or max_position < qty:
            raise ValueError(
                f"mean reversion window={window}, entry_z={entry_z}, exit_z={exit_z}, "
                f"qty={qty}, max_position={max_position}: need window >= 3, "
                "0 <= exit_z < entry_z, qty >= 1, max_position >= qty"
            )
        self.instruments = (instrument,)
        self.instrument = instrument
        self.entry_z = entry_z
        self.exit_z = exit_z
        self.qty = qty
        self.max_position = max_position
        self.sample_ns = sample_ns
        self.mids: deque[int] = deque(maxlen=window)
        self._sum = 0
        self._sum_sq = 0
        self.working_id: str | None = None

    def on_start(self) -> None:
        self.set_timer(self.sample_ns)

    def zscore(self) -> float | None:
        n = len(self.mids)
        if n < (self.mids.maxlen or 0):
            return None
        var = (n * self._sum_sq - self._sum * self._sum) / (n * (n - 1))
        if var <= 0:
            return None
        return (self.mids[-1] - self._sum / n) / math.sqrt(var)

    def on_timer(self, t_ns: int) -> None:
        self.set_timer(self.sample_ns)
        bid, ask = self.quote(self.instrument)
        if not (bid and ask):
            return
        mid = (bid + ask) // 2
        if len(self.mids) == self.mids.maxlen:
            old = self.mids[0]
            self._sum -= old
            self._sum_sq -= old * old
        self.mids.append(mid)
        self._sum += mid
        self._sum_sq += mid * mid
        if self.working_id is not None or self.halted:
            return
        if self.preservation:
            self.working_id = self.close_position(self.instrument, tag="exit")
            return
        z = self.zscore()
        if z is None:
            return
        pos = self.position(self.instrument)
        if pos and abs(z) <= self.exit_z:
            self.working_id = self.close_position(self.instrument, mid, PASSIVE, tag="exit")
        elif z >= self.entry_z and pos - self.qty >= -self.max_position:
            self.working_id = self.submit(Intent(self.instrument, -1, self.qty, ask, PASSIVE))
        elif z <= -self.entry_z and pos + self.qty <= self.max_position:
            self.working_id = self.submit(Intent(self.instrument, 1, self.qty, bid, PASSIVE))

    def on_regime(self, mode: str, reason: str) -> None:
        if self.preservation and self.working_id is not None:
            self.cancel(self.working_id)

    def on_parent_done(self, status: ParentStatus) -> None:
        if status.parent_id == self.working_id:
            self.working_id = None

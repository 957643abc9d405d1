"""Momentum: buy a rising market, sell a falling one.

Every `sample_ns` it samples the consolidated mid; when the mid has moved `threshold_ticks`
or more over the last `lookback` samples it takes liquidity in that direction (an aggressive
parent of `qty` lots, limited to `slippage_ticks` through the touch), up to `max_position`.

Capital preservation: it stops entering, cancels what is working, and flattens. A momentum
signal in a crash is the crash itself; chasing it is how a strategy ends up selling the low.
"""

from __future__ import annotations

from collections import deque

from flashguard.system.strategy.base import AGGRESSIVE, Intent, ParentStatus, Strategy

SECOND = 1_000_000_000


class Momentum(Strategy):
    def __init__(
        self, instrument: str = "ES", lookback: int = 10, threshold_ticks: int = 4,
        qty: int = 10, max_position: int = 50, slippage_ticks: int = 2,
        sample_ns: int = SECOND, name: str | None = None,
    ) -> None:
        super().__init__(name or "momentum")
        if lookback < 1 or threshold_ticks < 1 or qty < 1 or max_position < qty:
            raise ValueError(
                f"momentum lookback={lookback}, threshold_ticks={threshold_ticks}, qty={qty}, "
                f"max_position={max_position}: need lookback, threshold, qty >= 1 and "
                "max_position >= qty"
            )
        self.instruments = (instrument,)
        self.instrument = instrument
        self.qty = qty
        self.max_position = max_position
        self.threshold = threshold_ticks
        self.slippage = slippage_ticks
        self.sample_ns = sample_ns
        self.mids: deque[int] = deque(maxlen=lookback + 1)
        self.entry: str | None = None  # the working entry parent
        self.exit: str | None = None  # the working flatten parent

    def on_start(self) -> None:
        self.set_timer(self.sample_ns)

    def on_timer(self, t_ns: int) -> None:
        self.set_timer(self.sample_ns)
        bid, ask = self.quote(self.instrument)
        if not (bid and ask):
            return
        self.mids.append((bid + ask) // 2)
        if self.halted:
            return  # layer 2 refuses everything until a restart: keep watching, send nothing
        if self.preservation:
            self._flatten()
            return
        if len(self.mids) < (self.mids.maxlen or 0) or self.entry is not None:
            return
        move = self.mids[-1] - self.mids[0]
        pos = self.position(self.instrument)
        if move >= self.threshold and pos + self.qty <= self.max_position:
            self.entry = self.submit(
                Intent(self.instrument, 1, self.qty, ask + self.slippage, AGGRESSIVE, tag="entry")
            )
        elif move <= -self.threshold and pos - self.qty >= -self.max_position:
            self.entry = self.submit(
                Intent(self.instrument, -1, self.qty, max(1, bid - self.slippage), AGGRESSIVE,
                       tag="entry")
            )

    def on_regime(self, mode: str, reason: str) -> None:
        if self.preservation:
            if self.entry is not None:
                self.cancel(self.entry)
            self._flatten()

    def _flatten(self) -> None:
        if self.exit is None:
            self.exit = self.close_position(self.instrument)

    def on_parent_done(self, status: ParentStatus) -> None:
        if status.parent_id == self.entry:
            self.entry = None
        elif status.parent_id == self.exit:
            self.exit = None

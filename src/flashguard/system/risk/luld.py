"""An own estimate of the LULD price band, from the trades the system sees.

The reference price is the mean price of the trades of the preceding window (5 minutes by
rule); the band is a percentage either side of it. This is a simplification of the plan (the
real reference only moves on a 1% change, bands double near the open and close); a venue's
published band, when available, overrides it (`InstrumentMarket.set_band`).
"""

from __future__ import annotations

from collections import deque


class LuldReference:
    __slots__ = ("_sum", "_trades", "band_bps", "window_ns")

    def __init__(self, window_ns: int, band_bps: int) -> None:
        if window_ns <= 0:
            raise ValueError(f"window_ns={window_ns} must be > 0")
        if band_bps < 0:
            raise ValueError(f"band_bps={band_bps} must be >= 0")
        self.window_ns = window_ns
        self.band_bps = band_bps
        self._trades: deque[tuple[int, int]] = deque()
        self._sum = 0

    def add(self, t_ns: int, price: int) -> tuple[int, int]:
        """Record a trade; returns the band (lower, upper) in ticks, the trade included."""
        trades = self._trades
        trades.append((t_ns, price))
        self._sum += price
        horizon = t_ns - self.window_ns
        while trades[0][0] <= horizon:
            self._sum -= trades.popleft()[1]
        mean = self._sum // len(trades)
        half = mean * self.band_bps // 10_000
        return mean - half, mean + half

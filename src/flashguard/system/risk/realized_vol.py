"""Streaming realized volatility of one instrument's mark: O(1) per mark, O(window) per
closed bucket.

The mark is sampled at the end of fixed buckets; each closed bucket adds the squared log
return against the previous bucket's close (buckets without a price add a zero return). The
volatility is sqrt(sum of squared returns) over the last `window` buckets, in basis points of
that span, not demeaned (a steady slide is exactly what must register). It lags by at most
one bucket, and changes only when a bucket closes.

Not analytics.volatility.RealizedVol, which samples per price (not per time bucket) and
answers None until `window` returns exist: this one reports the partial window from the first
closed bucket, because a crash in a session's first minute must register. On a full window
the two conventions give the same number (tests/risk/test_risk_twins.py).
"""

from __future__ import annotations

import math
from collections import deque


class RealizedVol:
    __slots__ = ("_bucket", "_close", "_end", "_prev", "_sq", "bucket_ns", "vol_bps")

    def __init__(self, bucket_ns: int, window: int) -> None:
        if bucket_ns <= 0:
            raise ValueError(f"bucket_ns={bucket_ns} must be > 0")
        if window < 2:
            raise ValueError(f"window={window} must be >= 2")
        self.bucket_ns = bucket_ns
        self._sq: deque[float] = deque(maxlen=window)
        self._bucket = -1
        self._end = 0  # (_bucket + 1) * bucket_ns: a mark before it stays in the bucket
        self._close = 0
        self._prev = 0
        self.vol_bps = 0.0

    def update(self, t_ns: int, price: int) -> bool:
        """Feed a mark; True when a bucket closed and vol_bps was recomputed."""
        if t_ns < self._end:
            self._close = price
            return False
        bucket = t_ns // self.bucket_ns
        closed = self._bucket >= 0
        if closed:
            sq = self._sq
            if self._prev > 0:
                r = math.log(self._close / self._prev)
                sq.append(r * r)
            self._prev = self._close
            for _ in range(min(bucket - self._bucket - 1, sq.maxlen or 0)):
                sq.append(0.0)
            self.vol_bps = math.sqrt(math.fsum(sq)) * 10_000
        self._bucket = bucket
        self._end = (bucket + 1) * self.bucket_ns
        self._close = price
        return closed

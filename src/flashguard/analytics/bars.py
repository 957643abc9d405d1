"""Trades into time bars, and irregular observations onto a fixed time grid.

A bar's price is the last trade price in it and its volume the lots traded. Intervals without
a trade produce no bar: an empty minute carries no price information, and a zero-volume bar
would only repeat the previous close.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from flashguard.analytics._checks import (
    as_float_1d,
    as_int_1d,
    int_value,
    non_decreasing,
    non_negative,
    non_negative_int,
    positive_int,
    same_length,
    strictly_increasing,
)
from flashguard.core.clock import NS_PER_MINUTE


@dataclass(frozen=True, slots=True)
class Bar:
    start_ns: int  # the bar covers [start_ns, start_ns + bar_ns)
    volume: int  # lots
    price: int  # ticks, last trade in the bar


@dataclass(frozen=True, slots=True, eq=False)  # arrays: compare fields, not objects
class Bars:
    start_ns: NDArray[np.int64]
    volume: NDArray[np.int64]
    price: NDArray[np.int64]


def bars_from_trades(
    t_ns: ArrayLike, price: ArrayLike, qty: ArrayLike, *, bar_ns: int = NS_PER_MINUTE
) -> Bars:
    """Batch: trades (time-ordered) into bars aligned on multiples of bar_ns."""
    bar_ns = positive_int("bar_ns", bar_ns)
    t = as_int_1d("t_ns", t_ns)
    p = as_int_1d("price", price)
    q = as_int_1d("qty", qty)
    same_length(t_ns=t, price=p, qty=q)
    non_decreasing("t_ns", t)
    non_negative("qty", q)
    if t.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Bars(empty, empty.copy(), empty.copy())
    slot = t // bar_ns
    first = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
    last = np.r_[first[1:] - 1, t.size - 1]
    return Bars(
        start_ns=slot[first] * bar_ns,
        volume=np.add.reduceat(q, first),
        price=p[last],
    )


class BarBuilder:
    """Streaming: feed trades, get each bar once it is complete.

    A bar completes when a trade arrives in a later interval, or when `close_until` is told that
    time has passed its end (live, the clock moves on even when nobody trades).
    """

    __slots__ = ("_bar_ns", "_last_t", "_price", "_slot", "_volume")

    def __init__(self, bar_ns: int = NS_PER_MINUTE) -> None:
        self._bar_ns = positive_int("bar_ns", bar_ns)
        self._slot: int | None = None
        self._volume = 0
        self._price = 0
        self._last_t: int | None = None

    def on_trade(self, t_ns: int, price: int, qty: int) -> Bar | None:
        if not (type(t_ns) is int and type(price) is int and type(qty) is int and qty >= 0):
            # checked (and numpy integers made ints) only when not plain ints already
            t_ns = int_value("t_ns", t_ns)
            price = int_value("price", price)
            qty = non_negative_int("qty", qty)
        if self._last_t is not None and t_ns < self._last_t:
            raise ValueError(f"t_ns={t_ns} is before the previous trade at {self._last_t}")
        self._last_t = t_ns
        slot = t_ns // self._bar_ns
        done = self._take() if self._slot is not None and slot != self._slot else None
        if self._slot is None:
            self._slot, self._volume = slot, 0
        self._volume += qty
        self._price = price
        return done

    def close_until(self, t_ns: int) -> Bar | None:
        """Emit the pending bar if t_ns is at or past its end."""
        t_ns = int_value("t_ns", t_ns)
        if self._slot is not None and t_ns >= (self._slot + 1) * self._bar_ns:
            return self._take()
        return None

    def flush(self) -> Bar | None:
        """Emit the pending bar even though its interval has not ended (end of data)."""
        return self._take() if self._slot is not None else None

    def _take(self) -> Bar:
        assert self._slot is not None
        bar = Bar(self._slot * self._bar_ns, self._volume, self._price)
        self._slot = None
        return bar


def sample_last(t_ns: ArrayLike, values: ArrayLike, grid_ns: ArrayLike) -> NDArray[np.float64]:
    """The last observation at or before each grid time; NaN before the first observation.

    This is how a 1-second price series is made from trades or quotes: the price known at
    each second, never one from later in that second.
    """
    t = as_int_1d("t_ns", t_ns)
    v = as_float_1d("values", values)
    g = as_int_1d("grid_ns", grid_ns)
    same_length(t_ns=t, values=v)
    non_decreasing("t_ns", t)
    strictly_increasing("grid_ns", g)
    idx = np.searchsorted(t, g, side="right") - 1
    out = np.full(g.shape[0], np.nan)
    known = idx >= 0
    out[known] = v[idx[known]]
    return out


def carry_forward(values: ArrayLike) -> NDArray[np.float64]:
    """Each NaN replaced by the last non-NaN value before it; leading NaNs stay NaN."""
    v = as_float_1d("values", values)
    known = ~np.isnan(v)
    idx = np.where(known, np.arange(v.size), 0)
    np.maximum.accumulate(idx, out=idx)
    return v[idx]

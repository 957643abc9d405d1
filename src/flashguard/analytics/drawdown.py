"""Drawdown of an equity curve from its high-water mark.

amount = high-water mark - equity (>= 0, in the equity's own units: integer equity stays
integer); fraction = amount / high-water mark, defined only while the high-water mark is > 0
(NaN otherwise: a P&L curve that starts at 0 has an amount but no meaningful fraction).
The largest amount and the largest fraction can come from different episodes, so both are
reported with their own peak and trough.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from flashguard.analytics._checks import as_1d

Number = int | float


@dataclass(frozen=True, slots=True, eq=False)  # arrays: compare fields, not objects
class DrawdownSeries:
    high_water_mark: NDArray[np.generic]
    amount: NDArray[np.generic]
    fraction: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class MaxDrawdown:
    amount: Number
    amount_peak: int  # index where the high-water mark of that episode was set (last time)
    amount_trough: int
    fraction: float  # NaN if the high-water mark was never > 0
    fraction_peak: int
    fraction_trough: int


def _equity(values: ArrayLike) -> NDArray[np.generic]:
    eq = as_1d("equity", values)
    if eq.size == 0:
        raise ValueError("equity must not be empty")
    if np.issubdtype(eq.dtype, np.integer):
        return eq.astype(np.int64, copy=False)
    if not np.issubdtype(eq.dtype, np.floating):
        raise ValueError(f"equity must be numeric, got dtype {eq.dtype}")
    bad = np.flatnonzero(~np.isfinite(eq))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"equity must be finite: equity[{i}]={eq[i].item()!r}")
    return eq.astype(np.float64, copy=False)


def _fraction(amount: NDArray[Any], hwm: NDArray[Any]) -> NDArray[np.float64]:
    out = np.full(amount.shape[0], np.nan)
    ok = hwm > 0
    out[ok] = amount[ok] / hwm[ok]
    return out


def drawdown(equity: ArrayLike) -> DrawdownSeries:
    eq = _equity(equity)
    hwm = np.maximum.accumulate(eq)
    amount = hwm - eq
    return DrawdownSeries(hwm, amount, _fraction(amount, hwm))


def _peak_before(eq: NDArray[np.generic], trough: int) -> int:
    # The latest time equity stood at its high-water mark before the trough.
    return trough - int(np.argmax(eq[trough::-1]))


def max_drawdown(equity: ArrayLike) -> MaxDrawdown:
    eq = _equity(equity)
    series = drawdown(eq)
    a_trough = int(np.argmax(series.amount))
    frac = series.fraction
    if np.all(np.isnan(frac)):
        f_val, f_trough = math.nan, 0
    else:
        f_trough = int(np.nanargmax(frac))
        f_val = float(frac[f_trough])
    return MaxDrawdown(
        amount=series.amount[a_trough].item(),
        amount_peak=_peak_before(eq, a_trough),
        amount_trough=a_trough,
        fraction=f_val,
        fraction_peak=_peak_before(eq, f_trough),
        fraction_trough=f_trough,
    )


class DrawdownPoint(NamedTuple):
    amount: Number
    fraction: float


class Drawdown:
    """Streaming drawdown, O(1) per equity update. `reset` starts a new period (e.g. a day)."""

    __slots__ = ("high_water_mark", "max_amount", "max_fraction")

    def __init__(self) -> None:
        self.high_water_mark: Number | None = None
        self.max_amount: Number = 0
        self.max_fraction = math.nan  # until the high-water mark is > 0

    def reset(self) -> None:
        self.high_water_mark = None
        self.max_amount = 0
        self.max_fraction = math.nan

    def on_equity(self, equity: Number) -> DrawdownPoint:
        if isinstance(equity, bool) or not isinstance(equity, int | float | np.number):
            raise ValueError(f"equity={equity!r} must be a number")
        if isinstance(equity, float | np.floating) and not math.isfinite(equity):
            raise ValueError(f"equity={equity!r} must be finite")
        eq: Number = equity.item() if isinstance(equity, np.number) else equity
        if self.high_water_mark is None or eq > self.high_water_mark:
            self.high_water_mark = eq
        hwm = self.high_water_mark
        amount = hwm - eq
        fraction = amount / hwm if hwm > 0 else math.nan
        self.max_amount = max(self.max_amount, amount)
        if not math.isnan(fraction) and not fraction <= self.max_fraction:
            self.max_fraction = fraction  # `not <=` so that a NaN maximum is replaced
        return DrawdownPoint(amount, fraction)

"""Input checks shared by the analytics: bad input fails loudly, naming the field and value."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def as_1d(field: str, values: ArrayLike) -> NDArray[np.generic]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{field} must be one-dimensional, got shape {arr.shape}")
    return arr


def as_int_1d(field: str, values: ArrayLike) -> NDArray[np.int64]:
    """Ticks, lots and nanoseconds are integers; a float here is a unit mistake upstream."""
    arr = as_1d(field, values)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{field} must hold integers (ticks, lots or ns), got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def as_float_1d(field: str, values: ArrayLike) -> NDArray[np.float64]:
    arr = as_1d(field, values)
    if arr.size and not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise ValueError(f"{field} must be numeric, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def same_length(**arrays: NDArray[np.generic]) -> int:
    lengths = {name: a.shape[0] for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays must have the same length, got {lengths}")
    return next(iter(lengths.values()), 0)


def strictly_increasing(field: str, arr: NDArray[np.generic]) -> None:
    if arr.size > 1:
        steps = np.diff(arr)
        bad = np.flatnonzero(steps <= 0)
        if bad.size:
            i = int(bad[0]) + 1
            raise ValueError(
                f"{field} must be strictly increasing: {field}[{i}]={_show(arr[i].item())} "
                f"after {_show(arr[i - 1].item())}"
            )


def non_decreasing(field: str, arr: NDArray[np.generic]) -> None:
    if arr.size > 1:
        bad = np.flatnonzero(np.diff(arr) < 0)
        if bad.size:
            i = int(bad[0]) + 1
            raise ValueError(
                f"{field} must be non-decreasing: {field}[{i}]={_show(arr[i].item())} "
                f"after {_show(arr[i - 1].item())}"
            )


def non_negative(field: str, arr: NDArray[np.int64] | NDArray[np.float64]) -> None:
    bad = np.flatnonzero(arr < 0)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{field} must be >= 0: {field}[{i}]={_show(arr[i].item())}")


def positive_or_nan(field: str, arr: NDArray[np.float64]) -> None:
    """Log returns need finite positive prices; NaN marks a missing sample and is allowed."""
    bad = np.flatnonzero(~((arr > 0) & np.isfinite(arr)) & ~np.isnan(arr))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{field} must be finite and > 0 (NaN if missing): {field}[{i}]={arr[i].item()!r}"
        )


def positive_int(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{field}={_show(value)} must be an integer >= 1")
    return int(value)


def non_negative_int(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{field}={_show(value)} must be an integer >= 0")
    return int(value)


def int_value(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{field}={_show(value)} must be an integer")
    return int(value)


def positive_finite(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{field}={_show(value)} must be a number")
    x = float(value)
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{field}={_show(value)} must be finite and > 0")
    return x

"""Validation of protection parameters and inputs, with errors naming the field and value.

Ratios (5%, 0.7x, a 1% move) may be written as 0.07, "0.07" or Decimal("0.07"); each becomes
the exact decimal fraction a person wrote (7/100), never the binary float nearest to it, so
band and threshold arithmetic on integer ticks stays exact.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction


def exact_ratio(field: str, value: float | str | Decimal | Fraction) -> Fraction:
    if isinstance(value, bool):
        raise ValueError(f"{field}={value!r} is not a number")
    if isinstance(value, Fraction):
        return value
    text = repr(value) if isinstance(value, float) else value
    try:
        d = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{field}={value!r} is not a number") from None
    if not d.is_finite():
        raise ValueError(f"{field}={value!r} is not finite")
    return Fraction(d)


def require_int(field: str, value: object, minimum: int) -> int:
    """value as an int >= minimum; bools and floats are refused (ticks, lots and ns are ints)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field}={value!r} must be an int")
    if value < minimum:
        raise ValueError(f"{field}={value!r} must be >= {minimum}")
    return value


def require_time(field: str, t_ns: int, last_ns: int | None) -> None:
    """Time never goes backwards: each call's t_ns is at or after the previous call's."""
    if last_ns is not None and t_ns < last_ns:
        raise ValueError(f"{field}={t_ns} is before the previous call's t_ns={last_ns}")

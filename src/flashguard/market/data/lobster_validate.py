"""What LOBSTER values must mean, checked on each chunk of rows as the reader parses it.

Message rows: a known type, direction 1 or -1, no negative size, order id or time; times never
go back. Order-book rows: sizes >= 0, an empty level is the side's sentinel price with size 0
and comes only after the occupied levels, and prices move away from the touch level by level:
what the level model of `lobster_levels` relies on. Each error names the file, the first bad
line, the column and the value.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from flashguard.market.data.lobster_format import (
    EMPTY_ASK_PRICE,
    EMPTY_BID_PRICE,
    LobsterFormatError,
    format_time,
)
from flashguard.market.data.numeric_csv import RowCheck

I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]


def _fail(path: str, line: int, column: str, value: object, why: str) -> LobsterFormatError:
    return LobsterFormatError(f"{path}: line {line}: column {column}={value} {why}")


def message_rows(path: str) -> RowCheck:
    """A check of message rows (time, type, order_id, size, price, direction)."""

    def check(rows: I64, line: int) -> None:
        t_ns, kind, order_id, size, direction = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 5]
        rules: list[tuple[str, I64, Mask, str]] = [
            ("time", t_ns, t_ns < 0, "is negative"),
            ("type", kind, (kind < 1) | (kind > 7), "is not a message type 1..7"),
            ("order_id", order_id, order_id < 0, "is negative"),
            ("size", size, size < 0, "is negative"),
            ("direction", direction, (direction != 1) & (direction != -1), "is not 1 or -1"),
        ]
        found = [(int(np.argmax(mask)), c) for c, (*_, mask, _) in enumerate(rules) if mask.any()]
        if found:
            row, c = min(found)
            column, values, _, why = rules[c]
            value = int(values[row])
            raise _fail(path, line + row, column, format_time(value) if c == 0 else value, why)

    return check


def time_order(path: str, t_ns: I64, first_line: int) -> None:
    back = np.flatnonzero(np.diff(t_ns) < 0)
    if back.size:
        row = int(back[0]) + 1
        raise _fail(
            path,
            first_line + row,
            "time",
            format_time(int(t_ns[row])),
            f"is before the previous row's {format_time(int(t_ns[row - 1]))}",
        )


def book_rows(path: str) -> RowCheck:
    """A check of order-book rows: per level ask price, ask size, bid price, bid size."""

    def check(rows: I64, line: int) -> None:
        found: list[tuple[int, int, str, int, str]] = []  # row, level index, column, value, why
        sides = (
            ("ask", rows[:, 0::4], rows[:, 1::4], EMPTY_ASK_PRICE, "above", 1),
            ("bid", rows[:, 2::4], rows[:, 3::4], EMPTY_BID_PRICE, "below", -1),
        )
        for side, price, size, empty_price, beyond, away in sides:
            empty = price == empty_price
            for mask, column, values, why in (
                (size < 0, "size", size, "is negative"),
                (empty & (size != 0), "size", size, "is not 0 at an empty level"),
                (~empty & (size == 0), "price", price, f"has size 0 but is not {empty_price}"),
            ):
                if mask.any():
                    row, lvl = (int(v) for v in np.argwhere(mask)[0])
                    found.append((row, lvl, f"{side}_{column}_{lvl + 1}", int(values[row, lvl]), why))
            # each level from the second one, against the level before it
            gap = ~empty[:, 1:] & empty[:, :-1]
            step = away * (price[:, 1:] - price[:, :-1])
            unsorted = ~empty[:, 1:] & ~empty[:, :-1] & (step <= 0)
            for mask, what in ((gap, "follows an empty level"), (unsorted, f"is not {beyond}")):
                if mask.any():
                    row, lvl = (int(v) for v in np.argwhere(mask)[0])
                    why = f"{what} {side}_price_{lvl + 1}={int(price[row, lvl])}"
                    value = int(price[row, lvl + 1])
                    found.append((row, lvl + 1, f"{side}_price_{lvl + 2}", value, why))
        if found:
            row, _, column, value, why = min(found)
            raise _fail(path, line + row, column, value, why)

    return check

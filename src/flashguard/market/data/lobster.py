"""LOBSTER recorded data: message and order-book files read into int64 columns, and replay.

Files may or may not start with a header row; the order-book depth is inferred from the column
count. Times become integer nanoseconds exactly; prices stay in the file's unit (dollars x
10000, see `to_ticks`). The format itself is in `lobster_format`, and docs/lobster.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np
from numpy.typing import NDArray

from flashguard.market.data import lobster_validate
from flashguard.market.data.lobster_format import (
    EMPTY_ASK_PRICE,
    EMPTY_BID_PRICE,
    LEVEL_COLUMNS,
    MESSAGE_COLUMNS,
    MESSAGE_HEADER,
    PRICE_SCALE,
    LobsterFormatError,
    MessageType,
    format_time,
)
from flashguard.market.data.numeric_csv import (
    CsvFormatError,
    RowCheck,
    parse_field,
    parse_numeric_csv,
)

__all__ = [
    "EMPTY_ASK_PRICE",
    "EMPTY_BID_PRICE",
    "MESSAGE_HEADER",
    "PRICE_SCALE",
    "Book",
    "LobsterFormatError",
    "Message",
    "MessageType",
    "Messages",
    "format_time",
    "read_messages",
    "read_orderbook",
    "replay",
    "to_ticks",
]


class Message(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One LOBSTER message. price is in the file's unit (dollars x 10000); see to_ticks."""

    t_ns: int
    type: int  # MessageType
    order_id: int
    size: int
    price: int
    direction: int  # 1 buy, -1 sell: the side of the resting order, also for executions


@dataclass(frozen=True, slots=True, eq=False)
class Messages:
    """A message file as columns (int64, one entry per row)."""

    path: str
    first_line: int  # file line number of row 0: 2 after a header, else 1
    t_ns: NDArray[np.int64]
    type: NDArray[np.int64]
    order_id: NDArray[np.int64]
    size: NDArray[np.int64]
    price: NDArray[np.int64]
    direction: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.t_ns.size)

    def line(self, row: int) -> int:
        return self.first_line + row

    def record(self, row: int) -> Message:
        return Message(
            int(self.t_ns[row]),
            int(self.type[row]),
            int(self.order_id[row]),
            int(self.size[row]),
            int(self.price[row]),
            int(self.direction[row]),
        )


@dataclass(frozen=True, slots=True, eq=False)
class Book:
    """An order-book file as (rows, levels) int64 arrays; level 0 is the best."""

    path: str
    first_line: int
    levels: int
    ask_price: NDArray[np.int64]
    ask_size: NDArray[np.int64]
    bid_price: NDArray[np.int64]
    bid_size: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.ask_price.shape[0])

    def line(self, row: int) -> int:
        return self.first_line + row


def to_ticks(price: int, units_per_tick: int = 100) -> int:
    """A LOBSTER price (dollars x 10000) in ticks: with a 0.01 tick, price // 100."""
    ticks, rest = divmod(price, units_per_tick)
    if rest:
        raise ValueError(f"price={price} is not a multiple of units_per_tick={units_per_tick}")
    return ticks


def read_messages(path: str | Path) -> Messages:
    """Read a LOBSTER message file, with or without a header row."""
    name = str(path)
    data = Path(path).read_bytes()
    first_line, offset = _header(data, name, len(MESSAGE_COLUMNS))
    table = _parse(
        data, offset, MESSAGE_COLUMNS, (9, 0, 0, 0, 0, 0), name, first_line,
        lobster_validate.message_rows(name),
    )
    lobster_validate.time_order(name, table[:, 0], first_line)
    t_ns, kind, order_id, size, price, direction = (table[:, c] for c in range(6))
    return Messages(name, first_line, t_ns, kind, order_id, size, price, direction)


def read_orderbook(path: str | Path, levels: int | None = None) -> Book:
    """Read a LOBSTER order-book file, with or without a header row.

    The file's depth is its column count / 4; levels, when given, keeps only the first levels
    (the file must have at least that many).
    """
    name = str(path)
    data = Path(path).read_bytes()
    ncols = _column_count(data, name, levels)
    if ncols % 4:
        raise LobsterFormatError(
            f"{name}: line 1: {ncols} columns is not 4 per level "
            "(ask price, ask size, bid price, bid size)"
        )
    depth = ncols // 4
    if levels is not None and not 1 <= levels <= max(depth, 1):
        raise LobsterFormatError(f"{name}: levels={levels} must be in 1..{depth} (the file's depth)")
    first_line, offset = _header(data, name, ncols)
    columns = [f"{col}_{lvl}" for lvl in range(1, depth + 1) for col in LEVEL_COLUMNS]
    table = _parse(
        data, offset, columns, (0,) * ncols, name, first_line, lobster_validate.book_rows(name)
    )
    keep = depth if levels is None else levels
    # Strided views of one table: no copy of a file that may hold hundreds of MB.
    return Book(
        name,
        first_line,
        keep,
        table[:, 0 : 4 * keep : 4],
        table[:, 1 : 4 * keep : 4],
        table[:, 2 : 4 * keep : 4],
        table[:, 3 : 4 * keep : 4],
    )


def replay(source: str | Path | Messages) -> Iterator[Message]:
    """The messages of a file (or of columns already read), in file order."""
    m = source if isinstance(source, Messages) else read_messages(source)
    columns = (m.t_ns, m.type, m.order_id, m.size, m.price, m.direction)
    for t_ns, kind, order_id, size, price, direction in zip(
        *(c.tolist() for c in columns), strict=True
    ):
        yield Message(t_ns, kind, order_id, size, price, direction)


# --- file layout ---------------------------------------------------------------------------


def _first_line(data: bytes) -> bytes:
    end = data.find(b"\n")
    return (data if end < 0 else data[:end]).rstrip(b"\r")


def _column_count(data: bytes, path: str, levels: int | None) -> int:
    start = 0
    while start < len(data) and data[start] in b"\r\n":
        start += 1
    first = _first_line(data[start : data.find(b"\n", start) + 1 or len(data)])
    if first:
        return first.count(b",") + 1
    if levels is None:
        raise LobsterFormatError(f"{path}: the file is empty, so its depth is unknown; give levels")
    return 4 * levels


def _parse(
    data: bytes,
    offset: int,
    columns: Sequence[str],
    decimals: Sequence[int],
    path: str,
    first_line: int,
    check_rows: RowCheck,
) -> NDArray[np.int64]:
    try:
        return parse_numeric_csv(
            data, columns, decimals, path=path, first_line=first_line, offset=offset,
            check_rows=check_rows,
        )
    except LobsterFormatError:
        raise
    except CsvFormatError as e:
        raise LobsterFormatError(str(e)) from None


def _header(data: bytes, path: str, ncols: int) -> tuple[int, int]:
    """(file line number of the first data row, its offset in data). A first line none of
    whose fields is a number is a header; it must have as many columns as the data."""
    first = _first_line(data)
    fields = first.decode("utf-8", errors="replace").split(",")
    if not first or any(isinstance(parse_field(f, 9), int) for f in fields):
        return 1, 0
    found = first.count(b",") + 1
    if found != ncols:
        raise LobsterFormatError(
            f"{path}: line 1: header {first.decode(errors='replace')!r} has {found} columns, "
            f"expected {ncols}"
        )
    end = data.find(b"\n")
    return 2, (len(data) if end < 0 else end + 1)

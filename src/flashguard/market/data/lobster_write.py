"""Writing LOBSTER files: a simulated venue's messages and books in the format recorded data
comes in, so the same tools (the reader, `flashguard data lobster-check`) work on both."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from flashguard.market.data.lobster import (
    EMPTY_ASK_PRICE,
    EMPTY_BID_PRICE,
    MESSAGE_HEADER,
    Message,
    format_time,
)

Level = tuple[int, int]


class DepthView(Protocol):
    """What a matching-engine book (Python or C) offers: (price, qty) levels, best first."""

    def levels(self, side: int, depth: int | None = None) -> list[tuple[int, int]]: ...


def book_header(levels: int) -> str:
    return ",".join(
        f"{name}{n}"
        for n in range(1, levels + 1)
        for name in ("AskPrice", "AskSize", "BidPrice", "BidSize")
    )


def write_messages(path: str | Path, messages: Iterable[Message], header: bool = True) -> None:
    lines = [MESSAGE_HEADER] if header else []
    lines.extend(
        f"{format_time(m.t_ns)},{m.type},{m.order_id},{m.size},{m.price},{m.direction}"
        for m in messages
    )
    Path(path).write_text("".join(line + "\n" for line in lines))


def write_orderbook(
    path: str | Path,
    rows: Iterable[tuple[Sequence[Level], Sequence[Level]]],
    levels: int,
    header: bool = True,
) -> None:
    """rows: (asks, bids) per message, each (price, size) best first; missing levels are
    written as LOBSTER's empty level, levels beyond `levels` are left out."""
    if levels < 1:
        raise ValueError(f"levels={levels} must be >= 1")
    lines = [book_header(levels)] if header else []
    for asks, bids in rows:
        cells: list[int] = []
        for n in range(levels):
            ask = asks[n] if n < len(asks) else (EMPTY_ASK_PRICE, 0)
            bid = bids[n] if n < len(bids) else (EMPTY_BID_PRICE, 0)
            cells.extend((*ask, *bid))
        lines.append(",".join(map(str, cells)))
    Path(path).write_text("".join(line + "\n" for line in lines))


def book_levels(
    book: DepthView, levels: int, units_per_tick: int = 100
) -> tuple[list[Level], list[Level]]:
    """(asks, bids) of a matching-engine book in LOBSTER price units (a 0.01 tick is 100)."""
    asks = [(price * units_per_tick, qty) for price, qty in book.levels(-1, levels)]
    bids = [(price * units_per_tick, qty) for price, qty in book.levels(1, levels)]
    return asks, bids

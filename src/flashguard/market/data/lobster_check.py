"""Does a LOBSTER order-book file follow from its message file? A level-by-level check.

For each row i >= 1, message i is applied to the book of row i-1 (every level the file holds)
by the rules of `lobster_levels`, and the result is compared with row i on the first `levels`
levels of both sides. A level whose content would come from beyond the file's depth is
undetermined: neither a match nor a mismatch. Row 0 has no prior row: it is undetermined.

A row is *checked* when at least one of its compared levels is determined, *undetermined*
when none is (checked + undetermined == rows); it is *mismatched* when it is checked and some
determined level differs from the file. A message changes at most one side, and the other
side is always determined, so every row after row 0 is checked; the rows that hold an
undetermined level are counted per reason.

The rules run on blocks of rows with numpy (a file of millions of rows is checked in seconds);
`lobster_levels.apply_message` states them one message at a time, and a property test holds
the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from flashguard.market.data.lobster import (
    EMPTY_ASK_PRICE,
    EMPTY_BID_PRICE,
    Book,
    Messages,
    MessageType,
)
from flashguard.market.data.lobster_levels import ACTS_ON_A_SIDE, EMPTIED_AT_DEPTH

FIRST_ROW = "first_row"
REASONS = {
    FIRST_ROW: "row 0 has no prior row to apply its message to",
    EMPTIED_AT_DEPTH: (
        "a level emptied on a side that showed all its levels: the last level moving in "
        "comes from beyond the file's depth"
    ),
}

_BLOCK_CELLS = 1 << 18  # rows x depth per block: bounds the temporaries to a few MB each
_ADD = int(MessageType.ADD)
_SIDE_TYPES = np.array(sorted(ACTS_ON_A_SIDE), dtype=np.int64)

I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]

@dataclass(frozen=True, slots=True)
class Mismatch:
    """The first mismatched row, its compared levels in the file's column order (ask price,
    ask size, bid price, bid size per level); None marks an undetermined value."""

    row: int
    expected: list[int | None]
    got: list[int]


@dataclass(slots=True)
class Counts:
    rows: int = 0
    checked: int = 0
    undetermined: int = 0
    mismatched: int = 0
    partly_undetermined: int = 0  # checked rows with an undetermined compared level


@dataclass(slots=True)
class CheckResult:
    rows: int
    levels: int  # compared per side
    depth: int  # held by the file
    checked: int = 0
    undetermined: int = 0
    mismatched: int = 0
    first_mismatch: Mismatch | None = None
    contradictions: int = 0  # rows whose message does not fit the prior book
    by_type: dict[int, Counts] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)  # rows with undetermined levels

    def summary(self) -> dict[str, object]:
        """The result as `--json` prints it: exactly these keys."""
        first = self.first_mismatch
        return {
            "rows": self.rows,
            "levels": self.levels,
            "checked": self.checked,
            "undetermined": self.undetermined,
            "mismatched": self.mismatched,
            "first_mismatch": None
            if first is None
            else {"row": first.row, "expected": first.expected, "got": first.got},
        }


def check(messages: Messages, book: Book, levels: int | None = None) -> CheckResult:
    """Check book against messages on its first `levels` levels (all of the file's by default)."""
    rows = len(messages)
    if len(book) != rows:
        raise ValueError(
            f"{messages.path} has {rows} rows but {book.path} has {len(book)}: "
            "a LOBSTER order-book file has one row per message"
        )
    depth = book.levels
    n = depth if levels is None else levels
    if not 1 <= n <= depth:
        raise ValueError(f"levels={n} must be in 1..{depth}, the depth of {book.path}")
    result = CheckResult(rows, n, depth)
    if rows:
        first = result.by_type.setdefault(int(messages.type[0]), Counts())
        first.rows += 1
        first.undetermined += 1
        result.undetermined += 1
        result.by_reason[FIRST_ROW] = 1
    step = max(1, _BLOCK_CELLS // depth)
    for lo in range(1, rows, step):
        _check_block(messages, book, lo, min(lo + step, rows), result)
    return result


class _SideRows:
    """For each row of a block, the side its message acts on: (rows, depth) prices and sizes
    as the prior row shows them. `after` applies the rules of `lobster_levels` to all rows
    at once."""

    def __init__(self, price: I64, size: I64, is_bid: Mask) -> None:
        self.price, self.size, self.is_bid = price, size, is_bid

    def after(self, kind: I64, price: I64, size: I64) -> tuple[I64, I64, Mask, Mask]:
        """(prices, sizes, undetermined levels, contradiction per row) after each message."""
        p, s, is_bid = self.price, self.size, self.is_bid
        rows, depth = p.shape
        acts = np.isin(kind, _SIDE_TYPES)
        is_add = kind == _ADD
        known = p != np.where(is_bid, EMPTY_BID_PRICE, EMPTY_ASK_PRICE)[:, None]
        k = known.sum(axis=1)
        full = k == depth
        sign = np.where(is_bid, 1, -1)
        # where price is, or would go, among the occupied levels (they are sorted)
        at = ((sign[:, None] * p > (sign * price)[:, None]) & known).sum(axis=1)
        row = np.arange(rows)
        at_clipped = np.minimum(at, depth - 1)
        at_level = (at < k) & (p[row, at_clipped] == price)
        beyond = (at == k) & full
        delta = np.where(is_add, size, -size)
        left = s[row, at_clipped] + delta
        insert = acts & ~at_level & ~beyond
        remove = acts & at_level & ~is_add & (left == 0)
        resize = acts & at_level & ~remove

        col = np.arange(depth)[None, :]
        here = col == at[:, None]
        shift = np.where(insert[:, None] & (col > at[:, None]), -1, 0)
        shift += np.where(remove[:, None] & (col >= at[:, None]), 1, 0)
        source = np.clip(col + shift, 0, depth - 1)
        exp_p = p[row[:, None], source]
        exp_s = s[row[:, None], source]
        placed = insert[:, None] & here
        exp_p = np.where(placed, price[:, None], exp_p)
        exp_s = np.where(placed, delta[:, None], exp_s)
        exp_s = np.where(resize[:, None] & here, left[:, None], exp_s)
        undetermined = (remove & full)[:, None] & (col == depth - 1)
        contradiction = (insert & ~is_add) | (resize & (left < 0))
        return exp_p, exp_s, undetermined, contradiction


def _check_block(messages: Messages, book: Book, lo: int, hi: int, result: CheckResult) -> None:
    """Rows lo..hi-1 (lo >= 1), each against the row before it."""
    n = result.levels
    now, prior = slice(lo, hi), slice(lo - 1, hi - 1)
    kind = messages.type[now]
    is_bid = messages.direction[now] == 1
    on_bid = is_bid[:, None]
    # The side each message acts on, as row i-1 shows it (for types 5-7 it stays as it is).
    side = _SideRows(
        np.where(on_bid, book.bid_price[prior], book.ask_price[prior]),
        np.where(on_bid, book.bid_size[prior], book.ask_size[prior]),
        is_bid,
    )
    exp_p, exp_s, undetermined, contradiction = side.after(
        kind, messages.price[now], messages.size[now]
    )
    result.contradictions += int(np.count_nonzero(contradiction))
    undetermined = undetermined[:, :n]
    exp_bid_p = np.where(on_bid, exp_p, book.bid_price[prior])[:, :n]
    exp_bid_s = np.where(on_bid, exp_s, book.bid_size[prior])[:, :n]
    exp_ask_p = np.where(on_bid, book.ask_price[prior], exp_p)[:, :n]
    exp_ask_s = np.where(on_bid, book.ask_size[prior], exp_s)[:, :n]
    got = [a[now, :n] for a in (book.ask_price, book.ask_size, book.bid_price, book.bid_size)]
    undet_ask = undetermined & ~on_bid
    undet_bid = undetermined & on_bid
    wrong = (((exp_ask_p != got[0]) | (exp_ask_s != got[1])) & ~undet_ask).any(axis=1)
    wrong |= (((exp_bid_p != got[2]) | (exp_bid_s != got[3])) & ~undet_bid).any(axis=1)
    partly = undetermined.any(axis=1)

    result.checked += hi - lo
    result.mismatched += int(np.count_nonzero(wrong))
    if partly.any():
        emptied = int(np.count_nonzero(partly))
        result.by_reason[EMPTIED_AT_DEPTH] = result.by_reason.get(EMPTIED_AT_DEPTH, 0) + emptied
    types, index = np.unique(kind, return_inverse=True)
    per_type = (
        np.bincount(index, minlength=types.size),
        np.bincount(index[wrong], minlength=types.size),
        np.bincount(index[partly], minlength=types.size),
    )
    for t, rows_t, wrong_t, partly_t in zip(types.tolist(), *(c.tolist() for c in per_type), strict=True):
        counts = result.by_type.setdefault(t, Counts())
        counts.rows += rows_t
        counts.checked += rows_t
        counts.mismatched += wrong_t
        counts.partly_undetermined += partly_t
    if result.first_mismatch is None and wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        expected = (exp_ask_p[i], exp_ask_s[i], exp_bid_p[i], exp_bid_s[i])
        hidden = (undet_ask[i], undet_ask[i], undet_bid[i], undet_bid[i])
        result.first_mismatch = Mismatch(
            lo + i,
            [
                None if hidden[c][lvl] else int(expected[c][lvl])
                for lvl in range(n)
                for c in range(4)
            ],
            [int(got[c][i, lvl]) for lvl in range(n) for c in range(4)],
        )

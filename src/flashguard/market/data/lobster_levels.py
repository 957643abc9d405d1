"""The level model: what one message does to the levels of one side a LOBSTER file shows.

This is the reference statement of the rules, one message at a time; `lobster_check` applies
the same rules to whole files with numpy, and a property test holds the two equal.

A side is the file's depth of (price, size) levels, best first, empty ones last as the side's
sentinel price with size 0. When every level is occupied ("full"), more levels may lie unseen
beyond the last one; when not, the side is known completely.

- Add at the price of a level: its size grows. Add strictly better than some known level, or
  anywhere on a side that is not full: a new level; a full side drops its last level. Add worse
  than every level of a full side: nothing visible changes.
- Removal (partial cancel, delete, visible execution) at the price of a level: its size falls;
  at zero the level goes and the levels behind it move up. The last place is then the side's
  sentinel if the side was not full, and *undetermined* if it was: what moves in comes from
  beyond the file's depth. Removal worse than every level of a full side: nothing visible.
- A removal of more than the level shows, or at a price with no level where the side is known,
  contradicts the prior book: the expected level keeps a negative size and can never match.
"""

from __future__ import annotations

from typing import NamedTuple

from flashguard.market.data.lobster import EMPTY_ASK_PRICE, EMPTY_BID_PRICE, MessageType

EMPTIED_AT_DEPTH = "emptied_at_depth"

_ADD = int(MessageType.ADD)
ACTS_ON_A_SIDE = frozenset(
    int(t)
    for t in (
        MessageType.ADD,
        MessageType.PARTIAL_CANCEL,
        MessageType.DELETE,
        MessageType.EXECUTE_VISIBLE,
    )
)

Level = tuple[int, int]
Expected = tuple[int, int] | None  # None: undetermined


class SideAfter(NamedTuple):
    """A side as it must look after a message."""

    levels: list[Expected]  # as many as the file's depth, best first
    undetermined_reason: str | None
    contradiction: bool  # the message does not fit the prior side


def apply_message(prior: list[Level], is_bid: bool, kind: int, price: int, size: int) -> SideAfter:
    """Apply an add (type 1) or a removal (types 2, 3, 4) at price to a side's prior levels."""
    if kind not in ACTS_ON_A_SIDE:
        raise ValueError(f"kind={kind} does not act on a side; types 1..4 do")
    depth = len(prior)
    empty_price = EMPTY_BID_PRICE if is_bid else EMPTY_ASK_PRICE
    known = [lvl for lvl in prior if lvl[0] != empty_price]
    full = len(known) == depth
    sign = 1 if is_bid else -1
    at = 0  # where price is, or would go, among the known levels
    while at < len(known) and sign * known[at][0] > sign * price:
        at += 1
    at_level = at < len(known) and known[at][0] == price
    beyond = at == len(known) and full  # worse than all a full side shows: invisible
    levels: list[Expected] = list(known)
    emptied = contradiction = False
    if kind == _ADD:
        if at_level:
            levels[at] = (price, known[at][1] + size)
        elif not beyond:
            levels.insert(at, (price, size))
    elif at_level:
        left = known[at][1] - size
        if left == 0:
            del levels[at]
            emptied = True
        else:
            levels[at] = (price, left)
            contradiction = left < 0
    elif not beyond:
        levels.insert(at, (price, -size))
        contradiction = True
    del levels[depth:]
    reason = None
    if emptied and full:
        levels.append(None)
        reason = EMPTIED_AT_DEPTH
    levels.extend([(empty_price, 0)] * (depth - len(levels)))
    return SideAfter(levels, reason, contradiction)

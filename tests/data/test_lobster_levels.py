"""The level model, case by case, and the file check agreeing with it on random books."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.market.data.lobster import EMPTY_ASK_PRICE, EMPTY_BID_PRICE, Book, Messages
from flashguard.market.data.lobster_check import check
from flashguard.market.data.lobster_levels import EMPTIED_AT_DEPTH, Level, apply_message

ADD, CANCEL, DELETE, EXECUTE = 1, 2, 3, 4
NO_BID = (EMPTY_BID_PRICE, 0)
NO_ASK = (EMPTY_ASK_PRICE, 0)
BIDS = [(100, 10), (99, 20), (97, 30)]  # a full side of depth 3
ASKS = [(101, 5), (103, 6), NO_ASK]  # a side of depth 3 with two levels: known completely


def test_add_at_a_level_grows_it() -> None:
    after = apply_message(BIDS, True, ADD, 99, 5)
    assert after.levels == [(100, 10), (99, 25), (97, 30)]
    assert after.undetermined_reason is None


def test_add_inside_a_full_side_inserts_and_drops_the_last_level() -> None:
    assert apply_message(BIDS, True, ADD, 98, 7).levels == [(100, 10), (99, 20), (98, 7)]
    assert apply_message(BIDS, True, ADD, 102, 7).levels == [(102, 7), (100, 10), (99, 20)]


def test_add_beyond_a_full_side_changes_nothing_visible() -> None:
    after = apply_message(BIDS, True, ADD, 90, 7)
    assert after.levels == BIDS
    assert after.undetermined_reason is None


def test_add_beyond_a_side_that_is_not_full_becomes_its_next_level() -> None:
    assert apply_message(ASKS, False, ADD, 110, 4).levels == [(101, 5), (103, 6), (110, 4)]
    assert apply_message(ASKS, False, ADD, 102, 4).levels == [(101, 5), (102, 4), (103, 6)]


def test_add_to_an_empty_side() -> None:
    assert apply_message([NO_BID, NO_BID], True, ADD, 50, 1).levels == [(50, 1), NO_BID]


@pytest.mark.parametrize("kind", [CANCEL, DELETE, EXECUTE])
def test_removals_shrink_a_level(kind: int) -> None:
    assert apply_message(BIDS, True, kind, 99, 15).levels == [(100, 10), (99, 5), (97, 30)]


def test_emptying_a_level_of_a_full_side_leaves_the_last_level_undetermined() -> None:
    after = apply_message(BIDS, True, DELETE, 100, 10)
    assert after.levels == [(99, 20), (97, 30), None]
    assert after.undetermined_reason == EMPTIED_AT_DEPTH
    one_level = apply_message([(100, 10)], True, EXECUTE, 100, 10)
    assert one_level.levels == [None]


def test_emptying_a_level_of_a_known_side_shifts_in_the_empty_level() -> None:
    after = apply_message(ASKS, False, EXECUTE, 101, 5)
    assert after.levels == [(103, 6), NO_ASK, NO_ASK]
    assert after.undetermined_reason is None
    assert apply_message([(101, 5), NO_ASK], False, DELETE, 101, 5).levels == [NO_ASK, NO_ASK]


def test_removal_beyond_a_full_side_changes_nothing_visible() -> None:
    after = apply_message(BIDS, True, EXECUTE, 96, 1000)
    assert after.levels == BIDS
    assert not after.contradiction


def test_removals_the_book_cannot_hold_are_contradictions() -> None:
    too_much = apply_message(BIDS, True, DELETE, 99, 21)
    assert too_much.contradiction and too_much.levels[1] == (99, -1)
    between = apply_message(BIDS, True, EXECUTE, 98, 1)
    assert between.contradiction and between.levels == [(100, 10), (99, 20), (98, -1)]
    inside_spread = apply_message(ASKS, False, DELETE, 100, 3)
    assert inside_spread.contradiction and inside_spread.levels[0] == (100, -3)
    beyond_known = apply_message(ASKS, False, CANCEL, 120, 3)
    assert beyond_known.contradiction and beyond_known.levels[2] == (120, -3)


def test_types_without_a_side_are_refused() -> None:
    with pytest.raises(ValueError, match="kind=5"):
        apply_message(BIDS, True, 5, 100, 1)


# --- the vectorised file check follows the model -------------------------------------------


@st.composite
def side(draw: st.DrawFn, is_bid: bool, depth: int) -> list[Level]:
    known = draw(st.integers(0, depth))
    gaps = draw(st.lists(st.integers(1, 3), min_size=known, max_size=known))
    sizes = draw(st.lists(st.integers(1, 9), min_size=known, max_size=known))
    start = 100 if is_bid else 103
    sign = -1 if is_bid else 1
    prices = [start + sign * (sum(gaps[: i + 1]) - gaps[0]) for i in range(known)]
    empty = NO_BID if is_bid else NO_ASK
    return list(zip(prices, sizes, strict=True)) + [empty] * (depth - known)


@st.composite
def transition(draw: st.DrawFn) -> tuple[list[Level], list[Level], tuple[int, int, int, int]]:
    depth = draw(st.integers(1, 4))
    asks, bids = draw(side(False, depth)), draw(side(True, depth))
    kind = draw(st.integers(1, 7))
    direction = draw(st.sampled_from([1, -1]))
    levels = bids if direction == 1 else asks
    shown = [p for p, s in levels if s]
    at_a_level = bool(shown) and draw(st.booleans())
    price = draw(st.sampled_from(shown)) if at_a_level else draw(st.integers(85, 118))
    at = dict(levels).get(price, 0)
    size = draw(st.sampled_from([at, max(at - 1, 1), at + 1, draw(st.integers(1, 12))]))
    return asks, bids, (kind, price, max(size, 1), direction)


def two_rows(
    before: tuple[list[Level], list[Level]], after: tuple[list[Level], list[Level]]
) -> Book:
    def col(side: int, field: int) -> np.ndarray:
        return np.array([[lvl[field] for lvl in row[side]] for row in (before, after)], dtype=np.int64)

    depth = len(before[0])
    return Book("b.csv", 1, depth, col(0, 0), col(0, 1), col(1, 0), col(1, 1))


def messages_of(kind: int, price: int, size: int, direction: int) -> Messages:
    def two(first: int, second: int) -> np.ndarray:
        return np.array([first, second], dtype=np.int64)

    return Messages(
        "m.csv", 1, two(0, 1), two(5, kind), two(0, 9), two(1, size), two(0, price), two(1, direction)
    )


@settings(max_examples=400, deadline=None)
@given(transition(), st.data())
def test_file_check_agrees_with_the_model(
    case: tuple[list[Level], list[Level], tuple[int, int, int, int]], data: st.DataObject
) -> None:
    asks, bids, (kind, price, size, direction) = case
    is_bid = direction == 1
    exp_asks: list[Level | None] = list(asks)
    exp_bids: list[Level | None] = list(bids)
    reason, contradiction = None, False
    if kind <= 4:
        after = apply_message(bids if is_bid else asks, is_bid, kind, price, size)
        reason, contradiction = after.undetermined_reason, after.contradiction
        if is_bid:
            exp_bids = after.levels
        else:
            exp_asks = after.levels
    filler = data.draw(st.tuples(st.integers(1, 200), st.integers(1, 50)))
    got_asks = [lvl if lvl is not None else filler for lvl in exp_asks]
    got_bids = [lvl if lvl is not None else filler for lvl in exp_bids]
    msgs = messages_of(kind, price, size, direction)
    result = check(msgs, two_rows((asks, bids), (got_asks, got_bids)))
    assert (result.checked, result.undetermined, result.mismatched) == (1, 1, 0)
    assert result.by_reason.get(EMPTIED_AT_DEPTH, 0) == (reason is not None)
    assert result.contradictions == contradiction

    # Any change to a determined value is the row's mismatch; changing an undetermined one is not.
    sides = [got_asks, got_bids]
    expected = [exp_asks, exp_bids]
    s = data.draw(st.integers(0, 1))
    lvl = data.draw(st.integers(0, len(asks) - 1))
    f = data.draw(st.integers(0, 1))
    cell = list(sides[s][lvl])
    cell[f] += data.draw(st.sampled_from([-1, 1, 1000]))
    sides[s][lvl] = (cell[0], cell[1])
    changed = check(msgs, two_rows((asks, bids), (sides[0], sides[1])))
    if expected[s][lvl] is None:
        assert changed.mismatched == 0
    else:
        assert changed.mismatched == 1
        assert changed.first_mismatch is not None and changed.first_mismatch.row == 1
        assert changed.first_mismatch.got[4 * lvl + 2 * s + f] == cell[f]

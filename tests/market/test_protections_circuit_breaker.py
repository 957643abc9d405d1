"""Market-wide circuit breakers: each level once a day, the 15:25 cutoff, Level 3 all day."""

from __future__ import annotations

from typing import Any

import pytest

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.market.protections import CircuitBreaker, MwcbParams

S = NS_PER_SECOND
DAY = 5 * 86_400 * S  # midnight of the trading day
PRIOR = 400_000  # index prior close in ticks: L1 at 372_000, L2 at 348_000, L3 at 320_000
L1, L2, L3 = 372_000, 348_000, 320_000
HALT = 15 * NS_PER_MINUTE


def at(hh: int, mm: int, ss: int = 0) -> int:
    return DAY + (hh * 3600 + mm * 60 + ss) * S


def breaker(**kw: Any) -> CircuitBreaker:
    return CircuitBreaker(MwcbParams(**kw), PRIOR, DAY)


def test_level1_at_exactly_seven_percent_not_just_above() -> None:
    cb = breaker()
    t = at(11, 0)
    assert cb.on_index(t, L1 + 1) == []
    [tr] = cb.on_index(t, L1)
    assert (tr.t_ns, tr.status, tr.reason, tr.level, tr.until_ns) == (
        t, "halted", "mwcb_level_1", 1, t + HALT
    )
    assert cb.halted(t) and cb.halted(t + HALT - 1) and not cb.halted(t + HALT)


def test_halt_ends_with_an_auction_transition_at_its_deadline() -> None:
    cb = breaker()
    t = at(11, 0)
    cb.on_index(t, L1)
    assert cb.next_deadline() == t + HALT
    assert cb.poll(t + HALT - 1) == []
    [tr] = cb.poll(t + HALT + 5 * S)  # a late poll still reports the true end
    assert (tr.t_ns, tr.status, tr.reason, tr.level) == (t + HALT, "auction", "mwcb_level_1_ended", 1)
    assert cb.next_deadline() is None
    assert cb.poll(t + 2 * HALT) == []


def test_each_level_halts_at_most_once_a_day() -> None:
    cb = breaker()
    t = at(10, 0)
    assert [tr.level for tr in cb.on_index(t, L1)] == [1]
    cb.poll(t + HALT)
    assert cb.on_index(t + HALT, L1) == []  # Level 1 is used up
    assert cb.on_index(t + HALT + S, L1 - 5000) == []
    [tr] = cb.on_index(t + HALT + 2 * S, L2)
    assert tr.level == 2
    cb.poll(t + 2 * HALT + 2 * S)
    assert cb.on_index(t + 2 * HALT + 3 * S, L2) == []  # Level 2 used up too
    assert not cb.halted(t + 2 * HALT + 3 * S)


def test_jump_past_level1_halts_at_level2_and_uses_up_level1() -> None:
    cb = breaker()
    t = at(10, 0)
    [tr] = cb.on_index(t, L2 - 10)
    assert tr.level == 2
    cb.poll(t + HALT)
    assert cb.on_index(t + HALT, L1) == []


def test_level2_breached_during_a_level1_halt_halts_after_it() -> None:
    cb = breaker()
    t = at(10, 0)
    cb.on_index(t, L1)
    assert cb.on_index(t + S, L2) == []  # during the halt: looked at after
    cb.poll(t + HALT)
    [tr] = cb.on_index(t + HALT + 1, L2)
    assert (tr.level, tr.until_ns) == (2, t + HALT + 1 + HALT)


@pytest.mark.parametrize(
    ("t_ns", "halts"),
    [(at(15, 25) - 1, True), (at(15, 25), False), (at(15, 50), False)],
)
def test_levels_1_and_2_do_not_halt_from_15_25(t_ns: int, halts: bool) -> None:
    for price in (L1, L2):
        cb = breaker()
        assert bool(cb.on_index(t_ns, price)) is halts


def test_level3_halts_for_the_rest_of_the_day_at_any_time() -> None:
    cb = breaker()
    t = at(15, 50)
    assert cb.on_index(t, L3 + 1) == []
    [tr] = cb.on_index(t, L3)
    assert (tr.status, tr.level, tr.until_ns, tr.reason) == ("halted", 3, None, "mwcb_level_3")
    assert cb.next_deadline() is None
    assert cb.poll(at(23, 59)) == []
    assert cb.halted(at(23, 59, 59)) and not cb.halted(DAY + 86_400 * S)
    assert cb.on_index(at(23, 59, 59), 100) == []


def test_level3_during_a_level1_halt_halts_at_once() -> None:
    cb = breaker()
    t = at(10, 0)
    cb.on_index(t, L1)
    [tr] = cb.on_index(t + S, L3)
    assert (tr.level, tr.until_ns) == (3, None)
    assert cb.poll(t + HALT) == []  # the Level 1 end no longer resumes trading
    assert cb.halted(t + HALT)


def test_custom_levels_and_disabled() -> None:
    cb = CircuitBreaker(MwcbParams(levels=(("0.05", 60 * S),)), 1000, DAY)
    [tr] = cb.on_index(at(10, 0), 950)
    assert tr.until_ns == at(10, 1)
    off = breaker(enabled=False)
    assert off.on_index(at(10, 0), 1) == [] and not off.halted(at(10, 0))


def test_bad_parameters_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"levels\[1\].decline=0.05"):
        MwcbParams(levels=((0.07, HALT), (0.05, HALT)))
    with pytest.raises(ValueError, match=r"levels\[0\].decline=1.5"):
        MwcbParams(levels=((1.5, None),))
    with pytest.raises(ValueError, match="prior_close_ticks=0"):
        CircuitBreaker(MwcbParams(), 0, DAY)
    cb = breaker()
    cb.on_index(at(10, 0), PRIOR)
    with pytest.raises(ValueError, match="t_ns="):
        cb.on_index(at(9, 0), PRIOR)


def test_an_unpolled_halt_end_comes_before_a_new_halt() -> None:
    cb = breaker()
    t = at(10, 0)
    cb.on_index(t, L1)
    # the index ticks at the very instant the halt ends, before the venue's poll
    transitions = cb.on_index(t + HALT, L2)
    assert [(tr.t_ns, tr.status, tr.level) for tr in transitions] == [
        (t + HALT, "auction", 1),
        (t + HALT, "halted", 2),
    ]
    assert cb.poll(t + HALT) == []

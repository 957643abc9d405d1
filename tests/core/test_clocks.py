"""SimClock only moves forward; WallClock follows real time and can only be waited for."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashguard.core.clock import SimClock, WallClock


def test_sim_clock_starts_where_it_is_told() -> None:
    assert SimClock().now_ns() == 0
    assert SimClock(start_ns=1_234).now_ns() == 1_234


def test_sim_clock_advances_and_may_stay_put() -> None:
    clock = SimClock(10)
    clock.advance_to(25)
    assert clock.now_ns() == 25
    clock.advance_to(25)  # the same instant is not going back
    assert clock.now_ns() == 25


def test_sim_clock_refuses_to_go_back_and_names_the_value() -> None:
    clock = SimClock(100)
    with pytest.raises(ValueError, match=r"t_ns=99\b.*100"):
        clock.advance_to(99)
    assert clock.now_ns() == 100


@given(st.lists(st.integers(min_value=0, max_value=10**18), max_size=30))
def test_sim_clock_never_goes_back(targets: list[int]) -> None:
    clock = SimClock()
    high = 0
    for t in targets:
        if t < high:
            with pytest.raises(ValueError):
                clock.advance_to(t)
        else:
            clock.advance_to(t)
            high = t
        assert clock.now_ns() == high


def test_wall_clock_reads_integer_nanoseconds_of_real_time() -> None:
    before = time.time_ns()
    now = WallClock().now_ns()
    after = time.time_ns()
    assert type(now) is int
    assert before <= now <= after


def test_wall_clock_advance_to_waits_until_the_time() -> None:
    clock = WallClock()
    target = clock.now_ns() + 20_000_000  # 20 ms
    clock.advance_to(target)
    assert clock.now_ns() >= target


def test_wall_clock_advance_to_the_past_returns_at_once() -> None:
    clock = WallClock()
    start = time.perf_counter_ns()
    clock.advance_to(clock.now_ns() - 10**12)  # 1000 s ago
    assert time.perf_counter_ns() - start < 100_000_000

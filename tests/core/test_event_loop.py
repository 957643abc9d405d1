"""The event loop owns time: callbacks run in (time, insertion) order and the clock follows."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashguard.core.clock import SimClock, WallClock
from flashguard.core.loop import EventLoop


def _recorder(loop: EventLoop, log: list[tuple[str, int]], name: str) -> Callable[[], None]:
    """A callback that records its name and the loop's time when it runs."""

    def callback() -> None:
        log.append((name, loop.now_ns()))

    return callback


def test_callbacks_run_in_time_order_and_see_their_time() -> None:
    loop = EventLoop()
    log: list[tuple[str, int]] = []
    loop.call_at(300, _recorder(loop, log, "c"))
    loop.call_at(100, _recorder(loop, log, "a"))
    loop.call_at(200, _recorder(loop, log, "b"))
    assert loop.run() == 3
    assert log == [("a", 100), ("b", 200), ("c", 300)]
    assert loop.now_ns() == 300
    assert loop.pending() == 0


def test_ties_are_broken_by_insertion_order() -> None:
    loop = EventLoop()
    log: list[tuple[str, int]] = []
    for name in ["first", "second", "third", "fourth"]:
        loop.call_at(50, _recorder(loop, log, name))
    loop.run()
    assert [n for n, _ in log] == ["first", "second", "third", "fourth"]


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=40))
def test_run_order_is_a_stable_sort_by_time(times: list[int]) -> None:
    loop = EventLoop()
    ran: list[int] = []
    for i, t in enumerate(times):
        loop.call_at(t, functools.partial(ran.append, i))
    loop.run()
    assert ran == sorted(range(len(times)), key=lambda i: times[i])


def test_call_later_is_relative_to_now() -> None:
    loop = EventLoop(SimClock(1_000))
    log: list[tuple[str, int]] = []
    loop.call_later(500, _recorder(loop, log, "a"))
    loop.call_later(0, _recorder(loop, log, "now"))
    loop.run()
    assert log == [("now", 1_000), ("a", 1_500)]


def test_call_later_refuses_a_negative_delay_and_names_it() -> None:
    loop = EventLoop()
    with pytest.raises(ValueError, match=r"delay_ns.*-5"):
        loop.call_later(-5, lambda: None)
    assert loop.pending() == 0


def test_run_until_stops_before_later_callbacks_and_advances_the_clock() -> None:
    loop = EventLoop()
    log: list[tuple[str, int]] = []
    loop.call_at(100, _recorder(loop, log, "a"))
    loop.call_at(250, _recorder(loop, log, "at_limit"))
    loop.call_at(251, _recorder(loop, log, "late"))
    assert loop.run(until_ns=250) == 2
    assert log == [("a", 100), ("at_limit", 250)]
    assert loop.pending() == 1
    assert loop.next_time() == 251

    assert loop.run(until_ns=1_000) == 1
    assert log[-1] == ("late", 251)
    assert loop.now_ns() == 1_000  # the clock reaches until_ns even with nothing left to do
    assert loop.processed == 3


def test_run_until_on_an_empty_loop_moves_time() -> None:
    loop = EventLoop(SimClock(5))
    assert loop.run(until_ns=42) == 0
    assert loop.now_ns() == 42
    assert loop.next_time() is None


def test_stop_from_a_callback_halts_the_run_and_run_resumes() -> None:
    loop = EventLoop()
    log: list[tuple[str, int]] = []

    def stopper() -> None:
        log.append(("stop", loop.now_ns()))
        loop.stop()

    loop.call_at(10, _recorder(loop, log, "a"))
    loop.call_at(20, stopper)
    loop.call_at(20, _recorder(loop, log, "b"))
    loop.call_at(30, _recorder(loop, log, "c"))
    assert loop.run(until_ns=100) == 2
    assert log == [("a", 10), ("stop", 20)]
    # a stopped run does not jump the clock to until_ns
    assert loop.now_ns() == 20
    assert loop.pending() == 2

    assert loop.run() == 2
    assert log[2:] == [("b", 20), ("c", 30)]


def test_a_callback_scheduled_now_runs_after_those_already_queued_for_now() -> None:
    loop = EventLoop()
    log: list[tuple[str, int]] = []

    def spawner() -> None:
        log.append(("spawner", loop.now_ns()))
        loop.call_at(loop.now_ns(), _recorder(loop, log, "spawned_at"))
        loop.call_later(0, _recorder(loop, log, "spawned_later"))

    loop.call_at(70, spawner)
    loop.call_at(70, _recorder(loop, log, "queued"))
    loop.call_at(71, _recorder(loop, log, "next"))
    loop.run()
    assert log == [
        ("spawner", 70),
        ("queued", 70),
        ("spawned_at", 70),
        ("spawned_later", 70),
        ("next", 71),
    ]


def test_a_past_time_runs_now_without_moving_the_clock_back() -> None:
    loop = EventLoop(SimClock(1_000))
    log: list[tuple[str, int]] = []
    loop.call_at(1_000, _recorder(loop, log, "queued_now"))
    loop.call_at(3, _recorder(loop, log, "past"))
    assert loop.next_time() == 1_000
    loop.run()
    assert log == [("queued_now", 1_000), ("past", 1_000)]
    assert loop.now_ns() == 1_000


def test_a_loop_on_the_wall_clock_waits_for_due_times() -> None:
    clock = WallClock()
    loop = EventLoop(clock)
    seen: list[int] = []
    start = clock.now_ns()
    due = start + 10_000_000  # 10 ms
    loop.call_at(due, lambda: seen.append(clock.now_ns()))
    loop.run()
    assert len(seen) == 1
    assert seen[0] >= due

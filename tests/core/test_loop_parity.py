"""The C event loop and simulated clock against the Python references (`PyEventLoop`,
`PySimClock`).

Both loops run the same programs: callbacks that record the time they see, schedule more
callbacks (in the past, now, later, with 0 to 3 arguments), stop the run, and runs in steps with
`until_ns`. Every observable must be equal: the order and times of the callbacks, what each run
returns, pending(), next_time(), processed, the clock, and which times the clock was advanced to.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.core.clock import PySimClock
from flashguard.core.loop import PyEventLoop

try:
    from flashguard.core import _cloop
except ImportError:  # not built
    _cloop = None  # type: ignore[assignment]
CEventLoop: Any = getattr(_cloop, "EventLoop", None)
CSimClock: Any = getattr(_cloop, "SimClock", None)

needs_c = pytest.mark.skipif(
    CEventLoop is None,
    reason="flashguard.core._cloop is not built (installed with FLASHGUARD_PURE=1 or without a "
    "C compiler)",
)


class RecordingClock:
    """A Python clock that remembers every advance_to (the loops must make the same calls)."""

    def __init__(self, start_ns: int = 0) -> None:
        self.now = start_ns
        self.advances: list[int] = []

    def now_ns(self) -> int:
        return self.now

    def advance_to(self, t_ns: int) -> None:
        self.advances.append(t_ns)
        self.now = max(self.now, t_ns)


# A program step: ("at", t, spawn) / ("later", delay, spawn) schedule a callback from outside;
# ("run", until or None) runs the loop. A callback's `spawn` says what it does when it runs:
# schedule children at (relative) offsets, possibly negative (a past time), and maybe stop().
Spawn = tuple[tuple[int, int], ...]  # (offset from now, number of arguments)
Step = tuple[Any, ...]

spawns = st.lists(
    st.tuples(st.integers(min_value=-5, max_value=30), st.integers(min_value=0, max_value=3)),
    max_size=3,
).map(tuple)
steps = st.one_of(
    st.tuples(st.just("at"), st.integers(min_value=0, max_value=200), spawns, st.booleans()),
    st.tuples(st.just("later"), st.integers(min_value=0, max_value=50), spawns, st.booleans()),
    st.tuples(st.just("run"), st.one_of(st.none(), st.integers(min_value=0, max_value=250))),
)


def play(loop: Any, program: list[Step], budget: int = 400) -> list[object]:
    """Run `program` on `loop`; return everything observable, in order."""
    seen: list[object] = []
    names = iter(range(10**9))

    def make(spawn: Spawn, stops: bool) -> Callable[..., None]:
        name = next(names)

        def callback(*args: object) -> None:
            seen.append(("cb", name, loop.now_ns(), args))
            nonlocal_budget[0] -= 1
            if nonlocal_budget[0] <= 0:
                return  # keep programs finite
            for offset, nargs in spawn:
                child = make(spawn[1:], False)  # children spawn less: the tree ends
                loop.call_at(loop.now_ns() + offset, child, *range(nargs))
            if stops:
                loop.stop()

        return callback

    nonlocal_budget = [budget]
    for step in program:
        kind = step[0]
        if kind == "at":
            _, t, spawn, stops = step
            loop.call_at(t, make(spawn, stops), "x")
        elif kind == "later":
            _, delay, spawn, stops = step
            loop.call_later(delay, make(spawn, stops))
        else:
            seen.append(("run", loop.run(step[1])))
        seen.append(("state", loop.pending(), loop.next_time(), loop.processed, loop.now_ns()))
    seen.append(("final", loop.run(), loop.processed, loop.now_ns(), loop.pending()))
    return seen


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.lists(steps, max_size=25), st.integers(min_value=0, max_value=100))
def test_c_loop_matches_the_python_loop_on_random_programs(program: list[Step], start: int) -> None:
    py_clock, c_clock = RecordingClock(start), RecordingClock(start)
    assert play(CEventLoop(c_clock), program) == play(PyEventLoop(py_clock), program)
    assert c_clock.advances == py_clock.advances  # advanced only when the time changes
    # and with the simulated clocks, each loop with its own
    assert play(CEventLoop(CSimClock(start)), program) == play(PyEventLoop(PySimClock(start)), program)


@needs_c
def test_ties_run_in_insertion_order_across_many_callbacks() -> None:
    """Enough callbacks to grow the C heap several times, with heavy ties."""
    logs: list[list[int]] = []
    for loop in (PyEventLoop(PySimClock()), CEventLoop(CSimClock())):
        ran: list[int] = []
        for i in range(20_000):
            loop.call_at((i * 7919) % 500, ran.append, i)
        assert loop.run() == 20_000
        logs.append(ran)
    assert logs[0] == logs[1]
    assert logs[1] == sorted(range(20_000), key=lambda i: ((i * 7919) % 500, i))


@needs_c
def test_the_simulated_clocks_agree_and_refuse_to_go_back_naming_the_value() -> None:
    for clock in (PySimClock(100), CSimClock(100)):
        assert clock.now_ns() == 100
        clock.advance_to(100)
        clock.advance_to(2**62)
        assert clock.now_ns() == 2**62
        with pytest.raises(ValueError, match=r"t_ns=99\b.*4611686018427387904"):
            clock.advance_to(99)
        assert clock.now_ns() == 2**62
    assert CSimClock().now_ns() == 0
    assert CSimClock(start_ns=-5).now_ns() == -5


@needs_c
def test_a_time_that_does_not_fit_in_64_bits_is_refused_with_its_name() -> None:
    loop = CEventLoop(CSimClock())
    with pytest.raises(OverflowError, match="t_ns"):
        loop.call_at(2**63, print)
    with pytest.raises(OverflowError, match="delay_ns"):
        loop.call_later(2**64, print)
    late = CEventLoop(CSimClock(10))
    with pytest.raises(OverflowError, match="delay_ns"):
        late.call_later(2**63 - 5, print)  # fits alone, not once added to now
    with pytest.raises(OverflowError, match="start_ns"):
        CSimClock(2**63)
    with pytest.raises(TypeError, match="t_ns"):
        loop.call_at(1.5, print)
    assert loop.pending() == 0


@needs_c
def test_a_negative_delay_is_refused_by_both_with_the_same_message() -> None:
    messages = []
    for loop in (PyEventLoop(), CEventLoop()):
        with pytest.raises(ValueError) as info:
            loop.call_later(-5, print)
        messages.append(str(info.value))
        assert loop.pending() == 0
    assert messages[0] == messages[1] == "delay_ns must be >= 0, got -5"


@needs_c
def test_an_exception_in_a_callback_propagates_and_leaves_the_same_state() -> None:
    states = []
    for loop in (PyEventLoop(PySimClock()), CEventLoop(CSimClock())):
        ran: list[int] = []
        loop.call_at(10, ran.append, 1)
        loop.call_at(20, lambda: 1 / 0)
        loop.call_at(30, ran.append, 3)
        with pytest.raises(ZeroDivisionError):
            loop.run()
        states.append((list(ran), loop.pending(), loop.next_time(), loop.processed, loop.now_ns()))
        assert loop.run() == 1
    assert states[0] == states[1] == ([1], 1, 30, 0, 20)


@needs_c
def test_the_c_loop_drives_the_wall_clock() -> None:
    from flashguard.core.clock import WallClock

    clock = WallClock()
    loop = CEventLoop(clock)
    seen: list[int] = []
    due = clock.now_ns() + 5_000_000  # 5 ms
    loop.call_at(due, lambda: seen.append(clock.now_ns()))
    loop.call_at(0, seen.append, -1)  # a past time runs now, first
    assert loop.run() == 2
    assert seen[0] == -1 and seen[1] >= due


@needs_c
def test_the_loop_and_its_callbacks_are_collected_when_unreachable() -> None:
    """Callbacks hold the loop (bound methods of components that hold it): a cycle the garbage
    collector must see through, or every simulation would leak its whole world."""

    class Component:
        def __init__(self, loop: Any) -> None:
            self.loop = loop
            loop.call_at(5, self.tick, self)

        def tick(self, _me: object) -> None:
            pass

    loop = CEventLoop(CSimClock())
    ref = weakref.ref(Component(loop))
    del loop
    gc.collect()
    assert ref() is None


@needs_c
def test_the_clock_can_be_replaced_but_not_deleted() -> None:
    loop = CEventLoop(CSimClock(7))
    other = PySimClock(9)
    loop.clock = other
    assert loop.clock is other and loop.now_ns() == 9
    with pytest.raises(AttributeError, match="clock"):
        del loop.clock


def test_flashguard_pure_forces_the_python_loop_and_clock() -> None:
    code = (
        "from flashguard.core import loop as l, clock as c;"
        "print(l.IMPLEMENTATION, l.EventLoop is l.PyEventLoop, c.SimClock is c.PySimClock)"
    )
    env = {**os.environ, "FLASHGUARD_PURE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["python", "True", "True"]


@needs_c
def test_the_c_loop_and_clock_are_the_default_when_built() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FLASHGUARD_PURE"}
    code = (
        "from flashguard.core import loop as l, clock as c, _cloop;"
        "print(l.IMPLEMENTATION, l.EventLoop is _cloop.EventLoop, c.SimClock is _cloop.SimClock)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["c", "True", "True"]

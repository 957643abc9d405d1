"""Event-loop throughput and per-callback cost.

Workload (fixed, like a simulated market's): 2,000 callbacks pending at all times; each one,
when it runs, schedules its successor 1 to 100,000 ns later (a deterministic pseudo-random
delay, so many callbacks share an instant) with one argument, as a venue schedules a message.
The loop runs on a SimClock, so it never sleeps.

callbacks_per_s: callbacks over the wall time of the whole run (no timers inside). p50_ns and
p99_ns come from a second run on a fresh loop in which each callback reads perf_counter_ns:
the gap between consecutive callbacks, i.e. one heap pop, one clock advance, one call and the
callback's own call_at, plus the timer's cost.

Prints one JSON line ("impl": "c", or "python" when the C extension is not built or
FLASHGUARD_PURE=1). `--quick` runs a short stream for CI.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import statistics
import time

from flashguard.core.clock import SimClock
from flashguard.core.loop import IMPLEMENTATION, EventLoop

PENDING = 2_000


def _drive(n: int, timed: bool) -> tuple[float, list[int]]:
    loop = EventLoop(SimClock(0))
    call_at = loop.call_at
    now = loop.clock.now_ns
    clock = time.perf_counter_ns
    stamps: list[int] = []
    stamp = stamps.append
    left = [n - PENDING]

    def message(k: int) -> None:
        if timed:
            stamp(clock())
        if left[0] > 0:
            left[0] -= 1
            k = (k * 1_103_515_245 + 12_345) & 0x7FFFFFFF
            call_at(now() + 1 + k % 100_000, message, k)

    for i in range(PENDING):
        call_at(i * 50, message, i)
    t0 = time.perf_counter()
    ran = loop.run()
    elapsed = time.perf_counter() - t0
    assert ran == n, (ran, n)
    return elapsed, stamps


def run(n: int) -> dict[str, object]:
    gc.collect()
    gc.disable()
    try:
        elapsed, _ = _drive(n, timed=False)
        _, stamps = _drive(n, timed=True)
    finally:
        gc.enable()
    gaps = sorted(b - a for a, b in itertools.pairwise(stamps))
    q = statistics.quantiles(gaps, n=100, method="inclusive")
    return {
        "name": "loop",
        "impl": IMPLEMENTATION,
        "workload": f"{PENDING} pending, each callback schedules its successor 1-100000 ns later",
        "callbacks": n,
        "callbacks_per_s": round(n / elapsed),
        "p50_ns": round(q[49]),
        "p99_ns": round(q[98]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--callbacks", type=int, default=2_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 callbacks, to see it still works")
    args = ap.parse_args()
    print(json.dumps(run(100_000 if args.quick else args.callbacks)))


if __name__ == "__main__":
    main()

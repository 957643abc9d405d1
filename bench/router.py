"""Smart-order-router decision latency.

route: the routing decision for one parent order across 3 venues (`SmartOrderRouter.plan_for`:
the consolidated book's offers, the band, the child-size cap from the risk matrix, the
duplicate check, and the plan itself), on a fixed-seed stream of parents (70% aggressive,
30% passive; 20% of each in crash mode) against books that change between parents. Book
updates are not timed; each decision is timed alone with perf_counter_ns (the timer's own
cost, about 50-80 ns, included). children: child orders planned over the run.

Prints one JSON line. `--quick` runs a few hundred parents (same keys) for CI.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time
import tomllib
from typing import Any

from flashguard.core.clock import SimClock
from flashguard.core.events import Quote
from flashguard.core.instruments import Instrument
from flashguard.core.loop import EventLoop
from flashguard.system.risk import RiskGate, parse_matrix
from flashguard.system.risk.params import RiskMatrix, default_matrix_path
from flashguard.system.router import Parent, RouterConfig, SmartOrderRouter

VENUES = {"A": (-20, 30), "B": (-10, 10), "C": (0, 15)}  # maker, taker fee units per lot
SYMBOL = "ES"


class NullGateway:
    """A venue session that accepts everything and reports nothing."""

    def __init__(self, name: str, maker: int, taker: int) -> None:
        self.name = name
        self.owner = 1
        self.dark = False
        self.latency_ns = 0
        self._fees = (maker, taker)
        self._next = 0

    def connect(self, on_report: Any) -> None:
        return None

    def submit(self, instrument: str, side: int, qty: int, price: int, order_type: int,
               tif: int, client_order_id: str) -> int:
        self._next += 1
        return self._next

    def cancel(self, instrument: str, order_id: int) -> None:
        return None

    def fee(self, qty: int, maker: bool) -> int:
        return qty * self._fees[0 if maker else 1]


def bench_matrix() -> RiskMatrix:
    with open(default_matrix_path(), "rb") as f:
        raw: dict[str, Any] = tomllib.load(f)
    raw["strategies"] = {}
    return parse_matrix(raw, "bench")


def route(n: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    loop = EventLoop(SimClock(0))
    gateways = {v: NullGateway(v, *fees) for v, fees in VENUES.items()}
    gate = RiskGate(bench_matrix(), {SYMBOL: Instrument(SYMBOL, tick_size="0.25",
                                                        multiplier="50")}, loop)
    router = SmartOrderRouter(gateways, gate, loop, config=RouterConfig(max_child=40))
    timings: list[int] = []
    children = 0
    mid = 20_000
    perf = time.perf_counter_ns
    gc.disable()
    try:
        for i in range(n):
            mid += rng.choice((-1, 0, 0, 1))
            for venue in VENUES:
                bid = mid - rng.randint(1, 3)
                router.book.on_quote(Quote(i, venue, SYMBOL, bid, rng.randint(1, 80),
                                           bid + rng.randint(1, 4), rng.randint(1, 80)))
            side = rng.choice((1, -1))
            passive = rng.random() < 0.3
            p = Parent(f"p{i}", "bench", SYMBOL, side, rng.randint(1, 200),
                       mid + side * rng.randint(0, 4) if rng.random() < 0.5 else 0,
                       passive=passive, crash=rng.random() < 0.2)
            t0 = perf()
            plans = router.plan_for(p)
            timings.append(perf() - t0)
            children += len(plans)
    finally:
        gc.enable()
    timings.sort()
    return {
        "name": "route",
        "parents": n,
        "children": children,
        "p50_ns": int(statistics.median(timings)),
        "p99_ns": timings[min(len(timings) - 1, int(len(timings) * 0.99))],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few hundred parents, for CI")
    ap.add_argument("--parents", type=int, default=None)
    args = ap.parse_args()
    n = args.parents or (300 if args.quick else 20_000)
    print(json.dumps(route(n)))


if __name__ == "__main__":
    main()

"""Risk gate latency and kill-switch speed.

risk_gate: the full L1 + L2 path of one order through `RiskGate.check` (kill-switch state,
runaway counters, strategy mode, every pre-trade rule, the throttle, and the bookkeeping of a
passed order), on a fixed-seed stream of limit orders from 4 strategies to 3 venues in 3
instruments, with quotes, trades, acks, cancels and fills fed between orders as in real use
(those are not timed). Each check is timed alone with perf_counter_ns; the timer's own cost
(timer_ns, the median of an empty timed region) is included, not subtracted. checks_per_s
is the orders over the sum of their timed checks in a first pass over the stream (the
quantiles come from a second pass on a fresh gate): the events in between are left out, so
each check needs its own timer, and that timer's cost is in the figure (1 / the mean check,
timer included: a floor on the untimed rate). `implementation` says whether the gate's hot path
ran in C (_cgate.c, when built) or in Python (FLASHGUARD_PURE=1, or not built).

kill_switch: 10,000 open orders on 3 venues, then `RiskGate.kill`; wall_ms is the time until
the last cancel has been handed to the cancel sink, including the fsync'ed write of the
kill-switch state file that comes first (a crash mid-way must restart engaged).

Prints one JSON line each. `--quick` runs small counts (same keys) for CI. `--parents` sends
the risk_gate orders as a router's children (each with a parent_id, ten to a parent), as the
trading system does; without it they are sent as they are (no parent).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

from flashguard.core.clock import SimClock
from flashguard.core.events import (
    CancelOrder,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    Quote,
    Trade,
)
from flashguard.core.instruments import Instrument
from flashguard.core.orders import OrderType, TimeInForce
from flashguard.system.risk import RiskGate, RiskOrder, fastpath, parse_matrix
from flashguard.system.risk.params import RiskMatrix, default_matrix_path

VENUES = ("XNAS", "ARCX", "BATS")
INSTRUMENTS = {
    "ES": (Instrument("ES", tick_size="0.25", multiplier="50"), 20_000),
    "AAPL": (Instrument("AAPL", tick_size="0.01"), 19_000),
    "MSFT": (Instrument("MSFT", tick_size="0.01"), 42_000),
}
STRATEGIES = ("market_maker", "momentum", "arb", "mean_rev")
LIMIT = int(OrderType.LIMIT)
DAY = int(TimeInForce.DAY)


def bench_matrix(**strategy: int) -> RiskMatrix:
    """The default matrix, with room enough that the stream's orders pass: the benchmark
    times the full path of an accepted order, the slowest one."""
    with open(default_matrix_path(), "rb") as f:
        raw: dict[str, Any] = tomllib.load(f)
    raw["strategy_defaults"].update(
        capital=10**10, max_order_notional=10**8, max_position=10**6, drawdown_reduce=10**9, drawdown_halt=2 * 10**9
    )
    raw["portfolio"].update(capital=10**11, max_gross=10**11, max_net=10**11)
    raw["kill_switch"].update(max_drawdown=10**11)
    raw["strategy_defaults"].update(strategy)
    raw["strategies"] = {}
    return parse_matrix(raw, "bench")


def market(t: int, symbol: str, mid: int) -> list[Event]:
    return [
        Quote(t, "ALL", symbol, mid - 1, 10, mid + 1, 10),
        Trade(t, VENUES[0], symbol, t, mid, 1, 1, 0, 0),
    ]


def gate_workload(
    n: int, seed: int = 11, parents: bool = False
) -> list[tuple[RiskOrder, list[Event]]]:
    """Orders, each with the events that follow it before the next order: its ack, and for an
    order 40 steps back a cancel (most) or a fill (some), so open orders stay bounded."""
    rng = random.Random(seed)
    mids = {s: mid for s, (_, mid) in INSTRUMENTS.items()}
    symbols = list(INSTRUMENTS)
    out: list[tuple[RiskOrder, list[Event]]] = []
    sent: list[RiskOrder] = []
    t = 1_000_000_000
    for i in range(n):
        t += 1_000_000  # 1,000 orders a second over all strategies and venues
        symbol = symbols[i % 3]
        side = 1 if rng.random() < 0.5 else -1
        price = mids[symbol] - side * (1 + rng.randrange(5))
        strategy = STRATEGIES[i % 4]
        o = RiskOrder(
            strategy, VENUES[(i // 4) % 3], symbol, f"c{i}", side, LIMIT, DAY, price,
            1 + rng.randrange(100), t, order_id=i + 1, owner=1 + i % 4,
            parent_id=f"{strategy}#{i // 40}" if parents else "",
        )
        after: list[Event] = [
            OrderAccepted(t, o.venue, symbol, i + 1, o.client_order_id, o.owner, side, LIMIT,
                          DAY, price, o.qty)
        ]
        sent.append(o)
        if len(sent) > 40:
            old = sent.pop(0)
            if rng.random() < 0.1:
                after.append(OrderFilled(t, old.venue, old.instrument, old.order_id,
                                         old.client_order_id, old.owner, old.side, old.price,
                                         old.qty, 0, True, i))
            else:
                after.append(OrderCancelled(t, old.venue, old.instrument, old.order_id,
                                            old.client_order_id, old.owner, old.qty, "user"))
        if i % 10 == 0:
            mids[symbol] += rng.choice((-1, 0, 1))
            after.extend(market(t, symbol, mids[symbol]))
        out.append((o, after))
    return out


def new_gate(matrix: RiskMatrix, sink: Any = None, state: Path | None = None) -> RiskGate:
    gate = RiskGate(matrix, {s: ins for s, (ins, _) in INSTRUMENTS.items()}, SimClock(),
                    cancel_sink=sink or (lambda c: None), kill_state_path=state)
    for symbol, (_, mid) in INSTRUMENTS.items():
        for ev in market(1, symbol, mid):
            gate.on_event(ev)
    return gate


def run_gate(n: int, parents: bool = False) -> dict[str, object]:
    stream = gate_workload(n, parents=parents)
    matrix = bench_matrix()
    gc.collect()
    gc.disable()
    try:
        gate = new_gate(matrix)
        check, on_event = gate.check, gate.on_event
        rejected = 0
        elapsed = 0
        for o, after in stream:
            a = time.perf_counter_ns()
            r = check(o)
            elapsed += time.perf_counter_ns() - a
            rejected += r is not None
            for ev in after:
                on_event(ev)

        gate = new_gate(matrix)
        check, on_event = gate.check, gate.on_event
        clock = time.perf_counter_ns
        lat = []
        append = lat.append
        for o, after in stream:
            a = clock()
            check(o)
            append(clock() - a)
            for ev in after:
                on_event(ev)
    finally:
        gc.enable()
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {
        "name": "risk_gate",
        "implementation": fastpath.IMPLEMENTATION,
        "orders": n,
        "parents": parents,
        "rejected": rejected,
        "p50_ns": round(q[49]),
        "p99_ns": round(q[98]),
        "timer_ns": timer_cost(),
        "checks_per_s": round(n / (elapsed / 1e9)),
    }


def timer_cost(n: int = 20_000) -> int:
    clock = time.perf_counter_ns
    lat = []
    for _ in range(n):
        a = clock()
        lat.append(clock() - a)
    return round(statistics.median(lat))


def run_kill(open_orders: int, repeats: int) -> dict[str, object]:
    matrix = bench_matrix(max_open_orders=open_orders * 2, max_position=open_orders * 100,
                          max_messages=open_orders * 10, duplicate_window_ms=0)
    raw_venue = {"max_msgs_per_s": open_orders * 10, "burst": open_orders * 10,
                 "cancel_msgs_per_s": 1_000, "cancel_burst": 100}
    matrix = matrix.model_copy(update={
        "venue_defaults": matrix.venue_defaults.model_validate(raw_venue),
        "kill_switch": matrix.kill_switch.model_copy(update={"max_messages": open_orders * 10}),
    })
    best = float("inf")
    issued = 0
    for _ in range(repeats):
        cancels: list[CancelOrder] = []
        tmp = tempfile.TemporaryDirectory()
        gate = new_gate(matrix, cancels.append, Path(tmp.name) / "kill.json")
        symbols = list(INSTRUMENTS)
        for i in range(open_orders):
            symbol = symbols[i % 3]
            mid = INSTRUMENTS[symbol][1]
            o = RiskOrder(STRATEGIES[i % 4], VENUES[i % 3], symbol, f"k{i}", 1 - 2 * (i % 2),
                          LIMIT, DAY, mid - (1 - 2 * (i % 2)) * (1 + i % 5), 1, 2 + i,
                          order_id=i + 1, owner=1)
            if gate.check(o) is not None:
                raise RuntimeError(f"setup order {i} rejected")
            gate.on_event(OrderAccepted(2 + i, o.venue, symbol, i + 1, o.client_order_id, 1,
                                        o.side, LIMIT, DAY, o.price, 1))
        gc.collect()
        gc.disable()
        try:
            a = time.perf_counter_ns()
            gate.kill("bench", "kill-switch benchmark")
            wall = time.perf_counter_ns() - a
        finally:
            gc.enable()
            tmp.cleanup()
        issued = len(cancels)
        if issued != open_orders or len({c.venue for c in cancels}) != len(VENUES):
            raise RuntimeError(f"kill switch issued {issued} cancels for {open_orders} orders")
        best = min(best, wall)
    return {
        "name": "kill_switch",
        "open_orders": open_orders,
        "venues": len(VENUES),
        "cancels": issued,
        "wall_ms": round(best / 1e6, 3),
        "persisted": True,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--orders", type=int, default=300_000)
    ap.add_argument("--open-orders", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true", help="small counts, to see it still works")
    ap.add_argument("--parents", action="store_true",
                    help="risk_gate orders are a router's children, each with a parent_id")
    args = ap.parse_args()
    if args.quick:
        print(json.dumps(run_gate(20_000, args.parents)))
        print(json.dumps(run_kill(1_000, 1)))
    else:
        print(json.dumps(run_gate(args.orders, args.parents)))
        print(json.dumps(run_kill(args.open_orders, 3)))


if __name__ == "__main__":
    main()

"""The trading system's per-event market-data path.

system_market_data: `TradingSystem.on_market_data` for each event of a fixed-seed feed shaped
like may6's (per event: a venue's own quote 52%, the SIP's consolidated quote 35%, a trade
13%; three lit venues, one instrument, a mid on a random walk that mostly holds), heard by
a market maker that quotes through stub venue sessions (each order acknowledged a
millisecond later, every third filled, cancels confirmed), so positions, marks, the router's
parents and the regime's checks are live as in a run. Each delivery is timed alone with
perf_counter_ns (the timer's own cost, timer_ns, included, not subtracted); the event loop,
the acks, fills and strategy timers between deliveries are not timed. events_per_s is the
events over the sum of their timed deliveries. `implementation` says whether the path ran in
C (_clane.c, when built) or in Python (FLASHGUARD_PURE=1, or not built).

Prints one JSON line. `--quick` runs a small count (same keys) for CI.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import random
import statistics
import time
import tomllib
from collections.abc import Callable
from typing import Any

from flashguard.core.events import (
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    Quote,
    Trade,
)
from flashguard.core.instruments import Instrument
from flashguard.core.loop import EventLoop
from flashguard.system import marketlane
from flashguard.system.risk import parse_matrix
from flashguard.system.risk.params import RiskMatrix, default_matrix_path
from flashguard.system.strategy.builtins.market_making import MarketMaker
from flashguard.system.trading import TradingSystem
from risk import timer_cost  # bench/risk.py: what reading the clock twice costs

MS = 1_000_000
VENUES = ("XNAS", "ARCX", "BATS")
SYMBOL = "ES"
INSTRUMENTS = {SYMBOL: Instrument(SYMBOL, tick_size="0.25", multiplier="50")}


def bench_matrix() -> RiskMatrix:
    with open(default_matrix_path(), "rb") as f:
        raw: dict[str, Any] = copy.deepcopy(tomllib.load(f))
    raw["strategy_defaults"].update(capital=10**10, max_position=10**6)
    raw["strategies"] = {}
    raw["portfolio"].update(capital=10**11, max_gross=10**11, max_net=10**11)
    raw["kill_switch"].update(max_drawdown=10**11)
    return parse_matrix(raw, "bench")


class Session:
    """A stub venue session: acks each order a millisecond later, fills every third."""

    latency_ns = MS
    owner = 9
    dark = False

    def __init__(self, name: str, loop: EventLoop) -> None:
        self.name = name
        self.loop = loop
        self.n = 0
        self.orders: dict[int, tuple[str, str, int, int, int]] = {}
        self.report: Callable[[Event], None] = lambda ev: None

    def connect(self, on_report: Callable[[Event], None]) -> None:
        self.report = on_report

    def submit(self, instrument: str, side: int, qty: int, price: int, order_type: int,
               tif: int, client_order_id: str) -> int:
        self.n += 1
        self.orders[self.n] = (instrument, client_order_id, side, price, qty)
        self.loop.call_later(MS, self._ack, self.n, order_type, tif)
        return self.n

    def _ack(self, oid: int, order_type: int, tif: int) -> None:
        instrument, cid, side, price, qty = self.orders[oid]
        t = self.loop.now_ns()
        self.report(OrderAccepted(t, self.name, instrument, oid, cid, self.owner, side,
                                  order_type, tif, price, qty))
        if oid % 3 == 0:
            del self.orders[oid]
            self.report(OrderFilled(t, self.name, instrument, oid, cid, self.owner, side,
                                    price, qty, 0, True, oid))

    def cancel(self, instrument: str, order_id: int) -> None:
        self.loop.call_later(MS, self._cancelled, order_id)

    def _cancelled(self, oid: int) -> None:
        order = self.orders.pop(oid, None)
        if order is not None:
            instrument, cid, _, _, qty = order
            self.report(OrderCancelled(self.loop.now_ns(), self.name, instrument, oid, cid,
                                       self.owner, qty, "user"))

    def fee(self, qty: int, maker: bool) -> int:
        return 0


def feed(n: int, seed: int = 11) -> list[tuple[int, Event]]:
    """(arrival time, event): one event every 20 microseconds."""
    rng = random.Random(seed)
    mid = 20_000
    out: list[tuple[int, Event]] = []
    t = 1_000_000_000
    trade_id = 0
    for _ in range(n):
        t += 20_000
        r = rng.random()
        if rng.random() < 0.002:
            mid += rng.choice((-1, 1))
        if r < 0.13:
            trade_id += 1
            out.append((t, Trade(t, rng.choice(VENUES), SYMBOL, trade_id,
                                 mid + rng.choice((-1, 1)), rng.randint(1, 5), 1, 0, 0)))
        elif r < 0.48:
            out.append((t, Quote(t, "ALL", SYMBOL, mid - 1, rng.randint(5, 50), mid + 1,
                                 rng.randint(5, 50))))
        else:
            out.append((t, Quote(t, rng.choice(VENUES), SYMBOL, mid - 1 - rng.randint(0, 1),
                                 rng.randint(1, 20), mid + 1 + rng.randint(0, 1),
                                 rng.randint(1, 20))))
    return out


def run(n: int) -> dict[str, object]:
    stream = feed(n)
    loop = EventLoop()
    system = TradingSystem(
        loop, [Session(v, loop) for v in VENUES], bench_matrix(), INSTRUMENTS,
        emit=lambda ev: None, emit_market_data=True,
        strategies=[MarketMaker(SYMBOL, qty=2, max_inventory=40)],
    )
    system.start()
    on_market_data = system.on_market_data
    clock = time.perf_counter_ns
    lat: list[int] = []
    append = lat.append

    def deliver(ev: Event) -> None:
        a = clock()
        on_market_data(ev)
        append(clock() - a)

    for t, ev in stream:
        loop.call_at(t, deliver, ev)
    gc.collect()
    gc.disable()
    try:
        loop.run(stream[-1][0])
    finally:
        gc.enable()
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {
        "name": "system_market_data",
        "implementation": marketlane.IMPLEMENTATION,
        "workload": "52% venue quotes, 35% SIP quotes, 13% trades; one market maker",
        "events": n,
        "p50_ns": round(q[49]),
        "p99_ns": round(q[98]),
        "timer_ns": timer_cost(),
        "events_per_s": round(n / (sum(lat) / 1e9)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--quick", action="store_true", help="a small count, to see it still works")
    args = ap.parse_args()
    print(json.dumps(run(20_000 if args.quick else args.events)))


if __name__ == "__main__":
    main()

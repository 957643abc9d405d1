"""A scripted flash-crash run, written with the real Journal, for the report tests.

14:20-15:05 on instrument ES (tick 0.25) with venues A, B and the consolidated feed ALL. A calm
price of 4600 ticks until 14:32, a straight fall to 4370 (-5%) by 14:36:30, a climb back to
4590 by 14:50. A pauses 14:34:10-14:34:16 (Stop Logic style: paused, auction, open); B goes to
limit_state 14:35:00, paused 14:35:15, auction 14:40:15, open 14:40:20. The defences: a stray
L1 reject at 14:21:30, momentum -> preservation 14:32:40 (back to normal 14:48:00), L2
reduce_only 14:33:05, SOR probes 14:33 and a reroute 14:34:20, three L1 LULD rejects 14:34,
L3 reduce-only 14:34:40, L4 kill 14:35:30 with 5 cancels. A snapshot every second.
"""

from __future__ import annotations

from pathlib import Path

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.core.events import (
    Event,
    KillSwitch,
    LuldBand,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    PortfolioSnapshot,
    Quote,
    RegimeChange,
    RiskAction,
    RouteDecision,
    Trade,
    VenueStatus,
)
from flashguard.journal.store import Journal

S = NS_PER_SECOND


def at(hh: int, mm: int, ss: int = 0) -> int:
    return (hh * 3600 + mm * 60 + ss) * S


START = at(14, 20)
END = at(15, 5)
FALL_START, FALL_END, BACK = at(14, 32), at(14, 36, 30), at(14, 50)
CALM, LOW, RECOVERED = 4600, 4370, 4590
KILL_AT = at(14, 35, 30)
INSTRUMENT = "ES"


def price_at(t: int) -> int:
    """The scripted consolidated price (ticks) at second t."""
    if t <= FALL_START:
        return CALM
    if t <= FALL_END:
        return CALM - (CALM - LOW) * (t - FALL_START) // (FALL_END - FALL_START)
    if t <= BACK:
        return LOW + (RECOVERED - LOW) * (t - FALL_END) // (BACK - FALL_END)
    return RECOVERED


def depth_at(t: int) -> int:
    return 10 if FALL_START < t <= BACK else 400


def drawdown_at(t: int) -> float:
    """Percent, as PortfolioSnapshot carries it."""
    if t <= FALL_START:
        return 0.0
    if t <= KILL_AT:
        return 3.0 * (t - FALL_START) / (KILL_AT - FALL_START)
    return 3.0  # flat after the kill: no position left to lose on


def mode_at(t: int) -> str:
    if t >= KILL_AT:
        return "killed"
    if t >= at(14, 34, 40):
        return "reduce_only"
    if t >= at(14, 33, 5):
        return "reducing"
    return "active"


STATUS = [
    VenueStatus(START, "A", INSTRUMENT, "open", "session"),
    VenueStatus(START, "B", INSTRUMENT, "open", "session"),
    VenueStatus(at(14, 34, 10), "A", INSTRUMENT, "paused", "stop logic"),
    VenueStatus(at(14, 34, 15), "A", INSTRUMENT, "auction", "reopening"),
    VenueStatus(at(14, 34, 16), "A", INSTRUMENT, "open", "reopened"),
    VenueStatus(at(14, 35, 0), "B", INSTRUMENT, "limit_state", "offer at lower band"),
    VenueStatus(at(14, 35, 15), "B", INSTRUMENT, "paused", "limit state 15 s"),
    VenueStatus(at(14, 40, 15), "B", INSTRUMENT, "auction", "reopening"),
    VenueStatus(at(14, 40, 20), "B", INSTRUMENT, "open", "reopened"),
]


def _rejected(t: int, n: int, rule: str, layer: str = "L1") -> OrderRejected:
    return OrderRejected(t, "A", INSTRUMENT, 0, f"c{n}", 1, f"{layer} {rule}", layer, rule)


def system_events() -> list[Event]:
    """Every decision, in time order within each second."""
    ev: list[Event] = [
        _rejected(at(14, 21, 30), 1, "fat_finger"),
        RiskAction(at(14, 21, 30), "L1", "fat_finger", 500.0, 100.0, "reject", "mm", "c1"),
        RegimeChange(at(14, 32, 40), "momentum", "preservation", "vpin cdf 0.93"),
        RiskAction(at(14, 33, 5), "L2", "drawdown", 21000.0, 20000.0, "reduce_only", "momentum"),
        RouteDecision(at(14, 33, 10), "exec", "p1", INSTRUMENT, "probe", "A", 1, 4500),
        RouteDecision(at(14, 33, 11), "exec", "p1", INSTRUMENT, "probe", "B", 1, 4500),
        RouteDecision(at(14, 33, 12), "exec", "p1", INSTRUMENT, "probe", "A", 1, 4499),
        RouteDecision(at(14, 34, 20), "exec", "p1", INSTRUMENT, "reroute", "B", 5, 4450),
        _rejected(at(14, 34, 25), 2, "luld_band"),
        _rejected(at(14, 34, 26), 3, "luld_band"),
        _rejected(at(14, 34, 27), 4, "luld_band"),
        RiskAction(at(14, 34, 40), "L3", "var", 50000.0, 40000.0, "portfolio_reduce_only"),
        RiskAction(KILL_AT, "L4", "drawdown", 30000.0, 25000.0, "kill", "", "by=risk: drawdown"),
        KillSwitch(KILL_AT, True, "risk", "drawdown: 30000 > 25000"),
    ]
    ev += [
        OrderCancelled(KILL_AT, "A", INSTRUMENT, 100 + i, f"k{i}", 1, 3, "kill switch")
        for i in range(5)
    ]
    ev.append(RegimeChange(at(14, 48), "momentum", "normal", "vpin cdf 0.41"))
    return ev


def routine(t: int, n: int) -> list[Event]:
    """One submitted order and its fill a minute, and the router's routine decision."""
    p = price_at(t)
    return [
        RouteDecision(t, "exec", f"p{n}", INSTRUMENT, "route", "A", 2, p),
        OrderSubmitted(t, "A", INSTRUMENT, "exec", f"r{n}", 1, 0, 0, p, 2),
        OrderFilled(t, "A", INSTRUMENT, 1000 + n, f"r{n}", 1, 1, p, 2, 0, False, 10_000 + n),
    ]


def events() -> list[Event]:
    decisions = sorted(system_events(), key=lambda e: e.t_ns)
    out: list[Event] = []
    d = 0
    trade_id = 0
    for t in range(START, END + 1, S):
        if (t - START) % NS_PER_MINUTE == 0:
            out += routine(t, (t - START) // NS_PER_MINUTE)
        if t == START:
            out += STATUS[:2]
        p = price_at(t)
        q = depth_at(t)
        for venue in ("A", "B", "ALL"):
            out.append(Quote(t, venue, INSTRUMENT, p - 1, q, p + 1, q))
        if (t - START) % (2 * S) == 0:
            trade_id += 1
            out.append(Trade(t, "A", INSTRUMENT, trade_id, p, 3, 1, 1, 2))
        if (t - START) % (60 * S) == 0:
            out.append(LuldBand(t, "ALL", INSTRUMENT, p * 95 // 100, p * 105 // 100))
        out += [s for s in STATUS[2:] if s.t_ns == t]
        while d < len(decisions) and decisions[d].t_ns <= t:
            out.append(decisions[d])
            d += 1
        out.append(
            PortfolioSnapshot(
                t, 1_000_000 * (1 - drawdown_at(t) / 100), -10_000 * drawdown_at(t),
                drawdown_at(t), 50_000.0, 10_000.0, 20_000 + 10_000 * drawdown_at(t),
                30_000 + 10_000 * drawdown_at(t), min(0.99, 0.3 + 0.2 * drawdown_at(t)),
                mode_at(t),
            )
        )
    return out


def write_run(run_dir: Path, tick_size: str | None = "0.25") -> list[Event]:
    """Write the journal into run_dir; returns the events in journal order."""
    run_dir.mkdir(parents=True, exist_ok=True)
    evs = events()
    with Journal(run_dir / "journal.sqlite") as j:
        for e in evs:
            j.append(e)
        if tick_size is not None:
            j.set_meta("tick_size", tick_size)
    return evs

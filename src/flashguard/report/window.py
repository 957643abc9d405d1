"""Which minutes the timeline shows: the stress episodes, padded, plus every minute with an action.

A stress sign is a defence acting (an L2-L4 risk action other than a release, the kill
switch), a strategy leaving its normal regime, a venue interrupting trading after it had
opened, the portfolio's deepest drawdown, and a market fall of at least MATERIAL_FALL from its
high. Signs (and the spans between an interruption or a regime change and its end) less than
EPISODE_GAP apart form one episode; an episode holding the market's low runs on until the
price has won back RECOVERED of its fall. Each episode is shown from PAD_BEFORE before its
first sign to PAD_AFTER after its end; outside them, only the minutes in which something
happened, runs of minutes whose only news is a rejected order folded into one row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flashguard.core.clock import NS_PER_MINUTE
from flashguard.report.describe import RECOVERY_ACTIONS
from flashguard.report.load import RunData
from flashguard.report.status import interruptions, trading_changes

MATERIAL_FALL = 0.02  # above a calm day's whole range (about 1.5%, REFERENCE.md)
RECOVERED = 0.9
EPISODE_GAP = 10 * NS_PER_MINUTE
PAD_BEFORE = 3 * NS_PER_MINUTE
PAD_AFTER = 5 * NS_PER_MINUTE
# Decisions the router journals in any market (a parent taken, each child sent, a venue's
# fill score updated); the others (probe, reroute, tactic, queue, release) are its crash mode.
ROUTINE_ROUTES = frozenset({"route", "child", "score"})


@dataclass(frozen=True, slots=True)
class Episode:
    start_ns: int  # the first stress sign
    end_ns: int  # the last sign, the end of an interruption or regime, or the recovery
    first_minute: int  # shown, padding included
    last_minute: int


@dataclass(frozen=True, slots=True)
class Fall:
    peak_ns: int
    trough_ns: int
    recovered_ns: int | None
    peak: float  # ticks
    trough: float

    @property
    def fraction(self) -> float:
        return (self.peak - self.trough) / self.peak if self.peak > 0 else 0.0


def market_fall(run: RunData) -> Fall | None:
    """The largest peak-to-trough fall of the main venue's price, and when it won back
    RECOVERED of it."""
    venue = run.market.main_venue
    if venue is None:
        return None
    px = run.market.venues[venue].price
    known = np.flatnonzero(~np.isnan(px))
    if known.size < 2:
        return None
    p = px[known]
    hwm = np.maximum.accumulate(p)
    trough = int(np.argmax(hwm - p))
    if hwm[trough] - p[trough] <= 0:
        return None
    peak = trough - int(np.argmax(p[trough::-1] == hwm[trough]))
    target = p[trough] + RECOVERED * (hwm[trough] - p[trough])
    back = np.flatnonzero(p[trough:] >= target)
    t = run.market.t_ns
    return Fall(
        peak_ns=int(t[known[peak]]),
        trough_ns=int(t[known[trough]]),
        recovered_ns=int(t[known[trough + int(back[0])]]) if back.size else None,
        peak=float(hwm[trough]),
        trough=float(p[trough]),
    )


def stress_spans(run: RunData, fall: Fall | None) -> list[tuple[int, int]]:
    """(start, end) of every stress sign; a point sign has start == end."""
    spans: list[tuple[int, int]] = []
    for a in run.actions:
        # a release belongs to the episode it ends, but does not start one by itself
        if a.layer != "L1" and a.action != "reject" and a.action not in RECOVERY_ACTIONS:
            spans.append((a.t_ns, a.t_ns))
    spans.extend((k.t_ns, k.t_ns) for k in run.kills if k.engaged)
    spans.extend((i.start_ns, i.end_ns) for i in interruptions(run.statuses, run.last_ns))
    left: dict[str, int] = {}
    for r in run.regimes:
        if r.mode != "normal":
            left.setdefault(r.strategy, r.t_ns)
        elif r.strategy in left:
            spans.append((left.pop(r.strategy), r.t_ns))
    spans.extend((t0, t0) for t0 in left.values())
    snaps = run.snapshots
    if snaps.t_ns.size and np.nanmax(snaps.drawdown_pct, initial=0.0) > 0:
        i = int(np.nanargmax(snaps.drawdown_pct))
        spans.append((int(snaps.t_ns[i]), int(snaps.t_ns[i])))
    if fall is not None and fall.fraction >= MATERIAL_FALL:
        spans.append((fall.trough_ns, fall.trough_ns))
    return sorted(spans)


def _releases(run: RunData) -> list[int]:
    out = [a.t_ns for a in run.actions if a.action in RECOVERY_ACTIONS]
    out.extend(k.t_ns for k in run.kills if not k.engaged)
    return sorted(out)


def episodes(run: RunData, fall: Fall | None) -> list[Episode]:
    merged: list[list[int]] = []
    for start, end in stress_spans(run, fall):
        if merged and start - merged[-1][1] <= EPISODE_GAP:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for span in merged:
        # the releases that end an episode (a reset, a restart) close it
        for t in _releases(run):
            if span[0] <= t and t - span[1] <= EPISODE_GAP:
                span[1] = max(span[1], t)
        if fall is not None and span[0] - EPISODE_GAP <= fall.trough_ns <= span[1]:
            span[1] = max(span[1], fall.recovered_ns or fall.trough_ns)
    first_m = run.first_ns // NS_PER_MINUTE
    last_m = run.last_ns // NS_PER_MINUTE
    out: list[Episode] = []
    for start, end in merged:
        lo = max(first_m, (start - PAD_BEFORE) // NS_PER_MINUTE)
        hi = min(last_m, (end + PAD_AFTER) // NS_PER_MINUTE)
        if out and lo <= out[-1].last_minute + 1:  # padded episodes touching: one block
            prev = out.pop()
            out.append(Episode(prev.start_ns, max(prev.end_ns, end), prev.first_minute,
                               max(prev.last_minute, hi)))
        else:
            out.append(Episode(start, end, lo, hi))
    return out


def action_minutes(run: RunData) -> set[int]:
    """Minutes in which a defence, a regime, the router in crash mode or a venue did something,
    order rejections aside (see `rejection_minutes`)."""
    times: list[int] = [a.t_ns for a in run.actions if a.action != "reject"]
    times += [k.t_ns for k in run.kills]
    times += [r.t_ns for r in run.regimes]
    times += [d.t_ns for d in run.routes if d.decision not in ROUTINE_ROUTES]
    times += [s.t_ns for s in trading_changes(run.statuses)]
    return {t // NS_PER_MINUTE for t in times}


def rejection_minutes(run: RunData) -> set[int]:
    times = [r.t_ns for r in run.risk_rejects]
    times += [a.t_ns for a in run.actions if a.action == "reject"]
    return {t // NS_PER_MINUTE for t in times}


def episode_minutes(eps: list[Episode]) -> set[int]:
    return {m for e in eps for m in range(e.first_minute, e.last_minute + 1)}


def minutes_shown(run: RunData, eps: list[Episode]) -> list[int]:
    return sorted(action_minutes(run) | rejection_minutes(run) | episode_minutes(eps))


def quiet_minutes(run: RunData, eps: list[Episode]) -> set[int]:
    """Minutes outside the episodes in which the only news is an order rejected. Pre-trade
    checks reject orders all day long (a throttle, a fat finger); listed minute by minute
    they would bury the crash, so the timeline folds each run of them into one row."""
    return rejection_minutes(run) - action_minutes(run) - episode_minutes(eps)

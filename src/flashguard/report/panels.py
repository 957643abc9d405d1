"""What the charts draw, made once for both the HTML and the PNG report.

Series are cut down to at most MAX_POINTS per line by keeping each bucket's lowest and highest
point (a crash's low survives the cut, unlike with plain striding). Risk decisions become
markers on one lane per layer; rejections, frequent by nature, are bucketed so that a lane
holds at most MAX_MARKERS markers, each saying how many it stands for.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import RiskAction
from flashguard.report import describe
from flashguard.report.load import RunData
from flashguard.report.market import CONSOLIDATED
from flashguard.report.status import StatusSpan, status_spans
from flashguard.report.window import ROUTINE_ROUTES

MAX_POINTS = 2000
MAX_MARKERS = 1500
LANES = ("L1", "L2", "L3", "L4")
MAX_SPANS = 400
HOVER_LINES = 8

# one colour per venue status and per decision severity, shared with the PNG
STATUS_COLOUR = {
    "limit_state": "#f2d024",
    "paused": "#f28e2b",
    "halted": "#e15759",
    "auction": "#b07aa1",
    "closed": "#9d9d9d",
}
SEVERITY_COLOUR = {
    "release": "#59a14f",
    "info": "#4e79a7",
    "reject": "#9d9d9d",
    "reduce": "#f28e2b",
    "halt": "#e15759",
    "kill": "#7b0000",
}
ROWS = (
    ("price", 0.24),
    ("top-of-book depth (lots)", 0.1),
    ("spread", 0.1),
    ("equity", 0.1),
    ("drawdown %", 0.09),
    ("VaR / ES", 0.09),
    ("VPIN CDF", 0.08),
    ("risk decisions", 0.2),
)

# how bad a decision is, for its marker's colour
SEVERITY = ("release", "info", "reject", "reduce", "halt", "kill")
_SEVERITY_OF = {
    "kill": "kill",
    "halt_strategy": "halt",
    "flatten_strategy": "reduce",
    "reduce_only": "reduce",
    "portfolio_reduce_only": "reduce",
    "reduce_gross": "reduce",
    "reduce_size": "reduce",
    "reject": "reject",
}


@dataclass(frozen=True, slots=True, eq=False)
class Line:
    name: str
    t_ns: NDArray[np.int64]
    y: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Marker:
    lane: str
    t_ns: int
    severity: str
    count: int  # decisions this marker stands for
    text: str  # hover text


@dataclass(slots=True, eq=False)
class Panels:
    unit: str  # of prices and spreads: "ticks" or the price itself
    price: list[Line] = field(default_factory=list)
    bands: list[Line] = field(default_factory=list)  # LULD lower/upper, steps
    depth: list[Line] = field(default_factory=list)
    spread: list[Line] = field(default_factory=list)
    equity: list[Line] = field(default_factory=list)
    drawdown: list[Line] = field(default_factory=list)
    var: list[Line] = field(default_factory=list)
    vpin: list[Line] = field(default_factory=list)
    spans: list[StatusSpan] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    lanes: tuple[str, ...] = LANES
    first_ns: int = 0
    last_ns: int = 0


def downsample(y: NDArray[np.float64], max_points: int = MAX_POINTS) -> NDArray[np.int64]:
    """Indices of the points to keep: all if few, else each bucket's min and max, in order."""
    n = y.size
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    buckets = max(1, max_points // 2)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep: list[int] = []
    filled = np.where(np.isnan(y), np.inf, y)
    filled_hi = np.where(np.isnan(y), -np.inf, y)
    for lo, hi in pairwise(edges):
        if hi <= lo:
            continue
        a = lo + int(np.argmin(filled[lo:hi]))
        b = lo + int(np.argmax(filled_hi[lo:hi]))
        keep.extend(sorted({a, b}))
    return np.array(keep, dtype=np.int64)


def _line(name: str, t: NDArray[np.int64], y: NDArray[np.float64]) -> Line:
    idx = downsample(y)
    return Line(name, t[idx], y[idx])


def _scale(y: NDArray[np.float64], tick: Decimal | None) -> NDArray[np.float64]:
    return y if tick is None else y * float(tick)  # display only: the edge of the system


def build_panels(run: RunData) -> Panels:
    tick = run.tick_size
    p = Panels(unit="ticks" if tick is None else "price", first_ns=run.first_ns,
               last_ns=run.last_ns)
    t = run.market.t_ns
    # the consolidated feed first: it is drawn boldest and listed first
    order = sorted(run.market.venues, key=lambda v: (v != CONSOLIDATED, v))
    for venue in order:
        s = run.market.venues[venue]
        p.price.append(_line(venue, t, _scale(s.price, tick)))
        p.depth.append(_line(venue, t, s.depth))
        p.spread.append(_line(venue, t, _scale(s.spread, tick)))
    p.bands = _bands(run, tick)
    snaps = run.snapshots
    if snaps.t_ns.size:
        p.equity.append(_line("equity", snaps.t_ns, snaps.equity))
        p.drawdown.append(_line("drawdown %", snaps.t_ns, snaps.drawdown_pct))
        p.var.append(_line("VaR", snaps.t_ns, snaps.var))
        p.var.append(_line("ES", snaps.t_ns, snaps.es))
        p.vpin.append(_line("VPIN CDF", snaps.t_ns, snaps.vpin_cdf))
    p.spans = _merged_spans(status_spans(run.statuses, run.last_ns))
    p.markers, extra = _markers(run)
    p.lanes = LANES + extra
    return p


def _bands(run: RunData, tick: Decimal | None) -> list[Line]:
    """The main venue's published LULD band as steps (each value holds until the next)."""
    if not run.bands:
        return []
    venues = {b.venue for b in run.bands}
    main = CONSOLIDATED if CONSOLIDATED in venues else min(venues)
    bands = [b for b in run.bands if b.venue == main]
    t = np.repeat(np.array([b.t_ns for b in bands] + [run.last_ns], dtype=np.int64), 2)[1:-1]
    lower = np.repeat(np.array([b.lower for b in bands], dtype=np.float64), 2)
    upper = np.repeat(np.array([b.upper for b in bands], dtype=np.float64), 2)
    return [
        _line("LULD lower", t, _scale(lower, tick)),
        _line("LULD upper", t, _scale(upper, tick)),
    ]


def _merged_spans(spans: list[StatusSpan]) -> list[StatusSpan]:
    """Few enough shaded spans to draw: same venue and status less than a gap apart join."""
    gap = 0
    out = spans
    while len(out) > MAX_SPANS:
        gap = max(NS_PER_SECOND, gap * 4)
        last: dict[tuple[str, str], int] = {}
        merged: list[StatusSpan] = []
        for s in out:
            i = last.get((s.venue, s.status))
            if i is not None and s.start_ns - merged[i].end_ns <= gap:
                m = merged[i]
                merged[i] = StatusSpan(m.venue, m.status, m.start_ns, max(m.end_ns, s.end_ns),
                                       m.reason)
            else:
                last[(s.venue, s.status)] = len(merged)
                merged.append(s)
        out = merged
    return out


def _severity(a: RiskAction) -> str:
    if a.action in describe.RECOVERY_ACTIONS:
        return "release"
    return _SEVERITY_OF.get(a.action, "info")


def _markers(run: RunData) -> tuple[list[Marker], tuple[str, ...]]:
    raw: list[tuple[str, int, str, str]] = []  # lane, t_ns, severity, text
    l4_at = {(a.t_ns, a.action) for a in run.actions if a.layer == "L4"}
    for a in run.actions:
        if a.action == "reject":
            continue  # drawn from the order rejections, which say which order
        raw.append((a.layer, a.t_ns, _severity(a), describe.risk_action(a)))
    for k in run.kills:
        if (k.t_ns, "kill" if k.engaged else "reset") not in l4_at:
            raw.append(("L4", k.t_ns, "kill" if k.engaged else "release",
                        describe.kill_switch(k)))
    for r in run.risk_rejects:
        raw.append((r.layer, r.t_ns, "reject", f"{r.layer} rejected: {r.rule or r.reason}"))
    extra: list[str] = []
    if run.regimes:
        extra.append("regime")
        for g in run.regimes:
            sev = "release" if g.mode == "normal" else "reduce"
            raw.append(("regime", g.t_ns, sev, describe.regime(g)))
    crash = [d for d in run.routes if d.decision not in ROUTINE_ROUTES]
    if crash:
        extra.append("SOR")
        for d in crash:
            where = f" {d.venue}" if d.venue else ""
            raw.append(("SOR", d.t_ns, "info", f"{d.strategy} {d.decision}{where} {d.detail}".strip()))
    return _bucketed(raw, run.first_ns, run.last_ns), tuple(extra)


def _bucketed(
    raw: list[tuple[str, int, str, str]], first_ns: int, last_ns: int
) -> list[Marker]:
    """One marker per lane, severity and time bucket; buckets widen until a lane fits."""
    by_lane: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for lane, t, sev, text in raw:
        by_lane[lane].append((t, sev, text))
    out: list[Marker] = []
    for lane, items in sorted(by_lane.items()):
        items.sort(key=lambda x: x[0])
        width = 0 if len(items) <= MAX_MARKERS else NS_PER_SECOND
        while True:
            groups: dict[tuple[int, str], list[tuple[int, str, str]]] = {}
            for it in items:
                key = (it[0] // width if width else it[0], it[1])
                groups.setdefault(key, []).append(it)
            if len(groups) <= MAX_MARKERS:
                break
            width = max(width * 2, (last_ns - first_ns) // MAX_MARKERS + 1)
        for group in groups.values():
            out.append(Marker(lane, group[0][0], group[0][1], len(group), _hover(group)))
    out.sort(key=lambda m: (m.t_ns, m.lane))
    return out


def _hover(group: list[tuple[int, str, str]]) -> str:
    if len(group) == 1:
        return f"{describe.hhmmss(group[0][0])} {group[0][2]}"
    head = f"{describe.hhmmss(group[0][0])}–{describe.hhmmss(group[-1][0])}: {len(group)} decisions"
    counts = Counter(text for _, _, text in group)
    lines = [t if n == 1 else f"{t} ×{n}" for t, n in counts.most_common(HOVER_LINES)]
    if len(counts) > HOVER_LINES:
        lines.append(f"… and {len(counts) - HOVER_LINES} more kinds")
    return "<br>".join([head, *lines])

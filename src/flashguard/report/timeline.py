"""The Timeline of Automated Reaction: minute by minute, what the market did, where the system
stood, and what its defences did about it. Built from the journal (and the run's bars).

Market condition: the main venue's (the consolidated feed's) last price at the minute's end,
its move from the reference (the price when the first shown episode began), the minute's low
when it is lower, the widest spread and the thinnest top-of-book depth seen at the
per-second marks, and each venue not simply open. System metrics: the last portfolio
snapshot at or before the minute's end. Response: every decision in the minute, repeats
counted, risk rejections and the router's crash-mode decisions summarised.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

import numpy as np
from rich.table import Table

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.core.events import Event, KillSwitch, OrderRejected, RegimeChange, RiskAction
from flashguard.report import describe
from flashguard.report.load import RunData
from flashguard.report.status import CLOSED, first_opens, status_spans, trading_changes
from flashguard.report.window import (
    ROUTINE_ROUTES,
    Episode,
    Fall,
    episodes,
    market_fall,
    minutes_shown,
    quiet_minutes,
)


class _Timed(Protocol):
    @property
    def t_ns(self) -> int: ...


E = TypeVar("E", bound=_Timed)

TITLE = "Timeline of Automated Reaction"
HEADERS = ("time", "market condition", "system-level metrics", "automated system response")


@dataclass(frozen=True, slots=True)
class MarketCell:
    price: float  # ticks; NaN when unknown
    move_pct: float  # from the reference price
    low_pct: float  # the minute's low, from the reference price
    max_spread: float  # ticks
    min_depth: float  # lots at the top of book, both sides
    venues: tuple[str, ...]  # "B: paused 14:45:28 -> auction 14:50:28"


@dataclass(frozen=True, slots=True)
class SystemCell:
    equity: float
    drawdown_pct: float
    var: float
    vpin_cdf: float
    mode: str


@dataclass(frozen=True, slots=True)
class TimelineRow:
    minute: int  # minutes since midnight
    market: MarketCell
    system: SystemCell | None
    response: tuple[str, ...]
    gap_before: bool  # minutes were skipped before this row
    last_minute: int  # == minute, or the end of a folded run of quiet minutes

    @property
    def time(self) -> str:
        first = describe.hhmm(self.minute * NS_PER_MINUTE)
        if self.last_minute == self.minute:
            return first
        return f"{first}–{describe.hhmm(self.last_minute * NS_PER_MINUTE)}"


@dataclass(frozen=True, slots=True)
class Timeline:
    rows: list[TimelineRow]
    episodes: list[Episode]
    fall: Fall | None
    venue: str | None  # whose price the market column shows
    reference: float  # ticks
    tick_size: Decimal | None
    instrument: str


def build_timeline(run: RunData) -> Timeline:
    fall = market_fall(run)
    eps = episodes(run, fall)
    venue = run.market.main_venue
    reference = _reference(run, venue, eps)
    responses = _responses(run)
    status_notes = _status_notes(run)
    rejects_in = _by_minute(run.risk_rejects)
    rows: list[TimelineRow] = []
    for first, last in _row_spans(minutes_shown(run, eps), quiet_minutes(run, eps)):
        if first == last:
            response = tuple(responses.get(first, ()))
        else:
            minutes = [m for m in range(first, last + 1) if m in rejects_in]
            rejects = [r for m in minutes for r in rejects_in[m]]
            response = (f"{_rejected_line(rejects)} (in {len(minutes)} minutes)",)
        rows.append(
            TimelineRow(
                minute=first,
                market=_market(run, venue, first, last, reference, status_notes.get(first, ())),
                system=_system(run, last),
                response=response,
                gap_before=bool(rows) and first != rows[-1].last_minute + 1,
                last_minute=last,
            )
        )
    return Timeline(rows, eps, fall, venue, reference, run.tick_size, run.instrument)


def _row_spans(minutes: list[int], quiet: set[int]) -> list[tuple[int, int]]:
    """(first, last) minute of each row: one minute, or a run of quiet minutes in a row."""
    spans: list[tuple[int, int]] = []
    for i, m in enumerate(minutes):
        if m in quiet and i > 0 and minutes[i - 1] in quiet:
            spans[-1] = (spans[-1][0], m)
        else:
            spans.append((m, m))
    return spans


def _second_slice(run: RunData, first: int, last: int | None = None) -> slice:
    """The grid seconds of minutes first..last."""
    t = run.market.t_ns
    if t.size == 0:
        return slice(0, 0)
    base = int(t[0]) // NS_PER_SECOND
    lo = max(0, first * 60 - base)
    hi = min(t.size, ((first if last is None else last) + 1) * 60 - base)
    return slice(lo, max(lo, hi))


def _reference(run: RunData, venue: str | None, eps: list[Episode]) -> float:
    if venue is None:
        return math.nan
    px = run.market.venues[venue].price
    start = _second_slice(run, eps[0].first_minute).start if eps else 0
    known = np.flatnonzero(~np.isnan(px[start:]))
    return float(px[start + known[0]]) if known.size else math.nan


def _nan_last(a: np.ndarray) -> float:
    known = np.flatnonzero(~np.isnan(a))
    return float(a[known[-1]]) if known.size else math.nan


def _nan_stat(a: np.ndarray, fn: str) -> float:
    if a.size == 0 or np.all(np.isnan(a)):
        return math.nan
    return float(np.nanmin(a) if fn == "min" else np.nanmax(a))


def _pct(x: float, ref: float) -> float:
    return (x / ref - 1) * 100 if ref and not math.isnan(ref) and not math.isnan(x) else math.nan


def _market(
    run: RunData, venue: str | None, first: int, last: int, ref: float, notes: tuple[str, ...]
) -> MarketCell:
    if venue is None:
        return MarketCell(math.nan, math.nan, math.nan, math.nan, math.nan, notes)
    s = run.market.venues[venue]
    sl = _second_slice(run, first, last)
    px = s.price[sl]
    close = _nan_last(px)
    return MarketCell(
        price=close,
        move_pct=_pct(close, ref),
        low_pct=_pct(_nan_stat(px, "min"), ref),
        max_spread=_nan_stat(s.spread[sl], "max"),
        min_depth=_nan_stat(s.depth[sl], "min"),
        venues=notes,
    )


def _system(run: RunData, minute: int) -> SystemCell | None:
    snaps = run.snapshots
    i = int(np.searchsorted(snaps.t_ns, (minute + 1) * NS_PER_MINUTE, side="left")) - 1
    if i < 0:
        return None
    return SystemCell(
        equity=float(snaps.equity[i]),
        drawdown_pct=float(snaps.drawdown_pct[i]),
        var=float(snaps.var[i]),
        vpin_cdf=float(snaps.vpin_cdf[i]),
        mode=snaps.mode[i],
    )


def _status_notes(run: RunData) -> dict[int, tuple[str, ...]]:
    """minute -> one note per venue that was not simply open during it: its changes in that
    minute with their times, or the status it stayed in throughout. Before a venue first
    opens and after it closes is the day's shape, not news."""
    changes: dict[int, dict[str, list[tuple[str, int]]]] = defaultdict(dict)
    for s in trading_changes(run.statuses):
        m = s.t_ns // NS_PER_MINUTE
        changes[m].setdefault(s.venue, []).append((s.status, s.t_ns))
    notes: dict[int, list[str]] = defaultdict(list)
    for m, by_venue in changes.items():
        for venue, steps in sorted(by_venue.items()):
            notes[m].append(f"{venue}: {_steps(steps)}")
    opened = first_opens(run.statuses)
    for span in status_spans(run.statuses, run.last_ns):
        if span.status == CLOSED or span.start_ns < opened.get(span.venue, span.end_ns + 1):
            continue
        first = span.start_ns // NS_PER_MINUTE + 1
        for m in range(first, span.end_ns // NS_PER_MINUTE + 1):
            if span.venue not in changes.get(m, {}):
                notes[m].append(f"{span.venue}: {span.status}")
    return {m: tuple(v) for m, v in notes.items()}


MAX_STEPS = 4  # status changes of one venue in one minute spelt out; more are counted


def _steps(steps: list[tuple[str, int]]) -> str:
    """A venue's status changes in one minute: each with its time, or, when it flickered
    (stop logic re-pausing every few seconds), how many of each and where it ended."""
    if len(steps) <= MAX_STEPS:
        return " -> ".join(f"{status} {describe.hhmmss(t)}" for status, t in steps)
    counts = Counter(status for status, _ in steps)
    tally = ", ".join(f"{status} x{n}" for status, n in counts.items())
    last_status, last_t = steps[-1]
    return (f"{tally} from {describe.hhmmss(steps[0][1])} to {describe.hhmmss(last_t)}, "
            f"ending {last_status}")


def _responses(run: RunData) -> dict[int, list[str]]:
    by_minute: dict[int, list[Event]] = defaultdict(list)
    for a in run.actions:
        if a.action != "reject":  # rejections are summarised from the order rejections
            by_minute[a.t_ns // NS_PER_MINUTE].append(a)
    # the gate journals a kill or reset twice: as a RiskAction (with the measured value) and
    # as a KillSwitch event; say it once
    l4_at = {(a.t_ns, a.action) for a in run.actions if a.layer == "L4"}
    for k in run.kills:
        if (k.t_ns, "kill" if k.engaged else "reset") not in l4_at:
            by_minute[k.t_ns // NS_PER_MINUTE].append(k)
    for r in run.regimes:
        by_minute[r.t_ns // NS_PER_MINUTE].append(r)
    summaries = _summaries(run)
    cancelled = run.per_minute.get("order_cancelled", Counter())
    out: dict[int, list[str]] = {}
    for m in sorted(set(by_minute) | set(summaries)):
        lines = _decisions(sorted(by_minute.get(m, []), key=lambda e: e.t_ns))
        lines += summaries.get(m, [])
        if any(_is_defence(e) for e in by_minute.get(m, [])):
            n = cancelled[m]
            if n:
                lines.append(f"{n} orders cancelled")
        if lines:
            out[m] = lines
    return out


def _is_defence(e: Event) -> bool:
    if isinstance(e, KillSwitch):
        return e.engaged
    return isinstance(e, RiskAction) and e.layer in ("L2", "L3", "L4") and (
        e.action not in describe.RECOVERY_ACTIONS
    )


def _decisions(events: list[Event]) -> list[str]:
    """One line per distinct decision, in order, a repeat counted rather than listed."""
    lines: list[str] = []
    index: dict[tuple[object, ...], int] = {}
    counts: list[int] = []
    for e in events:
        if isinstance(e, RiskAction):
            key: tuple[object, ...] = ("a", e.layer, e.strategy, e.rule, e.action)
            text = describe.risk_action(e)
        elif isinstance(e, KillSwitch):
            key, text = ("k", e.engaged, e.by), describe.kill_switch(e)
        elif isinstance(e, RegimeChange):
            text = describe.regime(e)
            key = ("r", text)
        else:
            continue
        if key in index:
            counts[index[key]] += 1
            continue
        index[key] = len(lines)
        lines.append(text)
        counts.append(1)
    return [t if n == 1 else f"{t} ×{n}" for t, n in zip(lines, counts, strict=True)]


def _by_minute(events: Iterable[E]) -> dict[int, list[E]]:
    out: dict[int, list[E]] = defaultdict(list)
    for e in events:
        out[e.t_ns // NS_PER_MINUTE].append(e)
    return out


def _rejected_line(rejects: list[OrderRejected]) -> str:
    by_layer: dict[str, list[str]] = defaultdict(list)
    for r in rejects:
        by_layer[r.layer].append(r.rule or r.reason)
    parts = [f"{layer} {describe.counted(rules)}" for layer, rules in sorted(by_layer.items())]
    return f"rejected {len(rejects)}: " + "; ".join(parts)


def _summaries(run: RunData) -> dict[int, list[str]]:
    """minute -> the risk rejections by layer and rule, and the router's crash-mode decisions."""
    lines: dict[int, list[str]] = defaultdict(list)
    for m, rejects in _by_minute(run.risk_rejects).items():
        lines[m].append(_rejected_line(rejects))
    crash = (d for d in run.routes if d.decision not in ROUTINE_ROUTES)
    for m, decisions in _by_minute(crash).items():
        lines[m].append(describe.routes(decisions))
    return lines


# --- rendering --------------------------------------------------------------------------------


def market_text(c: MarketCell, tick_size: Decimal | None) -> list[str]:
    parts: list[str] = []
    if not math.isnan(c.price):
        head = describe.price(c.price, tick_size)
        if not math.isnan(c.move_pct):
            head += f" ({c.move_pct:+.2f}%"
            if not math.isnan(c.low_pct) and c.low_pct < c.move_pct - 0.005:
                head += f", low {c.low_pct:+.2f}%"
            head += ")"
        parts.append(head)
    if not math.isnan(c.max_spread):
        parts.append(f"spread up to {describe.ticks(c.max_spread, tick_size)}")
    if not math.isnan(c.min_depth):
        parts.append(f"depth down to {describe.number(c.min_depth)} lots")
    parts.extend(c.venues)
    return parts


def system_text(c: SystemCell | None) -> list[str]:
    if c is None:
        return []
    return [
        f"equity {describe.number(c.equity)}",
        f"drawdown {c.drawdown_pct:.2f}%",
        f"VaR {describe.number(c.var)}",
        f"VPIN CDF {c.vpin_cdf:.2f}",
        f"mode {c.mode}",
    ]


def _md_cell(parts: list[str] | tuple[str, ...]) -> str:
    text = "; ".join(parts) if parts else "–"
    return text.replace("|", "\\|")


def _intro(tl: Timeline) -> list[str]:
    lines = [f"# {TITLE}", ""]
    what = f"{tl.instrument} " if tl.instrument else ""
    if tl.venue is not None and not math.isnan(tl.reference):
        lines.append(
            f"- Market: {what}on venue {tl.venue}; moves are from "
            f"{describe.price(tl.reference, tl.tick_size)}, the price when the first "
            "episode shown began. Times are exchange time (HH:MM)."
        )
    if tl.fall is not None:
        f = tl.fall
        back = (
            f", won back 90% of it at {describe.hhmmss(f.recovered_ns)}"
            if f.recovered_ns is not None else ", not won back in the run"
        )
        lines.append(
            f"- Largest fall: {100 * f.fraction:.2f}% from {describe.hhmmss(f.peak_ns)} to "
            f"{describe.hhmmss(f.trough_ns)}{back}."
        )
    for e in tl.episodes:
        lines.append(
            f"- Stress episode: first sign {describe.hhmmss(e.start_ns)}, over by "
            f"{describe.hhmmss(e.end_ns)}; shown "
            f"{describe.hhmm(e.first_minute * NS_PER_MINUTE)}–"
            f"{describe.hhmm(e.last_minute * NS_PER_MINUTE)}."
        )
    if not tl.rows:
        lines.append("- No stress sign and no automated action in this run.")
    return [*lines, ""]


def to_markdown(tl: Timeline) -> str:
    out = _intro(tl)
    if tl.rows:
        out.append("| " + " | ".join(HEADERS) + " |")
        out.append("|---|---|---|---|")
        for r in tl.rows:
            if r.gap_before:
                out.append("| … | | | |")
            cells = (
                r.time,
                _md_cell(market_text(r.market, tl.tick_size)),
                _md_cell(system_text(r.system)),
                _md_cell(r.response),
            )
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def to_table(tl: Timeline) -> Table:
    table = Table(title=TITLE, show_lines=True)
    table.add_column(HEADERS[0], no_wrap=True)
    table.add_column(HEADERS[1], ratio=3)
    table.add_column(HEADERS[2], ratio=2)
    table.add_column(HEADERS[3], ratio=4)
    for r in tl.rows:
        if r.gap_before:
            table.add_row("…", "", "", "")
        table.add_row(
            r.time,
            "\n".join(market_text(r.market, tl.tick_size)),
            "\n".join(system_text(r.system)),
            "\n".join(r.response) or "–",
            style="bold red" if any("KILL" in x for x in r.response) else None,
        )
    return table

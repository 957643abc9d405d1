"""report.png: the same panels as report.html, drawn by matplotlib (Agg: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: a report is written on servers and in CI

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from flashguard.core.clock import NS_PER_SECOND
from flashguard.report.panels import ROWS, SEVERITY_COLOUR, STATUS_COLOUR, Line, Panels

DPI = 100


def _seconds(t_ns: np.ndarray) -> np.ndarray:
    return np.asarray(t_ns, dtype=np.int64) / NS_PER_SECOND


def _hhmm(x: float, _pos: object = None) -> str:
    s = int(x)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}"


def _tick_minutes(p: Panels) -> int:
    """A round number of minutes between time labels, about a dozen labels across the run."""
    span = max(1, (p.last_ns - p.first_ns) // NS_PER_SECOND // 60)
    return next((m for m in (1, 2, 5, 10, 15, 30, 60, 120) if span / m <= 14), 240)


def _lines(ax: Axes, lines: list[Line], bold_first: bool = False, **kw: object) -> None:
    for i, line in enumerate(lines):
        width = 1.8 if bold_first and i == 0 else 0.9
        ax.plot(_seconds(line.t_ns), line.y, lw=width, label=line.name, **kw)  # type: ignore[arg-type]


def draw(p: Panels, title: str) -> Figure:
    fig, axes = plt.subplots(
        len(ROWS), 1, sharex=True, figsize=(13, 17),
        gridspec_kw={"height_ratios": [h for _, h in ROWS]},
    )
    price, depth, spread, equity, drawdown, var, vpin, lanes = axes
    _lines(price, p.price, bold_first=True)
    _lines(price, p.bands, ls=":", color="#555")
    seen: set[str] = set()
    for s in p.spans:
        price.axvspan(
            s.start_ns / NS_PER_SECOND, s.end_ns / NS_PER_SECOND, lw=0,
            color=STATUS_COLOUR.get(s.status, "#bab0ac"),
            alpha=0.18 if s.status == "limit_state" else 0.3,
        )
        seen.add(s.status)
    handles, _ = price.get_legend_handles_labels()
    handles += [Patch(color=STATUS_COLOUR.get(s, "#bab0ac"), alpha=0.4, label=s) for s in sorted(seen)]
    if handles:
        price.legend(handles=handles, loc="upper left", fontsize=7, ncol=4)
    _lines(depth, p.depth, bold_first=True)
    _lines(spread, p.spread, bold_first=True)
    _lines(equity, p.equity)
    _lines(drawdown, p.drawdown, color="#e15759")
    _lines(var, p.var)
    if p.var:
        var.legend(loc="upper left", fontsize=7)
    _lines(vpin, p.vpin)
    if p.vpin:
        vpin.axhline(0.9, ls="--", lw=0.8, color="#e15759")
        vpin.set_ylim(-0.02, 1.02)
    _draw_lanes(lanes, p)
    names = [name for name, _ in ROWS]
    if p.unit == "ticks":
        names[0], names[2] = "price (ticks)", "spread (ticks)"
    for ax, name in zip(axes, names, strict=True):
        if ax is not lanes:  # an offset like "1e6" above the axis hides the equity itself
            ax.ticklabel_format(axis="y", style="plain", useOffset=False)
        ax.set_ylabel(name, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, lw=0.3, alpha=0.5)
    lanes.xaxis.set_major_formatter(FuncFormatter(_hhmm))
    lanes.xaxis.set_major_locator(MultipleLocator(_tick_minutes(p) * 60))
    lanes.set_xlim(p.first_ns / NS_PER_SECOND, max(p.last_ns, p.first_ns + 1) / NS_PER_SECOND)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    return fig


def _draw_lanes(ax: Axes, p: Panels) -> None:
    row = {lane: i for i, lane in enumerate(p.lanes)}
    for severity, colour in SEVERITY_COLOUR.items():
        ms = [m for m in p.markers if m.severity == severity and m.lane in row]
        if not ms:
            continue
        ax.scatter(
            [m.t_ns / NS_PER_SECOND for m in ms],
            [row[m.lane] for m in ms],
            s=[min(120.0, 16 + 10 * float(np.log2(m.count))) for m in ms],
            c=colour, marker="D" if severity in ("kill", "halt") else "o",
            edgecolors="#333", linewidths=0.4, label=severity, zorder=3,
        )
    ax.set_yticks(range(len(p.lanes)), list(p.lanes))
    ax.set_ylim(-0.6, len(p.lanes) - 0.4)
    ax.invert_yaxis()
    if p.markers:
        ax.legend(loc="upper left", fontsize=7, ncol=6)


def write_png(p: Panels, path: str | Path, title: str) -> Path:
    out = Path(path)
    fig = draw(p, title)
    try:
        fig.savefig(out, dpi=DPI, metadata={"Software": None})  # no version: same run, same bytes
    finally:
        plt.close(fig)
    return out

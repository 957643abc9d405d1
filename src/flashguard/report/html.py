"""report.html: the run's panels on one shared time axis, plotly with its JavaScript inline so
the file opens offline, years later, with nothing else beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from numpy.typing import NDArray
from plotly.subplots import make_subplots

from flashguard.report.panels import ROWS, SEVERITY_COLOUR, STATUS_COLOUR, Line, Panels


def clock(t_ns: NDArray[np.int64]) -> NDArray[np.float64]:
    """Nanoseconds since midnight as a date axis reads numbers: milliseconds since the epoch
    (so the day is 1970-01-01, and only the time of day is shown). Numbers, not date strings:
    plotly packs them as binary arrays, which keeps the file small."""
    return np.asarray(t_ns, dtype=np.int64) / 1e6


def _trace(line: Line, width: float = 1.2, dash: str | None = None) -> go.Scatter:
    return go.Scatter(
        x=clock(line.t_ns), y=line.y, name=line.name, mode="lines",
        line={"width": width, "dash": dash}, legendgroup=line.name,
    )


def figure(p: Panels, title: str) -> go.Figure:
    titles = [name for name, _ in ROWS]
    unit = " (ticks)" if p.unit == "ticks" else ""
    titles[0] = f"price{unit} per venue, non-open time shaded"
    titles[2] = f"spread{unit}"
    fig = make_subplots(
        rows=len(ROWS), cols=1, shared_xaxes=True, vertical_spacing=0.025,
        row_heights=[h for _, h in ROWS], subplot_titles=titles,
    )
    for i, line in enumerate(p.price):
        fig.add_trace(_trace(line, 2.0 if i == 0 else 1.0), row=1, col=1)
    for line in p.bands:
        fig.add_trace(_trace(line, 0.8, "dot"), row=1, col=1)
    for row, lines in ((2, p.depth), (3, p.spread)):
        for line in lines:
            fig.add_trace(_trace(line), row=row, col=1)
            fig.data[-1].showlegend = False  # the venue is already in the legend from price
    for row, lines in ((4, p.equity), (5, p.drawdown), (6, p.var), (7, p.vpin)):
        for line in lines:
            fig.add_trace(_trace(line), row=row, col=1)
    if p.vpin:
        fig.add_hline(y=0.9, line={"dash": "dash", "width": 0.8, "color": "#e15759"}, row=7, col=1)
    _shade(fig, p)
    _lanes(fig, p)
    fig.update_xaxes(type="date", tickformat="%H:%M", hoverformat="%H:%M:%S")
    fig.update_layout(
        title=title, height=1500, hovermode="closest", template="plotly_white",
        legend={"orientation": "v", "x": 1.01, "y": 1.0},
        margin={"l": 70, "r": 30, "t": 70, "b": 40},
    )
    return fig


def _shade(fig: go.Figure, p: Panels) -> None:
    """The price panel's non-open spans, as the shapes `add_vrect(row=1)` makes, set in one
    assignment: add_vrect validates every shape already there at each call, so a crash day's
    few hundred spans took over a minute (87 s of a 91 s report under cProfile)."""
    seen: set[str] = set()
    shapes = []
    for s in p.spans:
        shapes.append({
            "fillcolor": STATUS_COLOUR.get(s.status, "#bab0ac"), "layer": "below",
            "line": {"width": 0}, "opacity": 0.18 if s.status == "limit_state" else 0.3,
            "type": "rect", "x0": s.start_ns / 1e6, "x1": s.end_ns / 1e6, "xref": "x",
            "y0": 0, "y1": 1, "yref": "y domain",
        })
        seen.add(s.status)
    if shapes and (p.price or p.bands):  # add_vrect leaves an empty subplot alone
        fig.update_layout(shapes=[*fig.layout.shapes, *shapes])
    for status in sorted(seen):
        # a legend entry for each shade (shapes have none of their own)
        fig.add_trace(
            go.Scatter(
                x=[None], y=[None], mode="markers", name=f"{status} (shaded)",
                marker={"symbol": "square", "size": 12, "color": STATUS_COLOUR.get(status, "#bab0ac")},
            ),
            row=1, col=1,
        )


def _lanes(fig: go.Figure, p: Panels) -> None:
    row = len(ROWS)
    by_severity: dict[str, list[int]] = {}
    for i, m in enumerate(p.markers):
        by_severity.setdefault(m.severity, []).append(i)
    for severity, idx in by_severity.items():
        ms = [p.markers[i] for i in idx]
        fig.add_trace(
            go.Scatter(
                x=clock(np.array([m.t_ns for m in ms], dtype=np.int64)),
                y=[m.lane for m in ms],
                mode="markers",
                name=f"decision: {severity}",
                marker={
                    "color": SEVERITY_COLOUR.get(severity, "#4e79a7"),
                    "size": [min(18.0, 7 + 2 * float(np.log2(m.count))) for m in ms],
                    "symbol": "diamond" if severity in ("kill", "halt") else "circle",
                    "line": {"width": 0.5, "color": "#333"},
                },
                hovertext=[m.text for m in ms],
                hoverinfo="text",
            ),
            row=row, col=1,
        )
    fig.update_yaxes(
        type="category", categoryorder="array", categoryarray=list(p.lanes),
        range=[-0.5, len(p.lanes) - 0.5], row=row, col=1,
    )
    # the lanes' axis must span the run even when nothing happened in it
    fig.add_trace(
        go.Scatter(x=clock(np.array([p.first_ns, p.last_ns], dtype=np.int64)),
                   y=[p.lanes[0], p.lanes[0]], mode="markers", marker={"opacity": 0},
                   showlegend=False, hoverinfo="skip"),
        row=row, col=1,
    )


def write_html(p: Panels, path: str | Path, title: str) -> Path:
    out = Path(path)
    # a fixed div id: the same run gives the same file
    figure(p, title).write_html(
        out, include_plotlyjs=True, full_html=True, auto_open=False, div_id="flashguard-report"
    )
    return out

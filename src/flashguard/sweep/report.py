"""sweep.html: what the sweep says about each parameter set, in one self-contained file
(plotly's JavaScript inline once, no network needed to open it).

1. Loss distributions: box plots of every run's max drawdown and P&L per set, one column per
   scenario (every run a point beside its box while there are few enough to see).
2. The efficient frontier: each set at its mean max drawdown (x) and mean P&L (y) over all its
   runs; a set is on the frontier when no other set has a higher (or equal) mean P&L with a
   lower (or equal) mean drawdown, one of them strictly.
3. The sets ranked: frontier sets first, then the rest, each group by score = mean P&L - p95
   max drawdown in currency (a run's drawdown % of its starting capital), highest first, ties
   in grid order. A difference, not a ratio: P&L per unit of drawdown would rank a set that
   loses more per unit of drawdown higher whenever P&L is negative.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from flashguard.sweep.plan import Plan

MAX_POINTS = 300  # per box: more and the points hide the box
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")


@dataclass(frozen=True, slots=True)
class SetStats:
    name: str
    values: dict[str, Any]
    runs: int
    mean_pnl: float
    median_pnl: float
    mean_dd: float
    median_dd: float
    p95_dd: float
    p95_dd_cash: float
    kill_rate: float
    score: float
    frontier: bool


def set_stats(plan: Plan, rows: list[dict[str, Any]]) -> list[SetStats]:
    """Each set with runs, in rank order."""
    raw = []
    for s in plan.grid.sets:
        mine = [r for r in rows if r["set"] == s.name]
        if not mine:
            continue
        pnl = np.array([r["pnl"] for r in mine], dtype=np.float64)
        dd = np.array([r["max_drawdown_pct"] for r in mine], dtype=np.float64)
        capital = np.array([r["final_equity"] - r["pnl"] for r in mine], dtype=np.float64)
        cash = float(np.percentile(dd / 100 * capital, 95))
        raw.append((s.name, s.values, len(mine), float(pnl.mean()), float(np.median(pnl)),
                    float(dd.mean()), float(np.median(dd)), float(np.percentile(dd, 95)), cash,
                    sum(1 for r in mine if r["kill_engaged"]) / len(mine),
                    float(pnl.mean()) - cash))
    stats = []
    for name, values, runs, mp, mdp, md, mdd, p95, cash, kill, score in raw:
        dominated = any(
            (p2 >= mp and d2 <= md) and (p2 > mp or d2 < md)
            for n2, _, _, p2, _, d2, *_ in raw if n2 != name
        )
        stats.append(SetStats(name, values, runs, mp, mdp, md, mdd, p95, cash, kill, score,
                              not dominated))
    order = {s.name: i for i, s in enumerate(plan.grid.sets)}
    return sorted(stats, key=lambda s: (not s.frontier, -s.score, order[s.name]))


def _colours(plan: Plan) -> dict[str, str]:
    return {s.name: PALETTE[i % len(PALETTE)] for i, s in enumerate(plan.grid.sets)}


def distributions(plan: Plan, rows: list[dict[str, Any]]) -> go.Figure:
    scenarios = [n for n in plan.names if any(r["scenario"] == n for r in rows)]
    fig = make_subplots(
        rows=2, cols=len(scenarios), shared_xaxes=True, vertical_spacing=0.08,
        horizontal_spacing=0.06,
        subplot_titles=[f"{sc}: max drawdown (% of peak equity)" for sc in scenarios]
        + [f"{sc}: P&L (currency)" for sc in scenarios],
    )
    colour = _colours(plan)
    for col, sc in enumerate(scenarios, start=1):
        for s in plan.grid.sets:
            mine = [r for r in rows if r["scenario"] == sc and r["set"] == s.name]
            if not mine:
                continue
            hover = [f"seed {r['seed']}<br>P&L {r['pnl']:,.2f}<br>max drawdown "
                     f"{r['max_drawdown_pct']:.4g}%<br>kill switch "
                     f"{'engaged' if r['kill_engaged'] else 'not engaged'}" for r in mine]
            points = "all" if len(mine) <= MAX_POINTS else "outliers"
            for row, measure in ((1, "max_drawdown_pct"), (2, "pnl")):
                fig.add_trace(go.Box(
                    y=[r[measure] for r in mine], name=s.name, legendgroup=s.name,
                    showlegend=row == 1 and col == 1, marker_color=colour[s.name],
                    boxpoints=points, jitter=0.4, pointpos=0, hovertext=hover,
                    hoverinfo="text+y", boxmean=True,
                ), row=row, col=col)
    fig.update_yaxes(title_text="max drawdown %", row=1, col=1)
    fig.update_yaxes(title_text="P&L", tickformat=",.0f", row=2, col=1)
    fig.update_layout(
        title="Loss distributions per parameter set (box: quartiles, dashed: mean; "
              "one point per run)",
        template="plotly_white", height=760, boxmode="overlay",
        legend={"title": "parameter set"}, margin={"l": 70, "r": 30, "t": 90, "b": 60},
    )
    return fig


def frontier(plan: Plan, stats: list[SetStats]) -> go.Figure:
    colour = _colours(plan)
    fig = go.Figure()
    front = sorted((s for s in stats if s.frontier), key=lambda s: s.mean_dd)
    if len(front) > 1:
        fig.add_trace(go.Scatter(
            x=[s.mean_dd for s in front], y=[s.mean_pnl for s in front], mode="lines",
            line={"color": "#333", "width": 1.5, "dash": "dot"}, name="efficient frontier",
            hoverinfo="skip",
        ))
    for s in sorted(stats, key=lambda s: s.name):
        fig.add_trace(go.Scatter(
            x=[s.mean_dd], y=[s.mean_pnl], mode="markers+text",
            text=[s.name], textposition="top center",
            name=s.name + (" (frontier)" if s.frontier else ""),
            marker={"size": 16 if s.frontier else 10, "color": colour[s.name],
                    "symbol": "star" if s.frontier else "circle",
                    "line": {"width": 1.5 if s.frontier else 0.5, "color": "#222"},
                    "opacity": 1.0 if s.frontier else 0.55},
            hovertext=[_hover(s)], hoverinfo="text",
        ))
    fig.update_layout(
        title="Drawdown against P&L: mean over each set's runs (stars: the efficient frontier, "
              "no other set earns more with less drawdown)",
        xaxis_title="mean max drawdown (% of peak equity; left is better)",
        yaxis_title="mean P&L (currency; up is better)",
        template="plotly_white", height=560, yaxis={"tickformat": ",.0f"},
        margin={"l": 80, "r": 30, "t": 80, "b": 60},
    )
    return fig


def _hover(s: SetStats) -> str:
    lines = [f"<b>{html.escape(s.name)}</b>", f"runs {s.runs}",
             f"mean P&L {s.mean_pnl:,.2f} (median {s.median_pnl:,.2f})",
             f"max drawdown mean {s.mean_dd:.4g}%, median {s.median_dd:.4g}%, "
             f"p95 {s.p95_dd:.4g}% ({s.p95_dd_cash:,.0f})",
             f"kill switch engaged in {s.kill_rate:.0%} of runs", f"score {s.score:,.0f}"]
    return "<br>".join(lines)


def _show(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return v if isinstance(v, str) else json.dumps(v)


def table(plan: Plan, stats: list[SetStats]) -> str:
    paths = plan.grid.paths
    head = ["rank", "set", *paths, "runs", "median max dd %", "p95 max dd %", "p95 max dd",
            "median P&L", "mean P&L", "kill-switch rate", "score", "frontier"]
    out = ['<table class="ranked"><thead><tr>']
    # a parameter's path may break after each dot: the header stays narrow
    out += [f"<th>{html.escape(h).replace('.', '.<wbr>')}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for i, s in enumerate(stats, start=1):
        cells = [str(i), html.escape(s.name),
                 *(html.escape(_show(s.values[p])) for p in paths),
                 str(s.runs), f"{s.median_dd:.4g}", f"{s.p95_dd:.4g}", f"{s.p95_dd_cash:,.0f}",
                 f"{s.median_pnl:,.2f}", f"{s.mean_pnl:,.2f}", f"{s.kill_rate:.0%}",
                 f"{s.score:,.0f}", "★" if s.frontier else ""]
        cls = ' class="frontier"' if s.frontier else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px 40px;
       color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.lede { color: #555; margin-top: 0; }
table.ranked { border-collapse: collapse; font-size: 0.9em; }
table.ranked th, table.ranked td { padding: 5px 10px; border-bottom: 1px solid #e4e4e4;
       text-align: right; white-space: nowrap; }
table.ranked th { background: #f4f6f8; position: sticky; top: 0; white-space: normal;
       vertical-align: bottom; max-width: 9em; }
table.ranked td:nth-child(2), table.ranked th:nth-child(2) { text-align: left;
       font-weight: 600; }
table.ranked tr.frontier td { background: #fdf8e6; }
.note { color: #666; font-size: 0.85em; max-width: 60em; }
"""


def write_html(path: Path, plan: Plan, rows: list[dict[str, Any]]) -> Path:
    stats = set_stats(plan, rows)
    seeds = f"{plan.seeds[0]}..{plan.seeds[-1]}" if len(plan.seeds) > 1 else str(plan.seeds[0])
    lede = (f"{len(rows)} runs: scenario {', '.join(plan.names)}; {len(plan.seeds)} seeds "
            f"({seeds}); {len(plan.grid.sets)} parameter sets from {plan.grid.source} on the "
            f"{plan.grid.base} risk matrix.")
    dist = distributions(plan, rows).to_html(full_html=False, include_plotlyjs=False,
                                             div_id="sweep-distributions")
    front = frontier(plan, stats).to_html(full_html=False, include_plotlyjs=False,
                                          div_id="sweep-frontier")
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>flashguard sweep</title>
<style>{_STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<h1>flashguard sweep</h1>
<p class="lede">{html.escape(lede)}</p>
<h2 id="distributions">1. Loss distributions per parameter set</h2>
{dist}
<h2 id="frontier">2. Efficient frontier: drawdown against P&amp;L</h2>
{front}
<h2 id="ranking">3. Parameter sets ranked</h2>
<p class="note">Frontier sets first, then the rest; within each, by score = mean P&amp;L minus
the p95 max drawdown in currency (each run's drawdown % of its starting capital), highest
first. Parameter values are what the runs used (inherited and default values included).
Drawdown is the deepest fall of the desk's equity below its high-water mark, in % of that mark;
the kill-switch rate is the share of runs in which it engaged.</p>
{table(plan, stats)}
</body></html>
"""
    path.write_text(body, encoding="utf-8")
    return path

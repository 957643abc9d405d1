"""`--ablation`: what each defence saved.

The same scenario and seed again with each risk layer disabled in turn (L1, L2, L3, L4) and
with all of them disabled, each a full run of its own in DIR/ablation/<L1|L2|L3|L4|all>
(journal, bars and summary; no reports). One after the other: the machine's cores are the
simulation's. A layer's worth is the run without it against the run with everything on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from flashguard.run.inputs import RunInputs
from flashguard.run.resume import ResumeError, resume, stored_inputs
from flashguard.run.runner import ABLATION, JOURNAL, start
from flashguard.system.risk.layers import LAYERS

VARIANTS: tuple[tuple[str, ...], ...] = (*((layer,) for layer in LAYERS), LAYERS)


def variant_dir(directory: Path, disabled: tuple[str, ...]) -> Path:
    return directory / ABLATION / ("all" if disabled == LAYERS else ",".join(disabled))


def run_ablation(
    inputs: RunInputs, directory: Path, console: Console, *, resuming: bool = False
) -> list[dict[str, Any]]:
    """Run every variant (continuing those a killed ablation left half done when resuming);
    returns the summary's "ablation" rows."""
    rows = []
    for disabled in VARIANTS:
        sub = variant_dir(directory, disabled)
        label = f"without {'all layers' if disabled == LAYERS else disabled[0]}"
        if resuming and _resumable(sub):
            summary = resume(sub, console, reports=False, label=label)
        else:
            summary = start(inputs.variant(disabled), sub, console, reports=False, label=label)
        rows.append({
            "disabled": ",".join(disabled),
            "pnl": summary["system"]["pnl"],
            "max_drawdown_pct": summary["system"]["max_drawdown_pct"],
        })
    return rows


def _resumable(sub: Path) -> bool:
    if not (sub / JOURNAL).is_file():
        return False
    try:
        stored_inputs(sub)
    except ResumeError:
        return False
    return True


def ablation_table(summary: dict[str, Any]) -> Table:
    """P&L and max drawdown with every layer on, then without each; how many times deeper
    the drawdown was without it."""
    table = Table(title="What each defence saved (same scenario, same seed)")
    table.add_column("layers disabled")
    table.add_column("P&L", justify="right")
    table.add_column("max drawdown %", justify="right")
    table.add_column("drawdown vs all on", justify="right")
    base = summary["system"]["max_drawdown_pct"] or 0.0
    table.add_row("none", f"{summary['system']['pnl']:,.2f}", f"{base:.4g}", "1.0x")
    for row in summary["ablation"]:
        dd = row["max_drawdown_pct"] or 0.0
        ratio = f"{dd / base:.1f}x" if base > 0 else ("-" if dd == 0 else "inf")
        table.add_row(row["disabled"], f"{row['pnl']:,.2f}", f"{dd:.4g}", ratio)
    return table

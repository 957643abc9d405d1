"""`flashguard run`: the main job - the trading system through a scenario, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from flashguard.journal.export import JournalError
from flashguard.market.scenario import ScenarioError
from flashguard.run.ablation import ablation_table
from flashguard.run.inputs import RunInputError, make_inputs
from flashguard.run.job import resume_job, run_job
from flashguard.run.recorder import ResumeDivergence
from flashguard.run.resume import ResumeError
from flashguard.system.risk import MatrixError
from flashguard.system.strategy.loader import StrategyLoadError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
DEFAULT_SCENARIO = "may6"


def run(
    scenario: Annotated[
        str | None, typer.Argument(help="A built-in scenario name or a TOML file (default: may6).",
                                   show_default=False)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output directory (default: runs/<scenario>-<seed>).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Risk-parameter matrix (default: the shipped one).")
    ] = None,
    strategy: Annotated[
        list[str] | None,
        typer.Option(help="FILE.py:Class, module:Class or a built-in (momentum, market_making, "
                          "twap, pov, mean_reversion); repeat for several. Default: momentum, "
                          "market_making and a TWAP sell order."),
    ] = None,
    disable: Annotated[
        str, typer.Option(help="Risk layers to switch off, e.g. L2 or L1,L3.")
    ] = "",
    ablation: Annotated[
        bool, typer.Option("--ablation", help="Then run again without each layer, and without all.")
    ] = False,
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue the run in this directory after a crash (its inputs come "
                          "from its journal; give no other option).", show_default=False),
    ] = None,
) -> None:
    """The main job: the trading system through a scenario (default: may6).

    Writes journal.sqlite, summary.json, timeline.md, report.html and report.png to the output
    directory and prints the timeline."""
    console = Console()
    try:
        if resume is not None:
            given = [name for name, value in (
                ("SCENARIO", scenario), ("--seed", seed), ("--out", out), ("--config", config),
                ("--strategy", strategy), ("--disable", disable or None),
                ("--ablation", ablation or None)) if value is not None]
            if given:
                _fail(f"--resume takes its inputs from the journal: drop {', '.join(given)}",
                      EXIT_BAD_INPUT)
            directory = resume
            summary = resume_job(directory, console)
        else:
            inputs = make_inputs(
                scenario or DEFAULT_SCENARIO, seed, config, tuple(strategy or ()), disable,
                ablation,
            )
            name = inputs.load_scenario().name
            directory = out if out is not None else Path("runs") / f"{name}-{inputs.seed}"
            summary = run_job(inputs, directory, console)
    except (ScenarioError, RunInputError, MatrixError, StrategyLoadError, ResumeError) as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except (ResumeDivergence, JournalError) as exc:
        _fail(str(exc), EXIT_FAILED)
    _print(console, directory, summary)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _print(console: Console, directory: Path, summary: dict[str, Any]) -> None:
    from flashguard.report import timeline_table

    console.print(timeline_table(directory))
    console.print(_summary_table(summary))
    if summary["ablation"]:
        console.print(ablation_table(summary))
    console.print(
        f"wrote {directory}/journal.sqlite, summary.json, timeline.md, report.html, report.png"
    )


def _summary_table(summary: dict[str, Any]) -> Table:
    s = summary["system"]
    table = Table(title=f"run: {summary['scenario']} seed {summary['seed']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rejected = ", ".join(f"{k} {v}" for k, v in s["orders_rejected"].items())
    kill = s["kill_switch"]
    for key, value in (
        ("wall seconds", f"{summary['wall_seconds']:.1f}"),
        ("events journaled", f"{summary['events']:,}"),
        ("starting capital", f"{s['starting_capital']:,.2f}"),
        ("final equity", f"{s['final_equity']:,.2f}"),
        ("P&L", f"{s['pnl']:,.2f}"),
        ("max drawdown %", f"{s['max_drawdown_pct']:.4g}"),
        ("orders sent", f"{s['orders_sent']:,}"),
        ("orders rejected", rejected),
        ("fills", f"{s['fills']:,}"),
        ("risk actions", f"{len(s['actions']):,}"),
        ("kill switch", "not engaged" if kill["engaged_at_ns"] is None else
         f"engaged at {kill['engaged_at_ns']} with {kill['open_orders_at_engage']} open orders"),
    ):
        table.add_row(key, value)
    return table

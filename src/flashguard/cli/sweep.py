"""`flashguard sweep`: Monte Carlo stress testing over scenarios, seeds and risk parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from flashguard.market.scenario import ScenarioError
from flashguard.run.inputs import RunInputError
from flashguard.sweep.backends import BACKENDS, BackendError, default_workers
from flashguard.sweep.grid import GridError, load_grid
from flashguard.sweep.job import run_sweep
from flashguard.sweep.plan import Plan, PlanError, make_plan, parse_scenarios, parse_seeds
from flashguard.sweep.report import set_stats
from flashguard.sweep.results import CSV, HTML, PARQUET, ROWS, load_rows, planned_rows
from flashguard.sweep.worker import RunFailed
from flashguard.system.risk import MatrixError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def sweep(
    scenario: Annotated[
        str, typer.Option(help="Built-in scenario names or TOML files, comma-separated.",
                          show_default=False)
    ],
    seeds: Annotated[
        str, typer.Option(help="A..B (inclusive), N, or a comma list such as 1,5,9.",
                          show_default=False)
    ],
    grid: Annotated[
        str, typer.Option(help="GRID_TOML: the risk-parameter sets to try (a grid table or set "
                               "tables; see config/grid-example.toml), or grid-example.", show_default=False)
    ],
    backend: Annotated[
        str, typer.Option(help="local (a process pool) or ray (RAY_ADDRESS's cluster, else a "
                               "local Ray instance).")
    ] = "local",
    workers: Annotated[
        int | None, typer.Option(help="Runs at a time (default: the CPU count).",
                                 show_default=False)
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output directory (default: sweeps/<grid name>). A "
                                       "re-run on the same directory skips the runs done.",
                                  show_default=False)
    ] = None,
    keep_runs: Annotated[
        bool, typer.Option("--keep-runs", help="Keep each run's directory (journal, bars, "
                                               "summary) under OUT/runs/.")
    ] = False,
) -> None:
    """Run every (scenario, seed, parameter set) and compare the sets.

    Writes OUT/results.parquet and results.csv (one row per run), sweep.html (loss
    distributions, the efficient frontier, the sets ranked), rows.jsonl (what a re-run
    resumes from) and sweep.json (the plan). See docs/sweep.md."""
    err = Console(stderr=True)
    if backend not in BACKENDS:
        _fail(f"--backend={backend!r}: use one of {', '.join(BACKENDS)}", EXIT_BAD_INPUT)
    n = default_workers() if workers is None else workers
    if n < 1:
        _fail(f"--workers={n}: must be at least 1", EXIT_BAD_INPUT)
    try:
        scenarios = parse_scenarios(scenario)
        seed_list = parse_seeds(seeds)
        the_grid = load_grid(grid)
        directory = out if out is not None else Path("sweeps") / Path(grid).stem
        plan = make_plan(scenarios, seed_list, the_grid,
                         keep_runs=directory / "runs" if keep_runs else None)
    except ScenarioError as exc:
        _fail(f"--scenario={scenario!r}: {exc}", EXIT_BAD_INPUT)
    except (PlanError, GridError, RunInputError, MatrixError) as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    err.print(f"sweep: {len(plan.jobs)} runs = {len(scenarios)} scenario(s) x "
              f"{len(seed_list)} seed(s) x {len(the_grid.sets)} parameter set(s), "
              f"{backend} backend, {n} workers, into {directory}")
    try:
        outcome = run_sweep(plan, directory, backend, n, err)
    except KeyboardInterrupt:
        done = len(planned_rows(plan, load_rows(directory / ROWS)))
        _fail(f"interrupted: {done} of {len(plan.jobs)} runs are saved in {directory}/"
              "rows.jsonl; the same command continues the sweep", EXIT_INTERRUPTED)
    except BackendError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except RunFailed as exc:
        _fail(f"{exc} (the runs done so far are saved; the same command continues)",
              EXIT_FAILED)
    Console().print(_ranking(plan, outcome.rows))
    typer.echo(f"wrote {directory}/{PARQUET}, {CSV}, {HTML}")


def _ranking(plan: Plan, rows: list[dict[str, Any]]) -> Table:
    table = Table(title="parameter sets, ranked (frontier first; see sweep.html)")
    for name, justify in (("set", "left"), ("runs", "right"), ("median max dd %", "right"),
                          ("p95 max dd %", "right"), ("median P&L", "right"),
                          ("kill rate", "right"), ("frontier", "center")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in set_stats(plan, rows):
        table.add_row(s.name, str(s.runs), f"{s.median_dd:.4g}", f"{s.p95_dd:.4g}",
                      f"{s.median_pnl:,.2f}", f"{s.kill_rate:.0%}", "*" if s.frontier else "")
    return table


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)

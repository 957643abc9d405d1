"""A sweep from plan to outputs: skip what rows.jsonl already holds, run the rest on a backend
while appending each batch's rows as it lands, then tabulate and chart every planned row.

    plan = make_plan(("may6",), parse_seeds("1..20"), load_grid("config/grid-example.toml"))
    outcome = run_sweep(plan, Path("sweeps/example"), "local", 2, console)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from flashguard.sweep import backends
from flashguard.sweep.plan import Plan
from flashguard.sweep.progress import SweepProgress, clock, rate
from flashguard.sweep.report import write_html
from flashguard.sweep.results import (
    HTML,
    ROWS,
    RowLog,
    load_rows,
    planned_rows,
    write_record,
    write_results,
)
from flashguard.sweep.worker import clear_leftovers, tmp_root


@dataclass(frozen=True, slots=True)
class Outcome:
    planned: int
    skipped: int  # already in rows.jsonl
    ran: int  # this time
    wall_s: float  # of the runs this time
    rows: list[dict[str, Any]]  # the plan's, in plan order

    @property
    def runs_per_min(self) -> float:
        return rate(self.ran, self.wall_s)


def run_sweep(
    plan: Plan, directory: Path, backend: str, workers: int, console: Console
) -> Outcome:
    """Run what is not done yet; write results.parquet, results.csv and sweep.html from all
    the plan's rows. `console` shows the progress (stderr, for the CLI)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_record(directory, plan, backend, workers)
    done = load_rows(directory / ROWS)
    todo = [j for j in plan.jobs if j.key not in done]
    # run directories that killed workers left on this machine (a cluster's nodes are out of
    # reach: theirs go when their temporary folders are cleaned)
    for root in {j.tmp_root or tmp_root() for j in todo if j.keep_dir is None}:
        clear_leftovers(root)
    skipped = len(plan.jobs) - len(todo)
    if skipped:
        console.print(f"skipping {skipped} runs already done (in {directory.name}/{ROWS})")
    with RowLog(directory / ROWS) as log, SweepProgress(console, len(todo)) as bar:
        for rows in backends.run(backend, todo, workers):
            log.append(rows)
            for r in rows:
                done[r["key"]] = r
            bar.advance(len(rows))
        wall = bar.wall
    rows = planned_rows(plan, done)
    outcome = Outcome(planned=len(plan.jobs), skipped=skipped, ran=len(todo), wall_s=wall,
                      rows=rows)
    write_results(directory, plan, rows)
    write_html(directory / HTML, plan, rows)
    console.print(
        f"sweep: {outcome.ran} runs in {clock(wall)} ({outcome.runs_per_min:.1f} runs/min, "
        f"{backend} backend, {workers} workers); {skipped} skipped as already done"
    )
    return outcome

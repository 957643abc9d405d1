"""Benchmark: `flashguard sweep` throughput, and what one run's cost is made of.

Prints one JSON line:
{"name": "sweep", "runs", "wall_s", "runs_per_min", "backend", "workers", "scenario",
 "cpu_s_per_run", "run_wall_s_mean", "minutes_for_1000_runs"}
    cpu_s_per_run: the worker processes' CPU seconds (user + system) per run (local backend;
        null on Ray, whose workers are not this process's children)
    run_wall_s_mean: a run's own wall time inside its worker (the rows' wall_s), averaged
    minutes_for_1000_runs: 1,000 runs at this runs_per_min (an extrapolation; null in --quick,
        whose runs are cut short)

    python bench/sweep.py                      # 4 may6 runs (the example grid's 4 sets, seed 1)
    python bench/sweep.py --runs 8 --workers 2 --backend ray
    python bench/sweep.py --quick              # 4 runs of 2 simulated minutes (CI: does it run?)
    python bench/sweep.py --breakdown          # one may6 run taken apart (about 3 minutes):
        {"name": "sweep-breakdown", "market_s" (the market alone, no trading system),
         "run_disk_s" / "run_shm_s" (runner.start into a directory on disk / on /dev/shm),
         "run_no_journal_s" (the same run, journal writes dropped),
         "run_sweep_s" (runner.start(..., market_data=False) on /dev/shm: what a sweep's
             temporary run does, its journal without the Quotes and Trades),
         "summary_s" (summarize() on the journal), "row_s" (the sweep's own journal read),
         "journal_mb", "events"}
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import math
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from flashguard.sweep.backends import default_workers
from flashguard.sweep.grid import load_grid
from flashguard.sweep.job import run_sweep
from flashguard.sweep.plan import make_plan
from flashguard.sweep.worker import tmp_root

QUICK_SECONDS = 120


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def sweep(args: argparse.Namespace) -> dict[str, Any]:
    grid = load_grid("grid-example")
    with tempfile.TemporaryDirectory(prefix="flashguard-bench-sweep-") as tmp:
        scenario = args.scenario
        if args.quick:
            from flashguard.market.scenario import scenario_text

            text, _ = scenario_text(scenario)
            path = Path(tmp) / f"{scenario}-quick.toml"
            path.write_text(_shortened(text, QUICK_SECONDS))
            scenario = str(path)
        sets = len(grid.sets)
        seeds = tuple(range(1, math.ceil(args.runs / sets) + 1))
        plan = make_plan((scenario,), seeds, grid)
        plan = dataclasses.replace(plan, jobs=plan.jobs[:args.runs])
        cpu0 = _children_cpu()
        outcome = run_sweep(plan, Path(tmp) / "out", args.backend, args.workers,
                            Console(file=io.StringIO()))
        cpu = _children_cpu() - cpu0
    per_min = outcome.runs_per_min
    return {
        "name": "sweep",
        "runs": outcome.ran,
        "wall_s": round(outcome.wall_s, 3),
        "runs_per_min": round(per_min, 2),
        "backend": args.backend,
        "workers": args.workers,
        "scenario": plan.names[0] + (f" (first {QUICK_SECONDS} s)" if args.quick else ""),
        "cpu_s_per_run": round(cpu / outcome.ran, 3) if args.backend == "local" else None,
        "run_wall_s_mean": round(sum(r["wall_s"] for r in outcome.rows) / len(outcome.rows), 3),
        # of whole may6 runs only: a shortened run says nothing about the target
        "minutes_for_1000_runs": (round(1000 / per_min, 1) if per_min > 0 and not args.quick
                                  else None),
    }


def _shortened(text: str, seconds: int) -> str:
    lines = text.splitlines(keepends=True)
    out = [f"duration_s = {seconds}\n" if line.startswith("duration_s =") else line
           for line in lines]
    assert out != lines, "the scenario has no duration_s line"
    return "".join(out)


# --- one run taken apart ---------------------------------------------------------------------


def breakdown(args: argparse.Namespace) -> dict[str, Any]:
    from flashguard.market.results import market_result
    from flashguard.market.simulation import Simulation
    from flashguard.run.build import build
    from flashguard.run.inputs import make_inputs
    from flashguard.run.runner import JOURNAL, start
    from flashguard.run.summary import summarize
    from flashguard.sweep.row import _flat

    inputs = make_inputs(args.scenario)
    sc = inputs.load_scenario()
    quiet = Console(file=io.StringIO())
    out: dict[str, Any] = {"name": "sweep-breakdown", "scenario": sc.name, "seed": inputs.seed}

    t = time.perf_counter()
    Simulation(sc, inputs.seed).run()
    out["market_s"] = round(time.perf_counter() - t, 2)

    def emit(ev: object) -> None:
        return None

    t = time.perf_counter()
    run = build(inputs, emit)  # the run's loop (run/runner.execute's), nothing journaled
    run.system.start()
    run.sim.run(sc.end_ns)
    market_result(run.sim)
    out["run_no_journal_s"] = round(time.perf_counter() - t, 2)
    with tempfile.TemporaryDirectory(dir=tmp_root()) as d:
        t = time.perf_counter()
        start(inputs, Path(d), quiet, reports=False, market_data=False)
        out["run_sweep_s"] = round(time.perf_counter() - t, 2)
    with tempfile.TemporaryDirectory(dir=tmp_root()) as d:
        t = time.perf_counter()
        start(inputs, Path(d), quiet, reports=False)
        out["run_shm_s"] = round(time.perf_counter() - t, 2)
    with tempfile.TemporaryDirectory(dir=args.disk_dir) as d:
        t = time.perf_counter()
        start(inputs, Path(d), quiet, reports=False)
        out["run_disk_s"] = round(time.perf_counter() - t, 2)
        journal = Path(d) / JOURNAL
        out["journal_mb"] = round(journal.stat().st_size / 1e6, 1)
        t = time.perf_counter()
        s = summarize(journal, scenario=sc.name, seed=inputs.seed, capital=1.0, market={},
                      wall_seconds=0.0)
        out["summary_s"] = round(time.perf_counter() - t, 2)
        out["events"] = s["events"]
        t = time.perf_counter()
        _flat(journal, sc, inputs)
        out["row_s"] = round(time.perf_counter() - t, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"runs of {QUICK_SECONDS} simulated seconds")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--scenario", default="may6")
    parser.add_argument("--breakdown", action="store_true", help="take one run apart instead")
    parser.add_argument("--disk-dir", default=os.environ.get("TMPDIR"),
                        help="a folder on disk for --breakdown's run_disk_s (default: TMPDIR)")
    args = parser.parse_args()
    if args.runs < 1 or args.workers < 1:
        parser.error(f"--runs={args.runs} and --workers={args.workers} must be at least 1")
    print(json.dumps(breakdown(args) if args.breakdown else sweep(args)))


if __name__ == "__main__":
    main()

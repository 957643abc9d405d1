"""The sweep tests' small sweep: mini-may6 (ten simulated minutes, about a second a run) on
seeds 1..2 with two parameter sets. (Imported by name; pytest puts this folder on the path.)"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from flashguard.sweep.grid import load_grid
from flashguard.sweep.job import Outcome, run_sweep
from flashguard.sweep.plan import Plan, make_plan, parse_seeds

HERE = Path(__file__).resolve().parent
SCENARIO = str(HERE / "scenarios" / "mini-may6.toml")
GRID = str(HERE / "grid-test.toml")
SEEDS = "1..2"


def quiet() -> Console:
    """Not a terminal: no progress bar, only the final line (kept for the asserts)."""
    return Console(file=io.StringIO(), force_terminal=False, width=200)


def plan(tmp_root: str | None = None) -> Plan:
    return make_plan((SCENARIO,), parse_seeds(SEEDS), load_grid(GRID), tmp_root=tmp_root)


def sweep(out: Path, backend: str = "local", workers: int = 2) -> tuple[Outcome, str]:
    console = quiet()
    outcome = run_sweep(plan(), out, backend, workers, console)
    assert isinstance(console.file, io.StringIO)
    return outcome, console.file.getvalue()


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def jsonl(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def without_wall(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]

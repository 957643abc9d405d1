"""A sweep's rows: appended durably as runs finish (rows.jsonl, what a re-run resumes from),
and tabulated at the end (results.parquet, results.csv).

rows.jsonl holds one JSON object per line, in completion order; each line is written,
flushed and fsync'd before the next run's row, so a sweep killed at any moment loses at most
the runs in flight. A torn last line (a kill mid-write) is skipped when read and sealed off
with a newline before anything is appended. Rows of runs outside the current plan stay in
the file but not in the results.

results.parquet and results.csv are in plan order (scenarios as given, seeds ascending, sets
as in the grid file), so their bytes do not depend on completion order, workers or backend.
results.parquet leaves out wall_s, the one column that is not a function of the run's inputs:
the same sweep gives the same file, byte for byte. results.csv keeps it.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from flashguard.sweep.grid import Value
from flashguard.sweep.plan import Plan
from flashguard.sweep.row import IDENTITY, MARKET, NONDETERMINISTIC, SYSTEM, TRAILER

ROWS = "rows.jsonl"
PARQUET = "results.parquet"
CSV = "results.csv"
RECORD = "sweep.json"
HTML = "sweep.html"

_ARROW = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
          "float?": pa.float64()}


def load_rows(path: Path) -> dict[str, dict[str, Any]]:
    """key -> row of every readable line (a later row of the same key wins)."""
    rows: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return rows
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by a kill mid-write
            if isinstance(r, dict) and isinstance(r.get("key"), str):
                rows[r["key"]] = r
    return rows


class RowLog:
    """rows.jsonl opened for appending, each row durable before append() returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        torn = False
        if path.exists() and path.stat().st_size > 0:
            with path.open("rb") as f:
                f.seek(-1, os.SEEK_END)
                torn = f.read(1) != b"\n"
        self._f: IO[str] = path.open("a", encoding="utf-8")
        if torn:
            self._f.write("\n")  # seal off a torn last line
            self._durable()

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        for r in rows:
            self._f.write(json.dumps(r, allow_nan=False) + "\n")
        self._durable()

    def _durable(self) -> None:
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> RowLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def columns(plan: Plan) -> list[tuple[str, str]]:
    """(name, type) of every results column, in order."""
    params = [(p, param_type([s.values[p] for s in plan.grid.sets])) for p in plan.grid.paths]
    return [*IDENTITY, *params, *SYSTEM, *MARKET, *TRAILER]


def param_type(values: list[Value]) -> str:
    """A parameter column's type: its values' common one; lists and mixed types as JSON."""
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    if all(isinstance(v, str) for v in values):
        return "str"
    return "json"


def planned_rows(plan: Plan, rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The plan's rows, in plan order (only those done)."""
    return [rows[j.key] for j in plan.jobs if j.key in rows]


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "json":
        return json.dumps(value)
    if kind in ("float", "float?"):
        return float(value)
    return value


def write_results(directory: Path, plan: Plan, rows: list[dict[str, Any]]) -> None:
    cols = columns(plan)
    kept = [(c, t) for c, t in cols if c not in NONDETERMINISTIC]
    arrays = [pa.array([_cell(r[c], t) for r in rows], type=_ARROW.get(t, pa.string()))
              for c, t in kept]
    table = pa.Table.from_arrays(arrays, schema=pa.schema(
        [pa.field(c, _ARROW.get(t, pa.string())) for c, t in kept]))
    pq.write_table(table, directory / PARQUET, compression="zstd")
    with (directory / CSV).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([c for c, _ in cols])
        for r in rows:
            w.writerow([_csv(_cell(r[c], t)) for c, t in cols])


def _csv(value: Any) -> Any:
    """None is an empty cell; floats as Python writes them (repr: they read back exactly)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return value


def write_record(directory: Path, plan: Plan, backend: str, workers: int) -> None:
    (directory / RECORD).write_text(json.dumps(plan.record(backend, workers), indent=2) + "\n",
                                    encoding="utf-8")

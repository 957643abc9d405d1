"""A sweep's plan: every (scenario, seed, parameter set) triple, each with the exact inputs of
its run.

A run's inputs are what `flashguard run SCENARIO --seed SEED --config SET.toml` would make:
the scenario's text as `make_inputs` reads it, the set's matrix text, the default desk. Its
key is a hash of those inputs (`RunInputs.encode()`), so a row in rows.jsonl belongs to a
planned run exactly when the inputs match, whatever the grid file or its set is now called.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from flashguard.run.inputs import RunInputs, make_inputs
from flashguard.sweep.grid import Grid, Value

MAX_SEED = 2**32 - 1  # numpy's seed range
_RANGE = re.compile(r"^\s*(\d+)\s*\.\.\s*(\d+)\s*$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.,=+\-\[\]]")


class PlanError(ValueError):
    """A sweep option that cannot make a plan, naming the option and the value."""


@dataclass(frozen=True, slots=True)
class Job:
    """One run, as plain picklable data: what a worker needs, and nothing it would have to
    look up. `inputs` is `RunInputs.encode()`; `keep_dir` the run directory to keep (None:
    a temporary one, deleted once the row is read); `tmp_root` where temporary ones go (None:
    the worker's machine decides, `worker.tmp_root`)."""

    key: str
    scenario: str
    seed: int
    set: str
    values: dict[str, Value]
    inputs: str
    keep_dir: str | None
    tmp_root: str | None


@dataclass(frozen=True, slots=True)
class Plan:
    scenarios: tuple[str, ...]  # as given
    names: tuple[str, ...]  # the scenarios' own names (the results' scenario column)
    seeds: tuple[int, ...]
    grid: Grid
    jobs: tuple[Job, ...]  # scenarios as given, seeds ascending, sets as in the grid file

    def record(self, backend: str, workers: int) -> dict[str, Any]:
        """sweep.json: what was asked, for the record."""
        return {
            "scenarios": [{"given": g, "name": n} for g, n in
                          zip(self.scenarios, self.names, strict=True)],
            "seeds": list(self.seeds),
            "grid": self.grid.source,
            "base": self.grid.base,
            "parameters": list(self.grid.paths),
            "sets": [{"name": s.name, "params": s.params, "values": s.values}
                     for s in self.grid.sets],
            "runs": len(self.jobs),
            "backend": backend,
            "workers": workers,
        }


def parse_seeds(text: str) -> tuple[int, ...]:
    """"1..20" (inclusive), "7" or "1,5,9" (items may be ranges: "1..3,10"), ascending and
    unique."""
    seeds: set[int] = set()
    for item in text.split(","):
        if not item.strip():
            raise PlanError(f"--seeds={text!r}: an empty item (use A..B, N or N,M,...)")
        m = _RANGE.match(item)
        if m is not None:
            a, b = int(m.group(1)), int(m.group(2))
            if b < a:
                raise PlanError(f"--seeds={text!r}: the range {item.strip()!r} ends before it "
                                "starts")
            seeds.update(range(a, b + 1))
            continue
        try:
            seed = int(item.strip())
        except ValueError:
            raise PlanError(f"--seeds={text!r}: {item.strip()!r} is not a seed (use A..B, N "
                            "or N,M,...; seeds are whole numbers >= 0)") from None
        if seed < 0:
            raise PlanError(f"--seeds={text!r}: {seed} is negative (seeds are >= 0)")
        seeds.add(seed)
    if max(seeds) > MAX_SEED:
        raise PlanError(f"--seeds={text!r}: {max(seeds)} is above the largest seed {MAX_SEED}")
    return tuple(sorted(seeds))


def parse_scenarios(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(","))
    if not text.strip() or any(not n for n in names):
        raise PlanError(f"--scenario={text!r}: an empty name (use NAME or NAME,NAME,...)")
    if len(set(names)) != len(names):
        raise PlanError(f"--scenario={text!r}: a scenario is listed twice")
    return names


def run_key(inputs: RunInputs) -> str:
    return hashlib.sha256(inputs.encode().encode()).hexdigest()[:20]


def dir_name(scenario: str, seed: int, set_name: str) -> str:
    """<scenario>-<seed>-<set>, with anything a file name should not hold as "_"."""
    return _UNSAFE.sub("_", f"{scenario}-{seed}-{set_name}")


def make_plan(
    scenarios: tuple[str, ...], seeds: tuple[int, ...], grid: Grid, *,
    keep_runs: Path | None = None, tmp_root: str | None = None,
) -> Plan:
    """Every run's inputs, read and validated now (a bad scenario stops the sweep before it
    starts). keep_runs: the folder for kept run directories (None: temporary ones)."""
    bases = []
    names = []
    for given in scenarios:
        base = make_inputs(given)  # ScenarioError names the scenario
        bases.append(base)
        names.append(base.load_scenario().name)
    if len(set(names)) != len(names):
        raise PlanError(f"--scenario={','.join(scenarios)!r}: two scenarios are both named "
                        f"{next(n for n in names if names.count(n) > 1)!r} (the results' "
                        "scenario column could not tell them apart)")
    jobs = []
    dirs: dict[str, str] = {}
    for base, name in zip(bases, names, strict=True):
        for seed in seeds:
            for s in grid.sets:
                inputs = msgspec.structs.replace(
                    base, seed=seed, risk_source=f"sweep set {s.name!r}", risk_toml=s.risk_toml
                )
                keep = None
                if keep_runs is not None:
                    folder = dir_name(name, seed, s.name)
                    if folder in dirs:
                        raise PlanError(f"--keep-runs: sets {dirs[folder]!r} and {s.name!r} "
                                        f"would share the run directory {folder!r}; rename one")
                    dirs[folder] = s.name
                    keep = str(keep_runs / folder)
                jobs.append(Job(key=run_key(inputs), scenario=name, seed=seed, set=s.name,
                                values=dict(s.values), inputs=inputs.encode(), keep_dir=keep,
                                tmp_root=tmp_root))
    return Plan(scenarios=scenarios, names=tuple(names), seeds=seeds, grid=grid,
                jobs=tuple(jobs))


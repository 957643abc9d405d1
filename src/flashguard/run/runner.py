"""A run from start to outputs: journal, market and system, summary, reports.

    summary = start(inputs, Path("runs/may6-1"), console)    # a fresh run
    summary = resume(Path("runs/may6-1"), console)            # after a crash (run/resume.py)

The loop is driven in steps of `STEP_NS` of simulated time so the progress bar can be
redrawn between them; nothing runs between steps, so the steps do not change the run.

A run directory holds:
    journal.sqlite    every event the system saw and did (meta: the run's inputs)
    kill_state.json   the kill switch's persisted state (see run/resume.py)
    bars_1s.csv       the market's 1-second bars per venue
    summary.json      run/summary.py
    timeline.md, report.html, report.png   flashguard.report
    ablation/         run/ablation.py
"""

from __future__ import annotations

import json
import shutil
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console

from flashguard.core.clock import NS_PER_SECOND
from flashguard.journal.store import Journal
from flashguard.market.results import market_result, write_bars
from flashguard.run.build import Run, build
from flashguard.run.inputs import RunInputs
from flashguard.run.progress import watcher
from flashguard.run.recorder import Recorder
from flashguard.run.summary import summarize

JOURNAL = "journal.sqlite"
KILL_STATE = "kill_state.json"
BARS = "bars_1s.csv"
SUMMARY = "summary.json"
ABLATION = "ablation"
INPUTS_KEY = "run"
STEP_NS = 5 * NS_PER_SECOND
GROUP = 4096  # events per group commit (risk decisions and kills commit at once)
_OUTPUTS = (JOURNAL, f"{JOURNAL}-wal", f"{JOURNAL}-shm", KILL_STATE, f"{KILL_STATE}.tmp", BARS,
            SUMMARY, "timeline.md", "report.html", "report.png")


def start(
    inputs: RunInputs, directory: Path, console: Console, *, reports: bool = True,
    label: str = "", market_data: bool = True,
) -> dict[str, Any]:
    """A fresh run into directory (a previous run's outputs there are replaced).
    `market_data=False` journals everything but the Quotes and Trades the system hears (a
    sweep's run: run/recorder.py); the run and its summary are the same."""
    clear_outputs(directory)
    with Journal(directory / JOURNAL, group=GROUP) as journal:
        write_meta(journal, inputs)
        return execute(inputs, directory, journal, console, reports=reports, label=label,
                       market_data=market_data)


def clear_outputs(directory: Path) -> None:
    """Make directory ready for a fresh run: a previous run's outputs there are removed."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in _OUTPUTS:
        (directory / name).unlink(missing_ok=True)
    shutil.rmtree(directory / ABLATION, ignore_errors=True)  # an earlier run's variants


def write_meta(journal: Journal, inputs: RunInputs) -> None:
    """The inputs first, in one statement (a resume needs all of them or none); then what
    the reports read."""
    sc = inputs.load_scenario()
    journal.set_meta(INPUTS_KEY, inputs.encode())
    journal.set_meta("scenario", sc.name)
    journal.set_meta("seed", str(inputs.seed))
    journal.set_meta("tick_size", sc.instrument.tick_size)
    journal.set_meta("instrument", sc.instrument.symbol)
    journal.set_meta("disabled", ",".join(inputs.disabled))


def execute(
    inputs: RunInputs, directory: Path, journal: Journal, console: Console, *,
    reports: bool = True, label: str = "", market_data: bool = True,
) -> dict[str, Any]:
    """Run (or rerun, for a resume: the recorder checks what the journal already holds) and
    write the outputs. Returns the summary."""
    recorder = Recorder(journal, market_data=market_data)
    run = build(inputs, recorder, kill_state_path=directory / KILL_STATE, emit_feed=recorder.feed)
    sc = run.scenario
    t0 = time.perf_counter()
    name = label or f"{sc.name} seed {inputs.seed}"
    with watcher(console, name, sc.start_ns, sc.end_ns) as bar:
        run.system.start()
        t = sc.start_ns
        while t < sc.end_ns:
            t = min(t + STEP_NS, sc.end_ns)
            run.sim.run(t)
            bar.update(t, recorder.seq, recorder.last_snapshot)
    summary = finish(run, recorder, journal, directory, time.perf_counter() - t0)
    if reports:
        from flashguard.report import write_reports

        write_reports(directory, Decimal(sc.instrument.tick_size))
    return summary


def finish(
    run: Run, recorder: Recorder, journal: Journal, directory: Path, wall: float
) -> dict[str, Any]:
    """After the scenario's end: check the journal holds exactly the run, commit it, write
    the bars and the summary. Returns the summary."""
    recorder.finish()
    journal.flush()
    write_bars(run.sim, directory / BARS)
    summary = summarize(
        journal.path, scenario=run.scenario.name, seed=run.inputs.seed,
        capital=run.matrix.portfolio.capital, market=market_result(run.sim),
        wall_seconds=wall, events=recorder.seq,
    )
    write_summary(directory, summary)
    return summary


def write_summary(directory: Path, summary: dict[str, Any]) -> None:
    (directory / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

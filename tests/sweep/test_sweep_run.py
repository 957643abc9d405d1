"""A real sweep on the local backend: its files, its rows against the runs themselves, its
determinism, and resuming after an interruption."""

from __future__ import annotations

import dataclasses
import io
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from rich.console import Console
from sweep_rig import GRID, SCENARIO, SEEDS, csv_rows, jsonl, plan, sweep, without_wall
from typer.testing import CliRunner

from flashguard.cli import app
from flashguard.core.clock import NS_PER_SECOND
from flashguard.run.inputs import RunInputs
from flashguard.run.runner import JOURNAL, start
from flashguard.sweep.job import Outcome
from flashguard.sweep.plan import dir_name
from flashguard.sweep.results import columns
from flashguard.sweep.row import MARKET, SYSTEM
from flashguard.sweep.worker import RunFailed, _run, clear_leftovers, run_job, tmp_root

Sweep = tuple[Path, Outcome, str]
TRIPLES = [("mini-may6", seed, s) for seed in (1, 2) for s in ("shipped", "kill")]


def test_one_row_per_triple_in_plan_order(local_sweep: Sweep) -> None:
    out, outcome, printed = local_sweep
    assert (outcome.planned, outcome.skipped, outcome.ran) == (4, 0, 4)
    table = pq.read_table(out / "results.parquet").to_pylist()
    assert [(r["scenario"], r["seed"], r["set"]) for r in table] == TRIPLES
    names = [c for c, _ in columns(plan())]
    assert list(table[0]) == [c for c in names if c != "wall_s"]  # the one column left out
    assert "kill_switch.max_drawdown" in names  # a column per parameter
    assert [r["kill_switch.max_drawdown"] for r in table] == [2_000_000, 1_000] * 2
    csv = csv_rows(out / "results.csv")
    assert list(csv[0]) == names
    assert [(r["seed"], r["set"]) for r in csv] == [(str(s), n) for _, s, n in TRIPLES]
    assert all(float(r["wall_s"]) > 0 for r in csv)
    assert "sweep: 4 runs in" in printed and "runs/min" in printed
    record = json.loads((out / "sweep.json").read_text())
    assert record["runs"] == 4 and record["seeds"] == [1, 2] and record["backend"] == "local"
    assert [s["name"] for s in record["sets"]] == ["shipped", "kill"]


def test_the_rows_measure_what_happened(local_sweep: Sweep) -> None:
    out, _, _ = local_sweep
    rows = {(r["seed"], r["set"]): r for r in pq.read_table(out / "results.parquet").to_pylist()}
    for seed in (1, 2):
        shipped, kill = rows[(seed, "shipped")], rows[(seed, "kill")]
        assert shipped["orders_sent"] > 0 and shipped["fills"] > 0
        assert shipped["market_peak_to_trough_pct"] > 2  # mini-may6 crashes
        assert shipped["market_stop_logic_pauses"] > 0
        assert shipped["market_halts"] >= shipped["market_stop_logic_pauses"]
        # the kill set's kill switch engages once the desk is 1,000 down; the shipped one's
        # (2,000,000) never does on a ten-minute run
        assert not shipped["kill_engaged"] and shipped["kill_at_s"] is None
        assert kill["kill_engaged"] and 0 < kill["kill_at_s"] < 600
        assert kill["response_at_s"] is not None and kill["response_at_s"] <= kill["kill_at_s"]
        assert kill["orders_sent"] < shipped["orders_sent"]


def test_a_row_is_what_the_run_itself_reports(local_sweep: Sweep, tmp_path: Path) -> None:
    """The row of (seed 1, kill) against `runner.start` on the same inputs, run here; and the
    response and the time to flat recomputed from that run's journal another way (SQL)."""
    out, _, _ = local_sweep
    job = next(j for j in plan().jobs if (j.seed, j.set) == (1, "kill"))
    row = next(r for r in jsonl(out / "rows.jsonl") if r["key"] == job.key)
    inputs = RunInputs.decode(job.inputs, "test")
    summary = start(inputs, tmp_path, Console(file=io.StringIO()), reports=False)
    s, m = summary["system"], summary["market"]
    assert row["pnl"] == s["pnl"] and row["final_equity"] == s["final_equity"]
    assert row["max_drawdown_pct"] == s["max_drawdown_pct"]
    assert (row["orders_sent"], row["fills"]) == (s["orders_sent"], s["fills"])
    assert [row[f"rejected_L{i}"] for i in (1, 2, 3, 4)] == list(s["orders_rejected"].values())
    assert row["risk_actions"] == len(s["actions"]) and row["events"] == summary["events"]
    start_ns = inputs.load_scenario().start_ns
    assert row["kill_at_s"] == (s["kill_switch"]["engaged_at_ns"] - start_ns) / NS_PER_SECOND
    assert row["market_messages"] == m["messages"] and row["market_trades"] == m["trades"]
    assert row["market_peak_to_trough_pct"] == m["crash"]["peak_to_trough_pct"]
    assert row["market_halts"] == len(m["halts"])
    assert row["market_hot_potato_ratio"] == m["intermediaries"]["hot_potato_ratio"]
    response, flat = _again(tmp_path / JOURNAL, start_ns)
    assert row["response_at_s"] == (response - start_ns) / NS_PER_SECOND
    if flat is None:
        assert row["flat_at_s"] is None and row["time_to_flat_s"] is None
    else:
        shock = inputs.load_scenario().shock_ns
        assert shock is not None
        assert row["flat_at_s"] == (flat - start_ns) / NS_PER_SECOND
        assert row["time_to_flat_s"] == (max(flat, shock) - shock) / NS_PER_SECOND


def _again(journal: Path, start_ns: int) -> tuple[int, int | None]:
    """By SQL over the journal: the first stress response (a switch to preservation, or a
    protective L2-L4 decision), and the desk's (non-agency: not the TWAP client order) last
    move to a flat position (the start if it never held anything), None if it ends holding
    lots."""
    db = sqlite3.connect(journal)
    try:
        (response,) = db.execute("""
            SELECT MIN(t_ns) FROM events WHERE
              (type = 'regime_change' AND json_extract(body, '$.mode') = 'preservation')
              OR (type = 'risk_action' AND json_extract(body, '$.layer') != 'L1'
                  AND json_extract(body, '$.action') IN ('reduce_size', 'reduce_only',
                      'halt_strategy', 'flatten_strategy', 'reduce_gross',
                      'portfolio_reduce_only', 'kill'))""").fetchone()
        fills = db.execute("""
            SELECT f.t_ns, json_extract(f.body, '$.side') * json_extract(f.body, '$.qty')
            FROM events f JOIN events s
              ON s.type = 'order_submitted'
             AND json_extract(s.body, '$.client_order_id') = json_extract(f.body, '$.client_order_id')
            WHERE f.type = 'fill' AND json_extract(s.body, '$.strategy') != 'twap'
            ORDER BY f.seq""").fetchall()
    finally:
        db.close()
    pos, flat_at = 0, start_ns
    for t, signed in fills:
        pos += signed
        if pos == 0:
            flat_at = t
    return int(response), (None if pos != 0 else int(flat_at))


def test_the_same_triple_twice_gives_the_same_row(local_sweep: Sweep, tmp_path: Path) -> None:
    """Run again here, in one process (the sweep ran it in a pool's worker): the same row;
    and the temporary run directory is gone once the row is read."""
    out, _, _ = local_sweep
    job = next(j for j in plan(str(tmp_path)).jobs if (j.seed, j.set) == (2, "shipped"))
    stored = next(r for r in jsonl(out / "rows.jsonl") if r["key"] == job.key)
    again = run_job(job)
    assert again["wall_s"] > 0
    assert without_wall([again]) == without_wall([stored])
    assert list(tmp_path.iterdir()) == []


def test_a_temporary_run_journals_all_but_its_market_data(tmp_path: Path) -> None:
    """What a worker does with a run it does not keep: the Quotes and Trades take their seq
    but no row (the row reads none of them; test_a_row_is_what_the_run_itself_reports holds
    the row to a whole run's)."""
    job = next(j for j in plan().jobs if (j.seed, j.set) == (1, "kill"))
    assert job.keep_dir is None
    _run(job, RunInputs.decode(job.inputs, "test"), tmp_path)
    db = sqlite3.connect(tmp_path / JOURNAL)
    try:
        kinds = {k for (k,) in db.execute("SELECT DISTINCT type FROM events")}
        (rows, last) = db.execute("SELECT COUNT(*), MAX(seq) FROM events").fetchone()
        omitted = db.execute("SELECT value FROM meta WHERE key = 'omitted'").fetchone()
    finally:
        db.close()
    assert omitted == ("quote,trade",)
    assert {"order_submitted", "fill", "snapshot", "kill_switch"} <= kinds
    assert not kinds & {"quote", "trade"} and last > 5 * rows


def test_a_failing_run_names_its_triple() -> None:
    job = plan().jobs[0]
    broken = dataclasses.replace(job, inputs="{}")
    with pytest.raises(RunFailed, match=r"seed=1 set='shipped' failed: RunInputError"):
        run_job(broken)


def test_sweep_html_has_the_three_parts_and_no_network(local_sweep: Sweep) -> None:
    out, _, _ = local_sweep
    text = (out / "sweep.html").read_text()
    assert 'id="sweep-distributions"' in text and 'id="sweep-frontier"' in text
    assert '<table class="ranked">' in text
    assert "efficient frontier" in text and "Loss distributions" in text
    assert "<td>kill</td>" in text and "<td>shipped</td>" in text
    assert "<script src=" not in text and 'src="http' not in text  # plotly.js is inline
    assert text.count("Plotly.newPlot") == 2  # the charts; plotly.js itself is inline once


def _resume_from(reference: Path, tmp: Path, keep: int) -> tuple[Path, list[dict[str, Any]]]:
    """A copy of the reference sweep's directory as a sweep killed after `keep` rows leaves it
    (plus a torn last line and a row of another plan)."""
    out = tmp / "resumed"
    out.mkdir()
    lines = (reference / "rows.jsonl").read_text().splitlines(keepends=True)
    foreign = dict(json.loads(lines[0]), key="not-in-this-plan", seed=99)
    kept = lines[:keep]
    (out / "rows.jsonl").write_text(json.dumps(foreign) + "\n" + "".join(kept) + lines[keep][:40])
    return out, [json.loads(line) for line in kept]


def test_a_resumed_sweep_runs_only_what_is_missing(local_sweep: Sweep, tmp_path: Path) -> None:
    reference, _, _ = local_sweep
    out, kept = _resume_from(reference, tmp_path, keep=2)
    outcome, printed = sweep(out)
    assert (outcome.planned, outcome.skipped, outcome.ran) == (4, 2, 2)
    assert "skipping 2 runs already done" in printed
    # the same results as the uninterrupted sweep, byte for byte (wall_s aside)
    for name in ("results.parquet", "sweep.html"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert without_wall(csv_rows(out / "results.csv")) == without_wall(
        csv_rows(reference / "results.csv"))
    # the kept rows were not run again: their wall times are the first sweep's
    again = {r["key"]: r for r in csv_rows(out / "results.csv")}
    assert all(again[r["key"]]["wall_s"] == repr(r["wall_s"]) for r in kept)
    # the file keeps everything it had (the foreign row too) and gained the two new rows
    rows = jsonl(out / "rows.jsonl")
    assert [r["key"] for r in rows][:3] == ["not-in-this-plan", *(r["key"] for r in kept)]
    assert len(rows) == 5
    # a third time: nothing left to do
    outcome, _ = sweep(out)
    assert (outcome.skipped, outcome.ran) == (4, 0)


def test_the_results_do_not_depend_on_completion_order(local_sweep: Sweep,
                                                       tmp_path: Path) -> None:
    """The same rows landed in the opposite order: the same files, byte for byte."""
    reference, _, _ = local_sweep
    out = tmp_path / "reversed"
    out.mkdir()
    lines = (reference / "rows.jsonl").read_text().splitlines(keepends=True)
    (out / "rows.jsonl").write_text("".join(reversed(lines)))
    outcome, _ = sweep(out)
    assert (outcome.skipped, outcome.ran) == (4, 0)
    for name in ("results.parquet", "results.csv", "sweep.html"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


@pytest.mark.slow
def test_an_interrupted_cli_sweep_continues(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT) once a row is saved: exit 130 naming how many runs are saved; the same
    command then runs only the others."""
    # Once in a full CI run (session 9, runs now ~1 s each) the sweep finished all four runs
    # and exited 0 after the signal was sent; not reproduced since, alone or under load. A
    # sweep that ends before the interrupt lands proves nothing either way, so that case is
    # tried again in a fresh directory; a second miss fails.
    for attempt in range(2):
        out = tmp_path / f"cli{attempt}"
        args = ["sweep", "--scenario", SCENARIO, "--seeds", SEEDS, "--grid", GRID,
                "--workers", "1", "--out", str(out)]
        proc = subprocess.Popen([sys.executable, "-c", "from flashguard.cli import main; main()",
                                 *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not (out / "rows.jsonl").exists() or not (out / "rows.jsonl").read_text():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        if proc.returncode == 0 and attempt == 0 and len(jsonl(out / "rows.jsonl")) == 4:
            continue  # it ended before the interrupt took effect
        break
    assert proc.returncode == 130, err.decode()
    saved = len(jsonl(out / "rows.jsonl"))
    assert 1 <= saved < 4
    # the worker unwound the run it was in: no run directory left behind
    assert clear_leftovers(tmp_root()) == 0
    assert f"interrupted: {saved} of 4 runs are saved" in err.decode()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"skipping {saved} runs already done" in result.output
    assert f"sweep: {4 - saved} runs in" in result.output
    assert len(pq.read_table(out / "results.parquet")) == 4


def test_keep_runs_keeps_each_run_directory(tmp_path: Path) -> None:
    out = tmp_path / "kept"
    result = CliRunner().invoke(app, ["sweep", "--scenario", SCENARIO, "--seeds", "1",
                                      "--grid", GRID, "--workers", "2", "--out", str(out),
                                      "--keep-runs"])
    assert result.exit_code == 0, result.output
    for name in ("shipped", "kill"):
        run = out / "runs" / dir_name("mini-may6", 1, name)
        assert (run / JOURNAL).is_file() and (run / "summary.json").is_file()
        assert not (run / "report.html").exists()  # no per-run reports in a sweep
        # a kept run's journal is whole, its market data too (a temporary one leaves it out)
        db = sqlite3.connect(run / JOURNAL)
        try:
            (quotes,) = db.execute("SELECT COUNT(*) FROM events WHERE type = 'quote'").fetchone()
            omitted = db.execute("SELECT value FROM meta WHERE key = 'omitted'").fetchone()
        finally:
            db.close()
        assert quotes > 0 and omitted is None
    assert "parameter sets, ranked" in result.output


@pytest.mark.parametrize(("args", "expected"), [
    (["--seeds", "5..1"], "error: --seeds='5..1'"),
    (["--scenario", "nope"], "error: --scenario='nope'"),
    (["--grid", "no/such.toml"], "error: --grid='no/such.toml': cannot read"),
    (["--backend", "spark"], "error: --backend='spark': use one of local, ray"),
    (["--workers", "0"], "error: --workers=0: must be at least 1"),
])
def test_bad_options_exit_2_naming_the_option(args: list[str], expected: str,
                                              tmp_path: Path) -> None:
    base = {"--scenario": SCENARIO, "--seeds": "1", "--grid": GRID,
            "--out": str(tmp_path / "x")}
    given = dict(zip(args[::2], args[1::2], strict=True))
    argv = ["sweep", *(x for k, v in {**base, **given}.items() for x in (k, v))]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert not (tmp_path / "x").exists()  # nothing ran, nothing written


def test_the_columns_are_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "sweep.md").read_text()
    for name, _ in (*SYSTEM, *MARKET, ("wall_s", ""), ("key", "")):
        assert f"`{name}`" in doc, name

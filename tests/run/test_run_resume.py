"""kill -9 a real run at several moments, resume it, and get the run that was never
interrupted: the same journal rows and the same summary.json (but for the wall time)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from run_rig import (
    cli,
    count,
    kill_config,
    kill_when,
    meta,
    quiet,
    rows,
    run_in_process,
    short_flash,
    summary,
)

from flashguard.run.inputs import make_inputs
from flashguard.run.recorder import ResumeDivergence
from flashguard.run.resume import ResumeError, resume
from flashguard.run.runner import JOURNAL, KILL_STATE, SUMMARY, start
from flashguard.system.risk.killswitch import KillSwitch, load_state
from flashguard.system.risk.params import load_matrix

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A 100-second run whose kill switch trips just after the fat finger at 60 s: its first group commit (4096 events)
    comes before the kill, and the risk rejections after it (each committed at once) keep
    it running long enough to be killed after the kill."""
    tmp = tmp_path_factory.mktemp("config")
    return short_flash(tmp, 100), kill_config(tmp)


@pytest.fixture(scope="module")
def config(setup: tuple[str, Path]) -> Path:
    return setup[1]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, setup: tuple[str, Path]) -> Path:
    """The uninterrupted run."""
    out = tmp_path_factory.mktemp("reference") / "run"
    run_in_process(make_inputs(setup[0], config=setup[1]), out)
    return out


Moment = Callable[[Path], bool]
MOMENTS: dict[str, Moment] = {
    # the inputs are stored, no event is committed yet
    "early": lambda d: count(d / JOURNAL, "SELECT COUNT(*) FROM meta WHERE key = 'run'") > 0,
    # the first group commit is in, most of the run is not
    "mid-run": lambda d: count(d / JOURNAL, "SELECT COUNT(*) FROM events") >= 4096,
    # the kill switch's engagement is committed (and its state file written)
    "after the kill switch": lambda d: count(
        d / JOURNAL, "SELECT COUNT(*) FROM events WHERE type = 'kill_switch'") > 0,
}


def _kill_at(out: Path, setup: tuple[str, Path], moment: Moment) -> int:
    """Start a real run, SIGKILL it at the moment; returns the events it had committed."""
    kill_when(cli("run", setup[0], "--config", str(setup[1]), "--out", str(out)),
              lambda: moment(out), timeout_s=60)
    assert not (out / SUMMARY).exists(), "killed too late: the run had finished"
    return count(out / JOURNAL, "SELECT COUNT(*) FROM events")


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_killed_run_resumes_to_the_uninterrupted_run(
    tmp_path: Path, setup: tuple[str, Path], reference: Path, moment: str
) -> None:
    out = tmp_path / "run"
    committed = _kill_at(out, setup, MOMENTS[moment])
    expected = rows(reference / JOURNAL)
    assert committed < len(expected)
    assert rows(out / JOURNAL) == expected[:committed]  # a prefix survived, nothing else
    if moment == "after the kill switch":
        assert load_state(out / KILL_STATE).engaged  # the state file the rerun must set aside
    resume(out, quiet(), reports=False)
    assert rows(out / JOURNAL) == expected
    assert summary(out) == summary(reference)
    assert meta(out / JOURNAL) == meta(reference / JOURNAL)


def test_resume_through_the_command_line(
    tmp_path: Path, setup: tuple[str, Path], reference: Path
) -> None:
    out = tmp_path / "run"
    _kill_at(out, setup, MOMENTS["after the kill switch"])
    proc = cli("run", "--resume", str(out))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert rows(out / JOURNAL) == rows(reference / JOURNAL)
    assert summary(out) == summary(reference)
    for name in ("timeline.md", "report.html", "report.png"):
        assert (out / name).stat().st_size > 0


def test_resume_refuses_a_kill_switch_engaged_outside_the_run(
    tmp_path: Path, config: Path, reference: Path
) -> None:
    out = tmp_path / "run"
    shutil.copytree(reference, out)
    (out / KILL_STATE).unlink()  # the run's own engagement: replaced by an operator's
    switch = KillSwitch(load_matrix(config).kill_switch, out / KILL_STATE)
    assert switch.engage(1, "alice", "stop the desk")
    with pytest.raises(ResumeError, match=r"engaged by 'alice' \(stop the desk\).*reset it"):
        resume(out, quiet(), reports=False)
    assert load_state(out / KILL_STATE).engaged  # left for the authorised reset


def test_a_journal_the_rerun_does_not_reproduce_is_an_error(
    tmp_path: Path, reference: Path
) -> None:
    out = tmp_path / "run"
    shutil.copytree(reference, out)
    db = sqlite3.connect(out / JOURNAL)
    seq, body = db.execute(
        "SELECT seq, body FROM events WHERE type = 'fill' ORDER BY seq LIMIT 1").fetchone()
    db.execute("UPDATE events SET body = ? WHERE seq = ?",
               (body.replace(b'"qty":', b'"qty":9'), seq))
    db.commit()
    db.close()
    with pytest.raises(ResumeDivergence, match=f"diverged at seq={seq}"):
        resume(out, quiet(), reports=False)


def test_resume_needs_a_run_journal(tmp_path: Path) -> None:
    with pytest.raises(ResumeError, match=r"no journal\.sqlite there"):
        resume(tmp_path, quiet())
    db = sqlite3.connect(tmp_path / JOURNAL)
    db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, t_ns INT, type TEXT, body BLOB)")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.close()
    with pytest.raises(ResumeError, match="holds no run inputs"):
        resume(tmp_path, quiet())


def test_a_run_without_its_market_data_is_the_same_run_and_cannot_be_resumed(
    tmp_path: Path, setup: tuple[str, Path], reference: Path
) -> None:
    """A sweep's run (`market_data=False`): every row but the Quotes and Trades, each with the
    seq it has in the whole journal, the same summary; and a resume refuses it."""
    out = tmp_path / "partial"
    start(make_inputs(setup[0], config=setup[1]), out, quiet(), reports=False,
          market_data=False)
    whole = rows(reference / JOURNAL)
    kept = [r for r in whole if r[2] not in ("quote", "trade")]
    assert len(kept) < len(whole) // 2  # most of a run is market data
    assert rows(out / JOURNAL) == kept
    assert meta(out / JOURNAL)["omitted"] == "quote,trade"
    assert "omitted" not in meta(reference / JOURNAL)
    a, b = summary(out / SUMMARY), summary(reference / SUMMARY)
    assert a["events"] == b["events"] == len(whole)
    assert a["system"] == b["system"]
    with pytest.raises(ResumeError, match="leaves out the run's quote,trade events"):
        resume(out, quiet(), reports=False)

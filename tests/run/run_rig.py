"""Short runs for the run tests: a three-minute scenario, a risk matrix whose kill switch
trips on the first dollar of drawdown, and readers for a journal's rows.
(Imported by name; pytest puts this folder on the path.)"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from flashguard.run.inputs import RunInputs, make_inputs
from flashguard.run.runner import start
from flashguard.system.risk import default_matrix_path

HERE = Path(__file__).resolve().parent
FLASH = str(HERE / "scenarios" / "flash.toml")
Row = tuple[int, int, str, bytes]


def quiet() -> Console:
    return Console(file=open(os.devnull, "w"), force_terminal=False)


def kill_config(tmp: Path, max_drawdown: int = 1) -> Path:
    """The shipped matrix with the kill switch's drawdown limit cut to max_drawdown currency
    units: the first loss of the run engages it."""
    text = default_matrix_path().read_text()
    text, n = re.subn(r"(?m)^max_drawdown = [0-9_]+", f"max_drawdown = {max_drawdown}", text)
    assert n == 1
    path = tmp / "kill.toml"
    path.write_text(text)
    return path


def short_flash(tmp: Path, seconds: int) -> str:
    """The flash scenario cut to its first `seconds` (the fat finger comes at 60)."""
    text, n = re.subn(r"(?m)^duration_s = 180$", f"duration_s = {seconds}",
                      Path(FLASH).read_text())
    assert n == 1
    path = tmp / f"flash-{seconds}.toml"
    path.write_text(text)
    return str(path)


def inputs(config: Path | None = None, **kw: object) -> RunInputs:
    return make_inputs(FLASH, config=config, **kw)  # type: ignore[arg-type]


def run_in_process(inp: RunInputs, out: Path) -> dict[str, object]:
    return start(inp, out, quiet(), reports=False)


def rows(journal: Path) -> list[Row]:
    db = sqlite3.connect(journal)
    try:
        return [(int(s), int(t), str(k), bytes(b)) for s, t, k, b in
                db.execute("SELECT seq, t_ns, type, body FROM events ORDER BY seq")]
    finally:
        db.close()


def meta(journal: Path) -> dict[str, str]:
    db = sqlite3.connect(journal)
    try:
        return dict(db.execute("SELECT key, value FROM meta").fetchall())
    finally:
        db.close()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`flashguard ARGS` in a child process (stdout is not a terminal: no progress bar)."""
    return subprocess.Popen(
        [sys.executable, "-c", "from flashguard.cli import main; main()", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


def count(journal: Path, sql: str) -> int:
    """A COUNT(*) query on a journal another process may be writing; 0 before it exists."""
    try:
        db = sqlite3.connect(f"{journal.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return int(db.execute(sql).fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0  # not created yet, or mid-creation


def kill_when(proc: subprocess.Popen[bytes], moment: Callable[[], bool],
              timeout_s: float = 120) -> None:
    """SIGKILL proc as soon as moment() holds; fail if it ends first."""
    deadline = time.monotonic() + timeout_s
    while not moment():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the run ended before the moment: {err.decode()}")
        assert time.monotonic() < deadline
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def summary(path: Path) -> dict[str, Any]:
    """A summary.json (a file, or the run directory holding it) without its wall times."""
    s: dict[str, Any] = json.loads((path / "summary.json" if path.is_dir() else path).read_text())
    s.pop("wall_seconds")
    s["market"].pop("wall_seconds")
    return s

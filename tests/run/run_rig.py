"""Short runs for the run tests: a three-minute scenario, a risk matrix whose kill switch
trips on the first dollar of drawdown, and readers for a journal's rows.
(Imported by name; pytest puts this folder on the path.)"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

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

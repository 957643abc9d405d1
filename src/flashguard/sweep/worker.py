"""What a worker does, on either backend: run a batch of jobs, one after the other, and return
their rows. Plain data in and out, so a process pool and Ray can both ship it.

A run is `flashguard.run.runner.start` - the same code as `flashguard run` - without the
HTML/PNG reports. Its directory is temporary (on /dev/shm when there is room) and deleted once
the row is read, unless the sweep keeps its runs. A temporary run's journal leaves out the
Quotes and Trades the system hears (`market_data=False`: they are most of a run's events and a
third of its cost, and nothing in the row reads them; run/recorder.py); a kept run journals
everything, as `flashguard run` does.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from rich.console import Console

from flashguard.run.inputs import RunInputs
from flashguard.run.runner import JOURNAL, start
from flashguard.sweep.plan import Job
from flashguard.sweep.row import row

SHM = Path("/dev/shm")
SHM_ROOM_PER_CPU = 1 << 30  # a two-hour may6 journal is 330 MB; keep a wide margin
PREFIX = "flashguard-sweep-"  # + the worker's pid + "-": a dead worker's leftovers are known
_LEFTOVER = re.compile(rf"^{PREFIX}(\d+)-")


class RunFailed(RuntimeError):
    """A run that raised, naming its triple (the message survives pickling)."""


def tmp_root() -> str | None:
    """Where this machine's temporary run directories go: /dev/shm when it exists with room
    for a run per CPU, else the system's temporary folder (None). Decided where the run runs:
    a Ray node's /dev/shm is its own."""
    try:
        free = shutil.disk_usage(SHM).free
    except OSError:
        return None
    cpus = os.cpu_count() or 1
    if SHM.is_dir() and os.access(SHM, os.W_OK) and free >= SHM_ROOM_PER_CPU * cpus:
        return str(SHM)
    return None


def clear_leftovers(root: str | None) -> int:
    """Remove run directories that workers killed mid-run left in root (their process is
    gone); returns how many. A SIGTERM'd worker cleans up after itself (`init_worker`); a
    SIGKILL'd one cannot."""
    folder = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed = 0
    for path in folder.glob(f"{PREFIX}*"):
        m = _LEFTOVER.match(path.name)
        if m is None or not path.is_dir() or _alive(int(m.group(1))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def init_worker() -> None:
    """In a pool's worker: SIGTERM unwinds the run in progress, so its temporary directory
    is removed, rather than killing the process where it stands."""
    signal.signal(signal.SIGTERM, _stop)


def _stop(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)


def run_batch(batch: list[Job]) -> list[dict[str, Any]]:
    return [run_job(job) for job in batch]


def run_job(job: Job) -> dict[str, Any]:
    try:
        inputs = RunInputs.decode(job.inputs, f"run {job.key}")
        if job.keep_dir is not None:
            return _run(job, inputs, Path(job.keep_dir))
        prefix = f"{PREFIX}{os.getpid()}-"
        root = job.tmp_root if job.tmp_root is not None else tmp_root()
        with tempfile.TemporaryDirectory(prefix=prefix, dir=root) as d:
            return _run(job, inputs, Path(d))
    except Exception as exc:
        raise RunFailed(f"run scenario={job.scenario!r} seed={job.seed} set={job.set!r} "
                        f"failed: {type(exc).__name__}: {exc}") from None


def _run(job: Job, inputs: RunInputs, directory: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    console = Console(file=io.StringIO(), force_terminal=False)  # quiet: no progress bar
    summary = start(inputs, directory, console, reports=False,
                    market_data=job.keep_dir is not None)
    return row(inputs, summary, directory / JOURNAL, scenario=job.scenario, set_name=job.set,
               values=job.values, key=job.key, wall_s=time.perf_counter() - t0)

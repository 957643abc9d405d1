"""A sweep's progress on stderr: runs done of the runs to do, runs per minute and an ETA,
redrawn as each batch lands (a rich progress bar on a terminal; nothing until the final line
otherwise). The rate counts this session's runs only: runs skipped as already done cost
nothing and would flatter it."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


def rate(done: int, seconds: float) -> float:
    """Runs per minute."""
    return done / seconds * 60 if seconds > 0 else 0.0


def clock(seconds: float) -> str:
    s = max(0, round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        return Text(f"{rate(int(task.completed), elapsed):7.1f} runs/min", style="cyan")


class EtaColumn(ProgressColumn):
    """Remaining runs at the rate so far (rich's own ETA column averages a short window of
    updates, which a batch landing every minute or so makes jumpy)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if not task.completed or task.total is None:
            return Text("ETA -:--:--", style="magenta")
        left = (task.total - task.completed) * elapsed / task.completed
        return Text(f"ETA {clock(left)}", style="magenta")


class SweepProgress:
    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.done = 0
        self.t0 = time.perf_counter()
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        if console.is_terminal:
            self.progress = Progress(
                TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(),
                TextColumn("runs"), RateColumn(), EtaColumn(), TimeElapsedColumn(),
                console=console, transient=False,
            )
            self.task = self.progress.add_task("sweep", total=max(total, 1))

    def advance(self, runs: int) -> None:
        self.done += runs
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=self.done)

    @property
    def wall(self) -> float:
        return time.perf_counter() - self.t0

    def __enter__(self) -> SweepProgress:
        self.t0 = time.perf_counter()
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

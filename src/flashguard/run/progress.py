"""What a run shows while it runs: a rich progress bar on a terminal, nothing otherwise.

It reads only what the run already produced (the clock, the journal's count, the last
portfolio snapshot the system emitted): asking the system for a fresh snapshot would move its
high-water mark, and a run watched on a terminal must journal exactly what an unwatched one
does.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import PortfolioSnapshot


class Watcher(Protocol):
    def update(self, t_ns: int, events: int, snap: PortfolioSnapshot | None) -> None: ...

    def __enter__(self) -> Watcher: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def clock(t_ns: int) -> str:
    s = t_ns // NS_PER_SECOND
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


class Quiet:
    def update(self, t_ns: int, events: int, snap: PortfolioSnapshot | None) -> None:
        return None

    def __enter__(self) -> Quiet:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class Bar:
    """Simulated time as the bar; the clock, events journaled, P&L, drawdown and the risk
    state (the system's most severe mode) beside it."""

    def __init__(self, console: Console, label: str, start_ns: int, end_ns: int) -> None:
        self.start_ns = start_ns
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[clock]}"),
            TextColumn("{task.fields[events]:>11,} events"),
            TextColumn("P&L {task.fields[pnl]:>+13,.2f}"),
            TextColumn("dd {task.fields[dd]:>6.2f}%"),
            TextColumn("{task.fields[mode]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID = self.progress.add_task(
            label, total=max(1, end_ns - start_ns), clock=clock(start_ns), events=0, pnl=0.0,
            dd=0.0, mode="active",
        )

    def update(self, t_ns: int, events: int, snap: PortfolioSnapshot | None) -> None:
        done = t_ns - self.start_ns
        if snap is None:
            self.progress.update(self.task, completed=done, clock=clock(t_ns), events=events)
            return
        mode = snap.mode if snap.mode == "active" else f"[bold red]{snap.mode}"
        self.progress.update(self.task, completed=done, clock=clock(t_ns), events=events,
                             pnl=snap.pnl, dd=snap.drawdown_pct, mode=mode)

    def __enter__(self) -> Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def watcher(console: Console, label: str, start_ns: int, end_ns: int) -> Watcher:
    """A progress bar when the console is a terminal; quiet otherwise."""
    if console.is_terminal:
        return Bar(console, label, start_ns, end_ns)
    return Quiet()

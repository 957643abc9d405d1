"""The reports of a run, all from its journal (and its 1-second bars when present):
timeline.md (the Timeline of Automated Reaction), report.html (plotly, offline) and
report.png (matplotlib)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.table import Table

from flashguard.report.load import RunData, load_run, load_run_dir
from flashguard.report.timeline import Timeline, build_timeline, to_markdown, to_table

TIMELINE = "timeline.md"
HTML = "report.html"
PNG = "report.png"


@dataclass(frozen=True, slots=True)
class ReportPaths:
    timeline: Path
    html: Path
    png: Path


def _title(run: RunData, run_dir: Path) -> str:
    what = f" · {run.instrument}" if run.instrument else ""
    return f"flashguard run {run_dir.name}{what}"


def write_reports(run_dir: str | Path, tick_size: Decimal | None = None) -> ReportPaths:
    """Write timeline.md, report.html and report.png into run_dir from its journal.sqlite
    (and bars_1s.csv if there). Returns their paths."""
    # the charting libraries are heavy to import: only here, not for the timeline alone
    from flashguard.report.html import write_html
    from flashguard.report.panels import build_panels
    from flashguard.report.png import write_png

    d = Path(run_dir)
    run = load_run_dir(d, tick_size)
    timeline = d / TIMELINE
    timeline.write_text(to_markdown(build_timeline(run)), encoding="utf-8")
    panels = build_panels(run)
    title = _title(run, d)
    return ReportPaths(
        timeline=timeline,
        html=write_html(panels, d / HTML, title),
        png=write_png(panels, d / PNG, title),
    )


def timeline_table(run_dir: str | Path, tick_size: Decimal | None = None) -> Table:
    """The timeline as a rich Table, for printing after a run."""
    return to_table(build_timeline(load_run_dir(run_dir, tick_size)))


__all__ = [
    "ReportPaths",
    "RunData",
    "Timeline",
    "build_timeline",
    "load_run",
    "load_run_dir",
    "timeline_table",
    "to_markdown",
    "to_table",
    "write_reports",
]

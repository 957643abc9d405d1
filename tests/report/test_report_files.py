"""timeline.md, report.html and report.png written for a scripted crash run."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from flashguard.core.events import Event
from flashguard.journal.export import JournalError
from flashguard.report import ReportPaths, write_reports
from flashguard.report.html import write_html
from flashguard.report.load import load_run_dir
from flashguard.report.panels import build_panels


@pytest.fixture(scope="module")
def reports(crash_run: tuple[Path, list[Event]]) -> ReportPaths:
    return write_reports(crash_run[0])


def _plot_data(html: str) -> list[dict[str, object]]:
    """The traces passed to Plotly.newPlot (the first JSON array after the div id)."""
    start = html.index('"flashguard-report",') + len('"flashguard-report",')
    data, _ = json.JSONDecoder().raw_decode(html[start:].lstrip())
    assert isinstance(data, list)
    return data


def test_all_three_files_are_in_the_run_directory(
    reports: ReportPaths, crash_run: tuple[Path, list[Event]]
) -> None:
    run_dir = crash_run[0]
    assert {reports.timeline, reports.html, reports.png} == {
        run_dir / "timeline.md", run_dir / "report.html", run_dir / "report.png"
    }
    assert "| 14:35 |" in reports.timeline.read_text()


def test_html_carries_plotly_inline_and_loads_nothing(reports: ReportPaths) -> None:
    html = reports.html.read_text()
    assert re.search(r"plotly\.js v\d+\.\d+", html), "plotly.js is not inline"
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and not any(re.search(r"\bsrc\s*=", s) for s in scripts), scripts
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']?https?:", html)
    assert len(html) < 8_000_000


def test_html_has_every_panel_and_the_decisions_on_their_lanes(reports: ReportPaths) -> None:
    data = _plot_data(reports.html.read_text())
    names = {t.get("name") for t in data}
    assert {"ALL", "A", "B", "equity", "drawdown %", "VaR", "ES", "VPIN CDF"} <= names
    assert {"paused (shaded)", "limit_state (shaded)", "auction (shaded)"} <= names
    lanes: dict[str, list[str]] = {}
    for t in data:
        if str(t.get("name", "")).startswith("decision: "):
            for lane, text in zip(t["y"], t["hovertext"], strict=True):  # type: ignore[call-overload]
                lanes.setdefault(lane, []).append(text)
    assert any("L2 momentum -> REDUCING" in x for x in lanes["L2"])
    assert any("L3 portfolio -> REDUCE-ONLY" in x for x in lanes["L3"])
    assert any("KILL SWITCH ENGAGED" in x for x in lanes["L4"])
    assert sum("luld_band" in x for x in lanes["L1"]) == 3
    assert any("14:32:40" in x and "preservation" in x for x in lanes["regime"])


def test_html_is_the_same_for_the_same_run(
    reports: ReportPaths, crash_run: tuple[Path, list[Event]], tmp_path: Path
) -> None:
    run = load_run_dir(crash_run[0])
    again = write_html(build_panels(run), tmp_path / "again.html", f"flashguard run {crash_run[0].name} · ES")
    assert again.read_bytes() == reports.html.read_bytes()


def test_png_is_a_png_of_the_figure_size(reports: ReportPaths) -> None:
    raw = reports.png.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", raw[16:24])  # the IHDR chunk
    assert (width, height) == (1300, 1700)
    assert 30_000 < len(raw) < 2_000_000


def test_missing_run_directory_or_journal_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match=re.escape(str(tmp_path / "nope"))):
        write_reports(tmp_path / "nope")
    with pytest.raises(JournalError, match=re.escape("journal.sqlite: no such file")):
        write_reports(tmp_path)

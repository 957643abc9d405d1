"""--ablation: the same run without each layer and without all, each in its own directory,
and the table of what each layer saved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from run_rig import cli, count, kill_config, kill_when, meta, rows, short_flash, summary
from typer.testing import CliRunner

from flashguard.cli import app

pytestmark = pytest.mark.slow

FOLDERS = ["L1", "L2", "L3", "L4", "all"]


@pytest.fixture(scope="module")
def ablation(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path, Any]:
    """The run arguments (but --out), and an uninterrupted --ablation run of them."""
    tmp = tmp_path_factory.mktemp("ablation")
    scenario = short_flash(tmp, 75)  # the kill comes just after the fat finger at 60 s: keep what follows short
    args = ["run", scenario, "--config", str(kill_config(tmp)), "--ablation"]
    out = tmp / "run"
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    return args, out, result


def test_ablation_runs_each_variant_and_tabulates_them(
    ablation: tuple[list[str], Path, Any],
) -> None:
    _, out, result = ablation
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    disabled = [row["disabled"] for row in summary["ablation"]]
    assert disabled == ["L1", "L2", "L3", "L4", "L1,L2,L3,L4"]
    for row, folder in zip(summary["ablation"], FOLDERS, strict=True):
        sub = out / "ablation" / folder
        assert meta(sub / "journal.sqlite")["disabled"] == row["disabled"]
        own = json.loads((sub / "summary.json").read_text())
        assert (row["pnl"], row["max_drawdown_pct"]) == (
            own["system"]["pnl"], own["system"]["max_drawdown_pct"])
        assert own["ablation"] == []
        kills = [k for _, _, k, _ in rows(sub / "journal.sqlite") if k == "kill_switch"]
        # without layer 4 the first dollar lost does not stop the desk; with it, it does
        assert bool(kills) == ("L4" not in row["disabled"])
    assert "What each defence saved" in result.output
    assert "L1,L2,L3,L4" in result.output
    # the main run is the one with every layer on
    assert meta(out / "journal.sqlite")["disabled"] == ""
    assert summary["system"]["kill_switch"]["engaged_at_ns"] is not None


def test_an_ablation_killed_mid_variant_resumes_to_the_uninterrupted_one(
    ablation: tuple[list[str], Path, Any], tmp_path: Path,
) -> None:
    args, reference, _ = ablation
    out = tmp_path / "run"
    half_done = out / "ablation" / "L2" / "journal.sqlite"
    # the main run and L1 are done, L2 has begun
    kill_when(cli(*args, "--out", str(out)),
              lambda: count(half_done, "SELECT COUNT(*) FROM events") > 0)
    assert not (out / "ablation" / "L2" / "summary.json").exists(), "killed too late"
    result = CliRunner().invoke(app, ["run", "--resume", str(out)])
    assert result.exit_code == 0, result.output
    assert summary(out / "summary.json") == summary(reference / "summary.json")
    for folder in FOLDERS:
        sub, ref = out / "ablation" / folder, reference / "ablation" / folder
        assert rows(sub / "journal.sqlite") == rows(ref / "journal.sqlite"), folder
        assert summary(sub / "summary.json") == summary(ref / "summary.json"), folder

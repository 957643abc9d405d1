"""--ablation: the same run without each layer and without all, each in its own directory,
and the table of what each layer saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from run_rig import kill_config, meta, rows, short_flash
from typer.testing import CliRunner

from flashguard.cli import app

pytestmark = pytest.mark.slow


def test_ablation_runs_each_variant_and_tabulates_them(tmp_path: Path) -> None:
    out = tmp_path / "run"
    scenario = short_flash(tmp_path, 75)  # the kill comes just after the fat finger at 60 s: keep what follows short
    result = CliRunner().invoke(app, ["run", scenario, "--config", str(kill_config(tmp_path)),
                                      "--ablation", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    disabled = [row["disabled"] for row in summary["ablation"]]
    assert disabled == ["L1", "L2", "L3", "L4", "L1,L2,L3,L4"]
    for row, folder in zip(summary["ablation"], ["L1", "L2", "L3", "L4", "all"], strict=True):
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

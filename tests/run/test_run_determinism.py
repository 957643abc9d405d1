"""Same inputs, same journal, byte for byte: in one process, and in another process with a
different string-hash seed (anything that iterated a set of names would show here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from run_rig import cli, inputs, kill_config, meta, rows, run_in_process, short_flash

from flashguard.run.inputs import make_inputs


def test_two_runs_give_the_same_journal(tmp_path: Path) -> None:
    inp = make_inputs(short_flash(tmp_path, 90), config=kill_config(tmp_path))
    run_in_process(inp, tmp_path / "a")
    run_in_process(inp, tmp_path / "b")
    a, b = rows(tmp_path / "a" / "journal.sqlite"), rows(tmp_path / "b" / "journal.sqlite")
    assert len(a) > 5_000
    assert "kill_switch" in {k for _, _, k, _ in a}
    assert a == b
    assert meta(tmp_path / "a" / "journal.sqlite") == meta(tmp_path / "b" / "journal.sqlite")


@pytest.mark.slow
def test_another_process_with_another_hash_seed_gives_the_same_journal(tmp_path: Path) -> None:
    config = kill_config(tmp_path)
    scenario = short_flash(tmp_path, 90)
    run_in_process(make_inputs(scenario, config=config), tmp_path / "here")
    proc = cli("run", scenario, "--config", str(config), "--out", str(tmp_path / "there"),
               env={"PYTHONHASHSEED": "12345"})
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert rows(tmp_path / "here" / "journal.sqlite") == rows(tmp_path / "there" / "journal.sqlite")


def test_another_seed_gives_another_run(tmp_path: Path) -> None:
    run_in_process(inputs(seed=3), tmp_path / "a")
    run_in_process(inputs(seed=4), tmp_path / "b")
    assert rows(tmp_path / "a" / "journal.sqlite") != rows(tmp_path / "b" / "journal.sqlite")

"""The same sweep on Ray (a local instance of 2 CPUs) gives what the local backend gave."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_rig import csv_rows, sweep, without_wall

from flashguard.sweep.job import Outcome

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow


def test_ray_and_local_give_identical_results(
    local_sweep: tuple[Path, Outcome, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)  # a local instance, not a cluster
    reference, _, _ = local_sweep
    out = tmp_path / "ray"
    try:
        outcome, printed = sweep(out, backend="ray", workers=2)
    finally:
        if ray.is_initialized():  # only if the sweep failed before shutting down its Ray
            ray.shutdown()
    assert not ray.is_initialized()  # the sweep shut down the instance it started
    assert (outcome.ran, outcome.skipped) == (4, 0)
    assert "ray backend, 2 workers" in printed
    for name in ("results.parquet", "sweep.html"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert without_wall(csv_rows(out / "results.csv")) == without_wall(
        csv_rows(reference / "results.csv"))

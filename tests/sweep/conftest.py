"""One local sweep per test session, shared by the tests that read its outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_rig import sweep

from flashguard.sweep.job import Outcome


@pytest.fixture(scope="session")
def local_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Outcome, str]:
    out = tmp_path_factory.mktemp("sweep") / "local"
    outcome, printed = sweep(out)
    return out, outcome, printed

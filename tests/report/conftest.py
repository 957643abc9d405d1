"""The scripted crash run, written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from crash_journal import write_run

from flashguard.core.events import Event


@pytest.fixture(scope="session")
def crash_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Event]]:
    run_dir = tmp_path_factory.mktemp("crash") / "run"
    return run_dir, write_run(run_dir)

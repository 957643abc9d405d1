"""Matching tests run against whatever `MatchingEngine` resolves to (the C engine once it
lands) and, when it exists alongside, the pure-Python `PyMatchingEngine` too. Scenario tests
share runs through the session fixture `scenario_run`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from scenario_rig import ScenarioRun, run_scenario

from flashguard.market import matching


def _engine_classes() -> list[Any]:
    engines: list[Any] = [matching.MatchingEngine]
    python_engine = getattr(matching, "PyMatchingEngine", None)
    if python_engine is not None and python_engine is not matching.MatchingEngine:
        engines.append(python_engine)
    return engines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine_cls" in metafunc.fixturenames:
        metafunc.parametrize("engine_cls", _engine_classes(), ids=lambda c: c.__name__)



# --- built-in scenario runs, shared by the scenario tests --------------------------------------


@pytest.fixture(scope="session")
def scenario_run() -> Callable[[str, int], ScenarioRun]:
    """Run a built-in scenario on a seed once per session (a may6 run costs ~20 s of CPU)."""
    done: dict[tuple[str, int], ScenarioRun] = {}

    def run(name: str, seed: int) -> ScenarioRun:
        if (name, seed) not in done:
            done[(name, seed)] = run_scenario(name, seed)
        return done[(name, seed)]

    return run

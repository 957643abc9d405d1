"""Matching tests run against whatever `MatchingEngine` resolves to (the C engine once it
lands) and, when it exists alongside, the pure-Python `PyMatchingEngine` too."""

from __future__ import annotations

from typing import Any

import pytest

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

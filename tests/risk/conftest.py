from __future__ import annotations

import pytest
from risk_rig import ROOMY, Rig, matrix


@pytest.fixture
def rig() -> Rig:
    """A gate with roomy limits: a test tightens only the one it probes."""
    return Rig(matrix(strategy_defaults=ROOMY))

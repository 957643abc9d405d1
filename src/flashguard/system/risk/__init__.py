"""The four-layer risk framework: pre-trade (L1), strategy (L2), portfolio (L3), kill switch
(L4), driven only by events and a clock, every decision an event. See docs/risk.md."""

from flashguard.system.risk.gate import RiskGate
from flashguard.system.risk.killswitch import KillSwitchError
from flashguard.system.risk.params import (
    MatrixError,
    RiskMatrix,
    default_matrix_path,
    load_default_matrix,
    load_matrix,
    parse_matrix,
)
from flashguard.system.risk.types import Breach, Rejection, RiskOrder, StrategyMode

__all__ = [
    "Breach",
    "KillSwitchError",
    "MatrixError",
    "Rejection",
    "RiskGate",
    "RiskMatrix",
    "RiskOrder",
    "StrategyMode",
    "default_matrix_path",
    "load_default_matrix",
    "load_matrix",
    "parse_matrix",
]

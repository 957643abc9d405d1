"""The strategy engine: the Strategy API, the engine that screens intents and applies risk
directives, the regime (normal / capital preservation), strategy loading, and the built-in
strategies and execution algorithms. See docs/strategy.md."""

from flashguard.system.strategy.base import (
    AGGRESSIVE,
    NORMAL,
    PASSIVE,
    PRESERVATION,
    Fill,
    Intent,
    ParentStatus,
    Strategy,
)
from flashguard.system.strategy.engine import StrategyEngine
from flashguard.system.strategy.loader import load_strategy, make_strategy
from flashguard.system.strategy.regime import RegimeParams

__all__ = [
    "AGGRESSIVE",
    "NORMAL",
    "PASSIVE",
    "PRESERVATION",
    "Fill",
    "Intent",
    "ParentStatus",
    "RegimeParams",
    "Strategy",
    "StrategyEngine",
    "load_strategy",
    "make_strategy",
]

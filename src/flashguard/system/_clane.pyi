"""Types of the C twin of the trading system's market-data path (_clane.c); the reference is
TradingSystem.on_market_data."""

from collections.abc import Callable
from typing import Any

from flashguard.core.events import Event, Quote, Trade

def bind(classes: dict[str, type], waiting: str, /) -> None: ...

class MarketDataLane:
    def __init__(
        self, *, system: dict[str, Any], rest: Callable[[Quote], None],
        arm: Callable[[], None], markets: dict[str, Any], history: Any, kill_switch: Any,
        sip: dict[str, tuple[int, int]], lines: dict[str, Any], parents: dict[str, Any],
        now_ns: Callable[[], int], stress: dict[str, Any], quote_hooks: dict[str, Any],
        trade_hooks: dict[str, Any], engine: Any, monitor: Any, regime: Any, state: Any,
        trade_rest: Callable[[Trade], None], other: Callable[[Event], None],
        last_trade_id: dict[str, int], algos: dict[str, Any], volume_quiet: dict[str, int],
    ) -> None: ...
    def __call__(self, ev: Event, /) -> None: ...

class FeedCounter:
    def __init__(self) -> None: ...
    def __call__(self, ev: Event, /) -> None: ...
    def take(self) -> int: ...
    @property
    def count(self) -> int: ...


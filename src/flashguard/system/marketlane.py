"""The trading system's market-data path in C: `lane(system)` is the C twin of
`TradingSystem.on_market_data` (from _clane.c, when it is built), or None.

Quotes and trades are nearly all of the feed (on may6, 1.68 M quotes and 0.26 M trades of
1.95 M events) and most change only a few fields: a venue's own quote under a consolidated
feed is one tuple in the risk gate's venue quotes and one line of the router's book; a SIP
quote moves the reference price, rarely the mark; a trade moves the last price and adds to
the stress monitor's open bar. The twin runs that common case in one C call and hands every
other quote or trade to `TradingSystem._quote_rest` or `_trade_rest` (the Python reference)
before changing anything: a moved mark, a closing volatility or VPIN sample, a VaR sample due, the kill switch
engaged, a venue usable again, a router parent waiting, a first sight of an instrument, no
consolidated feed. The engine's part comes last, so the twin calls the engine's own Python for
it where the reference would, after its own changes: a closing stress sample, an execution
algorithm's volume (unless the engine's `_volume_quiet` says no allowance can move yet), the
regime when a check is due or the stress may have changed (`_regime_and_hooks`). Then the
strategies' hooks: the engine's quote or trade hooks, None for a strategy that does not
listen to that kind now (`Strategy.listen`). Every other event goes to
`TradingSystem._market_data`. tests/risk/test_risk_market_lane.py holds the twins equal,
event by event. FLASHGUARD_PURE=1 keeps the Python path.

`FeedCounter()` is a `TradingSystem(emit_feed=...)` sink that only counts the quotes and trades
(a sweep's partial journal, run/recorder.py): the C lane adds to its count without a call
(reference: `PyFeedCounter`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flashguard.analytics.bars import BarBuilder
from flashguard.core.events import Event, Quote, Trade
from flashguard.core.native import c_twin
from flashguard.system.risk.killswitch import KillSwitch
from flashguard.system.risk.marketdata import InstrumentMarket
from flashguard.system.risk.portfolio import MarkHistory
from flashguard.system.risk.realized_vol import RealizedVol
from flashguard.system.risk.state import RiskState
from flashguard.system.router.book import VenueLine
from flashguard.system.router.orders import WAITING, Parent
from flashguard.system.strategy.engine import StrategyEngine
from flashguard.system.strategy.regime import InstrumentStress, Regime, StressMonitor

if TYPE_CHECKING:
    from flashguard.system.trading import TradingSystem

_C = c_twin("flashguard.system._clane")
if _C is not None:
    _C.bind(
        {
            "Quote": Quote, "InstrumentMarket": InstrumentMarket, "RealizedVol": RealizedVol,
            "VenueLine": VenueLine, "Parent": Parent, "InstrumentStress": InstrumentStress,
            "MarkHistory": MarkHistory, "KillSwitch": KillSwitch, "Trade": Trade,
            "BarBuilder": BarBuilder, "StrategyEngine": StrategyEngine, "Regime": Regime,
            "StressMonitor": StressMonitor, "RiskState": RiskState,
        },
        WAITING,
    )

IMPLEMENTATION = "c" if _C is not None else "python"


class PyFeedCounter:
    """A sink that counts the events it is called with (the reference of _clane.FeedCounter)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0  # events counted since the last take()

    def __call__(self, ev: Event, /) -> None:
        self.count += 1

    def take(self) -> int:
        """The events counted since the last take; the count restarts at 0."""
        n = self.count
        self.count = 0
        return n


FeedCounter: type[PyFeedCounter] = PyFeedCounter if _C is None else _C.FeedCounter


def lane(system: TradingSystem) -> Callable[[Event], None] | None:
    """The C twin of system.on_market_data over this system's parts, or None (not built, or
    FLASHGUARD_PURE=1)."""
    if _C is None:
        return None
    gate, router, engine = system.gate, system.router, system.engine
    regime = engine.regime
    if (type(engine), type(regime), type(regime.monitor), type(gate.state)) != (
        StrategyEngine, Regime, StressMonitor, RiskState
    ):
        return None  # the twin reads these classes' slots
    market_lane: Callable[[Event], None] = _C.MarketDataLane(
        system=vars(system), rest=system._quote_rest, arm=system._arm_snapshot,
        markets=gate.state.markets, history=gate.portfolio.history,
        kill_switch=gate.kill_switch, sip=router.book._sip, lines=router.book._lines,
        parents=router._by_instrument, now_ns=system.loop.now_ns,
        stress=regime.monitor.instruments, quote_hooks=engine._quote_hooks,
        trade_hooks=engine._trade_hooks, engine=engine, monitor=regime.monitor,
        regime=regime, state=gate.state, trade_rest=system._trade_rest,
        other=system._market_data, last_trade_id=system._last_trade_id, algos=engine._algos,
        volume_quiet=engine._volume_quiet,
    )
    return market_lane

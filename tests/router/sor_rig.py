"""A small market for router tests: real venues on a real event loop, a trading system over
in-process gateways, makers that rest liquidity, and the system's emitted events recorded.
(Imported by name; pytest puts this folder on the path.)"""

from __future__ import annotations

import copy
import sys
import tomllib
from pathlib import Path
from typing import Any

from flashguard.core.events import (
    Event,
    OrderFilled,
    OrderSubmitted,
    RouteDecision,
)
from flashguard.core.instruments import Instrument
from flashguard.core.loop import EventLoop
from flashguard.core.orders import Side, TimeInForce
from flashguard.market.venue import Venue, VenueConfig
from flashguard.system.gateway import InProcessGateway
from flashguard.system.risk import parse_matrix
from flashguard.system.risk.params import RiskMatrix, default_matrix_path
from flashguard.system.router import RouterConfig
from flashguard.system.strategy import Intent, Strategy
from flashguard.system.strategy.regime import RegimeParams
from flashguard.system.trading import TradingSystem

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "risk"))
from risk_rig import ROOMY as RISK_ROOMY

US = 1_000
MS = 1_000_000
SEC = 1_000_000_000
SYMBOL = "ABC"
SYSTEM = 99  # the trading system's owner id at every venue
MAKER = 1
INSTRUMENTS = {SYMBOL: Instrument(SYMBOL, tick_size="0.01")}

with open(default_matrix_path(), "rb") as _f:
    _DEFAULT: dict[str, Any] = tomllib.load(_f)

# the risk tests' roomy limits, but with the duplicate-order rule on as shipped: the router
# must route around it
ROOMY = {k: v for k, v in RISK_ROOMY.items() if k != "duplicate_window_ms"}


def matrix(portfolio: dict[str, Any] | None = None, venue: dict[str, Any] | None = None,
           **strategy: Any) -> RiskMatrix:
    """The default matrix with roomy limits, some strategy_defaults, portfolio and
    venue_defaults keys set."""
    raw = copy.deepcopy(_DEFAULT)
    raw["strategy_defaults"].update(ROOMY)
    raw["strategy_defaults"].update(strategy)
    raw["strategies"] = {}
    raw["portfolio"].update(capital=10**10, max_gross=10**10, max_net=10**10)
    raw["portfolio"].update(portfolio or {})
    raw["venue_defaults"].update(venue or {})
    raw["kill_switch"].update(max_drawdown=10**9)
    return parse_matrix(raw, "test")


class Hands(Strategy):
    """A strategy the test drives by hand: it submits what it is told to."""

    def __init__(self, name: str = "hands") -> None:
        super().__init__(name)
        self.fills: list[Any] = []
        self.done: list[Any] = []
        self.regimes: list[tuple[str, str]] = []

    def on_fill(self, fill: Any) -> None:
        self.fills.append(fill)

    def on_parent_done(self, status: Any) -> None:
        self.done.append(status)

    def on_regime(self, mode: str, reason: str) -> None:
        self.regimes.append((mode, reason))


class Market:
    def __init__(
        self,
        venues: list[VenueConfig],
        *,
        dark: frozenset[str] = frozenset(),
        system_latency_ns: int = 200 * US,
        maker_latency_ns: int = 1 * US,
        risk: RiskMatrix | None = None,
        router: RouterConfig | None = None,
        regime: RegimeParams | None = None,
        strategies: list[Strategy] | None = None,
        snapshot_every_ns: int = 0,
        disabled: frozenset[str] = frozenset(),
    ) -> None:
        self.loop = EventLoop()
        self.venues = {cfg.name: Venue(cfg, [SYMBOL], self.loop) for cfg in venues}
        self.events: list[Event] = []
        self.maker_reports: list[Event] = []
        gateways = [
            InProcessGateway(v, SYSTEM, latency_ns=system_latency_ns, dark=name in dark)
            for name, v in self.venues.items()
        ]
        self.hands = Hands()
        self.system = TradingSystem(
            self.loop, gateways, risk if risk is not None else matrix(), INSTRUMENTS,
            emit=self.events.append, router=router,
            regime=regime if regime is not None else RegimeParams(vol_bps=10_000.0),
            strategies=[self.hands, *(strategies or [])], snapshot_every_ns=snapshot_every_ns,
            disabled=disabled,
        )
        for name, v in self.venues.items():
            v.connect(MAKER, self.maker_reports.append, latency_ns=maker_latency_ns)
            if name not in dark:  # a dark pool publishes nothing
                v.subscribe(self.system.on_market_data)
        self.system.start()

    # --- the world -----------------------------------------------------------------------

    def rest(self, venue: str, side: Side, qty: int, price: int, owner: int = MAKER) -> int:
        return self.venues[venue].submit(owner, SYMBOL, side, qty, price)

    def take(self, venue: str, side: Side, qty: int, price: int, owner: int = 2) -> int:
        return self.venues[venue].submit(owner, SYMBOL, side, qty, price, tif=TimeInForce.IOC)

    def at(self, t_ns: int, action: Any) -> None:
        self.loop.call_at(t_ns, action)

    def run(self, until_ns: int | None = None) -> None:
        self.loop.run(until_ns)

    def settle(self, dt_ns: int = 50 * MS) -> None:
        self.loop.run(self.loop.now_ns() + dt_ns)

    @property
    def now(self) -> int:
        return self.loop.now_ns()

    def buy(self, qty: int, **kw: Any) -> str:
        pid = self.hands.submit(Intent(SYMBOL, 1, qty, **kw))
        assert pid is not None
        return pid

    def sell(self, qty: int, **kw: Any) -> str:
        pid = self.hands.submit(Intent(SYMBOL, -1, qty, **kw))
        assert pid is not None
        return pid

    # --- what happened -------------------------------------------------------------------

    def decisions(self, kind: str | None = None) -> list[RouteDecision]:
        return [e for e in self.events if isinstance(e, RouteDecision)
                and (kind is None or e.decision == kind)]

    def submitted(self) -> list[OrderSubmitted]:
        return [e for e in self.events if isinstance(e, OrderSubmitted)]

    def fills(self) -> list[OrderFilled]:
        return [e for e in self.events if isinstance(e, OrderFilled) and e.owner == SYSTEM]

    def filled(self) -> int:
        return sum(f.qty for f in self.fills())

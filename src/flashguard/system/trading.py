"""The trading system: the composition root of the system half.

    system = TradingSystem(loop, gateways, matrix, instruments, emit=journal.append,
                           strategies=[...])
    venue.subscribe(system.on_market_data)      # each venue's own feed (and the SIP's)
    system.start()
    loop.run(until_ns=...)

It wires the risk gate (every decision to `emit`, its cancels to the gateways), the smart
order router and the strategy engine over the gateways, connects each gateway's execution
reports to `on_report`, books fills in the portfolio (with the venue's fees), and every
`snapshot_every_ns` of simulated time emits a `PortfolioSnapshot`.

`emit` receives every event the system produces or sees, in the order it happens: execution
reports (before anything acts on them), OrderSubmitted (before the gateway is called, so no
order can be acknowledged before it is journaled), CancelOrder requests, OrderRejected and
RiskAction from risk, KillSwitch, RouteDecision, RegimeChange, PortfolioSnapshot; market
data too when `emit_market_data` is set (a runner that journals the feeds itself leaves it
off): the quotes and trades to `emit_feed` (default: `emit`; a sweep's partial journal gives a
`marketlane.FeedCounter` that only counts them), venue statuses and bands to `emit`. Time
comes only from the event loop. `disabled` switches risk layers off for an ablation (passed
to the gate: `RiskGate(disabled=...)`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from flashguard.core.events import (
    CancelOrder,
    Event,
    LuldBand,
    OrderFilled,
    PortfolioSnapshot,
    Quote,
    Trade,
    VenueStatus,
)
from flashguard.core.instruments import Instrument
from flashguard.core.loop import EventLoop
from flashguard.system import marketlane
from flashguard.system.gateway import Gateway
from flashguard.system.portfolio import Portfolio
from flashguard.system.risk import RiskGate, RiskMatrix, StrategyMode
from flashguard.system.router import RouterConfig, SmartOrderRouter
from flashguard.system.strategy.base import Strategy
from flashguard.system.strategy.engine import StrategyEngine
from flashguard.system.strategy.regime import RegimeParams, regime_params

NS_PER_SECOND = 1_000_000_000
MICROS = 1_000_000
_HALTED = StrategyMode.HALTED  # an enum member read from its class costs a descriptor call
_REDUCING = StrategyMode.REDUCING


def _ignore(_: Event) -> None:
    return None


class TradingSystem:
    def __init__(
        self,
        loop: EventLoop,
        gateways: Iterable[Gateway],
        matrix: RiskMatrix,
        instruments: Mapping[str, Instrument],
        *,
        emit: Callable[[Event], None] = _ignore,
        strategies: Iterable[Strategy] = (),
        router: RouterConfig | None = None,
        regime: RegimeParams | None = None,
        snapshot_every_ns: int = 10 * NS_PER_SECOND,
        kill_state_path: str | Path | None = None,
        emit_market_data: bool = False,
        disabled: Iterable[str] = frozenset(),
        emit_feed: Callable[[Event], None] | None = None,
    ) -> None:
        if snapshot_every_ns < 0:
            raise ValueError(f"snapshot_every_ns={snapshot_every_ns} must be >= 0 (0: none)")
        self.loop = loop
        self.emit = emit
        self.emit_market_data = emit_market_data
        self.emit_feed = emit if emit_feed is None else emit_feed  # quotes and trades
        self.instruments = dict(instruments)
        self.gateways: dict[str, Gateway] = {}
        for gw in gateways:
            if gw.name in self.gateways:
                raise ValueError(f"gateway name={gw.name!r} appears twice")
            self.gateways[gw.name] = gw
        if not self.gateways:
            raise ValueError("gateways=[]: the system needs at least one venue session")
        self.gate = RiskGate(
            matrix, self.instruments, loop, emit=self._on_risk_event,
            cancel_sink=self._send_cancel, kill_state_path=kill_state_path, disabled=disabled,
        )
        self.router = SmartOrderRouter(
            self.gateways, self.gate, loop, emit=emit, config=router,
            band_fallback=self._gate_band,
        )
        if regime is None:
            regime = regime_params(matrix.stress)  # layer 2's watch, from the matrix
        self.engine = StrategyEngine(self.gate, self.router, loop, emit=emit, regime=regime)
        self._gate_quote = self.gate.on_quote
        self._router_quote = self.router.on_quote
        self._engine_quote = self.engine.on_quote
        self._gate_trade = self.gate.on_trade
        self._engine_trade = self.engine.on_trade
        self.portfolio = Portfolio()
        self._tick_value = {s: float(i.tick_value()) for s, i in self.instruments.items()}
        self._last_trade_id: dict[str, int] = {}
        self.snapshot_every_ns = snapshot_every_ns
        self._snapshot_armed = False
        self._started = False
        self._equity_hwm = float(matrix.portfolio.capital)
        for gw in self.gateways.values():
            gw.connect(self.on_report)
        for s in strategies:
            self.add_strategy(s)
        # the C twin of on_market_data, unless a subclass has its own
        lane = (
            marketlane.lane(self)
            if type(self).on_market_data is TradingSystem.on_market_data
            else None
        )
        if lane is not None:
            self.on_market_data = lane  # type: ignore[method-assign, assignment]

    # --- setup -------------------------------------------------------------------------------

    def add_strategy(self, strategy: Strategy) -> None:
        self.engine.add(strategy)
        if self._started:
            strategy.on_start()

    def start(self) -> None:
        """Start the strategies and the snapshot timer."""
        if self._started:
            return
        self._started = True
        self.engine.start()
        self._arm_snapshot()

    # --- inputs ------------------------------------------------------------------------------

    def on_market_data(self, ev: Event) -> None:
        """A Quote, Trade, VenueStatus or LuldBand from a venue's feed or the SIP.

        The Python reference: when the C twin is built (`marketlane.lane`), each system's
        `on_market_data` is that twin instead (an instance attribute over this method)."""
        if type(ev) is Quote:
            # the commonest event, on its own road
            assert isinstance(ev, Quote)
            self._quote_py(ev)
            return
        self._market_data(ev)

    def _market_data(self, ev: Event) -> None:
        """`on_market_data` for anything but a Quote."""
        if type(ev) is Trade:
            assert isinstance(ev, Trade)
            # the SIP repeats each venue's prints: count each (venue, trade id) once
            if ev.trade_id:
                if ev.trade_id <= self._last_trade_id.get(ev.venue, 0):
                    return
                self._last_trade_id[ev.venue] = ev.trade_id
            if self.emit_market_data:
                self.emit_feed(ev)
            self._trade_rest(ev)
            return
        if self.emit_market_data:
            self.emit(ev)
        self._market(ev)

    def _quote_py(self, ev: Quote) -> None:
        """`on_market_data` for a Quote."""
        if self.emit_market_data:
            self.emit_feed(ev)
        self._quote_rest(ev)

    def _quote_rest(self, ev: Quote) -> None:
        """`_market` with the type known."""
        self._gate_quote(ev)
        self._router_quote(ev)
        self._engine_quote(ev)
        if not self._snapshot_armed:
            self._arm_snapshot()

    def _trade_rest(self, ev: Trade) -> None:
        """`_market` with the type known (the router does nothing with a trade)."""
        self._gate_trade(ev)
        self._engine_trade(ev)
        if not self._snapshot_armed:
            self._arm_snapshot()

    def _market(self, ev: Event) -> None:
        kind = type(ev)
        if kind is LuldBand:
            assert isinstance(ev, LuldBand)
            self._set_gate_band(ev)
        else:
            self.gate.on_event(ev)
        self.router.on_market_data(ev)
        self.engine.on_market_data(ev)
        if not self._snapshot_armed:
            self._arm_snapshot()

    def on_report(self, ev: Event) -> None:
        """An execution report from a gateway: journaled first, then risk, portfolio, router
        (which tells the engine and the strategies). A gateway's own VenueStatus (a lost
        session: "disconnected") is journaled and handled as market data."""
        self.emit(ev)
        if type(ev) is VenueStatus:
            self._market(ev)
            return
        self.gate.on_event(ev)
        if type(ev) is OrderFilled:
            assert isinstance(ev, OrderFilled)
            strategy = self.router.owner_of(ev.client_order_id)
            if strategy is not None:
                gw = self.gateways.get(ev.venue)
                fee = gw.fee(ev.qty, ev.maker) if gw is not None else 0
                self.portfolio.on_fill(strategy, ev.instrument, ev.side, ev.price, ev.qty, fee)
        self.router.on_report(ev)
        if not self._snapshot_armed:
            self._arm_snapshot()

    # --- risk wiring -------------------------------------------------------------------------

    def _on_risk_event(self, ev: Event) -> None:
        self.emit(ev)
        self.engine.on_risk_event(ev)

    def _send_cancel(self, req: CancelOrder) -> None:
        self.emit(req)
        gw = self.gateways.get(req.venue)
        if gw is not None:
            gw.cancel(req.instrument, req.order_id)

    def _set_gate_band(self, ev: LuldBand) -> None:
        if 0 < ev.lower <= ev.upper:
            m = self.gate.state.market(ev.instrument)
            if m is not None:
                m.set_band(ev.lower, ev.upper)

    def _gate_band(self, instrument: str) -> tuple[int, int] | None:
        m = self.gate.state.markets.get(instrument)
        if m is None or not m.band_hi:
            return None
        return m.band_lo, m.band_hi

    # --- snapshots ---------------------------------------------------------------------------

    def _arm_snapshot(self) -> None:
        if not self.snapshot_every_ns or not self._started:
            return
        every = self.snapshot_every_ns
        self._snapshot_armed = True
        self.loop.call_at((self.loop.now_ns() // every + 1) * every, self._snapshot_due)

    def _snapshot_due(self) -> None:
        self._snapshot_armed = False
        self.emit(self.snapshot())
        # keep ticking while the world has anything scheduled; the next input re-arms it
        if self.loop.pending():
            self._arm_snapshot()

    def snapshot(self) -> PortfolioSnapshot:
        state = self.gate.state
        marks = {s: m.mark for s, m in state.markets.items() if m.mark}
        pnl = 0.0
        for (strategy, symbol), pos in self.portfolio.positions.items():
            owner = self.engine.strategies.get(strategy)
            if owner is not None and owner.agency:
                continue  # a client's order: its P&L and fees are the client's
            ticks = pos.realized
            if pos.qty and symbol in marks:
                ticks += pos.unrealized(marks[symbol])
            tv = self._tick_value.get(symbol, 0.0)
            pnl += ticks * tv - pos.fees * tv / 100
        capital = float(self.gate.matrix.portfolio.capital)
        equity = capital + pnl
        self._equity_hwm = max(self._equity_hwm, equity)
        hwm = self._equity_hwm
        drawdown_pct = (hwm - equity) / hwm * 100 if hwm > 0 else 0.0
        return PortfolioSnapshot(
            self.loop.now_ns(), equity, pnl, drawdown_pct, abs(state.gross) / MICROS,
            state.net / MICROS, self.gate.portfolio.var, self.gate.portfolio.es,
            self.engine.regime.monitor.vpin_cdf, self.mode(),
        )

    def mode(self) -> str:
        """The most severe state anywhere: active < reducing < halted < reduce_only < killed."""
        if self.gate.kill_engaged:
            return "killed"
        if self.gate.portfolio_reduce_only:
            return "reduce_only"
        modes = [self.gate.strategy_mode(s) for s in self.engine.strategies]
        if _HALTED in modes:
            return "halted"
        if _REDUCING in modes:
            return "reducing"
        return "active"

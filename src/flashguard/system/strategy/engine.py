"""The strategy engine: strategies in, parent orders out, risk directives obeyed.

It hands market data to the strategies (and to the regime's stress monitor), screens each
intent against the risk directives (`admission.admit`; every child the router makes of it
then passes the full gate), gives approved intents to the smart order router as parents,
runs execution algorithms (releasing their parents over time), and tells each strategy about
its fills, timers, finished parents and regime switches.

Risk directives arrive as the gate's RiskAction events and are applied after the gate's own
call has returned (at the same simulated time, next on the loop), never inside it:
- kill: every parent dropped (the gate cancels every order);
- halt_strategy: the strategy's parents dropped; it may submit nothing more;
- flatten_strategy: for each position of the halted strategy, an aggressive parent to flat:
  the risk layer's unwind, not the strategy's (which still sends nothing; it hears the
  unwind's fills, its position being what they move). Tried again a second after it ends
  short of flat. (A fill of an order in flight at the halt is another flatten_strategy.)
- reduce_only / portfolio_reduce_only: entry parents dropped; new intents only reduce;
- reduce_gross: for each reduction target, an aggressive parent toward it;
- size cuts: intents scaled by the gate's size multiplier.
Each also re-examines the regime: any directive puts the strategy in preservation.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from flashguard.core.events import (
    Event,
    OrderFilled,
    OrderRejected,
    Quote,
    RegimeChange,
    RiskAction,
    Trade,
    VenueStatus,
)
from flashguard.core.loop import EventLoop
from flashguard.system.risk import Rejection, RiskGate, StrategyMode
from flashguard.system.risk import portfolio as l3
from flashguard.system.risk import strategy as l2
from flashguard.system.risk.killswitch import KILL, RESET
from flashguard.system.router import Parent, SmartOrderRouter
from flashguard.system.router.orders import DONE
from flashguard.system.strategy.admission import admit
from flashguard.system.strategy.base import (
    AGGRESSIVE,
    PASSIVE,
    PRESERVATION,
    AlgoSchedule,
    Fill,
    Intent,
    ParentStatus,
    Strategy,
)
from flashguard.system.strategy.regime import Regime, RegimeParams

DIRECTIVES = frozenset({
    KILL, RESET, l2.HALT, l2.FLATTEN, l2.REDUCE_ONLY, l2.REDUCE_SIZE, l2.RESTORE_SIZE,
    l2.RESTART, l3.REDUCE_GROSS, l3.REDUCE_ONLY, l3.CLEAR_REDUCE_ONLY,
})


UNWIND_RETRY_NS = 1_000_000_000  # an unwind that ended short of flat starts again this later
_HALTED = StrategyMode.HALTED  # an enum member read from its class costs a descriptor call
QUIET_FOREVER = sys.maxsize  # `_volume_quiet`: no algorithm's allowance can move again


def _ignore(_: Event) -> None:
    return None


class StrategyEngine:
    __slots__ = (
        "_algos", "_book", "_listeners", "_monitor", "_next_check", "_parents", "_quote_hooks",
        "_reductions", "_seq", "_signal", "_stress_seen", "_trade_hooks", "_unwinds",
        "_volume_quiet", "emit", "gate", "loop", "regime", "router", "strategies",
    )

    def __init__(
        self,
        gate: RiskGate,
        router: SmartOrderRouter,
        loop: EventLoop,
        *,
        emit: Callable[[Event], None] = _ignore,
        regime: RegimeParams | None = None,
    ) -> None:
        self.gate = gate
        self.router = router
        self.loop = loop
        self.emit = emit
        self.regime = Regime(regime if regime is not None else RegimeParams(), gate)
        router.listener = self
        self.strategies: dict[str, Strategy] = {}
        self._parents: dict[str, dict[str, Parent]] = {}  # strategy -> live parents
        self._algos: dict[str, dict[str, AlgoSchedule]] = {}  # instrument -> parent -> algo
        self._reductions: dict[tuple[str, str], str] = {}  # (strategy, instrument) -> parent
        self._unwinds: dict[tuple[str, str], str] = {}  # the same, for a halt's flatten
        self._seq = 0
        self._signal = ""
        self._stress_seen = 0  # the monitor's version `_signal` was read at
        self._next_check = 0
        self._monitor = self.regime.monitor
        self._book = router.book
        # instrument -> the on_market_data of each strategy that hears it and has one (a
        # strategy without its own hears nothing: the base hook does nothing), in the order
        # they were added: for a status or a band (`_listeners`), a quote (`_quote_hooks`) and
        # a trade (`_trade_hooks`). In the last two a strategy that does not listen to that
        # kind right now (`Strategy.listen`) has None in its place: a change puts its hook
        # back (or None) in place, so a change made by an earlier hook of the same event
        # counts from the next hook on, as the strategy's own check inside its hook would.
        self._listeners: dict[str, list[Callable[[Event], None]]] = {}
        self._quote_hooks: dict[str, list[Callable[[Event], None] | None]] = {}
        self._trade_hooks: dict[str, list[Callable[[Event], None] | None]] = {}
        # instrument -> the time before which a trade's volume changes nothing for the
        # instrument's execution algorithms (each one `volume_blind`, before its next wakeup);
        # absent when a trade may change something (`_quiet`)
        self._volume_quiet: dict[str, int] = {}

    # --- setup -------------------------------------------------------------------------------

    def add(self, strategy: Strategy) -> None:
        if strategy.name in self.strategies:
            raise ValueError(f"strategy name={strategy.name!r} is already taken")
        strategy.attach(self)
        if strategy.agency:
            self.gate.set_agency(strategy.name)
        self.strategies[strategy.name] = strategy
        self._parents[strategy.name] = {}
        self._listeners.clear()
        self._quote_hooks.clear()
        self._trade_hooks.clear()
        self.regime.drawdown_breached(strategy.name)  # watched from now on

    def start(self) -> None:
        for s in list(self.strategies.values()):
            s.on_start()
        self._evaluate_all(self.loop.now_ns())

    # --- inputs ------------------------------------------------------------------------------

    def on_quote(self, ev: Quote) -> None:
        """`on_market_data` for a Quote (the commonest event, so its own road): the mid of
        the router's NBBO to the stress monitor, the regime, then the strategies."""
        now = self.loop.now_ns()
        instrument = ev.instrument
        book = self._book
        nbbo = book._sip.get(instrument)
        bid, ask = nbbo if nbbo is not None else book.nbbo(instrument, now)
        if bid and ask:
            mid = (bid + ask) // 2
            if mid > 0:
                monitor = self._monitor
                s = monitor.instruments.get(instrument)
                if s is None:
                    s = monitor._get(instrument)
                if now >= s.sample_end:
                    s.close_sample(now, monitor.params.vol_sample_ns)
                s.mid = mid
        self._regime_and_hooks(ev, instrument, now)

    def on_trade(self, ev: Trade) -> None:
        """`on_market_data` for a Trade: the stress monitor, the algos' volume, the regime,
        then the strategies."""
        now = self.loop.now_ns()
        instrument = ev.instrument
        self._monitor.on_trade(instrument, now, ev.price, ev.qty)
        if self._algos:
            self._on_volume(instrument, ev.qty, now)
        self._regime_and_hooks(ev, instrument, now)

    def _regime_and_hooks(self, ev: Quote | Trade, instrument: str, now: int) -> None:
        """The end of `on_quote` and `on_trade`: the regime first (`_maybe_evaluate`,
        inline), so a strategy sees the event already in the mode it calls for, then the
        strategies that hear the instrument."""
        if self._monitor.version != self._stress_seen:
            self._maybe_evaluate(now)
        elif now >= self._next_check or self.regime.any_new_drawdown():
            self._evaluate_all(now)
        quote = type(ev) is Quote
        hooks = self._quote_hooks if quote else self._trade_hooks
        listeners = hooks.get(instrument)
        if listeners is None:
            listeners = hooks[instrument] = self._hearing_now(instrument, quote)
        for hook in listeners:
            if hook is not None:
                hook(ev)

    def on_market_data(self, ev: Event) -> None:
        if type(ev) is Quote:
            assert isinstance(ev, Quote)
            self.on_quote(ev)
            return
        if type(ev) is Trade:
            assert isinstance(ev, Trade)
            self.on_trade(ev)
            return
        now = self.loop.now_ns()
        kind = type(ev)
        monitor = self.regime.monitor
        instrument: str = getattr(ev, "instrument", "")
        if kind is VenueStatus:
            assert isinstance(ev, VenueStatus)
            monitor.on_status(ev.venue, instrument, ev.status)
        # the regime first: a strategy sees this event already in the mode it calls for
        self._maybe_evaluate(now)
        listeners = self._listeners.get(instrument)
        if listeners is None:
            listeners = self._listeners[instrument] = self._hearing(instrument)
        for hook in listeners:
            hook(ev)

    def _hearing(self, instrument: str) -> list[Callable[[Event], None]]:
        """The hooks of the strategies that hear instrument's market data, in the order they
        were added. A status without an instrument is the whole venue's: everyone hears it."""
        return [s.on_market_data for s in self._hearers(instrument)]

    def _hearing_now(self, instrument: str, quote: bool) -> list[Callable[[Event], None] | None]:
        """`_hearing` for quotes (or trades): None in the place of each strategy that does not
        listen to them right now."""
        return [
            s.on_market_data if (s.hears_quotes if quote else s.hears_trades) else None
            for s in self._hearers(instrument)
        ]

    def _hearers(self, instrument: str) -> list[Strategy]:
        return [
            s for s in self.strategies.values()
            if (not s.instruments or not instrument or instrument in s.instruments)
            and (type(s).on_market_data is not Strategy.on_market_data
                 or "on_market_data" in getattr(s, "__dict__", {}))
        ]

    def listening(self, strategy: Strategy) -> None:
        """The strategy changed what it listens to (`Strategy.listen`): its place in each
        instrument's quote and trade hooks is set again, in place (the lists keep their
        length and order, so a loop over one in progress sees the change at its place)."""
        self._own(strategy)
        for hooks, quote in ((self._quote_hooks, True), (self._trade_hooks, False)):
            for instrument, listeners in hooks.items():
                listeners[:] = self._hearing_now(instrument, quote)

    def on_risk_event(self, ev: Event) -> None:
        """The gate's decisions: directives are applied once the gate's call has returned."""
        if type(ev) is RiskAction:
            assert isinstance(ev, RiskAction)
            if ev.action in DIRECTIVES:
                self.loop.call_at(self.loop.now_ns(), self._directive_later(ev))

    def _directive_later(self, ev: RiskAction) -> Callable[[], None]:
        return lambda: self._directive(ev)

    def _directive(self, ev: RiskAction) -> None:
        action = ev.action
        if action == KILL:
            self._drop(lambda p: True, "kill switch")
        elif action == l2.HALT:
            self._drop(lambda p: p.strategy == ev.strategy, "strategy halted")
        elif action == l2.FLATTEN:
            self._unwind(ev.strategy)
        elif action == l2.REDUCE_ONLY:
            self._drop(lambda p: p.strategy == ev.strategy and self._entry(p), "reduce-only")
        elif action == l3.REDUCE_ONLY:
            self._drop(self._entry, "portfolio reduce-only")
        elif action == l3.REDUCE_GROSS:
            self._reduce_gross()
        self._evaluate_all(self.loop.now_ns())

    def _entry(self, p: Parent) -> bool:
        """A parent that, filled, would move its position away from zero."""
        return p.side * self.gate.position(p.strategy, p.instrument) >= 0

    def _drop(self, which: Callable[[Parent], bool], reason: str) -> None:
        for parents in self._parents.values():
            for p in [q for q in parents.values() if which(q)]:
                self.router.abandon(p.id, reason)

    def _unwind(self, name: str) -> None:
        """The risk layer flattens a halted strategy: one aggressive parent per position."""
        if name in self.strategies and self.gate.flattening(name):
            for instrument in self.gate.positions(name):
                self._toward(name, instrument, 0, self._unwinds, "halt_flatten", unwind=True)

    def _reduce_gross(self) -> None:
        for (name, instrument), target in self.gate.reduction_targets().items():
            if name in self.strategies:
                self._toward(name, instrument, target, self._reductions, "reduce_gross")

    def _toward(self, name: str, instrument: str, target: int,
                working: dict[tuple[str, str], str], tag: str, unwind: bool = False) -> None:
        """An aggressive parent from the position to `target`, unless one (kept in `working`)
        is already at it: the risk layer's own orders on the strategy's book."""
        key = (name, instrument)
        delta = target - self.gate.position(name, instrument)
        if key in working or not delta:
            return
        pid = self._submit(name, Intent(instrument, 1 if delta > 0 else -1, abs(delta),
                                        urgency=AGGRESSIVE, tag=tag), unwind)
        if pid is not None and pid in self._parents[name]:
            working[key] = pid

    # --- the strategies' context -------------------------------------------------------------

    def submit_intent(self, strategy: Strategy, intent: Intent) -> str | None:
        return self._submit(self._own(strategy), intent)

    def _submit(self, name: str, intent: Intent, unwind: bool = False) -> str | None:
        now = self.loop.now_ns()
        self._seq += 1
        pid = f"{name}#{self._seq}"
        working = sum(
            p.remaining for p in self._parents[name].values()
            if p.instrument == intent.instrument and p.side == intent.side
        )
        qty, refusal = admit(self.gate, name, intent.instrument, intent.side, intent.qty, working,
                             unwind)
        if refusal is not None:
            self._refuse(now, name, pid, intent, refusal)
            return None
        preservation = self.regime.mode(name) == PRESERVATION
        schedule = intent.algo.start(now, qty) if intent.algo is not None else None
        parent = Parent(
            pid, name, intent.instrument, intent.side, qty, intent.limit or 0,
            passive=intent.urgency == PASSIVE, crash=preservation,
            allowance=schedule.allowance(now, preservation) if schedule is not None else None,
        )
        self._parents[name][pid] = parent
        if schedule is not None:
            self._algos.setdefault(intent.instrument, {})[pid] = schedule
            self._quiet(intent.instrument)
            self._arm(parent, schedule)
        self.router.submit(parent)
        return pid

    def _refuse(self, t: int, name: str, pid: str, intent: Intent, r: Rejection) -> None:
        self.emit(RiskAction(t, r.layer, r.rule, float(r.value), float(r.limit), "reject", name,
                             f"{pid}: intent {intent.qty} lots" + (f": {r.detail}" if r.detail else "")))
        self.emit(OrderRejected(t, "", intent.instrument, 0, pid, 0, r.reason, r.layer, r.rule))

    def cancel_parent(self, strategy: Strategy, parent_id: str) -> bool:
        name = self._own(strategy)
        if parent_id not in self._parents[name]:
            return False
        return self.router.cancel(parent_id, "cancelled by the strategy")

    def set_timer(self, strategy: Strategy, delay_ns: int) -> None:
        self._own(strategy)
        if delay_ns < 0:
            raise ValueError(f"delay_ns={delay_ns} must be >= 0")
        self.loop.call_later(delay_ns, lambda: strategy.on_timer(self.loop.now_ns()))

    def now_ns(self) -> int:
        return self.loop.now_ns()

    def position(self, strategy: Strategy, instrument: str) -> int:
        return self.gate.position(strategy.name, instrument)

    def quote(self, instrument: str) -> tuple[int, int]:
        return self.router.book.nbbo(instrument, self.loop.now_ns())

    def mode(self, strategy: Strategy) -> str:
        return self.regime.mode(strategy.name)

    def halted(self, strategy: Strategy) -> bool:
        return self.gate.strategy_mode(strategy.name) == _HALTED

    def working(self, strategy: Strategy, parent_id: str) -> bool:
        return parent_id in self._parents.get(strategy.name, {})

    def _own(self, strategy: Strategy) -> str:
        if self.strategies.get(strategy.name) is not strategy:
            raise ValueError(f"strategy {strategy.name!r} is not one of this engine's")
        return strategy.name

    # --- the router's news -------------------------------------------------------------------

    def on_child_fill(self, parent: Parent, fill: OrderFilled) -> None:
        strategy = self.strategies.get(parent.strategy)
        if strategy is not None:
            strategy.on_fill(Fill(parent.id, parent.instrument, fill.venue, parent.side,
                                  fill.price, fill.qty, fill.maker, self.loop.now_ns()))

    def on_parent_final(self, parent: Parent) -> None:
        self._parents.get(parent.strategy, {}).pop(parent.id, None)
        algos = self._algos.get(parent.instrument)
        if algos is not None:
            algos.pop(parent.id, None)
            self._quiet(parent.instrument)
        key = (parent.strategy, parent.instrument)
        if self._reductions.get(key) == parent.id:
            del self._reductions[key]
        if self._unwinds.get(key) == parent.id:
            del self._unwinds[key]
            if self.gate.flattening(parent.strategy) and self.gate.position(*key):
                self.loop.call_later(UNWIND_RETRY_NS, self._unwind, parent.strategy)
        strategy = self.strategies.get(parent.strategy)
        if strategy is not None:
            strategy.on_parent_done(ParentStatus(
                parent.id, parent.instrument, parent.side, parent.qty, parent.filled,
                "done" if parent.state == DONE else "cancelled", parent.reason,
            ))

    # --- execution algorithms ----------------------------------------------------------------

    def _arm(self, parent: Parent, schedule: AlgoSchedule) -> None:
        t = schedule.next_wakeup()
        if t is not None:
            self.loop.call_at(t, lambda: self._wake(parent, schedule))

    def _wake(self, parent: Parent, schedule: AlgoSchedule) -> None:
        if parent.final:
            return
        now = self.loop.now_ns()
        preservation = self.regime.mode(parent.strategy) == PRESERVATION
        self.router.set_allowance(parent.id, schedule.allowance(now, preservation))
        self._quiet(parent.instrument)
        self._arm(parent, schedule)

    def _on_volume(self, instrument: str, qty: int, now: int) -> None:
        """A trade's volume to the instrument's execution algorithms, and each one's
        allowance now. Nothing to do while `_volume_quiet` says no allowance can move."""
        algos = self._algos.get(instrument)
        if not algos:
            return
        quiet = self._volume_quiet.get(instrument)
        if quiet is not None and now < quiet:
            return
        for pid, schedule in list(algos.items()):
            schedule.on_volume(qty)
            parent = self.router.parents.get(pid)
            if parent is not None:
                preservation = self.regime.mode(parent.strategy) == PRESERVATION
                self.router.set_allowance(pid, schedule.allowance(now, preservation))
        self._quiet(instrument)

    def _quiet(self, instrument: str) -> None:
        """Set `_volume_quiet[instrument]`, after a change to its algorithms or to one's
        schedule: when every one is `volume_blind` (its `on_volume` does nothing, and its
        allowance moves only at or after its next wakeup), the earliest next wakeup (none:
        QUIET_FOREVER); else none. A trade before it would change nothing (the router takes an
        allowance that did not grow as no news), so it is not counted."""
        until: int | None = None
        algos = self._algos.get(instrument)
        if algos:
            until = QUIET_FOREVER
            for schedule in algos.values():
                if not getattr(schedule, "volume_blind", False):
                    until = None
                    break
                t = schedule.next_wakeup()
                if t is not None and t < until:
                    until = t
        if until is None:
            self._volume_quiet.pop(instrument, None)
        else:
            self._volume_quiet[instrument] = until

    def pin_regime(self, strategy: str, mode: str | None, reason: str) -> None:
        """An operator's override: hold the strategy in `mode` ("normal" or "preservation")
        whatever the signals say, until unpinned with mode=None."""
        if strategy not in self.strategies:
            raise ValueError(f"strategy={strategy!r} is not one of this engine's")
        now = self.loop.now_ns()
        self.regime.pin(strategy, mode, reason, now)
        self._evaluate_all(now)

    # --- regime ------------------------------------------------------------------------------

    def _maybe_evaluate(self, now: int) -> None:
        """Re-examine the regimes when the market's stress changed, when a strategy in normal
        mode has crossed its drawdown trigger (marks move with every quote), and at least
        every check_ns of event time."""
        # the signal can only differ from the last one read when the monitor changed since
        if self._monitor.version != self._stress_seen:
            self._stress_seen = self._monitor.version
            signal = self.regime.stress()
            if signal != self._signal:
                self._signal = signal
                self._evaluate_all(now)
                return
        if now >= self._next_check or self.regime.any_new_drawdown():
            self._evaluate_all(now)

    def _evaluate_all(self, now: int) -> None:
        self._next_check = now + self.regime.params.check_ns
        for name in list(self.strategies):
            switch = self.regime.evaluate(name, now)
            if switch is not None:
                mode, reason = switch
                self.emit(RegimeChange(now, name, mode, reason))
                self.router.set_crash(name, mode == PRESERVATION)
                self.strategies[name].on_regime(mode, reason)

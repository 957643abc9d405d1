"""The risk gate: the four layers composed on the only road to a venue.

    gate.check(order)          -> None (pass) or the Rejection; cancels go through
    gate.check_cancel(...)     -> always passes; counts the message
    gate.on_event(event)       execution reports, quotes, trades, venue status, LULD bands
    gate.kill / reset / halt_strategy / restart_strategy / clear_portfolio_reduce_only:
        operator decisions

Every decision is emitted as an event through `emit`: a RiskAction (time, layer, rule,
measured value, limit, action) for each reject, state change, reduction, kill and reset, an
OrderRejected (layer and rule set) for each rejected order, a KillSwitch on engage and reset.
Accepts are emitted only with `emit_accepts=True`: one per order would flood the journal.
Cancels the gate decides on (a halt, reduce-only entries, the kill switch) go to
`cancel_sink` as CancelOrder requests; they bypass the order budget (they only draw on the
cancel budget, which never blocks), and an order still in flight is cancelled on its ack.

The gate reads time only from orders and events (and from `clock` for operator calls).

`disabled` switches layers off for an ablation (docs/risk.md, "Switching layers off"): L1 then
rejects only orders no venue could take, L2 never changes a strategy's mode or size, L3 never
reduces, L4 never engages by itself (the operator's kill still does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from flashguard.core.clock import Clock
from flashguard.core.events import (
    CancelOrder,
    Event,
    LuldBand,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
    Quote,
    RequestRejected,
    RiskAction,
    Trade,
    VenueStatus,
)
from flashguard.core.events import KillSwitch as KillSwitchEvent
from flashguard.core.instruments import Instrument
from flashguard.system.risk import fastpath
from flashguard.system.risk import portfolio as l3
from flashguard.system.risk import pretrade as l1
from flashguard.system.risk import strategy as l2
from flashguard.system.risk.fastpath import admit
from flashguard.system.risk.killswitch import KILL, RESET, RESET_PENDING, KillSwitch
from flashguard.system.risk.layers import parse_disabled
from flashguard.system.risk.ledger import OrderRecord, PositionBook, StrategyBook
from flashguard.system.risk.limits import MICROS
from flashguard.system.risk.marketdata import InstrumentMarket
from flashguard.system.risk.params import RiskMatrix
from flashguard.system.risk.state import RiskState, View
from flashguard.system.risk.strategy import drawdown_fraction
from flashguard.system.risk.types import (
    L1,
    L2,
    L3,
    L4,
    Breach,
    Rejection,
    RiskOrder,
    StrategyMode,
)

ACCEPT = "accept"
REJECT = "reject"
IGNORE_BAND = "ignore_band"
_ACTIVE = StrategyMode.ACTIVE
_HALTED = StrategyMode.HALTED
_GONE_STATUSES = frozenset({"halted", "paused", "closed", "disconnected"})


def _ignore(_: Event) -> None:
    return None


def _refer(o: RiskOrder, v: View) -> bool:
    """Layer 1 switched off: no order is admitted by the fused rules; `_judge` decides."""
    return False


class RiskGate:
    def __init__(
        self,
        matrix: RiskMatrix,
        instruments: Mapping[str, Instrument],
        clock: Clock,
        *,
        emit: Callable[[Event], None] = _ignore,
        cancel_sink: Callable[[CancelOrder], None] = _ignore,
        kill_state_path: str | Path | None = None,
        emit_accepts: bool = False,
        disabled: Iterable[str] = frozenset(),
    ) -> None:
        self._disabled = off = parse_disabled(disabled)
        self._l1, self._l2, self._l3, self._l4 = (x not in off for x in (L1, L2, L3, L4))
        # layer 1 off: every new order goes to `_judge`, which applies only the hard facts
        self._admit = admit if self._l1 else _refer
        self._l1_rules = l1.check if self._l1 else l1.hard_facts
        self.matrix = matrix
        self.clock = clock
        self.state = RiskState(matrix, instruments)
        self.kill_switch = KillSwitch(matrix.kill_switch, kill_state_path)
        self.portfolio = l3.PortfolioRisk(matrix.portfolio)
        self._emit_accepts = emit_accepts
        self._emit = emit
        self._cancel_sink = cancel_sink
        self._views = self.state.views
        self._handlers: dict[type, Callable[[Event], None]] = {
            Quote: self._on_quote,  # type: ignore[dict-item]
            Trade: self._on_trade,  # type: ignore[dict-item]
            OrderFilled: self._on_fill,  # type: ignore[dict-item]
            OrderAccepted: self._on_accepted,  # type: ignore[dict-item]
            OrderCancelled: self._on_done,  # type: ignore[dict-item]
            OrderExpired: self._on_done,  # type: ignore[dict-item]
            OrderRejected: self._on_venue_reject,  # type: ignore[dict-item]
            OrderModified: self._on_modified,  # type: ignore[dict-item]
            RequestRejected: self._on_request_rejected,  # type: ignore[dict-item]
            VenueStatus: self._on_venue_status,  # type: ignore[dict-item]
            LuldBand: self._on_band,  # type: ignore[dict-item]
        }
        # check(o): _check below, or its C twin for the common case (accepts not emitted).
        # The twin fuses layer 1's rules, so without layer 1 it is not used; layers 2 to 4
        # act only through state the twin reads (a mode, a size, reduce-only, the switch)
        # and through the Python calls it hands the rest to, so their switches hold in C.
        self.check: fastpath.Check = (
            self._check
            if emit_accepts or not self._l1
            else fastpath.lane(self._views, self.kill_switch, self.portfolio, self._judge,
                               self._check)
        )

    # --- queries ---------------------------------------------------------------------------

    @property
    def emit_accepts(self) -> bool:
        return self._emit_accepts

    @property
    def disabled(self) -> frozenset[str]:
        """The layers switched off (docs/risk.md, "Switching layers off")."""
        return self._disabled

    @property
    def kill_engaged(self) -> bool:
        return self.kill_switch.engaged

    @property
    def portfolio_reduce_only(self) -> bool:
        return self.portfolio.reduce_only

    def strategy_mode(self, strategy: str) -> StrategyMode:
        return self.state.strategy(strategy).mode

    def flattening(self, strategy: str) -> bool:
        """The strategy is HALTED and the risk layer unwinds its positions (on_halt =
        "flatten"): orders that only reduce them pass layer 2."""
        sb = self.state.strategies.get(strategy)
        return sb is not None and sb.flatten and sb.mode == _HALTED

    def set_agency(self, strategy: str) -> None:
        """The strategy works a client's order: its fills are the client's position. Its
        orders still pass L1 and L2 as its own; L3 and L4 watch the desk's book without it.
        Set before its first order."""
        sb = self.state.strategy(strategy)
        if any(pb.pos for pb in sb.positions.values()):
            raise ValueError(f"strategy={strategy!r} already holds a position: agency must be "
                             "set before it trades")
        sb.agency = True

    def size_multiplier(self, strategy: str) -> float:
        """What the strategy should scale its order sizes by (a volatility level 1 cut)."""
        return self.state.strategy(strategy).size_permille / 1000

    def reduction_targets(self) -> dict[tuple[str, str], int]:
        """(strategy, instrument) -> the position a reduce_gross directive asks for."""
        return dict(self.portfolio.targets)

    def positions(self, strategy: str) -> dict[str, int]:
        """The strategy's non-zero positions, by instrument (in name order)."""
        sb = self.state.strategies.get(strategy)
        if sb is None:
            return {}
        return {sym: pb.pos for sym, pb in sorted(sb.positions.items()) if pb.pos}

    def position(self, strategy: str, instrument: str) -> int:
        pb = self.state.strategy(strategy).positions.get(instrument)
        return pb.pos if pb is not None else 0

    def open_orders(self) -> int:
        return len(self.state.orders)

    def drawdown(self, strategy: str) -> float:
        """The strategy's intraday drawdown now: how far its account (capital + P&L marked
        to market) is below its peak (capital + the P&L's high-water mark), as a fraction of
        that peak: 0.0 at or above it, 1.0 when all of it is lost. 0.0 for a strategy the
        gate has not seen."""
        sb = self.state.strategies.get(strategy)
        if sb is None:
            return 0.0
        return drawdown_fraction(sb.equity, sb.hwm, sb.params.capital)

    def portfolio_drawdown(self) -> float:
        """The same for all strategies together, on the portfolio's capital."""
        st = self.state
        return drawdown_fraction(st.equity, st.hwm, self.matrix.portfolio.capital)

    # --- the order path --------------------------------------------------------------------

    def _check(self, o: RiskOrder) -> Rejection | None:
        """`check(o)`: judge one order (or amendment). None: it may leave, and counts from now
        on.

        This is the hottest path of the system, so the runaway counters are counted inline
        and a limit order of an active strategy first meets the fused layer 1 path, which
        judges and books it in one call; anything else, and any refusal, goes through the
        layers' rules themselves (`_judge`). `check` is this method, or its C twin
        (`fastpath.lane`) when the gate does not emit accepts."""
        t = o.t_ns
        ks = self.kill_switch
        if ks.engaged and not self._maybe_release(t):
            return self._reject(o, Rejection(L4, "kill_switch", 1, 0, ks.state.reason))
        try:
            v = self._views[o.strategy][o.venue][o.instrument]
        except KeyError:
            v = self.state.view(o.strategy, o.venue, o.instrument)
        sb = v.strategy
        # every message counts toward runaway detection, whatever becomes of it
        meter = ks.messages
        if t >= meter.end:
            meter.roll(t)
        n = meter.count + 1
        meter.count = n
        if n > meter.limit and self._l4:
            self._engage(t, "risk", ks.message_runaway())
            return self._reject(o, Rejection(L4, "kill_switch", 1, 0, "message runaway"))
        meter = sb.messages
        if t >= meter.end:
            meter.roll(t)
        n = meter.count + 1
        meter.count = n
        if n > meter.limit and sb.mode != _HALTED:
            self._escalate(sb, l2.message_runaway(sb), t)
        if sb.mode or self.portfolio.reduce_only or o.replaces or not self._admit(o, v):
            return self._judge(o, v)
        if self._emit_accepts:
            self._emit(RiskAction(t, L1, "all", 0.0, 0.0, ACCEPT, o.strategy, o.client_order_id))
        return None

    def _judge(self, o: RiskOrder, v: View) -> Rejection | None:
        """The reference path: layer 2's mode, layer 3's reduce-only, then every layer 1 rule
        one by one; a pass is booked as the fast path books it."""
        lim = v.limits
        t = o.t_ns
        sb = v.strategy
        if sb.mode:
            r = l2.strategy_halted(o, v, lim) or l2.strategy_reduce_only(o, v, lim)
            if r is not None:
                return self._reject(o, r)
        if self.portfolio.reduce_only:
            r = l3.portfolio_reduce_only(o, v, lim)
            if r is not None:
                return self._reject(o, r)
        r = self._l1_rules(o, v, lim)
        if r is not None:
            return self._reject(o, r)
        v.session.orders.take(t)  # with layer 1 off an empty budget is only counted
        if o.replaces:
            self.state.amend(o)
        else:
            self.state.register(o, v)
            if lim.dup_window_ns and 0 < o.qty <= lim.max_qty:
                v.remember(l1.dup_key(o.price, o.side * o.qty, lim), t, lim.dup_window_ns,
                           o.parent_id)
        if self._emit_accepts:
            self._emit(RiskAction(t, L1, "all", 0.0, 0.0, ACCEPT, o.strategy, o.client_order_id))
        return None

    def adopt(self, o: RiskOrder) -> None:
        """Count an order passed before a restart, without judging it again: recovery replays
        the journal's orders through here, then their reports through `on_event`."""
        if o.client_order_id not in self.state.orders:
            self.state.register(o, self.state.view(o.strategy, o.venue, o.instrument))

    def check_cancel(self, strategy: str, venue: str, t_ns: int) -> None:
        """Cancels always pass, on their own budget; they still count as messages, so a
        cancel storm is a runaway like any other."""
        self.state.session(venue).cancels.take(t_ns)
        if not self.kill_switch.messages.add(t_ns) and self._l4:
            self._engage(t_ns, "risk", self.kill_switch.message_runaway())
        sb = self.state.strategy(strategy)
        if not sb.messages.add(t_ns) and sb.mode != _HALTED:
            self._escalate(sb, l2.message_runaway(sb), t_ns)

    def _reject(self, o: RiskOrder, r: Rejection) -> Rejection:
        self._emit(
            RiskAction(o.t_ns, r.layer, r.rule, float(r.value), float(r.limit), REJECT,
                       o.strategy,
                       f"{o.client_order_id}: {r.detail}" if r.detail else o.client_order_id)
        )
        self._emit(
            OrderRejected(o.t_ns, o.venue, o.instrument, o.order_id, o.client_order_id, o.owner,
                          r.reason, r.layer, r.rule)
        )
        return r

    # --- events ----------------------------------------------------------------------------

    def on_event(self, ev: Event) -> None:
        handler = self._handlers.get(type(ev))
        if handler is not None:
            handler(ev)
        t = ev.t_ns
        if self.portfolio.history.due(t):
            self._sample_var(t)
        if self.kill_switch.engaged:
            self._maybe_release(t)

    def on_quote(self, ev: Quote | Trade) -> None:
        """`on_event` for a Quote (the commonest event) or a Trade (`on_trade`), in one call:
        the market's reference and mark, the equity it moves, the volatility sample, layers 2
        and 3 on a moved mark, then the VaR sample and the kill switch's release when due."""
        t = ev.t_ns
        state = self.state
        m = state.markets.get(ev.instrument)
        if m is None:
            m = state.market(ev.instrument)
        if m is not None:
            old = m.mark
            if type(ev) is Quote:
                m.on_quote(ev)
            else:
                assert isinstance(ev, Trade)
                m.on_trade(ev)
            mark = m.mark
            if mark != old:
                state._remark(m, old)
            # sampled on every update, moved or not, so a calm market closes its buckets too
            if mark and m.vol.update(t, mark):
                for pb in m.holders:
                    self._check_volatility(pb.strategy, t)
            if mark != old:
                self._after_mark(m, t)
        next_t = self.portfolio.history.next_t
        if next_t is None or t >= next_t:
            self._sample_var(t)
        if self.kill_switch.engaged:
            self._maybe_release(t)

    on_trade = on_quote

    def _on_quote(self, ev: Quote) -> None:
        moved = self.state.on_quote(ev)
        self._after_market(ev.instrument, moved, ev.t_ns)

    def _on_trade(self, ev: Trade) -> None:
        moved = self.state.on_trade(ev)
        self._after_market(ev.instrument, moved, ev.t_ns)

    def _after_market(self, symbol: str, moved: InstrumentMarket | None, t: int) -> None:
        m = self.state.markets.get(symbol)
        # sampled on every update, moved or not, so a calm market closes its buckets too
        if m is not None and m.mark and m.vol.update(t, m.mark):
            for pb in m.holders:
                self._check_volatility(pb.strategy, t)
        if moved is not None:
            self._after_mark(moved, t)

    def _after_mark(self, m: InstrumentMarket, t: int) -> None:
        for pb in m.holders:
            if pb.pos:
                self._check_strategy(pb, t)
        self._check_portfolio(m.symbol, t)

    def _on_fill(self, ev: OrderFilled) -> None:
        rec = self.state.on_fill(ev)
        if rec is None:
            return
        t = ev.t_ns
        pb = rec.book
        sb = pb.strategy
        if sb.flatten and sb.mode == _HALTED and not _reduced(rec, ev.qty):
            self._flatten(sb, "late_fill", t)  # an order in flight at the halt filled
        if self._l2:
            sb.executions.append(t)
            breach = l2.repeated_executions(sb, t)
            if breach is not None:
                self._escalate(sb, breach, t)
            self._check_strategy(pb, t)
        key = (sb.name, pb.market.symbol)
        target = self.portfolio.targets.get(key)
        if target is not None and abs(pb.pos) <= abs(target):
            del self.portfolio.targets[key]
        self._check_portfolio(pb.market.symbol, t)

    def _on_accepted(self, ev: OrderAccepted) -> None:
        rec = self.state.on_accepted(ev)
        if rec is None:
            return
        sb = rec.book.strategy
        if (
            rec.cancel
            or self.kill_switch.engaged
            or (sb.mode == _HALTED and not (sb.flatten and _reduces(rec)))
            or ((sb.mode or self.portfolio.reduce_only) and not _reduces(rec))
        ):
            self._cancel(rec, ev.t_ns)

    def _on_done(self, ev: OrderCancelled | OrderExpired) -> None:
        rec = self.state.own(ev.client_order_id, ev.venue)
        if rec is not None:
            self.state.close(rec)

    def _on_venue_reject(self, ev: OrderRejected) -> None:
        if ev.layer:
            return  # a risk rejection: that order never counted
        rec = self.state.own(ev.client_order_id, ev.venue)
        if rec is not None:
            self.state.close(rec)

    def _on_modified(self, ev: OrderModified) -> None:
        self.state.on_modified(ev)

    def _on_request_rejected(self, ev: RequestRejected) -> None:
        self.state.on_request_rejected(ev)

    def _on_band(self, ev: LuldBand) -> None:
        """A published band, from the SIP ("ALL") or a venue relaying it: LULD bands are
        market-wide, so the latest one is the instrument's band, over the own estimate, until
        the next. One that cannot be a band is journaled and leaves the current band as it is."""
        m = self.state.market(ev.instrument)
        if m is None:
            return
        if 0 < ev.lower <= ev.upper:
            m.set_band(ev.lower, ev.upper)
        else:
            self._emit(
                RiskAction(ev.t_ns, L1, "luld_band", float(ev.lower), float(ev.upper),
                           IGNORE_BAND, "", f"{ev.venue} {ev.instrument}: lower={ev.lower} "
                           f"upper={ev.upper} is not a band")
            )

    def _on_venue_status(self, ev: VenueStatus) -> None:
        self.state.session(ev.venue).status[ev.instrument] = ev.status
        if ev.status in _GONE_STATUSES:
            markets = (
                self.state.markets.values()
                if not ev.instrument
                else [m for m in (self.state.markets.get(ev.instrument),) if m is not None]
            )
            for m in markets:
                m.venue_down(ev.venue)
        breach = self.kill_switch.on_venue_status(ev)  # tracks halts for the cool-down too
        if breach is not None and self._l4:
            self._engage(ev.t_ns, "risk", breach)

    # --- layer 2 ---------------------------------------------------------------------------

    def _check_strategy(self, pb: PositionBook, t: int) -> None:
        sb = pb.strategy
        if sb.mode == _HALTED or not self._l2:
            return
        breach = l2.drawdown(sb)
        if breach is not None:
            self._escalate(sb, breach, t)
        if sb.mode == _ACTIVE:
            breach = l2.concentration(pb)
            if breach is not None:
                self._escalate(sb, breach, t)

    def _check_volatility(self, sb: StrategyBook, t: int) -> None:
        if not self._l2:
            return
        breach = l2.volatility(sb)
        if breach is None:
            return
        level = 2 if breach.action == l2.HALT else 1 if breach.action == l2.REDUCE_SIZE else 0
        sb.vol_level = level
        keep = sb.limits.size_keep_permille if level else 1000
        if level == 2:
            self._escalate(sb, breach, t)
        elif keep != sb.size_permille:
            sb.size_permille = keep
            self._action(t, L2, breach, sb.name)

    def _escalate(
        self, sb: StrategyBook, breach: Breach, t: int, *, manual: bool = False
    ) -> None:
        """Move a strategy up to the mode the breach calls for, and cancel what must go. An
        operator's halt (`manual`) acts even with layer 2's automatic rules switched off."""
        target = l2.MODE_OF[breach.action]
        if target <= sb.mode or not (self._l2 or manual):
            return
        sb.mode = target
        self._action(t, L2, breach, sb.name)
        # one walk over every open order, as a kill does: a per-strategy index would cost
        # each order a second dict insert and delete on the hot path, for this rare event
        for rec in list(self.state.orders.values()):
            if rec.book.strategy is sb and (target == _HALTED or not _reduces(rec)):
                self._cancel(rec, t)
        if target == _HALTED and sb.params.on_halt == "flatten" and not sb.agency:
            sb.flatten = True  # from now on: a fill of an order in flight is unwound too
            self._flatten(sb, breach.rule, t)

    def _flatten(self, sb: StrategyBook, rule: str, t: int) -> None:
        """Say that the risk layer unwinds what the halted strategy holds (nothing said when
        it holds nothing): the strategy engine sends the unwind on this action."""
        held = self.positions(sb.name)
        if held:
            self._emit(RiskAction(
                t, L2, rule, float(sum(map(abs, held.values()))), 0.0, l2.FLATTEN, sb.name,
                "positions unwound by the risk layer: "
                + ", ".join(f"{sym} {pos:+d}" for sym, pos in held.items()),
            ))

    def halt_strategy(self, strategy: str, by: str, reason: str) -> bool:
        """An operator halts a strategy: layer 2's own halt, journaled with who and why. Its
        orders are cancelled, its parents dropped, and with on_halt = "flatten" the risk layer
        unwinds what it holds, exactly as when a limit halts it. False if it already was."""
        if not by.strip() or not reason.strip():
            raise ValueError(f"a halt needs who and why: by={by!r} reason={reason!r}")
        sb = self.state.strategy(strategy)
        if sb.mode == _HALTED:
            return False
        self._escalate(
            sb, Breach("manual", 1, 0, l2.HALT, f"by={by}: {reason}"), self.clock.now_ns(),
            manual=True,
        )
        return True

    def restart_strategy(self, strategy: str, by: str, reason: str) -> None:
        """Put a reducing or halted strategy back to ACTIVE: an operator's journaled decision.

        The strategy's high-water mark is rebased to its equity now: the restart is the
        operator's fresh drawdown budget. Kept at the old peak, the drawdown that halted it
        would still be there and the next mark would halt it again at once."""
        self._authorise(by, reason)
        sb = self.state.strategy(strategy)
        t = self.clock.now_ns()
        old = sb.mode
        old_hwm = sb.hwm
        sb.mode = _ACTIVE
        sb.flatten = False
        sb.hwm = sb.equity
        self.state.money_version += 1
        self._emit(
            RiskAction(t, L2, "manual", float(old), float(_ACTIVE), l2.RESTART, strategy,
                       f"by={by}: {reason}; high-water mark rebased to equity "
                       f"{sb.equity / MICROS:g} (was {old_hwm / MICROS:g})")
        )

    # --- layer 3 ---------------------------------------------------------------------------

    def _check_portfolio(self, symbol: str, t: int) -> None:
        if self._l3:
            for breach in self.portfolio.exposure(self.state, symbol):
                self._portfolio_actions(breach, t)
        if self._l4:
            ks_breach = self.kill_switch.drawdown(self.state.equity, self.state.hwm)
            if ks_breach is not None:
                self._engage(t, "risk", ks_breach)

    def _sample_var(self, t: int) -> None:
        for breach in self.portfolio.sample(self.state, t):
            self._portfolio_actions(breach, t)

    def _portfolio_actions(self, breach: Breach, t: int) -> None:
        if not self._l3:
            return  # VaR and ES are still sampled (the snapshot shows them); nothing acts
        p = self.matrix.portfolio
        for action in l3.actions_for(breach.rule, p):
            if action == "reduce_gross":
                targets = l3.reduction_targets(self.state, p.reduce_fraction)
                self.portfolio.targets.update(targets)
                self._action(
                    t, L3, breach, "", l3.REDUCE_GROSS,
                    f"{breach.detail} fraction={p.reduce_fraction} positions={len(targets)}",
                )
            elif action == "reduce_only" and not self.portfolio.reduce_only:
                self.portfolio.reduce_only = True
                self._action(t, L3, breach, "", l3.REDUCE_ONLY)
                for rec in list(self.state.orders.values()):
                    if not _reduces(rec):
                        self._cancel(rec, t)

    def clear_portfolio_reduce_only(self, by: str, reason: str) -> None:
        self._authorise(by, reason)
        self.portfolio.reduce_only = False
        self._emit(
            RiskAction(self.clock.now_ns(), L3, "manual", 1.0, 0.0, l3.CLEAR_REDUCE_ONLY, "",
                       f"by={by}: {reason}")
        )

    # --- layer 4 ---------------------------------------------------------------------------

    def kill(self, by: str, reason: str) -> None:
        """The operator's kill: cancel everything everywhere, block everything after."""
        if not by.strip() or not reason.strip():
            raise ValueError(f"kill needs who and why: by={by!r} reason={reason!r}")
        self._engage(self.clock.now_ns(), by, Breach("manual", 1, 0, KILL, reason))

    def _engage(self, t: int, by: str, breach: Breach) -> None:
        reason = f"{breach.rule}: {breach.detail}" if breach.detail else breach.rule
        if not self.kill_switch.engage(t, by, reason):
            return
        self._action(t, L4, breach, "", KILL, f"by={by}: {reason}")
        self._emit(KillSwitchEvent(t, True, by, reason))
        # every open order on every venue, in flight or working, halted venue or not
        for rec in list(self.state.orders.values()):
            self._cancel(rec, t)

    def reset(self, by: str, reason: str) -> bool:
        """An authorised reset. True if the kill switch is off now; False if it stays on until
        the cool-down after a venue's reopen ends (then the first event releases it)."""
        t = self.clock.now_ns()
        released = self.kill_switch.request_reset(t, by, reason)
        if released:
            self._released(t, by, reason)
        else:
            at = self.kill_switch.release_at()
            self._emit(
                RiskAction(t, L4, "cooldown", float(t), float(at if at is not None else -1),
                           RESET_PENDING, "", f"by={by}: {reason}")
            )
        return released

    def _maybe_release(self, t: int) -> bool:
        if self.kill_switch.release_due(t):
            by, reason = self.kill_switch.release()
            self._released(t, by, reason)
            return True
        return False

    def _released(self, t: int, by: str, reason: str) -> None:
        self._emit(RiskAction(t, L4, "manual", 1.0, 0.0, RESET, "", f"by={by}: {reason}"))
        self._emit(KillSwitchEvent(t, False, by, reason))

    # --- shared ----------------------------------------------------------------------------

    def _authorise(self, by: str, reason: str) -> None:
        if by not in self.matrix.kill_switch.authorised:
            raise PermissionError(f"by={by!r} is not an authorised operator")
        if not reason.strip():
            raise ValueError("reason='' : a manual risk decision must say why")

    def _action(
        self, t: int, layer: str, breach: Breach, strategy: str, action: str = "",
        detail: str = "",
    ) -> None:
        self._emit(
            RiskAction(t, layer, breach.rule, float(breach.value), float(breach.limit),
                       action or breach.action, strategy, detail or breach.detail)
        )

    def _cancel(self, rec: OrderRecord, t: int) -> None:
        """Ask the venue to cancel, once; an order not yet acknowledged is cancelled on its ack."""
        if rec.cancel == 2:
            return
        if not rec.acked and not rec.order_id:
            rec.cancel = 1
            return
        rec.cancel = 2
        self.state.session(rec.venue).cancels.take(t)  # drawn on, never blocking
        self._cancel_sink(
            CancelOrder(t, rec.venue, rec.book.market.symbol, rec.order_id, rec.owner)
        )


def _reduced(rec: OrderRecord, qty: int) -> bool:
    """The fill of qty lots just booked on rec moved its position toward zero (or to it)."""
    pos = rec.book.pos
    return abs(pos) < abs(pos - rec.side * qty)


def _reduces(rec: OrderRecord) -> bool:
    """A working order that, filled, moves its position toward zero."""
    return rec.side * rec.book.pos < 0

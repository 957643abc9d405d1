"""What a run's journal must show, checked from the journal alone.

    violations = check_journal("runs/may6-1/journal.sqlite")   # [] when the run was sound

Each invariant is judged on what the system knew when it acted - the venue statuses and
LULD bands its feeds had delivered, the risk decisions it had journaled - in journal order:

- no_order_while_halted: no order to a venue while the system's last word on that venue
  (and instrument) was "halted" or "paused".
- no_order_outside_band: no order priced outside the last published LULD band.
- no_order_after_kill: from a kill-switch engagement to its reset, no new order.
- kill_cancels_every_order: every order open when the kill switch engaged has ended (cancelled,
  or filled, expired or rejected on its way) within `CANCEL_DEADLINE_NS`.
- halted_strategy_sends_nothing: from a strategy's halt (layer 2 "halt_strategy") to its
  restart, no order of that strategy; once layer 2 has said it unwinds the strategy
  ("flatten_strategy"), only orders that reduce its position: each, with the strategy's other
  open orders on that side, no larger than the position (from the journal's own fills).
- no_self_trade: no order of ours cancelled by a venue's self-trade prevention (two of our
  orders met: the router must not aim at, or post into, our own).
- every_order_accounted: every order the router decided to send was either submitted or
  rejected by a risk layer with its rule; every risk rejection names its layer and rule and
  goes with its RiskAction; every report is about a submitted order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import (
    Event,
    KillSwitch,
    LuldBand,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    RiskAction,
    RouteDecision,
    VenueStatus,
)
from flashguard.journal.store import read
from flashguard.run.orders import ORDER_TYPES, OpenOrders
from flashguard.system.risk.layers import LAYERS

BLOCKED = frozenset({"halted", "paused"})
CANCEL_DEADLINE_NS = NS_PER_SECOND  # a cancel's round trip is well under a millisecond
SENDING = frozenset({"child", "probe"})  # the router's decisions to send an order
HALT = "halt_strategy"
FLATTEN = "flatten_strategy"
SELF_TRADE = "self_trade"  # the matching engine's cancel reason
RESTART = "restart_strategy"
_KINDS = (*ORDER_TYPES, "order_accepted", "venue_status", "luld_band", "risk_action",
          "kill_switch", "route_decision")


@dataclass(frozen=True, slots=True)
class Violation:
    seq: int
    t_ns: int
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"seq={self.seq} t_ns={self.t_ns} {self.invariant}: {self.detail}"


class _Checker:
    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.orders = OpenOrders()
        self.status: dict[tuple[str, str], str] = {}  # (venue, instrument or "") -> status
        self.band: dict[str, tuple[int, int]] = {}
        self.killed_at: int | None = None
        self.kill_pending: set[str] = set()
        self.kill_deadline = 0
        self.halted: set[str] = set()
        self.flattening: set[str] = set()
        self.position: Counter[tuple[str, str]] = Counter()  # (strategy, instrument) -> lots
        self.leaves: dict[str, int] = {}  # cid -> lots still open, once it has filled
        self.sending: dict[str, tuple[int, int]] = {}  # cid -> (seq, t) of the router's decision
        self.risk_rejected: set[str] = set()
        self.reject_actions: Counter[tuple[int, str, str]] = Counter()
        self.reject_orders: Counter[tuple[int, str, str]] = Counter()
        self.seq = 0
        self.t = 0

    def flag(self, invariant: str, detail: str) -> None:
        self.violations.append(Violation(self.seq, self.t, invariant, detail))

    def on_event(self, seq: int, ev: Event) -> None:
        self.seq, self.t = seq, ev.t_ns
        if self.kill_pending and ev.t_ns > self.kill_deadline:
            self._overdue()
        kind = type(ev)
        if kind is OrderSubmitted:
            assert isinstance(ev, OrderSubmitted)
            self._submitted(ev)
        elif kind is VenueStatus:
            assert isinstance(ev, VenueStatus)
            if not ev.instrument:  # the whole venue (a lost session)
                for key in [k for k in self.status if k[0] == ev.venue]:
                    del self.status[key]
            self.status[(ev.venue, ev.instrument)] = ev.status
        elif kind is LuldBand:
            assert isinstance(ev, LuldBand)
            if 0 < ev.lower <= ev.upper:
                self.band[ev.instrument] = (ev.lower, ev.upper)
        elif kind is KillSwitch:
            assert isinstance(ev, KillSwitch)
            self._kill_switch(ev)
        elif kind is RiskAction:
            assert isinstance(ev, RiskAction)
            self._risk_action(ev)
        elif kind is RouteDecision:
            assert isinstance(ev, RouteDecision)
            if ev.decision in SENDING:
                self._route(ev)
        elif kind is OrderRejected:
            assert isinstance(ev, OrderRejected)
            self._rejected(ev)
        elif kind in (OrderAccepted, OrderFilled, OrderCancelled, OrderExpired):
            cid: str = ev.client_order_id  # type: ignore[attr-defined]
            if kind is OrderFilled and cid in self.orders.open:
                assert isinstance(ev, OrderFilled)
                order = self.orders.open[cid]
                self.position[(order.strategy, order.instrument)] += ev.side * ev.qty
                self.leaves[cid] = ev.leaves_qty
            if cid not in self.orders.submitted:
                self.flag("every_order_accounted", f"{kind.__name__} for {cid!r}, never submitted")
            elif kind is OrderCancelled and ev.reason == SELF_TRADE:  # type: ignore[attr-defined]
                self.flag("no_self_trade", f"{cid!r} cancelled by self-trade prevention")
        self.orders.on_event(ev)
        if self.kill_pending:
            self.kill_pending &= self.orders.open.keys()

    # --- the invariants ------------------------------------------------------------------

    def _submitted(self, ev: OrderSubmitted) -> None:
        cid = ev.client_order_id
        for key in ((ev.venue, ev.instrument), (ev.venue, "")):
            status = self.status.get(key)
            if status in BLOCKED:
                self.flag("no_order_while_halted", f"{cid} to {ev.venue} while {status}")
        band = self.band.get(ev.instrument)
        if band is not None and ev.price and not band[0] <= ev.price <= band[1]:
            self.flag("no_order_outside_band",
                      f"{cid} at {ev.price} outside the band {band[0]}..{band[1]}")
        if self.killed_at is not None:
            self.flag("no_order_after_kill",
                      f"{cid} sent after the kill switch engaged at t_ns={self.killed_at}")
        if ev.strategy in self.halted:
            self._from_halted(ev)
        if self.sending.pop(cid, None) is None:
            self.flag("every_order_accounted", f"{cid} submitted without a routing decision")

    def _from_halted(self, ev: OrderSubmitted) -> None:
        cid = ev.client_order_id
        if ev.strategy not in self.flattening:
            self.flag("halted_strategy_sends_nothing", f"{cid} from HALTED {ev.strategy}")
            return
        pos = self.position[(ev.strategy, ev.instrument)]
        working = sum(
            self.leaves.get(c, o.qty) for c, o in self.orders.open.items()
            if o.strategy == ev.strategy and o.instrument == ev.instrument and o.side == ev.side
        )
        if ev.side * pos >= 0 or working + ev.qty > abs(pos):
            self.flag("halted_strategy_sends_nothing",
                      f"{cid} from HALTED {ev.strategy}: {ev.side * ev.qty:+d} lots with "
                      f"{working} working on that side does not only reduce position {pos:+d}")

    def _kill_switch(self, ev: KillSwitch) -> None:
        if ev.engaged and self.killed_at is None:
            self.killed_at = ev.t_ns
            self.kill_pending = set(self.orders.open)
            self.kill_deadline = ev.t_ns + CANCEL_DEADLINE_NS
        elif not ev.engaged:
            self.killed_at = None

    def _overdue(self) -> None:
        for cid in sorted(self.kill_pending):
            self.flag("kill_cancels_every_order",
                      f"{cid} still open {CANCEL_DEADLINE_NS} ns after the kill switch engaged")
        self.kill_pending.clear()

    def _risk_action(self, ev: RiskAction) -> None:
        if ev.layer == "L2" and ev.strategy:
            if ev.action == HALT:
                self.halted.add(ev.strategy)
            elif ev.action == FLATTEN:
                self.flattening.add(ev.strategy)
            elif ev.action == RESTART:
                self.halted.discard(ev.strategy)
                self.flattening.discard(ev.strategy)
        if ev.action == "reject":
            self.reject_actions[(ev.t_ns, ev.layer, ev.rule)] += 1

    def _route(self, ev: RouteDecision) -> None:
        cid = ev.detail.split(" ", 1)[0]
        if not cid.startswith(ev.parent_id + "/"):
            self.flag("every_order_accounted",
                      f"route decision {ev.decision} of {ev.parent_id}: no order id in "
                      f"{ev.detail!r}")
        elif " refused " in ev.detail:
            if cid not in self.risk_rejected:
                self.flag("every_order_accounted",
                          f"{cid} refused ({ev.detail}) without a risk rejection")
        else:
            self.sending[cid] = (self.seq, self.t)

    def _rejected(self, ev: OrderRejected) -> None:
        cid = ev.client_order_id
        if ev.layer or ev.rule:
            if ev.layer not in LAYERS or not ev.rule:
                self.flag("every_order_accounted",
                          f"{cid} rejected with layer={ev.layer!r} rule={ev.rule!r}")
            self.risk_rejected.add(cid)
            self.reject_orders[(ev.t_ns, ev.layer, ev.rule)] += 1
        elif cid not in self.orders.submitted:
            self.flag("every_order_accounted",
                      f"{cid} rejected by {ev.venue or 'no venue'} ({ev.reason}) without "
                      "a layer and rule, and never submitted")

    def finish(self) -> list[Violation]:
        if self.kill_pending and self.t > self.kill_deadline:
            self._overdue()
        for cid, (seq, t) in sorted(self.sending.items(), key=lambda kv: kv[1]):
            self.violations.append(Violation(seq, t, "every_order_accounted",
                                              f"{cid} routed but never submitted"))
        unmatched = (self.reject_actions - self.reject_orders) + (
            self.reject_orders - self.reject_actions)
        for (t, layer, rule), n in sorted(unmatched.items()):
            self.violations.append(Violation(0, t, "every_order_accounted",
                                             f"{n} {layer} {rule} rejection(s) at t_ns={t} "
                                             "without their pair (RiskAction + OrderRejected)"))
        return sorted(self.violations, key=lambda v: (v.seq, v.t_ns))


def check_journal(path: str | Path) -> list[Violation]:
    """Every violation of the invariants above in a run's journal, in journal order."""
    checker = _Checker()
    for seq, ev in read(path, kinds=_KINDS):
        checker.on_event(seq, ev)
    return checker.finish()

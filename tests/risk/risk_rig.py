"""Shared builders for the risk tests (imported by name; pytest puts this folder on the path): a matrix with chosen overrides, a gate that records what
it emits and cancels, orders, and market events."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from flashguard.core.clock import SimClock
from flashguard.core.events import (
    CancelOrder,
    Event,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    Quote,
    RiskAction,
    Trade,
)
from flashguard.core.instruments import Instrument
from flashguard.core.orders import OrderType, TimeInForce
from flashguard.system.risk import RiskGate, RiskOrder, parse_matrix
from flashguard.system.risk.params import RiskMatrix, default_matrix_path

LIMIT = int(OrderType.LIMIT)
MARKET = int(OrderType.MARKET)
DAY = int(TimeInForce.DAY)
SEC = 1_000_000_000
MS = 1_000_000

# tick 0.01, lot 1, multiplier 1: one tick-lot is one cent, so currency limits read plainly
INSTRUMENTS = {
    "ABC": Instrument("ABC", tick_size="0.01"),
    "XYZ": Instrument("XYZ", tick_size="0.01"),
    "ES": Instrument("ES", tick_size="0.25", multiplier="50"),
}

with open(default_matrix_path(), "rb") as _f:
    DEFAULT_RAW: dict[str, Any] = tomllib.load(_f)


def raw_matrix(**sections: dict[str, Any]) -> dict[str, Any]:
    """The default matrix with some keys of some tables replaced, e.g.
    raw_matrix(strategy_defaults={"max_order_qty": 10})."""
    raw = copy.deepcopy(DEFAULT_RAW)
    for section, values in sections.items():
        if section in raw and isinstance(raw[section], dict) and section not in (
            "strategies", "venues", "instruments"
        ):
            raw[section].update(values)
        else:
            raw[section] = values
    return raw


def matrix(**sections: dict[str, Any]) -> RiskMatrix:
    return parse_matrix(raw_matrix(**sections), "test")


# a permissive base for tests that probe one rule: everything else far out of the way
ROOMY = {
    "max_order_qty": 1_000,
    "max_order_notional": 10**9,
    "max_open_orders": 10_000,
    "max_position": 100_000,
    "capital": 10**9,
    "drawdown_reduce": 10**8,
    "drawdown_halt": 2 * 10**8,
    "max_messages": 10**6,
    "max_executions": 10**6,
    "duplicate_window_ms": 0,
    "collar_bps": 500,
    "fat_finger_bps": 2_000,
    "vol_level1_bps": 10_000.0,
    "vol_level2_bps": 20_000.0,
}


class Rig:
    """A gate on a sim clock, with everything it emits and every cancel it sends recorded."""

    def __init__(self, m: RiskMatrix, kill_state_path: Path | None = None,
                 emit_accepts: bool = False, disabled: frozenset[str] = frozenset()) -> None:
        self.clock = SimClock(0)
        self.events: list[Event] = []
        self.cancels: list[CancelOrder] = []
        self.matrix = m
        self.gate = RiskGate(
            m, INSTRUMENTS, self.clock, emit=self.events.append,
            cancel_sink=self.cancels.append, kill_state_path=kill_state_path,
            emit_accepts=emit_accepts, disabled=disabled,
        )
        self._n = 0

    def at(self, t_ns: int) -> Rig:
        self.clock.advance_to(t_ns)
        return self

    def feed(self, *events: Event) -> None:
        for ev in events:
            if ev.t_ns > self.clock.now_ns():
                self.clock.advance_to(ev.t_ns)
            self.gate.on_event(ev)

    def market(self, symbol: str, bid: int, ask: int, last: int | None = None,
               t: int | None = None, venue: str = "ALL") -> None:
        t = self.clock.now_ns() if t is None else t
        self.feed(Quote(t, venue, symbol, bid, 10 if bid else 0, ask, 10 if ask else 0))
        if last is not None:
            self.feed(Trade(t, "XNAS", symbol, 0, last, 1, 1, 0, 0))

    def order(self, side: int = 1, price: int = 10_000, qty: int = 1, *,
              strategy: str = "s1", venue: str = "XNAS", instrument: str = "ABC",
              order_type: int = LIMIT, t: int | None = None, cid: str | None = None,
              replaces: str = "", order_id: int | None = None, parent: str = "") -> RiskOrder:
        self._n += 1
        return RiskOrder(
            strategy, venue, instrument, cid or f"o{self._n}", side, order_type, DAY, price, qty,
            self.clock.now_ns() if t is None else t, replaces,
            self._n if order_id is None else order_id, 7, parent,
        )

    def send(self, o: RiskOrder, ack: bool = True) -> RiskOrder:
        """Check an order that must pass, and acknowledge it as the venue would."""
        r = self.gate.check(o)
        assert r is None, r
        if ack and not o.replaces:
            self.feed(OrderAccepted(o.t_ns, o.venue, o.instrument, o.order_id,
                                    o.client_order_id, o.owner, o.side, o.order_type, o.tif,
                                    o.price, o.qty))
        return o

    def fill(self, o: RiskOrder, qty: int | None = None, price: int | None = None,
             leaves: int | None = None, t: int | None = None) -> None:
        q = o.qty if qty is None else qty
        self.feed(OrderFilled(
            self.clock.now_ns() if t is None else t, o.venue, o.instrument, o.order_id,
            o.client_order_id, o.owner, o.side, o.price if price is None else price, q,
            (o.qty - q) if leaves is None else leaves, False, 0,
        ))

    def actions(self, action: str | None = None) -> list[RiskAction]:
        return [e for e in self.events if isinstance(e, RiskAction)
                and (action is None or e.action == action)]

    def rejections(self) -> list[OrderRejected]:
        return [e for e in self.events if isinstance(e, OrderRejected)]


# a matrix where every limit is within reach of a short random session (the C/Python parity tests)
TIGHT = matrix(
    strategy_defaults={**ROOMY, "max_order_qty": 10, "max_open_orders": 6, "max_position": 25,
                       "max_messages": 12, "message_window_ms": 1_000, "duplicate_window_ms": 50,
                       "drawdown_reduce": 1, "drawdown_halt": 40, "max_executions": 6},
    kill_switch={"max_messages": 60, "message_window_ms": 1_000, "cooldown_after_reopen_s": 1},
    venue_defaults={"max_msgs_per_s": 20, "burst": 6, "cancel_msgs_per_s": 100,
                    "cancel_burst": 50},
    portfolio={"max_gross": 500, "on_gross_breach": ["reduce_only"]},
)

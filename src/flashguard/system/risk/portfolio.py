"""Layer 3, portfolio: all strategies together. Limits on the book as a whole, not an
accounting of it (that is flashguard.system.portfolio; risk's positions are in ledger.py).

Exposure (gross, net, concentration by instrument) is kept incrementally in `RiskState` and
checked whenever a fill or a mark changes it. VaR and ES are of the current portfolio over
the history of mark changes: every `var_interval_ms` the marks are sampled; the P&L
scenarios are the sampled changes applied to today's net positions (historical simulation),
so a sample costs O(window x instruments held), once per interval, never per event.

A breach fires its actions once, when the limit is first crossed, and re-arms when the value
is back within the limit: `reduce_gross` (every position to be cut by a set fraction; a
directive the strategy engine executes, listed by `targets`), and `reduce_only` (the whole
portfolio reduce-only until an explicit, journaled clear).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from numpy.typing import NDArray

from flashguard.system.risk.limits import MICROS, OrderLimits
from flashguard.system.risk.params import Action, PortfolioParams
from flashguard.system.risk.state import RiskState, View
from flashguard.system.risk.strategy import reduce_room
from flashguard.system.risk.types import L3, Breach, Rejection, RiskOrder
from flashguard.system.risk.var import var_es

REDUCE_GROSS = "reduce_gross"
REDUCE_ONLY = "portfolio_reduce_only"
CLEAR_REDUCE_ONLY = "clear_portfolio_reduce_only"


def portfolio_reduce_only(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """While the portfolio is reduce-only every order must move its position toward zero."""
    room = reduce_room(o, v)
    if o.qty > room:
        return Rejection(L3, "reduce_only", o.qty, max(room, 0), "lots that reduce")
    return None


# --- exposure --------------------------------------------------------------------------------


def gross_exposure(state: RiskState, p: PortfolioParams) -> Breach | None:
    if state.gross > p.max_gross * MICROS:
        return Breach("gross", state.gross / MICROS, p.max_gross, "")
    return None


def net_exposure(state: RiskState, p: PortfolioParams) -> Breach | None:
    if abs(state.net) > p.max_net * MICROS:
        return Breach("net", abs(state.net) / MICROS, p.max_net, "")
    return None


def concentration(state: RiskState, symbol: str, p: PortfolioParams) -> Breach | None:
    share = abs(state.exposure.get(symbol, 0)) / (p.capital * MICROS)
    if share > p.max_concentration:
        return Breach("concentration", share, p.max_concentration, "", symbol)
    return None


# --- VaR of the current portfolio -------------------------------------------------------------


class MarkHistory:
    """Marks sampled at a fixed interval; an interval with no sample repeats the last one."""

    __slots__ = ("interval_ns", "next_t", "snapshots")

    def __init__(self, interval_ns: int, window: int) -> None:
        self.interval_ns = interval_ns
        self.next_t: int | None = None
        self.snapshots: deque[dict[str, int]] = deque(maxlen=window + 1)

    @property
    def samples(self) -> int:
        return max(0, len(self.snapshots) - 1)

    def due(self, t_ns: int) -> bool:
        return self.next_t is None or t_ns >= self.next_t

    def sample(self, t_ns: int, marks: dict[str, int]) -> None:
        snaps = self.snapshots
        if self.next_t is None or not snaps:
            snaps.append(marks)
            self.next_t = t_ns + self.interval_ns
            return
        missed = (t_ns - self.next_t) // self.interval_ns
        for _ in range(min(missed, snaps.maxlen or 0)):
            snaps.append(snaps[-1])
        snaps.append(marks)
        self.next_t += (missed + 1) * self.interval_ns

    def pnl(self, per_tick: dict[str, float]) -> NDArray[np.float64]:
        """P&L per interval of holdings given as currency per tick of mark, per instrument."""
        snaps = self.snapshots
        out = np.zeros(max(0, len(snaps) - 1))
        for symbol, value in per_tick.items():
            series = np.array([s.get(symbol, 0) for s in snaps], dtype=np.float64)
            priced = np.flatnonzero(series)
            if priced.size == 0:
                continue
            series[: priced[0]] = series[priced[0]]  # before its first mark: no change
            out += np.diff(series) * value
        return out


def holdings_per_tick(state: RiskState) -> dict[str, float]:
    return {
        symbol: lots * state.markets[symbol].tick_value / MICROS
        for symbol, lots in state.net_pos.items()
        if lots
    }


def var_breaches(pnl: NDArray[np.float64], p: PortfolioParams) -> tuple[float, float, list[Breach]]:
    var, es = var_es(pnl, p.var_method, p.var_confidence, p.es_confidence, p.ewma_lambda)
    breaches = []
    if var > p.max_var:
        breaches.append(Breach("var", var, p.max_var, "", f"{p.var_method} {p.var_confidence}"))
    if es > p.max_es:
        breaches.append(Breach("es", es, p.max_es, "", f"{p.var_method} {p.es_confidence}"))
    return var, es, breaches


# --- actions ---------------------------------------------------------------------------------


def actions_for(rule: str, p: PortfolioParams) -> list[Action]:
    return {
        "var": p.on_var_breach,
        "es": p.on_es_breach,
        "gross": p.on_gross_breach,
        "net": p.on_net_breach,
        "concentration": p.on_concentration_breach,
    }[rule]


def reduction_targets(state: RiskState, fraction: float) -> dict[tuple[str, str], int]:
    """Each of the desk's positions cut by the fraction (at least one lot), toward zero (a
    client's order is the client's position: not the desk's to cut)."""
    targets = {}
    for sb in state.strategies.values():
        if sb.agency:
            continue
        for symbol, pb in sb.positions.items():
            if pb.pos:
                cut = math.ceil(abs(pb.pos) * fraction - 1e-9)
                targets[(sb.name, symbol)] = pb.pos - cut if pb.pos > 0 else pb.pos + cut
    return targets


class PortfolioRisk:
    """The layer's own memory: which limits are breached, whether reduce-only is on, the
    reduction targets in force, and the sampled marks."""

    __slots__ = ("_breached", "es", "history", "params", "reduce_only", "targets", "var")

    def __init__(self, params: PortfolioParams) -> None:
        self.params = params
        self.reduce_only = False
        self.targets: dict[tuple[str, str], int] = {}
        self.history = MarkHistory(params.var_interval_ms * 1_000_000, params.var_window)
        self.var = 0.0
        self.es = 0.0
        self._breached: set[str] = set()

    def latch(self, key: str, breach: Breach | None) -> Breach | None:
        """The breach if it is new; None if absent or already acted on."""
        if breach is None:
            self._breached.discard(key)
            return None
        if key in self._breached:
            return None
        self._breached.add(key)
        return breach

    def exposure(self, state: RiskState, symbol: str) -> list[Breach]:
        p = self.params
        found = [
            self.latch("gross", gross_exposure(state, p)),
            self.latch("net", net_exposure(state, p)),
            self.latch("concentration:" + symbol, concentration(state, symbol, p)),
        ]
        return [b for b in found if b is not None]

    def sample(self, state: RiskState, t_ns: int) -> list[Breach]:
        """Take the interval's mark snapshot; judge VaR and ES once there is enough history."""
        h = self.history
        h.sample(t_ns, {s: m.mark for s, m in state.markets.items() if m.mark})
        if h.samples < self.params.var_min_samples:
            return []
        self.var, self.es, breaches = var_breaches(h.pnl(holdings_per_tick(state)), self.params)
        by_rule = {b.rule: b for b in breaches}
        found = [self.latch(rule, by_rule.get(rule)) for rule in ("var", "es")]
        return [b for b in found if b is not None]

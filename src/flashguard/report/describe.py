"""Words for what the journal recorded: clock times, prices, and each risk decision as a line a
reader of the timeline understands without the code ("L2 momentum -> REDUCING (drawdown ...)")."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.core.events import KillSwitch, RegimeChange, RiskAction, RouteDecision

# What each action does to the one it acts on, in the words of the design's state machines.
ACTION_LABEL = {
    "reduce_only": "REDUCING",
    "halt_strategy": "HALTED",
    "flatten_strategy": "flatten",
    "reduce_size": "size cut",
    "restore_size": "size restored",
    "restart_strategy": "ACTIVE (restart)",
    "reduce_gross": "reduce gross",
    "portfolio_reduce_only": "REDUCE-ONLY",
    "clear_portfolio_reduce_only": "reduce-only cleared",
    "kill": "KILL SWITCH ENGAGED",
    "reset": "kill switch reset",
    "reset_pending": "reset pending",
    "reject": "reject",
}
# Actions that undo a defence: they end an episode rather than start one.
RECOVERY_ACTIONS = frozenset(
    {"restore_size", "restart_strategy", "clear_portfolio_reduce_only", "reset", "reset_pending"}
)
_UNIT = {"volatility": " bps"}


def hhmm(t_ns: int) -> str:
    """Exchange time of day: simulated t_ns counts nanoseconds since midnight."""
    minutes = t_ns // NS_PER_MINUTE
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hhmmss(t_ns: int) -> str:
    seconds = t_ns // NS_PER_SECOND
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def number(x: float) -> str:
    """Short and exact enough for a table cell: 12,500 / 2.15 / 0.0312."""
    if math.isnan(x):
        return "n/a"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def price(ticks: float, tick_size: Decimal | None) -> str:
    if math.isnan(ticks):
        return "n/a"
    if tick_size is None:
        return f"{round(ticks):,} ticks"
    places = max(0, -tick_size.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"{Decimal(round(ticks)) * tick_size:,.{places}f}"


def ticks(x: float, tick_size: Decimal | None) -> str:
    """A price difference (a spread)."""
    if math.isnan(x):
        return "n/a"
    if tick_size is None:
        return f"{round(x)}t"
    return f"{round(x)}t ({price(x, tick_size)})"


def who(a: RiskAction) -> str:
    if a.strategy:
        return a.strategy
    return {"L3": "portfolio", "L4": "all"}.get(a.layer, a.layer)


def risk_action(a: RiskAction) -> str:
    label = ACTION_LABEL.get(a.action, a.action)
    head = f"{a.layer} {who(a)} -> {label}"
    if a.rule == "manual" or a.action == "flatten_strategy":  # the detail says it all
        return f"{head} ({a.detail})" if a.detail else head
    if a.rule == "cooldown":
        return f"{head} (cool-down until {hhmmss(int(a.limit))})" if a.limit >= 0 else head
    unit = _UNIT.get(a.rule, "")
    cmp = "<=" if a.action in RECOVERY_ACTIONS else ">"
    why = f"{a.rule} {number(a.value)}{unit} {cmp} {number(a.limit)}{unit}"
    if a.detail and len(a.detail) <= 40 and not a.detail.startswith("by="):
        why += f", {a.detail}"
    return f"{head} ({why})"


def kill_switch(k: KillSwitch) -> str:
    if k.engaged:
        return f"L4 KILL SWITCH ENGAGED by {k.by}: {k.reason}"
    return f"L4 kill switch reset by {k.by}: {k.reason}"


def regime(r: RegimeChange) -> str:
    return f"{r.strategy} -> {r.mode} mode ({r.reason})" if r.reason else f"{r.strategy} -> {r.mode} mode"


def counted(items: Iterable[str]) -> str:
    """'a×3, b' in order of first appearance."""
    c = Counter(items)
    return ", ".join(k if n == 1 else f"{k}×{n}" for k, n in c.items())


def routes(decisions: Iterable[RouteDecision]) -> str:
    return f"SOR {counted(d.decision for d in decisions)}"

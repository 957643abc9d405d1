"""summary.json: what a run did, in numbers, computed from its journal.

    {"scenario", "seed", "wall_seconds", "events",
     "market": the market.json fields (`flashguard.market.results.market_result`),
     "system": {"starting_capital", "final_equity", "pnl", "max_drawdown_pct",
                "orders_sent", "orders_rejected": {"L1": n, ... "L4": n}, "fills",
                "actions": [{"t_ns", "layer", "rule", "value", "limit", "action",
                             "strategy"}],
                "kill_switch": {"engaged_at_ns", "open_orders_at_engage",
                                "all_cancelled_at_ns"}},
     "ablation": [] or [{"disabled", "pnl", "max_drawdown_pct"}]}

Equity, P&L and drawdown are the portfolio marked to market, from the system's snapshots
(the last one, and the deepest drawdown from the high-water mark of any). "actions" are the
defences' decisions - state changes, reductions, kills, resets; per-order rejections are
counted in "orders_rejected" instead of listed. The kill-switch block reads the first
engagement: the system's orders open at that moment, and when the last of them ended.
Everything but "wall_seconds" (and the market's own) is a function of the journal, so a
resumed run writes the same summary as an uninterrupted one.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from flashguard.core.events import (
    KillSwitch,
    OrderFilled,
    OrderRejected,
    PortfolioSnapshot,
    RiskAction,
)
from flashguard.journal.store import open_journal, read
from flashguard.run.orders import ORDER_TYPES, OpenOrders
from flashguard.system.risk.layers import LAYERS

NOT_ACTIONS = frozenset({"accept", "reject"})
_KINDS = (*ORDER_TYPES, "kill_switch", "risk_action", "snapshot")


def summarize(
    journal: Path, *, scenario: str, seed: int, capital: float, market: dict[str, Any],
    wall_seconds: float, events: int | None = None,
) -> dict[str, Any]:
    """`events`: how many the run produced, when the caller knows (a partial journal, see
    run/recorder.py, holds fewer rows); else the journal's row count."""
    if events is None:
        db = open_journal(journal)
        try:
            (events,) = db.execute("SELECT COUNT(*) FROM events").fetchone()
        finally:
            db.close()
    return {
        "scenario": scenario,
        "seed": seed,
        "wall_seconds": round(wall_seconds, 3),
        "events": int(events),
        "market": market,
        "system": system_summary(journal, capital),
        "ablation": [],
    }


def system_summary(journal: Path, capital: float) -> dict[str, Any]:
    orders = OpenOrders()
    rejected = dict.fromkeys(LAYERS, 0)
    fills = 0
    actions: list[dict[str, Any]] = []
    last: PortfolioSnapshot | None = None
    max_dd = 0.0
    engaged_at: int | None = None
    open_at_engage = 0
    all_cancelled_at: int | None = None
    for _, ev in read(journal, kinds=_KINDS):
        kind = type(ev)
        orders.on_event(ev)
        if kind is PortfolioSnapshot:
            assert isinstance(ev, PortfolioSnapshot)
            last = ev
            max_dd = max(max_dd, ev.drawdown_pct)
        elif kind is RiskAction:
            assert isinstance(ev, RiskAction)
            if ev.action not in NOT_ACTIONS:
                actions.append({
                    "t_ns": ev.t_ns, "layer": ev.layer, "rule": ev.rule,
                    "value": _number(ev.value), "limit": _number(ev.limit), "action": ev.action,
                    "strategy": ev.strategy or None,  # None: a portfolio or venue decision
                })
        elif kind is OrderRejected:
            assert isinstance(ev, OrderRejected)
            if ev.layer in rejected:
                rejected[ev.layer] += 1
        elif kind is KillSwitch:
            assert isinstance(ev, KillSwitch)
            if ev.engaged and engaged_at is None:
                engaged_at = ev.t_ns
                open_at_engage = len(orders.open)
        elif kind is OrderFilled:
            fills += 1
        if engaged_at is not None and all_cancelled_at is None and not orders.open:
            all_cancelled_at = ev.t_ns
    equity = last.equity if last is not None else capital
    return {
        "starting_capital": capital,
        "final_equity": _money(equity),
        "pnl": _money(equity - capital),
        "max_drawdown_pct": _number(max_dd),
        "orders_sent": len(orders.submitted),
        "orders_rejected": rejected,
        "fills": fills,
        "actions": actions,
        "kill_switch": {
            "engaged_at_ns": engaged_at,
            "open_orders_at_engage": open_at_engage,
            "all_cancelled_at_ns": all_cancelled_at,
        },
    }


def _money(x: float) -> float:
    return round(x, 2)


def _number(x: float) -> float | None:
    """Ten significant digits (a drawdown of a few currency units on a large capital is a
    tiny percentage, and must not round to zero); JSON has no NaN or infinity: NaN is null,
    +-inf the largest float."""
    if math.isnan(x):
        return None
    if math.isinf(x):
        return 1.7976931348623157e308 if x > 0 else -1.7976931348623157e308
    return float(f"{x:.10g}")

"""summary.json's system block from a journal written by hand: every number known."""

from __future__ import annotations

from pathlib import Path

from flashguard.core.events import (
    KillSwitch,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    PortfolioSnapshot,
    RiskAction,
)
from flashguard.journal.store import Journal
from flashguard.run.summary import system_summary

CAPITAL = 1_000_000


def _sub(t: int, cid: str) -> OrderSubmitted:
    return OrderSubmitted(t, "A", "X", "s", cid, 1, 1, 1, 100, 10)


def _snap(t: int, equity: float, dd: float) -> PortfolioSnapshot:
    return PortfolioSnapshot(t, equity, equity - CAPITAL, dd, 0, 0, 0, 0, 0, "active")


def _write(path: Path, events: list[object]) -> Path:
    with Journal(path) as j:
        for ev in events:
            j.append(ev)  # type: ignore[arg-type]
    return path


def test_the_system_block_counts_and_times_what_happened(tmp_path: Path) -> None:
    journal = _write(tmp_path / "j.sqlite", [
        _sub(1, "a"), _sub(2, "b"), _sub(3, "c"),
        OrderFilled(4, "A", "X", 1, "c", 1, 1, 100, 10, 0, False, 7),  # c done
        _snap(5, CAPITAL + 500.0, 0.0),
        OrderRejected(6, "", "X", 0, "p#9", 0, "limit", "L1", "max_qty"),
        OrderRejected(6, "", "X", 0, "p#10", 0, "limit", "L1", "collar"),
        OrderRejected(6, "A", "X", 5, "d", 1, "venue_halted"),  # a venue's: no layer
        RiskAction(6, "L1", "max_qty", 120.0, 100.0, "reject", "s"),
        RiskAction(7, "L2", "drawdown", 300.0, 250.0, "reduce_only", "s"),
        _snap(8, CAPITAL - 1_000.0, 0.149925),
        RiskAction(9, "L4", "drawdown", 2_100.0, 2_000.0, "kill"),
        KillSwitch(9, True, "risk", "drawdown"),  # a and b are open
        OrderRejected(10, "", "X", 0, "p#11", 0, "killed", "L4", "kill_switch"),
        OrderCancelled(11, "A", "X", 1, "a", 1, 10, "user"),
        OrderFilled(12, "A", "X", 2, "b", 1, 1, 100, 4, 6, False, 8),  # b still open
        OrderCancelled(13, "A", "X", 2, "b", 1, 6, "user"),  # now none
        _snap(14, CAPITAL - 800.0, 0.129935),
    ])
    s = system_summary(journal, CAPITAL)
    assert s["starting_capital"] == CAPITAL
    assert s["final_equity"] == CAPITAL - 800.0
    assert s["pnl"] == -800.0
    assert s["max_drawdown_pct"] == 0.149925
    assert s["orders_sent"] == 3
    assert s["orders_rejected"] == {"L1": 2, "L2": 0, "L3": 0, "L4": 1}
    assert s["fills"] == 2
    assert s["actions"] == [
        {"t_ns": 7, "layer": "L2", "rule": "drawdown", "value": 300.0, "limit": 250.0,
         "action": "reduce_only", "strategy": "s"},
        {"t_ns": 9, "layer": "L4", "rule": "drawdown", "value": 2100.0, "limit": 2000.0,
         "action": "kill", "strategy": None},
    ]
    assert s["kill_switch"] == {"engaged_at_ns": 9, "open_orders_at_engage": 2,
                                "all_cancelled_at_ns": 13}


def test_a_quiet_run_keeps_its_capital(tmp_path: Path) -> None:
    s = system_summary(_write(tmp_path / "j.sqlite", [_sub(1, "a")]), CAPITAL)
    assert (s["final_equity"], s["pnl"], s["max_drawdown_pct"]) == (CAPITAL, 0.0, 0.0)
    assert s["kill_switch"] == {"engaged_at_ns": None, "open_orders_at_engage": 0,
                                "all_cancelled_at_ns": None}


def test_a_kill_with_nothing_open_is_all_cancelled_at_once(tmp_path: Path) -> None:
    s = system_summary(_write(tmp_path / "j.sqlite", [KillSwitch(5, True, "risk", "x")]), CAPITAL)
    assert s["kill_switch"] == {"engaged_at_ns": 5, "open_orders_at_engage": 0,
                                "all_cancelled_at_ns": 5}

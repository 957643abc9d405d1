import json
import sqlite3
from pathlib import Path

from flashguard.core.events import KillSwitch, OrderFilled, RiskAction, Trade
from flashguard.journal.store import Journal, export_records, read


def test_roundtrip_in_order_with_seq(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    events = [
        Trade(1, "A", "ES", 1, 100, 2, 1, 10, 11),
        OrderFilled(1, "A", "ES", 10, "c", 3, -1, 100, 2, 0, True, 1),
        RiskAction(2, "L1", "max_qty", 12.0, 10.0, "reject", "mm"),
    ]
    with Journal(path) as j:
        for ev in events:
            j.append(ev)
    assert [e for _, e in read(path)] == events
    assert [s for s, _ in read(path)] == [1, 2, 3]
    rec = list(export_records(path))
    assert rec[2]["type"] == "risk_action" and rec[2]["layer"] == "L1" and rec[2]["seq"] == 3
    json.dumps(rec)


def test_risk_decisions_are_durable_at_once_but_fills_are_grouped(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path, group=100)
    j.append(Trade(1, "A", "ES", 1, 100, 2, 1, 10, 11))
    # Another connection (as after a crash) sees nothing yet: the trade is group-buffered.
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    j.append(KillSwitch(2, True, "ops", "test"))
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2
    j.close()


def test_a_trading_journal_fsyncs_and_the_laboratory_s_may_not(tmp_path: Path) -> None:
    """A run's journal commits risk decisions with synchronous=FULL (durable through a power
    cut); `fsync=False`, for the market laboratory's record, is NORMAL (through kill -9 only)."""
    with Journal(tmp_path / "run.sqlite") as run, \
            Journal(tmp_path / "lab.sqlite", fsync=False) as lab:
        full, normal = (j._db.execute("PRAGMA synchronous").fetchone()[0] for j in (run, lab))
    assert (full, normal) == (2, 1)  # SQLite's FULL and NORMAL


def test_reopen_continues_sequence(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        j.append(Trade(1, "A", "ES", 1, 100, 2, 1, 10, 11))
    with Journal(path) as j:
        assert j.append(Trade(2, "A", "ES", 2, 100, 2, 1, 10, 11)) == 2
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"

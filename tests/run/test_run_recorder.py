"""The recorder: what it commits at once, and how it checks a journal it resumes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from flashguard.core.events import Event, KillSwitch, Quote, RiskAction, Trade
from flashguard.journal.store import Journal
from flashguard.run.recorder import Recorder, ResumeDivergence
from flashguard.run.runner import GROUP


def _committed(path: Path) -> int:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    finally:
        db.close()


def _quote(t: int, bid: int = 99) -> Quote:
    return Quote(t, "A", "X", bid, 1, 101, 1)


def test_risk_decisions_and_kills_are_committed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path, group=GROUP) as journal:
        rec = Recorder(journal)
        rec(_quote(1))
        rec(_quote(2))
        assert _committed(path) == 0  # market data waits for its group
        rec(RiskAction(3, "L2", "drawdown", 2.0, 1.0, "halt_strategy", "s"))
        assert _committed(path) == 3  # the decision, and everything before it
        rec(_quote(4))
        rec(KillSwitch(5, True, "risk", "drawdown"))
        assert _committed(path) == 5


def _journal(path: Path, events: list[Event]) -> None:
    with Journal(path) as journal:
        rec = Recorder(journal)
        for ev in events:
            rec(ev)


def test_a_resume_checks_the_stored_rows_then_appends(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    events: list[Event] = [_quote(t) for t in range(1, 6)]
    _journal(path, events[:3])
    with Journal(path) as journal:
        rec = Recorder(journal)
        for ev in events:
            assert rec.verifying == (rec.seq < 3)
            rec(ev)
        rec.finish()
    assert _committed(path) == 5


def test_a_different_event_is_a_divergence_naming_the_seq(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    _journal(path, [_quote(1), _quote(2), _quote(3)])
    with Journal(path) as journal:
        rec = Recorder(journal)
        rec(_quote(1))
        with pytest.raises(ResumeDivergence, match=r"diverged at seq=2: the journal holds quote"):
            rec(_quote(2, bid=98))
    assert _committed(path) == 3  # nothing overwritten


def test_a_rerun_that_ends_early_is_a_divergence(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    _journal(path, [_quote(1), _quote(2)])
    with Journal(path) as journal:
        rec = Recorder(journal)
        rec(_quote(1))
        with pytest.raises(ResumeDivergence, match="ended after 1 events but the journal holds 2"):
            rec.finish()


def test_without_market_data_quotes_and_trades_take_a_seq_but_no_row(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    trade = Trade(3, "A", "X", 7, 100, 2, 1, 11, 12)
    with Journal(path, group=GROUP) as journal:
        rec = Recorder(journal, market_data=False)
        for ev in (_quote(1), KillSwitch(2, True, "risk", "drawdown"), trade, _quote(4),
                   RiskAction(5, "L2", "drawdown", 2.0, 1.0, "halt_strategy", "s")):
            rec(ev)
        assert rec.seq == 5
    db = sqlite3.connect(path)
    try:
        assert [r[0] for r in db.execute("SELECT seq, type FROM events ORDER BY seq")] == [2, 5]
        assert db.execute("SELECT value FROM meta WHERE key = 'omitted'").fetchone() == (
            "quote,trade",)
    finally:
        db.close()
    with Journal(path) as journal, pytest.raises(ValueError,
                                                 match=r"already holds events \(to seq=5\)"):
        Recorder(journal, market_data=False)

"""A partial journal's quotes and trades are only counted (`marketlane.FeedCounter`, in C when
it is built; reference `PyFeedCounter`), and the recorder turns the count into their seqs: every
other event keeps the seq it has in the whole journal, and `seq` is the whole run's count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flashguard.core.events import Event, KillSwitch, Quote, RiskAction, Trade
from flashguard.journal.store import Journal
from flashguard.run.recorder import Recorder
from flashguard.system import marketlane
from flashguard.system.marketlane import FeedCounter, PyFeedCounter

COUNTERS: list[Any] = [PyFeedCounter]
if marketlane.IMPLEMENTATION == "c":
    COUNTERS.append(FeedCounter)


def _quote(t: int) -> Quote:
    return Quote(t, "A", "X", 99, 1, 101, 1)


def _trade(t: int) -> Trade:
    return Trade(t, "A", "X", t, 100, 1, 1, 0, 0)


def _action(t: int) -> RiskAction:
    return RiskAction(t, "L2", "drawdown", 2.0, 1.0, "halt_strategy", "s")


def _kill(t: int) -> KillSwitch:
    return KillSwitch(t, True, "risk", "drawdown")


@pytest.mark.parametrize("counter_type", COUNTERS)
def test_a_counter_counts_until_taken(counter_type: Any) -> None:
    counter = counter_type()
    assert counter.count == 0 and counter.take() == 0
    for t in range(5):
        counter(_quote(t))
    assert counter.count == 5
    assert counter.take() == 5
    assert counter.count == 0
    counter(_trade(9))
    assert counter.take() == 1
    with pytest.raises(TypeError):
        counter()


def _stream() -> list[tuple[str, Event]]:
    """(road, event): "feed" for the quotes and trades the system hands to emit_feed, "emit"
    for the rest; runs of market data of every length between the system's own events."""
    out: list[tuple[str, Event]] = []
    t = 0
    for run_length in (0, 3, 1, 0, 7, 2, 0, 0, 5):
        for _ in range(run_length):
            t += 1
            out.append(("feed", _quote(t) if t % 3 else _trade(t)))
        t += 1
        out.append(("emit", _action(t) if t % 2 else _kill(t)))
    for _ in range(4):  # market data after the last event of the system's own
        t += 1
        out.append(("feed", _quote(t)))
    return out


def test_a_partial_recorder_gives_each_kept_event_its_whole_journal_seq(tmp_path: Path) -> None:
    stream = _stream()
    with Journal(tmp_path / "whole.sqlite") as whole_journal:
        whole = Recorder(whole_journal)
        assert whole.feed == whole  # the whole journal writes the market data itself
        for road, ev in stream:
            (whole.feed if road == "feed" else whole)(ev)
        whole_seqs = [whole.seq]
    with Journal(tmp_path / "part.sqlite") as part_journal:
        part = Recorder(part_journal, market_data=False)
        assert part.feed is not part
        feed = part.feed
        for road, ev in stream:
            (feed if road == "feed" else part)(ev)
            if road == "emit":
                whole_seqs.append(part_journal.seq)
        part_seqs = [part.seq]
        part.finish()
    assert part_seqs[0] == whole_seqs[0] == len(stream)

    def kept(path: Path) -> list[tuple[int, str]]:
        import sqlite3

        db = sqlite3.connect(path)
        try:
            return [(int(s), str(k)) for s, k in
                    db.execute("SELECT seq, type FROM events ORDER BY seq")]
        finally:
            db.close()

    expected = [(i + 1, "risk_action" if isinstance(ev, RiskAction) else "kill_switch")
                for i, (road, ev) in enumerate(stream) if road == "emit"]
    assert kept(tmp_path / "part.sqlite") == expected
    assert [s for s, k in kept(tmp_path / "whole.sqlite") if k in ("risk_action", "kill_switch")] \
        == [s for s, _ in expected]


def test_a_partial_recorder_still_skips_market_data_it_is_called_with(tmp_path: Path) -> None:
    """A system wired without the recorder's feed (emit_feed left to emit) still gets a
    correct partial journal: the recorder skips the quotes and trades itself."""
    with Journal(tmp_path / "j.sqlite") as journal:
        rec = Recorder(journal, market_data=False)
        rec.feed(_quote(1))
        rec(_quote(2))
        rec.feed(_trade(3))
        rec(_action(4))
        rec(_trade(5))
        assert rec.seq == 5
        rec.feed(_quote(6))
        assert rec.seq == 6 and journal.seq == 6


def test_skip_takes_n_seqs(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        assert journal.skip() == 1
        assert journal.skip(0) == 1
        assert journal.skip(4) == 5
        with pytest.raises(ValueError, match="n=-1"):
            journal.skip(-1)

"""The journal's writer during a run, and its checker during a resume.

A fresh run appends every event. A resumed run is the same run computed again from its
stored inputs: for each event it produces whose seq the journal already holds (durably, since
only committed rows survive a kill -9), the recorder checks that the rerun produced exactly
that row - seq, t_ns, type and the encoded body - instead of writing it, and appends from the
first seq the journal lacks. A difference means the run is not the one that was journaled
(the code changed, or it is not deterministic): that is an error, never a silent overwrite.

A sweep's run that is not kept records without the market data (`market_data=False`): each
Quote and Trade the system hears still takes its seq, so every other event has the seq it has
in the run's whole journal, but no row is written for it (the feeds are a function of the
scenario and the seed: `flashguard run` with the same inputs journals them). Such a journal
says so in its meta (`OMITTED_KEY`) and cannot be resumed. The system hands those quotes and
trades to `Recorder.feed` (`TradingSystem(emit_feed=...)`), a `marketlane.FeedCounter` that
only counts them (in C, without a call per event); before the next event the recorder writes,
and whenever its `seq` is read, the count is added to the journal's seq, so each event keeps
the seq it has in the whole journal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec

from flashguard.core.events import Event, PortfolioSnapshot, Quote, Trade
from flashguard.journal.store import Journal, open_journal
from flashguard.system.marketlane import FeedCounter

OMITTED_KEY = "omitted"  # meta: the event types a partial journal holds no rows for
OMITTED = (Quote, Trade)


class ResumeDivergence(RuntimeError):
    """The rerun of a resumed run does not reproduce its journal."""


Row = tuple[int, int, str, bytes]


class Recorder:
    __slots__ = (
        "_encode", "_omit", "_omitted", "_rows", "_seq", "_verify_upto", "journal",
        "last_snapshot",
    )

    def __init__(self, journal: Journal, *, market_data: bool = True) -> None:
        self.journal = journal
        self._verify_upto = journal.seq  # rows already in the journal: check, do not write
        self._omit: frozenset[type] = frozenset()
        self._omitted = FeedCounter()  # quotes and trades left out, not yet given their seqs
        if not market_data:
            if journal.seq:
                raise ValueError(
                    f"market_data=False: journal {journal.path} already holds events (to "
                    f"seq={journal.seq}); only a fresh run can leave out its market data"
                )
            self._omit = frozenset(OMITTED)
            journal.set_meta(OMITTED_KEY, ",".join(
                str(t.__struct_config__.tag) for t in OMITTED
            ))
        self._seq = 0  # events the run has produced so far (but those in _omitted)
        self._rows: Iterator[Row] = iter(())
        if self._verify_upto:
            self._rows = _stored_rows(journal.path, self._verify_upto)
        self._encode = msgspec.json.Encoder().encode
        self.last_snapshot: PortfolioSnapshot | None = None

    @property
    def seq(self) -> int:
        """Events the run has produced so far."""
        if self._omitted.count:
            self._seq = self.journal.skip(self._omitted.take())
        return self._seq

    @property
    def feed(self) -> Callable[[Event], None]:
        """Where the system's quotes and trades go: the recorder itself, or, when they are
        left out, the counter whose count becomes their seqs."""
        return self._omitted if self._omit else self

    @property
    def verifying(self) -> bool:
        return self._seq < self._verify_upto

    @property
    def verified(self) -> int:
        """Rows of the journal the rerun has reproduced so far."""
        return min(self.seq, self._verify_upto)

    def __call__(self, ev: Event) -> None:
        kind = type(ev)
        if self._omit:
            if kind in self._omit:  # a quote or trade not handed to `feed`: left out too
                self._seq = self.journal.skip()
                return
            if self._omitted.count:  # the quotes and trades counted since the last event
                self._seq = self.journal.skip(self._omitted.take())
        if kind is PortfolioSnapshot:
            assert isinstance(ev, PortfolioSnapshot)
            self.last_snapshot = ev
        if self._seq < self._verify_upto:
            self._seq += 1
            self._check(ev)
            if self._seq == self._verify_upto:
                self._close_rows()
            return
        self._seq = self.journal.append(ev)

    def _check(self, ev: Event) -> None:
        tag = str(type(ev).__struct_config__.tag)
        body = self._encode(ev)
        row = next(self._rows, None)
        if row is None:
            raise ResumeDivergence(
                f"resume: the journal ends before seq={self._seq} although it holds "
                f"{self._verify_upto} events: it changed while it was being read"
            )
        if row != (self._seq, ev.t_ns, tag, body):
            raise ResumeDivergence(
                f"resume diverged at seq={self._seq}: the journal holds {row[2]} at "
                f"t_ns={row[1]} {row[3]!r}, the rerun produced {tag} at t_ns={ev.t_ns} {body!r}. "
                "The code or the inputs changed since the run started: start a new run."
            )

    def _close_rows(self) -> None:
        """Close the journal reader in the thread that used it (sqlite's rule)."""
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()

    def finish(self) -> None:
        """After the run: every stored row must have been reproduced."""
        if self.seq < self._verify_upto:
            raise ResumeDivergence(
                f"resume diverged: the rerun ended after {self.seq} events but the journal "
                f"holds {self._verify_upto}. Start a new run."
            )


def _stored_rows(path: Path, upto: int) -> Iterator[Row]:
    db = open_journal(path)
    try:
        cur = db.execute(
            "SELECT seq, t_ns, type, body FROM events WHERE seq <= ? ORDER BY seq", (upto,)
        )
        for seq, t_ns, tag, body in cur:
            yield int(seq), int(t_ns), str(tag), bytes(body)
    finally:
        db.close()

"""An append-only event journal in SQLite (WAL mode).

One row per event: seq (1, 2, ...), t_ns, type (the event's tag) and the event encoded with
msgspec JSON. Durability is per kind: risk decisions, kill-switch events and operators'
commands are committed at once (fsync'd by SQLite's synchronous=FULL); everything else is
group-committed every `group` events or on `flush()`. Anything a caller must not acknowledge before it is durable
goes through `append(..., durable=True)` or is followed by `flush()`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import msgspec

from flashguard.core.events import AnyEvent, Event, KillSwitch, OperatorCommand, RiskAction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq  INTEGER PRIMARY KEY,
    t_ns INTEGER NOT NULL,
    type TEXT    NOT NULL,
    body BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_ALWAYS_DURABLE = (RiskAction, KillSwitch, OperatorCommand)
_DURABLE_TYPES = frozenset(_ALWAYS_DURABLE)  # event types are final: no subclasses
_TAGS: dict[type, str] = {}  # event type -> its tag


class JournalError(ValueError):
    """A path that is not a readable flashguard journal."""


def open_journal(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to a journal, after checking it is one."""
    p = Path(path)
    if not p.exists():
        raise JournalError(f"journal {p}: no such file")
    if not p.is_file():
        raise JournalError(f"journal {p}: not a file")
    try:
        db = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise JournalError(f"journal {p}: cannot open ({exc})") from None
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        db.close()
        raise JournalError(f"journal {p}: not a journal ({exc})") from None
    if "events" not in tables:
        db.close()
        raise JournalError(f"journal {p}: not a journal (no events table)")
    return db


class Journal:
    def __init__(self, path: str | Path, group: int = 1024, fsync: bool = True) -> None:
        """`fsync=False` (synchronous=NORMAL) is for a record that needs no power-loss
        durability, such as the market laboratory's own journal: in WAL mode a commit is then
        safe against the process dying (kill -9), not against the machine losing power, and
        costs no fsync. A trading run's journal keeps the default."""
        if group < 1:
            raise ValueError(f"group={group} must be >= 1")
        self.path = Path(path)
        # one thread at a time, not always the one that opened it (the operator service
        # opens the journal before its server thread writes to it)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        self.seq: int = row[0]
        self._group = group
        self._pending: list[tuple[int, int, str, bytes]] = []
        self._encode = msgspec.json.Encoder().encode

    def append(self, event: Event, durable: bool = False) -> int:
        # once per event of a run (two million for may6): the type's tag and durability are
        # looked up in a dict, not through the struct config and isinstance
        self.seq = seq = self.seq + 1
        kind = type(event)
        tag = _TAGS.get(kind)
        if tag is None:
            tag = _TAGS[kind] = str(kind.__struct_config__.tag)
        pending = self._pending
        pending.append((seq, event.t_ns, tag, self._encode(event)))
        if durable or kind in _DURABLE_TYPES or len(pending) >= self._group:
            self.flush()
        return seq

    def skip(self, n: int = 1) -> int:
        """Take the next n seqs without writing rows (events a partial journal leaves out);
        returns the last."""
        if n < 0:
            raise ValueError(f"n={n} must be >= 0")
        self.seq += n
        return self.seq

    def flush(self) -> None:
        if not self._pending:
            return
        db = self._db
        db.execute("BEGIN")
        db.executemany("INSERT INTO events (seq, t_ns, type, body) VALUES (?, ?, ?, ?)", self._pending)
        db.execute("COMMIT")
        self._pending.clear()

    def set_meta(self, key: str, value: str) -> None:
        self.flush()
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        self.flush()
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read(
    path: str | Path, after_seq: int = 0, kinds: tuple[str, ...] | None = None
) -> Iterator[tuple[int, Event]]:
    """Yield (seq, event) in order from a journal file (read-only); with `kinds`, only the
    events of those type tags (the rest, most of a journal, is never decoded)."""
    decode = msgspec.json.Decoder(AnyEvent).decode
    db = open_journal(path)
    try:
        if kinds is None:
            cur = db.execute("SELECT seq, body FROM events WHERE seq > ? ORDER BY seq", (after_seq,))
        else:
            marks = ",".join("?" * len(kinds))
            cur = db.execute(
                f"SELECT seq, body FROM events WHERE seq > ? AND type IN ({marks}) ORDER BY seq",
                (after_seq, *kinds),
            )
        for seq, body in cur:
            yield int(seq), decode(body)
    finally:
        db.close()


def export_records(path: str | Path) -> Iterator[dict[str, object]]:
    """One flat record per event: seq, t_ns, type and the event's fields."""
    for seq, event in read(path):
        record: dict[str, object] = {"seq": seq}
        record.update(msgspec.to_builtins(event))
        yield record

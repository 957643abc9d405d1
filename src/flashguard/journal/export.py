"""A journal as flat records: JSON Lines or Parquet, one record per event.

A record is seq, t_ns, type and the event's own fields. The JSON Lines record is the stored
body with seq spliced in front, byte for byte: no decode and re-encode, so a float prints as
the journal wrote it and a 2M-event journal streams through in seconds. Parquet goes through
the same lines in batches (pyarrow's JSON reader against a schema from the event catalog), so
neither format ever holds more than one batch in memory.
"""

from __future__ import annotations

import io
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal

import pyarrow.json as pa_json
import pyarrow.parquet as pq

from flashguard.journal.columns import ColumnConflict, schema_for
from flashguard.journal.store import JournalError, open_journal

Format = Literal["jsonl", "parquet"]
__all__ = ["FORMATS", "JournalError", "default_out", "export", "iter_jsonl", "open_journal", "write_jsonl", "write_parquet"]
FORMATS: tuple[Format, ...] = ("jsonl", "parquet")
BATCH = 200_000  # rows per parquet row group and per write: ~30 MB of JSON


def _lines(db: sqlite3.Connection, path: Path) -> Iterator[bytes]:
    for seq, body in db.execute("SELECT seq, body FROM events ORDER BY seq"):
        if not body or body[:1] != b"{":
            raise JournalError(f"journal {path}: event seq={seq} is not a JSON object")
        yield b'{"seq":%d,%s\n' % (seq, body[1:])


def iter_jsonl(path: str | Path) -> Iterator[bytes]:
    """Each event as one JSON line (bytes, newline-terminated), in seq order."""
    db = open_journal(path)
    try:
        yield from _lines(db, Path(path))
    finally:
        db.close()


def write_jsonl(path: str | Path, out: BinaryIO) -> int:
    """Stream the journal to `out` as JSON Lines; returns the number of records."""
    n = 0
    chunk: list[bytes] = []
    for line in iter_jsonl(path):
        chunk.append(line)
        if len(chunk) >= BATCH:
            out.write(b"".join(chunk))
            n += len(chunk)
            chunk.clear()
    out.write(b"".join(chunk))
    return n + len(chunk)


def write_parquet(path: str | Path, out: str | Path) -> int:
    """Write the journal as one Parquet table (union of the columns of the event types in it,
    nulls where a type has no such field); returns the number of records."""
    p = Path(path)
    db = open_journal(p)
    try:
        tags = [r[0] for r in db.execute("SELECT DISTINCT type FROM events")]
        try:
            schema = schema_for(tags)
        except (KeyError, ColumnConflict) as exc:
            raise JournalError(f"journal {p}: {exc.args[0]}") from None
        options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
        n = 0
        with _replacing(Path(out)) as part, pq.ParquetWriter(str(part), schema) as writer:
            chunk: list[bytes] = []
            for line in _lines(db, p):
                chunk.append(line)
                if len(chunk) >= BATCH:
                    n += _write_batch(writer, chunk, options, schema.names)
                    chunk.clear()
            if chunk:
                n += _write_batch(writer, chunk, options, schema.names)
        return n
    finally:
        db.close()


def _write_batch(
    writer: pq.ParquetWriter, chunk: list[bytes], options: pa_json.ParseOptions, names: list[str]
) -> int:
    table = pa_json.read_json(io.BytesIO(b"".join(chunk)), parse_options=options)
    writer.write_table(table.select(names))
    return int(table.num_rows)


class _replacing:
    """Write to a side file and move it into place only when complete: a failed export never
    leaves a truncated file that looks like a good one."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.part = target.with_name(target.name + ".part")

    def __enter__(self) -> Path:
        return self.part

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            os.replace(self.part, self.target)
        else:
            self.part.unlink(missing_ok=True)


def default_out(journal: str | Path, fmt: Format) -> Path:
    """Beside the journal, with the format's suffix: runs/x/journal.sqlite -> journal.parquet."""
    return Path(journal).with_suffix(f".{fmt}")


def export(journal: str | Path, out: str | Path, fmt: Format) -> int:
    """Export a journal to a file; returns the number of records."""
    if fmt not in FORMATS:
        raise ValueError(f"format={fmt!r}: expected one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        return write_parquet(journal, out)
    open_journal(journal).close()  # fail before creating the output
    target = Path(out)
    with _replacing(target) as part, part.open("wb") as fh:
        return write_jsonl(journal, fh)

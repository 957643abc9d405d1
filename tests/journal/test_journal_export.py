"""Journal export: one flat record per event, JSON Lines or Parquet, streamed in batches."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from pathlib import Path
from typing import get_args

import msgspec
import pyarrow.parquet as pq
import pytest

from flashguard.core.events import (
    AnyEvent,
    CancelOrder,
    Event,
    KillSwitch,
    LuldBand,
    ModifyOrder,
    NewOrder,
    OperatorCommand,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
    OrderSubmitted,
    PortfolioSnapshot,
    Quote,
    RegimeChange,
    RequestRejected,
    RiskAction,
    RouteDecision,
    Trade,
    VenueStatus,
)
from flashguard.journal import export as ex
from flashguard.journal.columns import CATALOG, schema_for
from flashguard.journal.store import Journal


def one_of_each(t0: int = 1_000) -> list[Event]:
    """Every event type the journal knows, with values that tell fields apart."""
    return [
        NewOrder(t0, "A", "ES", 1, "c1", 7, 1, 1, 0, 4600, 3),
        CancelOrder(t0 + 1, "A", "ES", 1, 7),
        ModifyOrder(t0 + 2, "A", "ES", 1, 7, 4601, 2),
        OrderAccepted(t0 + 3, "A", "ES", 1, "c1", 7, 1, 1, 0, 4600, 3),
        OrderRejected(t0 + 4, "B", "ES", 0, "c2", 7, "L1 luld_band", "L1", "luld_band"),
        OrderModified(t0 + 5, "A", "ES", 1, 7, 4601, 2, False),
        RequestRejected(t0 + 6, "A", "ES", 9, 7, "cancel", "unknown order"),
        OrderFilled(t0 + 7, "A", "ES", 1, "c1", 7, 1, 4600, 1, 2, True, 55),
        OrderCancelled(t0 + 8, "A", "ES", 1, "c1", 7, 2, "kill switch"),
        OrderExpired(t0 + 9, "A", "ES", 3, "c3", 7, 4),
        Trade(t0 + 10, "A", "ES", 55, 4600, 1, -1, 1, 2),
        VenueStatus(t0 + 11, "B", "ES", "paused", "limit state 15 s"),
        Quote(t0 + 12, "ALL", "ES", 4599, 10, 4601, 12),
        RiskAction(t0 + 13, "L2", "drawdown", 2.125, 2.0, "reduce_only", "momentum", "x"),
        KillSwitch(t0 + 14, True, "risk", "drawdown 5.1% > 5%"),
        OrderSubmitted(t0 + 15, "A", "ES", "mm", "c4", -1, 0, 1, 4602, 5),
        LuldBand(t0 + 16, "ALL", "ES", 4370, 4830),
        RouteDecision(t0 + 17, "exec", "p1", "ES", "reroute", "B", 5, 4450, "fill rate 0.2"),
        RegimeChange(t0 + 18, "momentum", "preservation", "vpin cdf 0.93"),
        PortfolioSnapshot(t0 + 19, 999_000.5, -1000.5, 0.1, 5e4, -1e4, 1234.5, 2345.25, 0.5, "reducing"),
        OperatorCommand(t0 + 20, "halt", "risk-officer", "risk-manager", "review", "momentum"),
    ]


def write(path: Path, events: list[Event]) -> Path:
    with Journal(path) as j:
        for e in events:
            j.append(e)
    return path


def expected(events: list[Event]) -> list[dict[str, object]]:
    return [{"seq": i, **msgspec.to_builtins(e)} for i, e in enumerate(events, start=1)]


def test_every_event_type_is_covered() -> None:
    assert {type(e) for e in one_of_each()} == set(get_args(AnyEvent))


def test_jsonl_round_trips_every_event(tmp_path: Path) -> None:
    events = one_of_each()
    journal = write(tmp_path / "j.sqlite", events)
    out = tmp_path / "j.jsonl"
    assert ex.export(journal, out, "jsonl") == len(events)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records == expected(events)
    assert [r["type"] for r in records][:5] == [
        "new_order", "cancel_order", "modify_order", "order_accepted", "order_rejected"
    ]
    # each line decodes back to the very event
    dec = msgspec.json.Decoder(AnyEvent)
    for line, event in zip(out.read_bytes().splitlines(), events, strict=True):
        rec = json.loads(line)
        rec.pop("seq")
        assert dec.decode(json.dumps(rec)) == event


def test_parquet_is_one_table_with_the_union_of_columns(tmp_path: Path) -> None:
    events = one_of_each()
    journal = write(tmp_path / "j.sqlite", events)
    out = tmp_path / "j.parquet"
    assert ex.export(journal, out, "parquet") == len(events)
    table = pq.read_table(out)
    assert table.num_rows == len(events)
    assert table.column_names[:3] == ["seq", "t_ns", "type"]
    all_fields = {name for fields in CATALOG.values() for name, _ in fields}
    assert set(table.column_names) == all_fields | {"seq", "type"}
    for got, want in zip(table.to_pylist(), expected(events), strict=True):
        present = {k: v for k, v in got.items() if v is not None}
        assert present == want
    kinds = dict(zip(table.column_names, (str(t) for t in table.schema.types), strict=True))
    assert kinds["value"] == "double" and kinds["engaged"] == "bool" and kinds["qty"] == "int64"


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_streams_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: ex.Format) -> None:
    events = [
        RiskAction(i, "L1", "max_qty", float(i) + 0.5, 10.0, "reject", "mm") if i % 3 == 0
        else Trade(i, "A", "ES", i, 4600 + i, 1, 1, 1, 2)
        for i in range(1, 24)
    ]
    journal = write(tmp_path / "j.sqlite", events)
    monkeypatch.setattr(ex, "BATCH", 5)
    out = tmp_path / f"j.{fmt}"
    assert ex.export(journal, out, fmt) == len(events)
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    else:
        pf = pq.ParquetFile(out)
        assert pf.metadata.num_row_groups == 5  # 23 rows in batches of 5
        # only the columns of the types present: risk_action and trade
        assert "bid" not in pf.schema_arrow.names and "aggressor" in pf.schema_arrow.names
        rows = [{k: v for k, v in r.items() if v is not None} for r in pf.read().to_pylist()]
    assert rows == expected(events)


def test_an_empty_journal_exports_no_record(tmp_path: Path) -> None:
    journal = write(tmp_path / "j.sqlite", [])
    assert ex.export(journal, tmp_path / "e.jsonl", "jsonl") == 0
    assert (tmp_path / "e.jsonl").read_bytes() == b""
    assert ex.export(journal, tmp_path / "e.parquet", "parquet") == 0
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0


def test_write_jsonl_to_a_stream(tmp_path: Path) -> None:
    events = one_of_each()[:4]
    journal = write(tmp_path / "j.sqlite", events)
    buf = io.BytesIO()
    assert ex.write_jsonl(journal, buf) == 4
    assert [json.loads(x) for x in buf.getvalue().splitlines()] == expected(events)


def test_bad_input_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(ex.JournalError, match=re.escape(f"journal {missing}: no such file")):
        ex.export(missing, tmp_path / "o.jsonl", "jsonl")
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database\n" * 100)
    with pytest.raises(ex.JournalError, match=re.escape(f"journal {text}: not a journal")):
        ex.export(text, tmp_path / "o.parquet", "parquet")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(ex.JournalError, match=re.escape(f"journal {other}: not a journal (no events table)")):
        ex.export(other, tmp_path / "o.jsonl", "jsonl")
    with pytest.raises(ex.JournalError, match="not a file"):
        ex.export(tmp_path, tmp_path / "o.jsonl", "jsonl")
    with pytest.raises(ValueError, match="format='csv'"):
        ex.export(missing, tmp_path / "o.csv", "csv")  # type: ignore[arg-type]
    # nothing half-written is left behind
    assert not list(tmp_path.glob("o.*"))


def test_an_unknown_event_type_names_it(tmp_path: Path) -> None:
    journal = write(tmp_path / "j.sqlite", one_of_each()[:2])
    db = sqlite3.connect(journal)
    db.execute("INSERT INTO events VALUES (3, 5, 'mystery', ?)", (b'{"type":"mystery","t_ns":5}',))
    db.commit()
    db.close()
    with pytest.raises(ex.JournalError, match=r"unknown event type.*mystery"):
        ex.export(journal, tmp_path / "o.parquet", "parquet")
    assert not (tmp_path / "o.parquet").exists()


def test_every_catalog_field_has_one_type_across_events() -> None:
    schema = schema_for(CATALOG)
    assert schema.names[:3] == ["seq", "t_ns", "type"]
    assert len(schema.names) == len(set(schema.names))

"""`flashguard journal export JOURNAL [--format jsonl|parquet] [--out FILE]`."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from flashguard.cli import app
from flashguard.core.events import KillSwitch, OrderSubmitted, RiskAction, VenueStatus
from flashguard.journal.store import Journal

runner = CliRunner()


def journal(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as j:
        j.append(VenueStatus(1, "A", "ES", "halted", "news"))
        j.append(OrderSubmitted(2, "B", "ES", "mm", "c1", 1, 0, 1, 4600, 2))
        j.append(RiskAction(3, "L4", "drawdown", 6.0, 5.0, "kill"))
        j.append(KillSwitch(3, True, "risk", "drawdown"))
    return path


def test_jsonl_beside_the_journal_by_default(tmp_path: Path) -> None:
    path = journal(tmp_path)
    result = runner.invoke(app, ["journal", "export", str(path)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "journal.jsonl"
    assert f"4 records -> {out}" in result.output
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["type"] for r in records] == ["venue_status", "order_submitted", "risk_action", "kill_switch"]
    assert records[1] == {
        "seq": 2, "type": "order_submitted", "t_ns": 2, "venue": "B", "instrument": "ES",
        "strategy": "mm", "client_order_id": "c1", "side": 1, "order_type": 0, "tif": 1,
        "price": 4600, "qty": 2,
    }


def test_parquet_to_a_chosen_file(tmp_path: Path) -> None:
    path = journal(tmp_path)
    out = tmp_path / "sub.parquet"
    result = runner.invoke(app, ["journal", "export", str(path), "--format", "parquet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pq.read_table(out).to_pylist()
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    assert rows[2]["layer"] == "L4" and rows[2]["limit"] == 5.0 and rows[2]["engaged"] is None
    assert rows[3]["engaged"] is True and rows[3]["layer"] is None


def test_jsonl_to_stdout(tmp_path: Path) -> None:
    result = runner.invoke(app, ["journal", "export", str(journal(tmp_path)), "--out", "-"])
    assert result.exit_code == 0
    assert [json.loads(x)["seq"] for x in result.stdout.splitlines()] == [1, 2, 3, 4]


def test_bad_input_exits_1_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.sqlite"
    result = runner.invoke(app, ["journal", "export", str(missing)])
    assert result.exit_code == 1
    assert f"journal {missing}: no such file" in result.output
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"\x00garbage" * 1000)
    result = runner.invoke(app, ["journal", "export", str(junk), "--format", "parquet"])
    assert result.exit_code == 1 and f"journal {junk}: not a journal" in result.output
    assert not (tmp_path / "junk.parquet").exists()


def test_refuses_parquet_to_stdout_and_overwriting_the_journal(tmp_path: Path) -> None:
    path = journal(tmp_path)
    result = runner.invoke(app, ["journal", "export", str(path), "--format", "parquet", "--out", "-"])
    assert result.exit_code == 1 and "jsonl only" in result.output
    result = runner.invoke(app, ["journal", "export", str(path), "--out", str(path)])
    assert result.exit_code == 1 and "is the journal itself" in result.output
    assert path.stat().st_size > 0
    result = runner.invoke(app, ["journal", "export", str(path), "--format", "csv"])
    assert result.exit_code == 2  # typer's usage error for a choice not offered

"""`flashguard data lobster-check` on the shipped sample and on matching-engine flows written as
LOBSTER files of 5 and 10 levels: no mismatch, and a corrupted row is reported where it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lobster_synth import random_flow
from typer.testing import CliRunner

from flashguard.cli import app
from flashguard.market.data.lobster import EMPTY_BID_PRICE, read_messages, read_orderbook
from flashguard.market.data.lobster_check import FIRST_ROW, check
from flashguard.market.data.lobster_levels import EMPTIED_AT_DEPTH
from flashguard.market.data.lobster_write import Level, write_messages, write_orderbook

runner = CliRunner()
STEPS = 3000
Row = tuple[list[Level], list[Level]]


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["data", "lobster-check", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str | Path) -> tuple[int, dict[str, object]]:
    code, out, err = run(*args, "--json")
    assert err == "", err
    return code, json.loads(out)


def write_flow(tmp_path: Path, depth: int, header: bool, seed: int = 11) -> tuple[Path, Path, list[Row]]:
    messages, rows = random_flow(seed, STEPS, depth)
    m, b = tmp_path / f"m{depth}.csv", tmp_path / f"b{depth}.csv"
    write_messages(m, messages, header=header)
    write_orderbook(b, rows, depth, header=header)
    return m, b, rows


@pytest.mark.parametrize("depth", [5, 10])
@pytest.mark.parametrize("header", [True, False])
def test_engine_flows_check_clean(tmp_path: Path, depth: int, header: bool) -> None:
    m, b, rows = write_flow(tmp_path, depth, header)
    code, result = run_json(m, b)
    assert code == 0
    assert result == {
        "rows": STEPS,
        "levels": depth,
        "checked": STEPS - 1,
        "undetermined": 1,
        "mismatched": 0,
        "first_mismatch": None,
    }
    # the flow does reach the cases the check must get right
    detail = check(read_messages(m), read_orderbook(b))
    assert detail.by_reason[EMPTIED_AT_DEPTH] > 20
    assert sum(len(bids) < depth for _, bids in rows) > 20  # thin sides, known completely
    assert {1, 2, 3, 4, 5, 6, 7} <= set(detail.by_type)


def test_fewer_levels_than_the_file_holds(tmp_path: Path) -> None:
    m, b, _ = write_flow(tmp_path, 10, header=False)
    code, result = run_json(m, b, "--levels", "3")
    assert code == 0
    assert (result["levels"], result["mismatched"]) == (3, 0)
    # with three of ten levels compared, the level refilled from beyond the file is never seen
    assert check(read_messages(m), read_orderbook(b), levels=3).by_reason == {FIRST_ROW: 1}


def pick_row_to_corrupt(rows: list[Row], messages_path: Path) -> int:
    """A row whose message acts on the ask side while the bid side shows a level: that bid
    level is determined (the message leaves it alone)."""
    messages = read_messages(messages_path)
    for i in range(STEPS // 2, STEPS):
        if messages.direction[i] == -1 and rows[i][1] and rows[i][1][0][0] != EMPTY_BID_PRICE:
            return i
    raise AssertionError("no row to corrupt")


@pytest.mark.parametrize("depth", [5, 10])
def test_a_corrupted_row_is_the_first_mismatch(tmp_path: Path, depth: int) -> None:
    m, b, rows = write_flow(tmp_path, depth, header=depth == 5)
    k = pick_row_to_corrupt(rows, m)
    asks, bids = rows[k]
    price, size = bids[0]
    rows[k] = (asks, [(price, size + 7), *bids[1:]])
    write_orderbook(b, rows, depth, header=depth == 5)

    code, result = run_json(m, b)
    assert code == 1
    first = result["first_mismatch"]
    assert isinstance(first, dict)
    assert first["row"] == k
    assert len(first["got"]) == len(first["expected"]) == 4 * depth
    assert first["got"][2:4] == [price, size + 7]  # bid price 1, bid size 1
    assert first["expected"][2:4] == [price, size]
    assert isinstance(result["mismatched"], int) and result["mismatched"] >= 1

    code, out, _ = run(m, b)
    assert code == 1
    assert f"first at row {k}" in out
    assert "MISMATCH" in out and "differs" in out


def test_sample_checks_clean(lobster_sample: tuple[Path, Path]) -> None:
    m, b = lobster_sample
    rows = len(m.read_bytes().strip().splitlines()) - 1
    code, result = run_json(m, b)
    assert code == 0
    assert result["rows"] == rows
    assert result["levels"] == 1
    assert result["mismatched"] == 0
    assert result["first_mismatch"] is None
    assert result["undetermined"] == 1  # row 0 alone
    assert result["checked"] == rows - 1

    code, out, _ = run(m, b)
    assert code == 0
    for text in ("rows", str(rows), "emptied_at_depth", "3 delete", "5 hidden", "OK"):
        assert text in out


def test_unreadable_input_exits_2_naming_the_problem(tmp_path: Path) -> None:
    m, b, _ = write_flow(tmp_path, 5, header=True)
    lines = b.read_text().splitlines()
    short = tmp_path / "short.csv"
    short.write_text("\n".join(lines[:10]) + "\n")  # a header and 9 rows
    code, _, err = run(m, short)
    assert code == 2 and f"has {STEPS} rows" in err and "has 9" in err

    lines[4] = lines[4].replace(",", ",x", 1)
    b.write_text("\n".join(lines) + "\n")
    code, _, err = run(m, b)
    assert code == 2
    assert "line 5" in err and "ask_size_1='x" in err

    code, _, err = run(m, b.with_name("missing.csv"))
    assert code == 2

    m10, b10, _ = write_flow(tmp_path, 5, header=False)
    code, _, err = run(m10, b10, "--levels", "6")
    assert code == 2 and "levels=6 must be in 1..5" in err

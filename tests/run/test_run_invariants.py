"""The journal's invariants: clean on every built-in scenario (a short window around its
shock) and on a run whose kill switch trips; and each one caught on a doctored journal."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import msgspec
import pytest
from run_rig import inputs, kill_config, quiet, rows, run_in_process

from flashguard.core.events import LuldBand, RiskAction, VenueStatus, encode
from flashguard.market.scenario import builtin_names, load_scenario
from flashguard.run.inputs import make_inputs
from flashguard.run.invariants import check_journal
from flashguard.run.runner import start

Row = tuple[int, int, str, bytes]
SHORT_S = 150


def _short(name: str, tmp: Path) -> Path:
    """The built-in scenario cut to SHORT_S seconds, starting a minute before its shock."""
    sc = load_scenario(name)
    text = (resources.files("flashguard") / "scenarios" / f"{name}.toml").read_text()
    head, sep, tables = text.partition("\n[")
    head = re.sub(r"(?m)^(duration_s|start) *=.*$", "", head)
    s = sc.start_ns // 10**9
    if sc.shock_ns is not None:
        s = max(s, sc.shock_ns // 10**9 - 60)
    clock = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
    path = tmp / f"{name}-short.toml"
    path.write_text(f'duration_s = {SHORT_S}\nstart = "{clock}"\n{head}{sep}{tables}')
    assert load_scenario(str(path)).duration_s == SHORT_S
    return path


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_scenario_keeps_the_invariants(tmp_path: Path, name: str) -> None:
    out = tmp_path / "run"
    start(make_inputs(str(_short(name, tmp_path))), out, quiet(), reports=False)
    kinds = {k for _, _, k, _ in rows(out / "journal.sqlite")}
    assert {"order_submitted", "quote"} <= kinds
    # a scenario with LULD on publishes bands (one without, e.g. crypto rules, has none to check)
    assert ("luld_band" in kinds) == load_scenario(name).protections.luld.enabled
    assert check_journal(out / "journal.sqlite") == []


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run whose kill switch trips a minute in, with orders open."""
    tmp = tmp_path_factory.mktemp("inv")
    run_in_process(inputs(kill_config(tmp)), tmp / "run")
    return tmp / "run" / "journal.sqlite"


def test_a_run_through_a_kill_keeps_the_invariants(clean: Path) -> None:
    assert check_journal(clean) == []


def _doctor(clean: Path, tmp: Path, change: Callable[[list[Row]], list[Row]]) -> Path:
    path = tmp / "doctored.sqlite"
    shutil.copy(clean, path)
    new = change(rows(clean))
    db = sqlite3.connect(path)
    db.execute("DELETE FROM events")
    db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)",
                   [(i + 1, t, k, b) for i, (_, t, k, b) in enumerate(new)])
    db.commit()
    db.close()
    return path


def _first(journal: list[Row], kind: str, **fields: object) -> int:
    for i, (_, _, k, b) in enumerate(journal):
        if k == kind and all(json.loads(b).get(f) == v for f, v in fields.items()):
            return i
    raise AssertionError(f"no {kind} with {fields}")


def _row(ev: msgspec.Struct) -> Row:
    return (0, ev.t_ns, str(type(ev).__struct_config__.tag), encode(ev))  # type: ignore[attr-defined]


def _order(journal: list[Row], i: int) -> dict[str, object]:
    return json.loads(journal[i][3])


def _violations(path: Path) -> set[str]:
    return {v.invariant for v in check_journal(path)}


def test_an_order_to_a_halted_venue_is_caught(clean: Path, tmp_path: Path) -> None:
    def halt(j: list[Row]) -> list[Row]:
        i = _first(j, "order_submitted")
        o = _order(j, i)
        status = VenueStatus(j[i][1], str(o["venue"]), str(o["instrument"]), "halted", "test")
        return [*j[:i], _row(status), *j[i:]]

    assert _violations(_doctor(clean, tmp_path, halt)) == {"no_order_while_halted"}


def test_an_order_outside_the_band_is_caught(clean: Path, tmp_path: Path) -> None:
    def narrow(j: list[Row]) -> list[Row]:
        i = _first(j, "order_submitted")
        o = _order(j, i)
        price = int(o["price"])  # type: ignore[call-overload]
        band = LuldBand(j[i][1], "ALL", str(o["instrument"]), price + 1, price + 100)
        return [*j[:i], _row(band), *j[i:]]

    assert _violations(_doctor(clean, tmp_path, narrow)) == {"no_order_outside_band"}


def test_an_order_after_the_kill_is_caught(clean: Path, tmp_path: Path) -> None:
    def early_kill(j: list[Row]) -> list[Row]:
        k = _first(j, "kill_switch", engaged=True)
        subs = [i for i, r in enumerate(j[:k]) if r[2] == "order_submitted"]
        i = subs[-1]  # move the kill just before the last order sent ahead of it
        return [*j[:i], j[k], *j[i:k], *j[k + 1:]]

    assert "no_order_after_kill" in _violations(_doctor(clean, tmp_path, early_kill))


def test_an_order_left_open_after_the_kill_is_caught(clean: Path, tmp_path: Path) -> None:
    def keep_open(j: list[Row]) -> list[Row]:
        k = _first(j, "kill_switch", engaged=True)
        return [*j[:k], *(r for r in j[k:] if r[2] != "order_cancelled")]

    assert _violations(_doctor(clean, tmp_path, keep_open)) == {"kill_cancels_every_order"}


def test_an_order_from_a_halted_strategy_is_caught(clean: Path, tmp_path: Path) -> None:
    def halt(j: list[Row]) -> list[Row]:
        i = _first(j, "order_submitted")
        o = _order(j, i)
        action = RiskAction(j[i][1], "L2", "drawdown", 600.0, 500.0, "halt_strategy",
                            str(o["strategy"]))
        return [*j[:i], _row(action), *j[i:]]

    assert _violations(_doctor(clean, tmp_path, halt)) == {"halted_strategy_sends_nothing"}


def test_an_order_from_a_flattened_strategy_that_does_not_reduce_is_caught(
        clean: Path, tmp_path: Path) -> None:
    """A halt with the risk layer's unwind allows reducing orders only: the first order of
    the run, from flat, reduces nothing."""
    def halt_and_flatten(j: list[Row]) -> list[Row]:
        i = _first(j, "order_submitted")
        o = _order(j, i)
        actions = [RiskAction(j[i][1], "L2", "drawdown", 600.0, 500.0, action, str(o["strategy"]))
                   for action in ("halt_strategy", "flatten_strategy")]
        return [*j[:i], *map(_row, actions), *j[i:]]

    violations = check_journal(_doctor(clean, tmp_path, halt_and_flatten))
    assert {v.invariant for v in violations} == {"halted_strategy_sends_nothing"}
    assert "does not only reduce position +0" in violations[0].detail


def test_our_order_cancelled_by_self_trade_prevention_is_caught(clean: Path, tmp_path: Path) -> None:
    def self_trade(j: list[Row]) -> list[Row]:
        i = _first(j, "order_cancelled")
        body = re.sub(rb'"reason":"[a-z_]*"', b'"reason":"self_trade"', j[i][3])
        return [*j[:i], (0, j[i][1], j[i][2], body), *j[i + 1:]]

    assert _violations(_doctor(clean, tmp_path, self_trade)) == {"no_self_trade"}


def test_an_order_neither_submitted_nor_rejected_is_caught(clean: Path, tmp_path: Path) -> None:
    def drop(j: list[Row]) -> list[Row]:
        i = _first(j, "order_submitted")
        return [*j[:i], *j[i + 1:]]

    found = check_journal(_doctor(clean, tmp_path, drop))
    assert {v.invariant for v in found} == {"every_order_accounted"}
    assert any("routed but never submitted" in v.detail for v in found)


def test_a_risk_rejection_without_its_rule_is_caught(clean: Path, tmp_path: Path) -> None:
    def blank(j: list[Row]) -> list[Row]:
        i = _first(j, "order_rejected", layer="L4")
        body = j[i][3].replace(b'"rule":"kill_switch"', b'"rule":""')
        return [*j[:i], (0, j[i][1], j[i][2], body), *j[i + 1:]]

    found = check_journal(_doctor(clean, tmp_path, blank))
    assert {v.invariant for v in found} == {"every_order_accounted"}
    assert any("rule=''" in v.detail for v in found)

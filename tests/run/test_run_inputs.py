"""The run's inputs: read and checked at the edge, stored whole, read back the same."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from run_rig import FLASH, inputs

from flashguard.market.scenario import ScenarioError
from flashguard.run.book import DEFAULT_BOOK, build_book
from flashguard.run.inputs import (
    SHIPPED_MATRIX,
    RunInputError,
    RunInputs,
    make_inputs,
    parse_disabled,
)
from flashguard.system.risk import MatrixError
from flashguard.system.risk.params import default_matrix_path
from flashguard.system.strategy.loader import StrategyLoadError


def test_disabled_layers_are_normalised() -> None:
    assert parse_disabled("") == ()
    assert parse_disabled("l3, L1,L3") == ("L1", "L3")
    with pytest.raises(RunInputError, match=r"--disable='L1,L9': unknown layer\(s\) L9"):
        parse_disabled("L1,L9")


def test_inputs_round_trip_through_the_journal_text() -> None:
    inp = inputs(seed=9, strategies=("pov",), disabled="L2", ablation=True)
    back = RunInputs.decode(inp.encode(), "test")
    assert back == inp
    assert (back.seed, back.strategies, back.disabled, back.ablation) == (9, ("pov",), ("L2",),
                                                                          True)
    assert back.scenario_toml == Path(FLASH).read_text()
    assert back.load_scenario().name == "flash"


def test_a_variant_changes_only_the_layers() -> None:
    inp = inputs(ablation=True, disabled="L1")
    v = inp.variant(("L4", "L2"))
    assert (v.disabled, v.ablation, v.seed, v.scenario_toml) == (("L2", "L4"), False, inp.seed,
                                                                 inp.scenario_toml)


def test_stored_inputs_from_another_format_are_refused() -> None:
    text = inputs().encode().replace('"format":1', '"format":99')
    with pytest.raises(RunInputError, match="format=99"):
        RunInputs.decode(text, "j.sqlite")
    with pytest.raises(RunInputError, match=r"j\.sqlite: the stored run inputs are unreadable"):
        RunInputs.decode("{", "j.sqlite")


def test_the_seed_defaults_to_the_scenario_s() -> None:
    assert inputs().seed == 3
    assert make_inputs("may6").seed == 1


def test_bad_inputs_name_themselves(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="scenario='nope'"):
        make_inputs("nope")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nduration_s = -1\n')
    with pytest.raises(ScenarioError, match="duration_s=-1"):
        make_inputs(str(bad))
    with pytest.raises(MatrixError):
        make_inputs(FLASH, config=bad)


def test_the_default_book_is_the_desk() -> None:
    sc = inputs().load_scenario()
    book = build_book((), sc)
    assert [s.name for s in book] == ["momentum", "market_maker", "twap"]
    assert DEFAULT_BOOK == ("momentum", "market_making", "twap")
    assert all(s.instruments == ("FGX",) for s in book)
    twap = book[2]
    assert twap.intent.side == -1 and twap.intent.qty == 400  # type: ignore[attr-defined]


def test_strategy_specs_fail_clearly(tmp_path: Path) -> None:
    sc = inputs().load_scenario()
    with pytest.raises(StrategyLoadError, match="--strategy='nope': not a built-in"):
        build_book(("nope",), sc)
    f = tmp_path / "s.py"
    f.write_text("from flashguard.system.strategy import Strategy\n"
                 "class Needs(Strategy):\n"
                 "    def __init__(self, size):\n"
                 "        super().__init__('needs')\n")
    with pytest.raises(StrategyLoadError, match="cannot construct Needs"):
        build_book((f"{f}:Needs",), sc)


def test_the_shipped_matrix_is_recorded_by_name_not_by_where_it_is_installed() -> None:
    # the journal's meta holds the inputs: with the install path in it, the same run from two
    # checkouts gave two journals
    inp = make_inputs("may6")
    assert inp.risk_source == SHIPPED_MATRIX
    assert str(default_matrix_path().parent) not in msgspec.json.encode(inp).decode()

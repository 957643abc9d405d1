"""GRID_TOML, --seeds and --scenario: what they make, and every error naming the field and the
value. No runs here."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_rig import GRID, SCENARIO

from flashguard.market.scenario import ScenarioError
from flashguard.run.inputs import RunInputs
from flashguard.sweep.backends import batch_size, batches
from flashguard.sweep.grid import GridError, load_grid, parse_grid
from flashguard.sweep.plan import PlanError, make_plan, parse_scenarios, parse_seeds
from flashguard.system.risk import default_matrix_path
from flashguard.system.risk.params import parse_matrix_text


def grid(text: str, tmp: Path | None = None) -> object:
    return parse_grid(text, "g.toml", tmp)


def error(text: str, tmp: Path | None = None) -> str:
    with pytest.raises(GridError) as exc:
        parse_grid(text, "g.toml", tmp)
    return str(exc.value)


# --- the two forms ---------------------------------------------------------------------------


def test_named_sets_apply_their_parameters_to_the_shipped_matrix() -> None:
    g = parse_grid(
        '[[set]]\nname = "base"\n\n[[set]]\nname = "tight"\n"stress.vol_bps" = 15.0\n'
        '"strategies.market_maker.on_halt" = "hold"\n', "g.toml")
    assert [s.name for s in g.sets] == ["base", "tight"]
    assert g.paths == ("stress.vol_bps", "strategies.market_maker.on_halt")
    base, tight = (parse_matrix_text(s.risk_toml) for s in g.sets)
    assert base.stress.vol_bps == 25.0 and tight.stress.vol_bps == 15.0
    assert base.strategy("market_maker").on_halt == "flatten"
    assert tight.strategy("market_maker").on_halt == "hold"
    # the rest of the market maker's table is still the shipped one (inherited, not lost)
    assert tight.strategy("market_maker").max_order_qty == 50
    assert tight.strategy("momentum").on_halt == "flatten"
    # the parameter columns: what each run uses, set or not
    assert g.sets[0].values == {"stress.vol_bps": 25.0, "strategies.market_maker.on_halt": "flatten"}
    assert g.sets[1].values == {"stress.vol_bps": 15.0, "strategies.market_maker.on_halt": "hold"}
    assert g.sets[0].params == {}


def test_a_cartesian_grid_makes_every_combination_named_by_its_values() -> None:
    g = parse_grid('[grid]\n"stress.vol_bps" = [20.0, 30.0]\n'
                   '"kill_switch.max_drawdown" = [1_000_000, 3_000_000, 5_000_000]\n', "g.toml")
    names = [s.name for s in g.sets]
    assert len(names) == 6
    assert names[0] == "vol_bps=20.0,max_drawdown=1000000"
    assert names[-1] == "vol_bps=30.0,max_drawdown=5000000"
    last = parse_matrix_text(g.sets[-1].risk_toml)
    assert (last.stress.vol_bps, last.kill_switch.max_drawdown) == (30.0, 5_000_000)


def test_cartesian_names_keep_enough_of_the_path_to_tell_parameters_apart() -> None:
    g = parse_grid('[grid]\n"kill_switch.max_messages" = [100]\n'
                   '"strategy_defaults.max_messages" = [50]\n', "g.toml")
    assert g.sets[0].name == "kill_switch.max_messages=100,strategy_defaults.max_messages=50"


def test_nested_tables_name_the_same_parameters_as_quoted_paths() -> None:
    quoted = parse_grid('[[set]]\nname = "a"\n"stress.vol_bps" = 15.0\n', "g.toml")
    nested = parse_grid('[[set]]\nname = "a"\nstress.vol_bps = 15.0\n', "g.toml")
    assert quoted.sets == nested.sets


def test_a_relative_base_is_read_beside_the_grid_file(tmp_path: Path) -> None:
    text = default_matrix_path().read_text()
    assert "capital = 100_000_000" in text
    (tmp_path / "mine.toml").write_text(text.replace("capital = 100_000_000",
                                                     "capital = 50_000_000"))
    (tmp_path / "g.toml").write_text('base = "mine.toml"\n[[set]]\nname = "a"\n')
    g = load_grid(tmp_path / "g.toml")
    assert g.base == "mine.toml"
    assert parse_matrix_text(g.sets[0].risk_toml).portfolio.capital == 50_000_000


def test_the_shipped_example_has_two_to_four_valid_sets() -> None:
    g = load_grid("grid-example")
    assert 2 <= len(g.sets) <= 4
    repo = Path(__file__).resolve().parents[2]
    assert (repo / "config" / "grid-example.toml").read_text() == (
        repo / "src" / "flashguard" / "config" / "grid-example.toml").read_text()


# --- errors ----------------------------------------------------------------------------------


def test_an_unknown_parameter_is_named_with_what_its_table_has() -> None:
    msg = error('[[set]]\nname = "a"\n"stress.vol_bpz" = 15.0\n')
    assert "'stress.vol_bpz'" in msg and "unknown parameter 'vol_bpz'" in msg
    assert "vol_bps" in msg  # the choices


def test_an_unknown_section_and_a_path_to_a_table_are_errors() -> None:
    assert "unknown section 'strees'" in error('[[set]]\nname = "a"\n"strees.vol_bps" = 1.0\n')
    msg = error('[grid]\n"strategies.market_maker" = [1]\n')
    assert "'strategies.market_maker'" in msg and "NAME.PARAMETER" in msg


def test_a_bad_value_names_the_set_the_parameter_and_the_value() -> None:
    msg = error('[[set]]\nname = "ok"\n\n[[set]]\nname = "neg"\n"stress.vol_bps" = -1.0\n\n'
                '[[set]]\nname = "word"\n"strategy_defaults.on_halt" = "sell"\n')
    assert "2 error(s)" in msg  # every set checked before any run
    assert "set 'neg': stress.vol_bps" in msg and "-1.0" in msg
    assert "set 'word': strategy_defaults.on_halt" in msg and "'sell'" in msg
    assert "set 'ok'" not in msg


def test_a_value_that_breaks_a_rule_across_fields_is_named_with_the_set_value() -> None:
    msg = error('[grid]\n"strategy_defaults.vol_level1_bps" = [50.0, 500.0]\n')
    assert "set 'vol_level1_bps=500.0'" in msg
    assert "strategy_defaults.vol_level1_bps=500.0" in msg
    assert "vol_level1_bps=50.0'" not in msg


def test_a_quoted_number_is_not_a_number() -> None:
    msg = error('[[set]]\nname = "a"\n"kill_switch.max_drawdown" = "1000"\n')
    assert "kill_switch.max_drawdown" in msg and "'1000'" in msg


def test_a_file_has_exactly_one_form() -> None:
    both = error('[grid]\n"stress.vol_bps" = [1.0]\n[[set]]\nname = "a"\n')
    assert "both [grid] and [[set]]" in both
    assert "neither [grid] nor [[set]]" in error('base = "x.toml"\n')
    assert "unknown top-level key(s) sets" in error('[[sets]]\nname = "a"\n')


@pytest.mark.parametrize(("text", "expected"), [
    ('[grid]\n"stress.vol_bps" = 20.0\n', "grid.stress.vol_bps=20.0: expected a non-empty list"),
    ('[grid]\n"stress.vol_bps" = []\n', "grid.stress.vol_bps=[]"),
    ('[grid]\n"stress.vol_bps" = [1.0, 1.0]\n', "1.0 is listed twice"),
    ('[[set]]\n"stress.vol_bps" = 1.0\n', "set #1: name=None"),
    ('[[set]]\nname = ""\n', "set #1: name=''"),
    ('[[set]]\nname = "a/b"\n', "name='a/b': no slashes"),
    ('[[set]]\nname = "a"\n[[set]]\nname = "a"\n', "set #2: name='a': another set"),
    ('base = 3\n[[set]]\nname = "a"\n', "base=3"),
    ('base = "nowhere.toml"\n[[set]]\nname = "a"\n', "base='nowhere.toml': cannot read"),
    ("[[set]\n", "not valid TOML"),
])
def test_malformed_grids(text: str, expected: str, tmp_path: Path) -> None:
    assert expected in error(text, tmp_path)


def test_a_base_that_is_not_a_valid_matrix_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[kill_switch]\nmax_drawdown = -1\n")
    msg = error('base = "bad.toml"\n[[set]]\nname = "a"\n', tmp_path)
    assert "base='bad.toml' is not a valid risk matrix" in msg
    assert "kill_switch.max_drawdown" in msg


def test_a_missing_grid_file_names_the_option() -> None:
    with pytest.raises(GridError, match=r"--grid='no/such.toml': cannot read"):
        load_grid("no/such.toml")


# --- seeds and scenarios ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seeds"), [
    ("1..3", (1, 2, 3)), ("7", (7,)), ("9,1,5", (1, 5, 9)), ("1..3,10", (1, 2, 3, 10)),
    (" 2 .. 2 ", (2,)), ("0", (0,)), ("3,3", (3,)),
])
def test_seeds(text: str, seeds: tuple[int, ...]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(("text", "expected"), [
    ("3..1", "--seeds='3..1': the range '3..1' ends before it starts"),
    ("a", "--seeds='a': 'a' is not a seed"),
    ("1..", "--seeds='1..': '1..' is not a seed"),
    ("", "--seeds='': an empty item"),
    ("1,,2", "--seeds='1,,2': an empty item"),
    ("-1", "--seeds='-1': -1 is negative"),
    ("1.5", "--seeds='1.5': '1.5' is not a seed"),
    ("99999999999", "--seeds='99999999999': 99999999999 is above the largest seed"),
])
def test_bad_seeds_name_the_option_and_the_value(text: str, expected: str) -> None:
    with pytest.raises(PlanError) as exc:
        parse_seeds(text)
    assert expected in str(exc.value)


def test_scenarios() -> None:
    assert parse_scenarios("may6, calm") == ("may6", "calm")
    for bad, expected in (("may6,may6", "listed twice"), ("may6,", "an empty name"),
                          ("", "an empty name")):
        with pytest.raises(PlanError, match=expected) as exc:
            parse_scenarios(bad)
        assert f"--scenario={bad!r}" in str(exc.value)


def test_the_plan_is_every_triple_with_its_own_inputs() -> None:
    g = load_grid(GRID)
    plan = make_plan((SCENARIO,), (4, 2), g)
    triples = [(j.scenario, j.seed, j.set) for j in plan.jobs]
    assert triples == [("mini-may6", 4, "shipped"), ("mini-may6", 4, "kill"),
                       ("mini-may6", 2, "shipped"), ("mini-may6", 2, "kill")]
    assert len({j.key for j in plan.jobs}) == 4
    kill = RunInputs.decode(plan.jobs[1].inputs, "test")
    assert kill.seed == 4 and kill.load_matrix().kill_switch.max_drawdown == 1_000
    assert kill.scenario_toml == Path(SCENARIO).read_text()
    assert kill.strategies == () and kill.disabled == ()  # the default desk, every layer on
    # the same inputs make the same key: a re-run finds its rows
    assert [j.key for j in make_plan((SCENARIO,), (4, 2), g).jobs] == [j.key for j in plan.jobs]


def test_an_unknown_scenario_and_two_scenarios_of_one_name_are_errors(tmp_path: Path) -> None:
    g = load_grid(GRID)
    with pytest.raises(ScenarioError, match="scenario='nope'"):
        make_plan(("nope",), (1,), g)
    copy = tmp_path / "copy.toml"
    copy.write_text(Path(SCENARIO).read_text())
    with pytest.raises(PlanError, match="both named 'mini-may6'"):
        make_plan((SCENARIO, str(copy)), (1,), g)


def test_kept_run_directories_must_not_collide(tmp_path: Path) -> None:
    g = parse_grid('[[set]]\nname = "a b"\n[[set]]\nname = "a_b"\n', "g.toml")
    with pytest.raises(PlanError, match="would share the run directory 'mini-may6-1-a_b'"):
        make_plan((SCENARIO,), (1,), g, keep_runs=tmp_path)


def test_batches_give_each_worker_several_and_stay_small() -> None:
    assert batch_size(1000, 2) == 4
    assert batch_size(8, 2) == 1
    assert batch_size(20, 2) == 3
    assert [len(b) for b in batches(list(range(20)), 2)] == [3, 3, 3, 3, 3, 3, 2]  # type: ignore[arg-type]

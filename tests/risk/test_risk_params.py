"""The risk-parameter matrix: strict validation, every error at once with path and value, the
shipped default, and `flashguard risk check-config`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from risk_rig import DEFAULT_RAW
from typer.testing import CliRunner

from flashguard.cli import app
from flashguard.system.risk import MatrixError, load_default_matrix, load_matrix, parse_matrix
from flashguard.system.risk.params import default_matrix_path

REPO = Path(__file__).resolve().parents[2]


def errors_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(MatrixError) as info:
        parse_matrix(raw, "t")
    return info.value.errors


def edited(**paths: Any) -> dict[str, Any]:
    """The default document with dotted paths set ("a.b.c": value; None deletes)."""
    raw = copy.deepcopy(DEFAULT_RAW)
    for dotted, value in paths.items():
        *parents, key = dotted.split("__")
        node = raw
        for p in parents:
            node = node.setdefault(p, {})
        if value is None:
            del node[key]
        else:
            node[key] = value
    return raw


def test_the_shipped_default_is_valid_and_linked_from_the_repo() -> None:
    m = load_default_matrix()
    assert m.strategy("momentum").max_order_qty == 200  # its own table
    assert m.strategy("momentum").max_position == m.strategy_defaults.max_position  # inherited
    assert m.strategy("unlisted") is m.strategy_defaults
    assert m.venue("ANY").max_msgs_per_s == m.venue_defaults.max_msgs_per_s
    assert m.kill_switch.cooldown_after_reopen_s == 600
    assert m.portfolio.ewma_lambda == 0.94 and m.portfolio.es_confidence == 0.975
    link = REPO / "config" / "risk.toml"
    if link.exists():
        assert link.resolve() == default_matrix_path().resolve()


def test_no_coercion_and_the_error_names_path_and_value() -> None:
    errs = errors_of(edited(strategies__momentum__max_order_qty="10"))
    assert errs == ["strategies.momentum.max_order_qty: Input should be a valid integer "
                    "[input: '10']"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "Input should be a valid integer"),
        (10.0, "Input should be a valid integer"),
        (-5, "Input should be greater than 0"),
    ],
)
def test_strict_integers(value: object, message: str) -> None:
    [err] = errors_of(edited(strategy_defaults__max_order_qty=value))
    assert err.startswith(f"strategy_defaults.max_order_qty: {message}")
    assert f"[input: {value!r}]" in err


def test_every_error_is_listed_at_once() -> None:
    errs = errors_of(edited(
        strategies__momentum__max_order_qty="10",
        portfolio__var_method="montecarlo",
        kill_switch__authorised="ops",
        venue_defaults__burst=0,
        instruments__ES={"lot_multipl": 1},
    ))
    assert len(errs) == 5
    text = "\n".join(errs)
    for path in ("strategies.momentum.max_order_qty", "portfolio.var_method",
                 "kill_switch.authorised", "venue_defaults.burst", "instruments.ES.lot_multipl"):
        assert path in text
    assert "Extra inputs are not permitted" in text
    assert "[input: 'montecarlo']" in text


def test_an_error_in_a_default_is_reported_once_at_the_default() -> None:
    errs = errors_of(edited(strategy_defaults__collar_bps="200"))
    assert errs == ["strategy_defaults.collar_bps: Input should be a valid integer "
                    "[input: '200']"]


def test_a_cross_field_error_in_a_default_is_reported_once_unless_a_table_sets_it() -> None:
    errs = errors_of(edited(strategy_defaults__drawdown_reduce=500_000))
    assert errs == ["strategy_defaults: Value error, drawdown_reduce=500000 must be below "
                    "drawdown_halt=500000"]
    errs = errors_of(edited(strategy_defaults__drawdown_reduce=500_000,
                            strategies__momentum__drawdown_halt=400_000))
    assert errs == ["strategy_defaults: Value error, drawdown_reduce=500000 must be below "
                    "drawdown_halt=500000",
                    "strategies.momentum: Value error, drawdown_reduce=500000 must be below "
                    "drawdown_halt=400000"]


def test_missing_keys_and_cross_field_rules() -> None:
    errs = errors_of(edited(strategy_defaults__max_position=None))
    assert errs == ["strategy_defaults.max_position: Field required"]
    errs = errors_of(edited(strategies__momentum__drawdown_reduce=600_000))
    assert errs == ["strategies.momentum: Value error, drawdown_reduce=600000 must be below "
                    "drawdown_halt=500000"]
    errs = errors_of(edited(portfolio__var_min_samples=1_000))
    assert "var_min_samples=1000 must not exceed var_window=360" in errs[0]
    errs = errors_of(edited(portfolio__on_var_breach=["sell_everything"]))
    assert errs[0].startswith("portfolio.on_var_breach.0: Input should be 'reduce_gross' or")


def test_kill_statuses_are_known_ones() -> None:
    """A misspelt status would never match a VenueStatus: the switch would silently not
    engage. And "open" would kill at every reopen."""
    errs = errors_of(edited(kill_switch__engage_on_venue_status=["halted", "disconected",
                                                                 "open"]))
    assert len(errs) == 2
    assert errs[0].startswith("kill_switch.engage_on_venue_status.1: Input should be")
    assert "[input: 'disconected']" in errs[0] and "[input: 'open']" in errs[1]


def test_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[portfolio\n")
    with pytest.raises(MatrixError, match="not valid TOML"):
        load_matrix(bad)
    with pytest.raises(MatrixError, match="cannot read"):
        load_matrix(tmp_path / "absent.toml")


def test_check_config_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["risk", "check-config", str(default_matrix_path())])
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.output
    text = default_matrix_path().read_text().replace(
        "max_order_qty = 200", 'max_order_qty = "10"'
    ).replace("burst = 200", "burst = 0").replace("[venue_defaults]", "[venue_defaults]\nx = 1")
    bad = tmp_path / "risk.toml"
    bad.write_text(text)
    res = runner.invoke(app, ["risk", "check-config", str(bad)])
    assert res.exit_code == 1
    out = res.output
    assert "3 error(s)" in out
    assert "strategies.momentum.max_order_qty: Input should be a valid integer [input: '10']" in out
    assert "venue_defaults.burst: Input should be greater than 0 [input: 0]" in out
    assert "venue_defaults.x: Extra inputs are not permitted [input: 1]" in out


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ([], ["check a file", "kill switch's persisted state", "check-config", "kill-status"]),
        (["check-config"], ["every error at once", "dotted path", "Exit 0 when valid, 1"]),
        (["default-path"], ["default matrix shipped"]),
        (["kill-status"], ["Exit 0 when not engaged, 2 when engaged, 1"]),
        (["kill"], ["--by", "--reason", "--config", "until an authorised reset"]),
        (["reset"], ["kill_switch.authorised", "cool-down", "pending", "Exit 1 when refused"]),
    ],
)
def test_every_risk_command_explains_itself(command: list[str], says: list[str]) -> None:
    from flashguard.cli.risk import app as risk_app

    res = CliRunner().invoke(risk_app, [*command, "--help"], terminal_width=200)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    for phrase in says:
        assert phrase in text, (command, phrase)


def test_kill_switch_cli_on_a_state_file(tmp_path: Path) -> None:
    runner = CliRunner()
    state = str(tmp_path / "kill.json")
    assert runner.invoke(app, ["risk", "kill-status", state]).exit_code == 0
    res = runner.invoke(app, ["risk", "kill", state, "--by", "ops", "--reason", "drill"])
    assert res.exit_code == 0 and "engaged" in res.output
    res = runner.invoke(app, ["risk", "kill-status", state])
    assert res.exit_code == 2 and "ENGAGED" in res.output and "drill" in res.output
    res = runner.invoke(app, ["risk", "reset", state, "--by", "ops", "--reason", "done"])
    assert res.exit_code == 1 and "not authorised" in res.output
    res = runner.invoke(app, ["risk", "reset", state, "--by", "risk-officer", "--reason", "ok"])
    assert res.exit_code == 0 and res.output.strip() == "reset"
    assert runner.invoke(app, ["risk", "kill-status", state]).exit_code == 0


def test_the_stress_watch_is_in_the_matrix_and_reaches_the_regime() -> None:
    from flashguard.system.strategy.regime import regime_params

    m = parse_matrix(edited(stress__vol_bps=7.5, stress__calm_s=3, stress__vpin_calibrate_s=0),
                     "test")
    p = regime_params(m.stress)
    assert (p.vol_bps, p.calm_ns, p.vpin_calibrate_ns) == (7.5, 3 * 10**9, 0)
    assert p.vol_sample_ns == m.stress.vol_sample_ms * 10**6
    errs = errors_of(edited(stress__vpin_cdf=1.5, stress__vol_window=1))
    assert errs == [
        "stress.vol_window: Input should be greater than or equal to 2 [input: 1]",
        "stress.vpin_cdf: Input should be less than or equal to 1 [input: 1.5]",
    ]

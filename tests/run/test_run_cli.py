"""`flashguard run` end to end on a three-minute scenario: the outputs, the summary's fields
against the journal's own rows, what the journal holds, and bad input."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import msgspec
import pytest
from run_rig import FLASH, kill_config, meta, rows, short_flash
from typer.testing import CliRunner

from flashguard.cli import app
from flashguard.core.events import AnyEvent, KillSwitch, OrderRejected, RiskAction

runner = CliRunner()
decode = msgspec.json.Decoder(AnyEvent).decode


@pytest.fixture(scope="module")
def killed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 90-second run whose kill switch trips on the desk's first dollar of drawdown (just after the fat finger at 60 s)."""
    tmp = tmp_path_factory.mktemp("cli")
    out = tmp / "run"
    result = runner.invoke(app, ["run", short_flash(tmp, 90), "--config", str(kill_config(tmp)),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def _summary(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text())


def test_a_run_writes_every_output(killed_run: tuple[Path, str]) -> None:
    out, printed = killed_run
    for name in ("journal.sqlite", "summary.json", "bars_1s.csv", "timeline.md", "report.html",
                 "report.png", "kill_state.json"):
        assert (out / name).stat().st_size > 0, name
    assert "Timeline of Automated Reaction" in printed
    assert (out / "timeline.md").read_text().startswith("# Timeline of Automated Reaction")
    m = meta(out / "journal.sqlite")
    assert (m["scenario"], m["seed"], m["tick_size"], m["instrument"]) == ("flash", "3", "0.01",
                                                                          "FGX")
    assert json.loads(m["run"])["scenario_toml"] == Path(FLASH).read_text().replace(
        "duration_s = 180", "duration_s = 90")


def test_the_summary_has_the_fields_of_the_issue(killed_run: tuple[Path, str]) -> None:
    s = _summary(killed_run[0])
    assert list(s) == ["scenario", "seed", "wall_seconds", "events", "market", "system",
                       "ablation"]
    assert set(s["system"]) == {
        "starting_capital", "final_equity", "pnl", "max_drawdown_pct", "orders_sent",
        "orders_rejected", "fills", "actions", "kill_switch"}
    assert list(s["system"]["orders_rejected"]) == ["L1", "L2", "L3", "L4"]
    assert set(s["system"]["kill_switch"]) == {"engaged_at_ns", "open_orders_at_engage",
                                               "all_cancelled_at_ns"}
    for action in s["system"]["actions"]:
        assert set(action) == {"t_ns", "layer", "rule", "value", "limit", "action", "strategy"}
    market_fields = {"scenario", "seed", "simulated_seconds", "wall_seconds", "messages",
                     "trades", "halts", "crash", "stylized", "vpin", "intermediaries"}
    assert set(s["market"]) == market_fields
    assert s["market"]["simulated_seconds"] == 90
    assert s["ablation"] == []


def test_the_summary_counts_what_the_journal_holds(killed_run: tuple[Path, str]) -> None:
    out = killed_run[0]
    s = _summary(out)
    journal = rows(out / "journal.sqlite")
    kinds = [k for _, _, k, _ in journal]
    assert s["events"] == len(journal)
    system = s["system"]
    assert system["orders_sent"] == kinds.count("order_submitted") > 0
    assert system["fills"] == kinds.count("fill") > 0
    rejects = [decode(b) for _, _, k, b in journal if k == "order_rejected"]
    layers = [r.layer for r in rejects if isinstance(r, OrderRejected)]
    assert system["orders_rejected"]["L4"] == layers.count("L4") > 0
    kills = [decode(b) for _, _, k, b in journal if k == "kill_switch"]
    assert isinstance(kills[0], KillSwitch) and kills[0].engaged
    ks = system["kill_switch"]
    assert ks["engaged_at_ns"] == kills[0].t_ns
    assert ks["all_cancelled_at_ns"] is not None and ks["all_cancelled_at_ns"] >= kills[0].t_ns
    # the kill's decision, with its measured drawdown over the 1-unit limit
    (kill,) = [a for a in system["actions"] if a["layer"] == "L4"]
    assert (kill["rule"], kill["action"], kill["limit"]) == ("drawdown", "kill", 1.0)
    assert kill["value"] > 1.0
    risk = [decode(b) for _, _, k, b in journal if k == "risk_action"]
    assert all(isinstance(a, RiskAction) for a in risk)
    # P&L and equity are the last snapshot's, drawdown the deepest
    snaps = [json.loads(b) for _, _, k, b in journal if k == "snapshot"]
    assert system["final_equity"] == round(snaps[-1]["equity"], 2)
    assert system["pnl"] == round(snaps[-1]["equity"] - system["starting_capital"], 2)
    deepest = max(x["drawdown_pct"] for x in snaps)  # (test_run_summary: a deep one)
    assert system["max_drawdown_pct"] == pytest.approx(deepest, rel=1e-9)


def test_the_journal_holds_what_the_system_saw(killed_run: tuple[Path, str]) -> None:
    journal = rows(killed_run[0] / "journal.sqlite")
    quotes = {json.loads(b)["venue"] for _, _, k, b in journal if k == "quote"}
    assert quotes == {"XNYS", "BATS", "ALL"}  # each lit venue's feed and the SIP; no dark quotes
    kinds = {k for _, _, k, _ in journal}
    assert {"trade", "luld_band", "snapshot", "route_decision", "order_submitted",
            "order_accepted", "cancel_order", "order_cancelled", "risk_action",
            "kill_switch", "regime_change"} <= kinds
    # no report before its order was journaled
    submitted: dict[str, int] = {}
    for seq, _, kind, body in journal:
        ev = json.loads(body)
        if kind == "order_submitted":
            submitted[ev["client_order_id"]] = seq
        elif kind in ("order_accepted", "fill"):
            assert submitted[ev["client_order_id"]] < seq
    # the snapshot every simulated second
    snaps = [t for _, t, k, _ in journal if k == "snapshot"]
    assert len(snaps) == 90 and all(b - a == 1_000_000_000 for a, b in pairwise(snaps))


def test_disabling_the_kill_switch_layer(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", FLASH, "--config", str(kill_config(tmp_path)),
                                 "--disable", "l4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    kinds = [k for _, _, k, _ in rows(out / "journal.sqlite")]
    assert "kill_switch" not in kinds
    assert meta(out / "journal.sqlite")["disabled"] == "L4"
    assert _summary(out)["system"]["kill_switch"]["engaged_at_ns"] is None


def test_user_and_builtin_strategies(tmp_path: Path) -> None:
    user = tmp_path / "dip.py"
    user.write_text(
        "from flashguard.system.strategy import AGGRESSIVE, Intent, Strategy\n"
        "class Dip(Strategy):\n"
        "    def __init__(self, instrument='X'):\n"
        "        super().__init__('dip')\n"
        "        self.instruments = (instrument,)\n"
        "        self.instrument = instrument\n"
        "    def on_start(self):\n"
        "        self.set_timer(30_000_000_000)\n"
        "    def on_timer(self, t_ns):\n"
        "        self.submit(Intent(self.instrument, 1, 3, urgency=AGGRESSIVE))\n"
    )
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", FLASH, "--out", str(out), "--strategy",
                                 f"{user}:Dip", "--strategy", "pov"])
    assert result.exit_code == 0, result.output
    strategies = {json.loads(b)["strategy"] for _, _, k, b in rows(out / "journal.sqlite")
                  if k == "order_submitted"}
    assert strategies == {"dip", "pov"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "scenario='nosuch': no such built-in"),
        ([FLASH, "--disable", "L5"], "--disable='L5': unknown layer(s) L5"),
        ([FLASH, "--strategy", "wobble"], "--strategy='wobble': not a built-in"),
        ([FLASH, "--strategy", "nofile.py:X"], "no such file nofile.py"),
        ([FLASH, "--config", "nofile.toml"], "--config='nofile.toml': cannot read"),
        (["--resume", ".", "--seed", "3"], "--resume takes its inputs from the journal: drop --seed"),
    ],
)
def test_bad_input_names_the_input(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["run", *args, "--out", str(tmp_path / "x")]
                           if "--resume" not in args else ["run", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_a_bad_risk_matrix_lists_its_errors(tmp_path: Path) -> None:
    config = tmp_path / "risk.toml"
    config.write_text(kill_config(tmp_path).read_text().replace("capital = 100_000_000",
                                                                "capital = -1"))
    result = runner.invoke(app, ["run", FLASH, "--config", str(config), "--out",
                                 str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "portfolio.capital" in result.output

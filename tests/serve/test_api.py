"""The operator API through FastAPI's test client: every endpoint, both roles, the 401 and
403 paths, commands journaled with who and why, and a kill that survives a restart."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from flashguard.core.clock import NS_PER_SECOND
from flashguard.run.inputs import make_inputs
from flashguard.run.invariants import check_journal
from flashguard.serve.app import create_app
from flashguard.serve.auth import TokenError, parse_tokens
from flashguard.serve.live import LiveRun
from flashguard.system.risk import default_matrix_path

RM = "rm-token-0123456789abcdef"
BOSS = "boss-token-0123456789abcdef"
VIEWER = "viewer-token-0123456789"
TOKENS = f"""
[[token]]
name = "desk-head"
role = "risk-manager"
token = "{RM}"

[[token]]
name = "risk-officer"
role = "risk-manager"
token = "{BOSS}"

[[token]]
name = "watcher"
role = "viewer"
token = "{VIEWER}"
"""


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class FakeWall:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def live_run(directory: Path, wall: FakeWall, config: Path | None = None,
             fresh: bool = True) -> LiveRun:
    inputs = make_inputs("may6", 1, config) if fresh else None
    live = LiveRun(directory, inputs, speed=1.0, clock=wall)
    while not live.replay_step():
        pass
    live.start_pacing()
    return live


def advance(live: LiveRun, wall: FakeWall, seconds: float) -> None:
    wall.now += seconds
    while live.catch_up(budget_s=60.0):
        pass


@pytest.fixture
def tokens():
    return parse_tokens(TOKENS, "test")


@pytest.fixture
def served(tmp_path: Path, tokens) -> Iterator[tuple[TestClient, LiveRun, FakeWall]]:
    wall = FakeWall()
    live = live_run(tmp_path / "run", wall)
    advance(live, wall, 20)
    with TestClient(create_app(live, tokens, pace=False)) as client:
        yield client, live, wall


def journal_rows(directory: Path, kind: str) -> list[dict]:
    db = sqlite3.connect(directory / "journal.sqlite")
    try:
        rows = db.execute("SELECT body FROM events WHERE type = ? ORDER BY seq", (kind,))
        return [json.loads(r[0]) for r in rows]
    finally:
        db.close()


GETS = ("/api/status", "/api/positions", "/api/risk", "/api/orders", "/api/history")
POSTS = ("/api/kill", "/api/reset", "/api/strategies/momentum/halt",
         "/api/strategies/momentum/resume")


def test_every_endpoint_needs_a_known_token(served) -> None:
    client, _, _ = served
    for path in (*GETS, "/api/events"):
        r = client.get(path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == "Bearer"
        assert client.get(path, headers=auth("not-a-token-at-all")).status_code == 401
    for path in POSTS:
        assert client.post(path, json={"reason": "x"}).status_code == 401
        assert client.post(path, json={"reason": "x"},
                           headers=auth("not-a-token-at-all")).status_code == 401


def test_a_viewer_reads_everything_and_changes_nothing(served) -> None:
    client, live, _ = served
    for path in GETS:
        assert client.get(path, headers=auth(VIEWER)).status_code == 200, path
    seq = live.recorder.seq
    for path in POSTS:
        r = client.post(path, json={"reason": "curious"}, headers=auth(VIEWER))
        assert r.status_code == 403, path
        assert "viewer" in r.json()["detail"]
    assert live.recorder.seq == seq  # nothing journaled, nothing done
    assert not live.run.system.gate.kill_engaged
    assert client.get("/api/status", headers=auth(VIEWER)).json()["user"] == {
        "name": "watcher", "role": "viewer"}


def test_reads_describe_the_running_system(served) -> None:
    client, live, wall = served
    s = client.get("/api/status", headers=auth(RM)).json()
    assert s["state"] == "running" and s["scenario"] == "may6" and s["seed"] == 1
    assert s["sim_time_ns"] == live.now_ns == live.scenario.start_ns + 20 * NS_PER_SECOND
    assert s["sim_time"] == "13:45:20"
    assert s["lag_s"] == 0.0  # caught up with its pace
    assert s["kill_switch"] == {"engaged": False, "by": None, "reason": None,
                                "since_ns": None, "since": None, "reset_pending": None}
    assert [x["name"] for x in s["strategies"]] == ["momentum", "market_maker", "twap"]
    assert {v["name"] for v in s["venues"]} == {"XNYS", "XNAS", "BATS", "DARK"}
    lit = [v for v in s["venues"] if not v["dark"]]
    assert all(v["status"] == "open" and 0 < v["bid"] < v["ask"] for v in lit)
    o = client.get("/api/orders", headers=auth(RM)).json()
    assert o["open"] == live.run.system.gate.open_orders() > 0  # the market maker quotes
    assert sum(len(v) for v in o["venues"].values()) == o["open"]
    first = next(x for v in o["venues"].values() for x in v)
    assert first["strategy"] == "market_maker" and first["side"] in ("buy", "sell")
    r = client.get("/api/risk", headers=auth(RM)).json()
    assert [x["layer"] for x in r["layers"]] == ["L1", "L2", "L3", "L4"]
    assert all(x["enabled"] and x["limits"] for x in r["layers"])
    assert r["equity"] == pytest.approx(100_000_000, rel=1e-3)
    h = client.get("/api/history", headers=auth(RM)).json()
    assert len(h["equity"]) == 20  # one snapshot each simulated second
    assert all(len(h["prices"][v]) >= 19 for v in ("XNYS", "XNAS", "BATS"))
    later = client.get(f"/api/history?since_ns={h['equity'][9][0]}", headers=auth(RM)).json()
    assert len(later["equity"]) == 10
    p = client.get("/api/positions", headers=auth(RM)).json()
    gate = live.run.system.gate
    held = {(x["strategy"], x["instrument"]): x["qty"] for x in p["positions"] if x["qty"]}
    assert held == {(name, sym): qty for name in live.run.system.engine.strategies
                    for sym, qty in gate.positions(name).items()}
    assert held  # twenty seconds in, the desk holds something
    assert {x["strategy"]: x["agency"] for x in p["positions"]}.get("twap", True) is True
    wall.now += 3  # three wall seconds pass without a step: 3 s behind
    assert client.get("/api/status", headers=auth(RM)).json()["lag_s"] == 3.0
    advance(live, wall, 0)
    assert client.get("/api/status", headers=auth(RM)).json()["lag_s"] == 0.0


def test_kill_is_journaled_cancels_everything_and_survives_a_restart(
    tmp_path: Path, tokens
) -> None:
    wall = FakeWall()
    directory = tmp_path / "run"
    live = live_run(directory, wall)
    advance(live, wall, 20)
    with TestClient(create_app(live, tokens, pace=False)) as client:
        assert client.post("/api/kill", json={"reason": " "}, headers=auth(RM)).status_code == 400
        r = client.post("/api/kill", json={"reason": "manual oversight"}, headers=auth(RM))
        assert r.status_code == 200
        ks = r.json()["kill_switch"]
        assert ks["engaged"] and ks["by"] == "desk-head" and "manual oversight" in ks["reason"]
        assert client.post("/api/kill", json={"reason": "again"},
                           headers=auth(RM)).status_code == 409
        advance(live, wall, 2)  # the venues' cancel acknowledgements
        assert client.get("/api/orders", headers=auth(RM)).json()["open"] == 0
        # the desk-head may kill but is not named in the matrix as one who may reset
        r = client.post("/api/reset", json={"reason": "done"}, headers=auth(RM))
        assert r.status_code == 403 and "kill_switch.authorised" in r.json()["detail"]
        advance(live, wall, 5)
        seq = live.recorder.seq
        state = client.get("/api/status", headers=auth(VIEWER)).json()
    ops = journal_rows(directory, "operator")
    assert ops == [{"type": "operator", "t_ns": ks["since_ns"], "action": "kill",
                    "by": "desk-head", "role": "risk-manager", "reason": "manual oversight",
                    "target": ""}]
    kills = journal_rows(directory, "kill_switch")
    assert [(k["engaged"], k["by"]) for k in kills] == [(True, "desk-head")]
    # restarted on the same journal: the same run, the same state, kill switch included
    wall2 = FakeWall()
    again = live_run(directory, wall2, fresh=False)
    assert again.restarted and again.recorder.seq >= seq
    with TestClient(create_app(again, tokens, pace=False)) as client:
        s = client.get("/api/status", headers=auth(VIEWER)).json()
        assert s["kill_switch"] == state["kill_switch"]
        assert s["restarted"] is True
        assert client.get("/api/orders", headers=auth(RM)).json()["open"] == 0
        advance(again, wall2, 5)
        assert client.get("/api/orders", headers=auth(RM)).json()["open"] == 0
        # an authorised reset; the cool-down does not hold it (no venue has halted yet)
        r = client.post("/api/reset", json={"reason": "reviewed"}, headers=auth(BOSS))
        assert r.status_code == 200 and r.json()["released"] is True
        assert client.post("/api/reset", json={"reason": "again"},
                           headers=auth(BOSS)).status_code == 409
    assert [o["action"] for o in journal_rows(directory, "operator")] == ["kill", "reset"]
    kills = journal_rows(directory, "kill_switch")
    assert [(k["engaged"], k["by"]) for k in kills] == [(True, "desk-head"), (False, "risk-officer")]
    assert check_journal(directory / "journal.sqlite") == []  # every run invariant holds


def test_halt_and_resume_a_strategy(served, tmp_path: Path) -> None:
    client, live, wall = served
    r = client.post("/api/strategies/nobody/halt", json={"reason": "x"}, headers=auth(RM))
    assert r.status_code == 404 and "nobody" in r.json()["detail"]
    r = client.post("/api/strategies/market_maker/halt", json={"reason": "review"},
                    headers=auth(RM))
    assert r.status_code == 200 and r.json()["strategy"]["mode"] == "halted"
    assert client.post("/api/strategies/market_maker/halt", json={"reason": "x"},
                       headers=auth(RM)).status_code == 409
    advance(live, wall, 3)
    orders = client.get("/api/orders", headers=auth(RM)).json()
    assert not any(o["strategy"] == "market_maker" for v in orders["venues"].values() for o in v)
    r = client.post("/api/strategies/market_maker/resume", json={"reason": "ok"},
                    headers=auth(RM))
    assert r.status_code == 403  # desk-head is not in kill_switch.authorised
    r = client.post("/api/strategies/market_maker/resume", json={"reason": "ok"},
                    headers=auth(BOSS))
    assert r.status_code == 200 and r.json()["strategy"]["mode"] == "active"
    advance(live, wall, 3)
    actions = [(a["rule"], a["action"], a["strategy"])
               for a in journal_rows(live.directory, "risk_action")]
    assert ("manual", "halt_strategy", "market_maker") in actions
    assert ("manual", "restart_strategy", "market_maker") in actions
    live.journal.flush()
    assert check_journal(live.directory / "journal.sqlite") == []


def test_events_stream_every_journal_event_with_its_seq(served) -> None:
    client, live, _ = served
    with client.stream("GET", "/api/events?since=0&types=snapshot,quote",
                       headers=auth(VIEWER)) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in r.iter_lines():
            lines.append(line)
            if len([x for x in lines if x.startswith("data: ")]) >= 30:
                break
    datas = [json.loads(x[6:]) for x in lines if x.startswith("data: ")]
    ids = [int(x[4:]) for x in lines if x.startswith("id: ")]
    assert [d["seq"] for d in datas] == ids == sorted(ids)
    assert {d["type"] for d in datas} <= {"snapshot", "quote"}
    db = sqlite3.connect(live.directory / "journal.sqlite")
    try:
        for d in datas[:5]:
            tag, body = db.execute("SELECT type, body FROM events WHERE seq = ?",
                                   (d["seq"],)).fetchone()
            stored = json.loads(body)
            assert tag == d["type"] and stored == {k: v for k, v in d.items() if k != "seq"}
    finally:
        db.close()


def test_token_files_are_checked_field_by_field() -> None:
    cases = {
        '[[token]]\nname = "a"\nrole = "admin"\ntoken = "0123456789abcdefgh"': "role='admin'",
        '[[token]]\nname = "a"\nrole = "viewer"\ntoken = "short"': "at least 16",
        '[[token]]\nrole = "viewer"\ntoken = "0123456789abcdefgh"': "name=None",
        '[[token]]\nname = "a"\nrole = "viewer"\ntoken = "0123456789abcdefgh"\nx = 1': "x",
        'title = "x"': "unknown key",
        '[[token]]\nname = "a"\nrole = "viewer"\ntoken = "0123456789abcdefgh"\n'
        '[[token]]\nname = "a"\nrole = "viewer"\ntoken = "0123456789abcdefgX"': "appears twice",
    }
    for text, expected in cases.items():
        with pytest.raises(TokenError, match=expected.replace("(", r"\(")) as info:
            parse_tokens(text, "tokens.toml")
        assert "0123456789abcdef" not in str(info.value)  # a token is never echoed


def _alert_config(tmp_path: Path) -> Path:
    """The shipped matrix with a kill-switch message limit the desk passes within seconds."""
    text = default_matrix_path().read_text(encoding="utf-8")
    old = "max_messages = 5_000              # all strategies'"
    assert old in text
    path = tmp_path / "risk.toml"
    # the desk sends up to 32 messages a second in may6's first 30 s (seed 1)
    path.write_text(text.replace(old, "max_messages = 20 # all strategies'"), encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_risk_breach_reaches_the_event_stream_within_a_second_at_real_time(
    tmp_path: Path, tokens
) -> None:
    """--speed 1, the real pacer: the wall time a risk decision arrives on /api/events minus
    the wall time its simulated instant was due (the pace's anchor) is under 1 s."""
    live = LiveRun(tmp_path / "run", make_inputs("may6", 1, _alert_config(tmp_path)), speed=1.0)
    received: list[tuple[float, dict]] = []
    with TestClient(create_app(live, tokens)) as client:
        done = threading.Event()

        def listen() -> None:
            with client.stream("GET", "/api/events?since=0&types=risk_action,kill_switch",
                               headers=auth(VIEWER)) as r:
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        received.append((time.time(), json.loads(line[6:])))
                        if received[-1][1]["type"] == "kill_switch" or done.is_set():
                            return

        t = threading.Thread(target=listen, daemon=True)
        t.start()
        t.join(timeout=30)
        done.set()
        assert received, "no risk decision reached /api/events within 30 s"
        pace = live.pace
        assert pace is not None and pace.speed == 1.0
    lags = [at - pace.wall_of(ev["t_ns"]) for at, ev in received]
    assert received[-1][1]["type"] == "kill_switch"
    assert any(ev["type"] == "risk_action" and ev["layer"] == "L4" for _, ev in received)
    print(f"alert latency: {len(lags)} events, max {max(lags) * 1000:.0f} ms")
    assert max(lags) < 1.0, lags


def test_the_run_finishes_with_flashguard_runs_outputs(tmp_path: Path, tokens) -> None:
    """A paced run that reaches the scenario's end writes the journal, bars and summary of a
    `flashguard run` of the same inputs: the same journal rows."""
    from rich.console import Console

    from flashguard.market.scenario import scenario_text
    from flashguard.run.runner import start

    text, _ = scenario_text("may6")
    short = tmp_path / "short.toml"
    short.write_text(text.replace("duration_s = 7200", "duration_s = 30"), encoding="utf-8")
    wall = FakeWall()
    live = LiveRun(tmp_path / "live", make_inputs(str(short), 1), speed=1.0, clock=wall)
    while not live.replay_step():
        pass
    live.start_pacing()
    with TestClient(create_app(live, tokens, pace=False)) as client:
        advance(live, wall, 10)
        assert client.get("/api/status", headers=auth(VIEWER)).json()["state"] == "running"
        advance(live, wall, 25)
        assert client.get("/api/status", headers=auth(VIEWER)).json()["state"] == "finished"
    summary = json.loads((tmp_path / "live" / "summary.json").read_text())
    offline = start(make_inputs(str(short), 1), tmp_path / "offline", Console(quiet=True),
                    reports=False)
    assert summary["events"] == offline["events"] > 0
    assert summary["system"] == offline["system"]

    def rows(d: Path) -> list[tuple]:
        db = sqlite3.connect(d / "journal.sqlite")
        try:
            return db.execute("SELECT seq, t_ns, type, body FROM events ORDER BY seq").fetchall()
        finally:
            db.close()

    assert rows(tmp_path / "live") == rows(tmp_path / "offline")


def test_serve_refuses_bad_input_naming_it(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flashguard.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["serve", "--tokens", str(tmp_path / "none.toml")])
    assert r.exit_code == 2 and "--tokens=" in r.output and "cannot read" in r.output
    (tmp_path / "t.toml").write_text(TOKENS, encoding="utf-8")
    r = runner.invoke(app, ["serve", "--tokens", str(tmp_path / "t.toml"), "--speed", "0",
                            "--journal", str(tmp_path / "j")])
    assert r.exit_code == 2 and "--speed=0" in r.output
    r = runner.invoke(app, ["serve", "nosuch", "--tokens", str(tmp_path / "t.toml")])
    assert r.exit_code == 2 and "nosuch" in r.output
    r = runner.invoke(app, ["serve", "--tokens", str(tmp_path / "t.toml"), "--journal",
                            str(tmp_path / "empty")])
    assert r.exit_code == 2 and "no run there" in r.output


def test_the_example_tokens_file_the_readme_uses_loads() -> None:
    from flashguard.serve.auth import load_tokens

    path = Path(__file__).resolve().parents[2] / "config" / "tokens-example.toml"
    tokens = load_tokens(path)
    assert len(tokens) == 2
    user = tokens.user("example-risk-officer-token-change-me")
    assert user is not None and user.may_act and user.name == "risk-officer"


def test_a_late_reader_still_gets_the_days_decisions() -> None:
    """Older than the event window, /api/events?since= gives the decisions (risk actions,
    kill switch, regime changes, venue statuses, operators' commands), then the window."""
    from flashguard.core.events import KillSwitch, OperatorCommand, Quote
    from flashguard.serve.observer import Observer

    obs = Observer.for_venues([("XNAS", False)])
    obs.window = 10
    for seq in range(1, 101):
        ev = (OperatorCommand(seq, "kill", "a", "risk-manager", "why") if seq == 7
              else KillSwitch(seq, True, "a", "why") if seq == 8
              else Quote(seq, "XNAS", "ABC", 1, 1, 2, 1))
        obs.on_event(seq, ev)
    assert obs.base > 8  # the window has moved past them
    got = [seq for seq, _ in obs.since(0)]
    assert got[:2] == [7, 8] and got[2:] == list(range(obs.base, 101))
    assert [seq for seq, _ in obs.since(7)][:1] == [8]
    assert [seq for seq, _ in obs.since(95)] == [96, 97, 98, 99, 100]


def test_a_kill_on_the_state_file_while_down_is_honoured_on_restart(
    tmp_path: Path, tokens
) -> None:
    from typer.testing import CliRunner

    from flashguard.cli import app

    wall = FakeWall()
    directory = tmp_path / "run"
    live = live_run(directory, wall)
    advance(live, wall, 10)
    live.close()
    r = CliRunner().invoke(app, ["risk", "kill", str(directory / "kill_state.json"),
                                 "--by", "night-desk", "--reason", "venue outage overnight"])
    assert r.exit_code == 0, r.output
    again = live_run(directory, FakeWall(), fresh=False)
    with TestClient(create_app(again, tokens, pace=False)) as client:
        ks = client.get("/api/status", headers=auth(VIEWER)).json()["kill_switch"]
    assert ks["engaged"] and ks["by"] == "night-desk" and "venue outage" in ks["reason"]
    [op] = journal_rows(directory, "operator")
    assert (op["action"], op["by"], op["role"]) == ("kill", "night-desk", "state-file")


def test_tokens_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from flashguard.serve.auth import ENV, load_tokens

    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(TokenError, match="--tokens FILE or set FLASHGUARD_TOKENS"):
        load_tokens(None)
    monkeypatch.setenv(ENV, TOKENS)
    tokens = load_tokens(None)
    user = tokens.user(VIEWER)
    assert len(tokens) == 3 and user is not None and (user.name, user.role) == (
        "watcher", "viewer")
    monkeypatch.setenv(ENV, '[[token]]\nname = "x"\nrole = "boss"\ntoken = "0123456789abcdefXY"')
    with pytest.raises(TokenError, match=r"FLASHGUARD_TOKENS: \[\[token\]\] #1 \(name 'x'\): "
                                         "role='boss'"):
        load_tokens(None)

"""A run in paced time, with a person's hand on it: the engine of `flashguard serve`.

It is `flashguard run`'s run - the same `build`, recorder and journal - driven by the wall
clock instead of as fast as it goes: the service calls `catch_up()` often, and the simulation
advances to where `speed` times the wall time elapsed since the start says it should be.

Commands. An operator's kill, reset, halt or resume is checked first (a command that would
fail is refused before anything is written), then journaled as an `OperatorCommand` at the
simulation's current instant (durably, before anything acts on it), then carried out through
the risk gate's operator API, which journals its own decisions. Commands run between two
steps of the simulation, never inside one.

Restart. Started on a directory whose journal holds a run, the service computes that run again
from its stored inputs, faster than real time, and carries out each journaled command again at
its own instant (the simulation is advanced to exactly that instant first): the recorder
checks every event against the journal, so the run comes back in the same state - kill
switch, halts and positions included - or the restart fails naming the first difference. Then
it goes on in paced time from where it stopped.

The kill switch's state file. As for `flashguard run --resume`, the run's own file is set aside
and recomputed by the replay. An engagement in the file that the journal does not explain (a
`flashguard risk kill` on the file while the service was down) is honoured: the kill switch is
engaged as soon as the replay ends, as an operator's command by whoever the file names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import Event, OperatorCommand
from flashguard.journal.store import Journal, open_journal
from flashguard.run.build import Run, build
from flashguard.run.inputs import RunInputs
from flashguard.run.recorder import Recorder, ResumeDivergence
from flashguard.run.resume import RUN_ENGAGER, stored_inputs
from flashguard.run.runner import GROUP, JOURNAL, KILL_STATE, clear_outputs, finish, write_meta
from flashguard.serve.observer import Observer
from flashguard.system.risk import StrategyMode
from flashguard.system.risk.killswitch import KillSwitchState, load_state

ACTIONS = ("kill", "reset", "halt", "resume")
REPLAY_STEP_NS = 5 * NS_PER_SECOND
MAX_STEP_NS = NS_PER_SECOND  # a paced step advances at most this much simulated time
FILE_ROLE = "state-file"  # the role named when a kill switch file's engagement is honoured


class ServeError(ValueError):
    """A service that cannot start, naming the input and the value."""


class CommandError(Exception):
    """A command refused before anything was written: status is the HTTP status it maps to."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class Pace:
    """Simulated time sim_ns happens at wall time wall_s (time.time()); speed ns per ns."""

    wall_s: float
    sim_ns: int
    speed: float

    def target(self, now_s: float) -> int:
        return self.sim_ns + int((now_s - self.wall_s) * self.speed * NS_PER_SECOND)

    def wall_of(self, t_ns: int) -> float:
        return self.wall_s + (t_ns - self.sim_ns) / NS_PER_SECOND / self.speed


class LiveRun:
    def __init__(
        self, directory: Path, inputs: RunInputs | None, *, speed: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not speed > 0:
            raise ServeError(f"--speed={speed}: must be > 0 (1 = real time)")
        self.directory = directory
        self.speed = speed
        self._wall = clock
        directory.mkdir(parents=True, exist_ok=True)
        journal_path = directory / JOURNAL
        self.restarted = journal_path.is_file() and _holds_run(journal_path)
        if self.restarted:
            stored = stored_inputs(directory)
            if inputs is not None and (stored.scenario_toml, stored.seed, stored.risk_toml) != (
                inputs.scenario_toml, inputs.seed, inputs.risk_toml
            ):
                raise ServeError(
                    f"--journal {directory}: it holds a run of {stored.scenario!r} seed "
                    f"{stored.seed}; restart it without SCENARIO/--seed/--config, or use "
                    "another directory for a new run"
                )
            inputs = stored
            self.file_state = load_state(directory / KILL_STATE)  # KillSwitchError if unreadable
            (directory / KILL_STATE).unlink(missing_ok=True)
            self._replay = _stored_commands(journal_path)
        else:
            if inputs is None:
                raise ServeError(f"--journal {directory}: no run there; give a SCENARIO")
            clear_outputs(directory)
            self.file_state = KillSwitchState()
            self._replay = []
        self.inputs = inputs
        self.journal = Journal(journal_path, group=GROUP)
        if not self.restarted:
            write_meta(self.journal, inputs)
        self.recorder = Recorder(self.journal)
        self.run: Run = build(inputs, self._emit, kill_state_path=directory / KILL_STATE)
        sim = self.run.sim
        self.observer = Observer.for_venues((v.name, v.dark) for v in sim.market.venues)
        self.scenario = self.run.scenario
        self.tick = float(self.scenario.instrument.tick_size)
        self.state = "replaying" if self.recorder.verifying or self._replay else "starting"
        self.pace: Pace | None = None
        self.summary: dict[str, Any] | None = None
        self.error: str | None = None  # why the run stopped, if it failed
        self.run.system.start()

    # --- the event stream ------------------------------------------------------------------

    def _emit(self, ev: Event) -> None:
        self.recorder(ev)
        self.observer.on_event(self.recorder.seq, ev)

    @property
    def now_ns(self) -> int:
        return int(self.run.sim.loop.now_ns())

    @property
    def finished(self) -> bool:
        return self.state == "finished"

    # --- replay ----------------------------------------------------------------------------

    def replay_step(self) -> bool:
        """Advance the replay by one step; True when the replay is over."""
        sim = self.run.sim
        if self._replay:
            seq, cmd = self._replay[0]
            target = min(self.now_ns + REPLAY_STEP_NS, cmd.t_ns)
            sim.run(target)
            if target == cmd.t_ns:
                if self.recorder.seq != seq - 1:
                    raise ResumeDivergence(
                        f"restart diverged: the journal holds the operator's {cmd.action!r} at "
                        f"seq={seq}, t_ns={cmd.t_ns}, but the rerun reached that instant after "
                        f"{self.recorder.seq} events"
                    )
                self._replay.pop(0)
                self._carry_out(cmd)
            return False
        if self.recorder.verifying:
            sim.run(min(self.now_ns + REPLAY_STEP_NS, self.scenario.end_ns))
            if self.now_ns >= self.scenario.end_ns:
                self.recorder.finish()  # raises: the journal holds more than the run made
            return False
        self._after_replay()
        return True

    def _after_replay(self) -> None:
        gate = self.run.system.gate
        f = self.file_state
        if f.engaged and f.by != RUN_ENGAGER and not gate.kill_engaged:
            # engaged on the file while the service was down: the kill switch stays engaged
            # (an engagement by the run's own rules is the run's to recompute, as it goes on)
            self._carry_out(OperatorCommand(
                self.now_ns, "kill", f.by or "unknown", FILE_ROLE,
                f.reason or "engaged on the kill switch's state file",
            ))
        self.state = "running"

    # --- paced time ------------------------------------------------------------------------

    def start_pacing(self) -> None:
        self.pace = Pace(self._wall(), self.now_ns, self.speed)
        if self.state != "finished":
            self.state = "running"

    def catch_up(self, budget_s: float = 0.05) -> int:
        """Advance toward where the pace says the simulation should be, for at most about
        budget_s of wall time; returns the simulated ns still owed (the lag)."""
        assert self.pace is not None
        sim = self.run.sim
        end = self.scenario.end_ns
        t0 = time.perf_counter()
        target = min(self.pace.target(self._wall()), end)
        while self.now_ns < target:
            sim.run(min(target, self.now_ns + MAX_STEP_NS))
            if time.perf_counter() - t0 > budget_s:
                break
        self.journal.flush()
        if self.now_ns >= end and not self.finished:
            self._finish()
        return max(0, target - self.now_ns)

    def lag_s(self) -> float:
        """How far behind its pace the simulation is, in wall seconds (0: on time)."""
        if self.pace is None or self.finished:
            return 0.0
        target = min(self.pace.target(self._wall()), self.scenario.end_ns)
        return max(0, target - self.now_ns) / NS_PER_SECOND / self.speed

    def _finish(self) -> None:
        self.summary = finish(self.run, self.recorder, self.journal, self.directory, 0.0)
        self.state = "finished"

    def close(self) -> None:
        self.journal.flush()
        self.journal.close()

    # --- operators' commands ----------------------------------------------------------------

    def command(self, action: str, by: str, role: str, reason: str, target: str = "") -> None:
        """Check, journal, carry out. CommandError (nothing written) when it cannot be."""
        if self.state == "replaying":
            raise CommandError(503, "the service is replaying its journal: try again shortly")
        if action not in ACTIONS:
            raise CommandError(400, f"action={action!r}: one of {', '.join(ACTIONS)}")
        if not reason.strip():
            raise CommandError(400, f"reason={reason!r}: a {action} must say why")
        gate = self.run.system.gate
        authorised = self.run.matrix.kill_switch.authorised
        if action == "kill" and gate.kill_engaged:
            raise CommandError(409, "the kill switch is already engaged")
        if action == "reset":
            if not gate.kill_engaged:
                raise CommandError(409, "the kill switch is not engaged")
            if by not in authorised:
                raise CommandError(403, _unauthorised(by, "reset the kill switch", authorised))
        if action in ("halt", "resume"):
            if target not in self.run.system.engine.strategies:
                raise CommandError(404, f"strategy={target!r}: no such strategy (have: "
                                        f"{', '.join(self.run.system.engine.strategies)})")
            if action == "halt" and gate.strategy_mode(target) == StrategyMode.HALTED:
                raise CommandError(409, f"strategy={target!r} is already halted")
            if action == "resume":
                if gate.strategy_mode(target) == StrategyMode.ACTIVE:
                    raise CommandError(409, f"strategy={target!r} is active: nothing to resume")
                if by not in authorised:
                    raise CommandError(403, _unauthorised(by, "resume a strategy", authorised))
        self._carry_out(OperatorCommand(self.now_ns, action, by, role, reason, target))
        self.journal.flush()

    def _carry_out(self, cmd: OperatorCommand) -> None:
        self._emit(cmd)
        gate = self.run.system.gate
        if cmd.action == "kill":
            gate.kill(cmd.by, cmd.reason)
        elif cmd.action == "reset":
            gate.reset(cmd.by, cmd.reason)
        elif cmd.action == "halt":
            gate.halt_strategy(cmd.target, cmd.by, cmd.reason)
        elif cmd.action == "resume":
            gate.restart_strategy(cmd.target, cmd.by, cmd.reason)


def _unauthorised(by: str, what: str, authorised: list[str]) -> str:
    return (f"by={by!r} may not {what}: the risk matrix's kill_switch.authorised names "
            f"{', '.join(authorised)}")


def _holds_run(path: Path) -> bool:
    db = open_journal(path)
    try:
        return db.execute("SELECT 1 FROM meta WHERE key = 'run'").fetchone() is not None
    finally:
        db.close()


def _stored_commands(path: Path) -> list[tuple[int, OperatorCommand]]:
    """The operators' commands a journal holds, in order, with their seqs."""
    db = open_journal(path)
    try:
        rows = db.execute(
            "SELECT seq, body FROM events WHERE type = 'operator' ORDER BY seq"
        ).fetchall()
    finally:
        db.close()
    decode = msgspec.json.Decoder(OperatorCommand).decode
    return [(int(seq), decode(bytes(body))) for seq, body in rows]

"""`--resume DIR`: finish a run that was killed (kill -9, a power cut) at any moment.

The journal holds the run's inputs (written before its first event) and a prefix of its
events: SQLite commits whole transactions, so whatever was committed survives and nothing
half-written does. Since a run is a function of its inputs, the resume computes the run again
from the start and lets the recorder check each event against the stored one up to the last
committed seq, then append the rest (run/recorder.py). The resumed run therefore ends with
the same journal and summary as a run that was never interrupted, and any difference is an
error instead of a silently different history.

The kill switch's state file. A gate reads its state file when it starts, and an engaged file
makes it start engaged: that is how a live system stays killed across restarts. For a resumed
simulation this would be wrong: the rerun starts at the scenario's first second, long before
the moment the killed run engaged, and would block orders the original run sent - the rerun
would diverge. The rerun engages the kill switch itself, at the same simulated moment and for
the same reason, while it replays, and the recorder checks that against the journal's durable
KillSwitch event. (If the process died after the gate wrote the file but before the journal
committed the event, the replay still engages at that moment, and journals it.) So the file
the killed run left is the run's own state, recomputed by the replay, and is set aside before
the rerun starts. One case is not the run's own: a file engaged by anyone but the risk gate
(an operator's `flashguard risk kill` on the directory's file). Then the resume refuses until
an authorised reset (`flashguard risk reset`), as a kill switch must.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from flashguard.journal.store import Journal, JournalError, open_journal
from flashguard.run.inputs import RunInputs
from flashguard.run.recorder import OMITTED_KEY
from flashguard.run.runner import GROUP, INPUTS_KEY, JOURNAL, KILL_STATE, execute, write_meta
from flashguard.system.risk.killswitch import KillSwitchError, load_state

RUN_ENGAGER = "risk"  # who the gate names when its own rules engage the kill switch


class ResumeError(ValueError):
    """A directory that cannot be resumed, and why."""


def stored_inputs(directory: Path) -> RunInputs:
    """The inputs a run stored in its journal; checks the journal is a prefix of a run."""
    path = directory / JOURNAL
    if not path.is_file():
        raise ResumeError(f"--resume {directory}: no {JOURNAL} there: nothing to resume")
    try:
        db = open_journal(path)
    except JournalError as exc:
        raise ResumeError(f"--resume {directory}: {exc}") from None
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (INPUTS_KEY,)).fetchone()
        omitted = db.execute("SELECT value FROM meta WHERE key = ?", (OMITTED_KEY,)).fetchone()
        lo, hi, n = db.execute("SELECT MIN(seq), MAX(seq), COUNT(*) FROM events").fetchone()
    finally:
        db.close()
    if row is None:
        raise ResumeError(
            f"--resume {directory}: the journal holds no run inputs (meta {INPUTS_KEY!r}): "
            "the run died before it started, or it is not a `flashguard run` journal; "
            "start the run again"
        )
    if omitted is not None:
        raise ResumeError(
            f"--resume {directory}: the journal leaves out the run's {omitted[0]} events (a "
            "sweep's run): only a whole journal can be resumed; run it again with "
            "`flashguard run`"
        )
    if n and (lo != 1 or hi != n):
        raise ResumeError(
            f"--resume {directory}: the journal's events are not one unbroken sequence "
            f"(seq {lo}..{hi}, {n} rows)"
        )
    return RunInputs.decode(str(row[0]), str(path))


def set_aside_kill_state(directory: Path) -> None:
    """Remove the killed run's own kill-switch state (the replay recomputes it); refuse an
    engagement that came from outside the run."""
    path = directory / KILL_STATE
    try:
        state = load_state(path)
    except KillSwitchError as exc:
        raise ResumeError(f"--resume {directory}: {exc}") from None
    if state.engaged and state.by != RUN_ENGAGER:
        raise ResumeError(
            f"--resume {directory}: the kill switch in {path} was engaged by {state.by!r} "
            f"({state.reason}), not by the run: reset it first "
            f"(flashguard risk reset {path} --by ... --reason ...)"
        )
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".tmp").unlink(missing_ok=True)


def resume(
    directory: Path, console: Console, *, reports: bool = True, label: str = ""
) -> dict[str, Any]:
    inputs = stored_inputs(directory)
    set_aside_kill_state(directory)
    with Journal(directory / JOURNAL, group=GROUP) as journal:
        write_meta(journal, inputs)  # the run may have died between two of its keys
        return execute(inputs, directory, journal, console, reports=reports,
                       label=label or f"resume {directory.name}")

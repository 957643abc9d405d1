"""`flashguard risk ...`: the risk-parameter matrix and the kill switch's persisted state.

The kill-switch commands act on the state file a gate persists (`kill_state_path`): a gate
reads it when it starts, so `kill` here stops a system at its next start, and `reset` lets a
stopped system start unengaged. A running system is killed and reset through its operator
API (`RiskGate.kill` / `RiskGate.reset`), which the operator service calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flashguard.core.clock import WallClock
from flashguard.system.risk.killswitch import KillSwitch, KillSwitchError, load_state
from flashguard.system.risk.params import MatrixError, default_matrix_path, load_matrix

HELP = (
    "The risk-parameter matrix (check a file, find the shipped default) and the kill "
    "switch's persisted state (show, engage, reset). A running system is killed and reset "
    "through its operator API instead; these commands act on the state file it reads when "
    "it starts."
)

app = typer.Typer(no_args_is_help=True, help=HELP)

_State = Annotated[
    Path,
    typer.Argument(help="The kill switch's state file (the gate's kill_state_path).",
                   show_default=False),
]
_Config = Annotated[
    Path | None,
    typer.Option(help="The matrix whose kill_switch table applies (authorised operators, "
                      "cool-down); default: the shipped one."),
]


@app.command("check-config")
def check_config(
    file: Annotated[Path, typer.Argument(help="A risk-parameter matrix (TOML).",
                                         show_default=False)],
) -> None:
    """Validate a matrix and list every error at once, one line each: its dotted path, what
    is wrong, and the value found. Exit 0 when valid, 1 on any error."""
    try:
        matrix = load_matrix(file)
    except MatrixError as exc:
        typer.echo(f"{exc.source}: {len(exc.errors)} error(s)", err=True)
        for line in exc.errors:
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{file}: valid ({len(matrix.strategies)} strategies, {len(matrix.venues)} venues, "
        f"{len(matrix.instruments)} instruments with their own tables)"
    )


@app.command("default-path")
def default_path() -> None:
    """Print the path of the default matrix shipped with flashguard (the one the built-in
    scenarios use): a starting point to copy and edit."""
    typer.echo(str(default_matrix_path()))


@app.command("kill-status")
def kill_status(state: _State) -> None:
    """Show whether a persisted kill switch is engaged, by whom and why, and any reset
    waiting for the cool-down. Exit 0 when not engaged, 2 when engaged, 1 when the file is
    unreadable (which never reads as "not engaged")."""
    try:
        s = load_state(state)
    except KillSwitchError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if not s.engaged:
        typer.echo("not engaged")
        return
    typer.echo(f"ENGAGED at t_ns={s.t_ns} by {s.by}: {s.reason}")
    if s.pending_by:
        typer.echo(f"reset pending (by {s.pending_by}: {s.pending_reason})")
    raise typer.Exit(2)


def _switch(state: Path, config: Path | None) -> KillSwitch:
    try:
        matrix = load_matrix(config or default_matrix_path())
    except MatrixError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    return KillSwitch(matrix.kill_switch, state)


@app.command("kill")
def kill(
    state: _State,
    by: Annotated[str, typer.Option(help="Who engages it (journaled).", show_default=False)],
    reason: Annotated[str, typer.Option(help="Why (journaled).", show_default=False)],
    config: _Config = None,
) -> None:
    """Engage a persisted kill switch: the system that reads this file starts engaged,
    blocking every order until an authorised reset. Anyone may engage it."""
    if not by.strip() or not reason.strip():
        typer.echo("--by and --reason must not be empty", err=True)
        raise typer.Exit(1)
    ks = _switch(state, config)
    engaged = ks.engage(WallClock().now_ns(), by, reason)
    typer.echo("engaged" if engaged else "already engaged")


@app.command("reset")
def reset(
    state: _State,
    by: Annotated[str, typer.Option(help="An operator listed in kill_switch.authorised.",
                                    show_default=False)],
    reason: Annotated[str, typer.Option(help="Why it is safe to trade again (journaled).",
                                        show_default=False)],
    config: _Config = None,
) -> None:
    """Reset a persisted kill switch. Only an authorised operator may; while a venue is
    halted, or within the cool-down after its reopen, the reset is recorded as pending and
    takes effect when the cool-down ends. Exit 1 when refused."""
    ks = _switch(state, config)
    try:
        released = ks.request_reset(WallClock().now_ns(), by, reason)
    except KillSwitchError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo("reset" if released else "reset pending: a venue is halted or in its cool-down")

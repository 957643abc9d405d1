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

app = typer.Typer(no_args_is_help=True)

_State = Annotated[Path, typer.Argument(help="The kill switch's state file.")]
_Config = Annotated[Path | None, typer.Option(help="Matrix (default: the shipped one).")]


@app.command("check-config")
def check_config(
    file: Annotated[Path, typer.Argument(help="A risk-parameter matrix (TOML).")],
) -> None:
    """Validate a matrix: print every error with its path and value; exit 1 on any error."""
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
    """Print where the default matrix shipped with flashguard lives."""
    typer.echo(str(default_matrix_path()))


@app.command("kill-status")
def kill_status(state: _State) -> None:
    """Show whether a persisted kill switch is engaged (exit 2 when it is)."""
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
    by: Annotated[str, typer.Option(help="Who engages it.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    config: _Config = None,
) -> None:
    """Engage a persisted kill switch."""
    if not by.strip() or not reason.strip():
        typer.echo("--by and --reason must not be empty", err=True)
        raise typer.Exit(1)
    ks = _switch(state, config)
    engaged = ks.engage(WallClock().now_ns(), by, reason)
    typer.echo("engaged" if engaged else "already engaged")


@app.command("reset")
def reset(
    state: _State,
    by: Annotated[str, typer.Option(help="An authorised operator (kill_switch.authorised).")],
    reason: Annotated[str, typer.Option(help="Why it is safe to trade again.")],
    config: _Config = None,
) -> None:
    """Reset a persisted kill switch (authorised operators only; honours the cool-down)."""
    ks = _switch(state, config)
    try:
        released = ks.request_reset(WallClock().now_ns(), by, reason)
    except KillSwitchError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo("reset" if released else "reset pending: a venue is halted or in its cool-down")

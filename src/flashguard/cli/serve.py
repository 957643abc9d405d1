"""`flashguard serve`: the system and the market in paced time, with an operator API and a
live risk dashboard behind bearer tokens (docs/serve.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from flashguard.market.scenario import ScenarioError
from flashguard.run.inputs import RunInputError, make_inputs
from flashguard.run.recorder import ResumeDivergence
from flashguard.run.resume import ResumeError
from flashguard.serve.auth import TokenError, load_tokens
from flashguard.serve.live import LiveRun, ServeError
from flashguard.system.risk import MatrixError
from flashguard.system.risk.killswitch import KillSwitchError
from flashguard.system.strategy.loader import StrategyLoadError

EXIT_BAD_INPUT = 2
DEFAULT_SCENARIO = "may6"


def serve(
    scenario: Annotated[
        str | None, typer.Argument(help="A built-in scenario or a TOML file (default: may6; "
                                        "none when restarting on --journal).",
                                   show_default=False)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per wall second (1 = real "
                                              "time).")] = 1.0,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    journal: Annotated[
        Path | None, typer.Option(help="The run directory (journal.sqlite, ...). One that holds "
                                       "a run is restarted where it stopped (default: "
                                       "runs/<scenario>-<seed>-live).", show_default=False)
    ] = None,
    tokens: Annotated[
        Path | None, typer.Option(help="TOML file of [[token]] tables (name, role, token); "
                                       "default: the FLASHGUARD_TOKENS environment variable.",
                                  show_default=False)
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Risk-parameter matrix (default: the shipped one).")
    ] = None,
    strategy: Annotated[
        list[str] | None, typer.Option(help="As for flashguard run (default: the default desk).")
    ] = None,
) -> None:
    """Run the system and the simulated market in paced time and serve the operator API and
    the dashboard at http://HOST:PORT/ (every /api call needs a bearer token)."""
    import uvicorn

    from flashguard.serve.app import create_app

    try:
        users = load_tokens(tokens)
        restarting = (journal is not None and scenario is None and seed is None
                      and config is None and not strategy)
        inputs = None
        if not restarting:
            inputs = make_inputs(scenario or DEFAULT_SCENARIO, seed, config,
                                 tuple(strategy or ()))
            if journal is None:
                journal = Path("runs") / f"{inputs.load_scenario().name}-{inputs.seed}-live"
        assert journal is not None
        live = LiveRun(journal, inputs, speed=speed)
    except (TokenError, ScenarioError, RunInputError, MatrixError, StrategyLoadError,
            ResumeError, ServeError, KillSwitchError) as exc:
        _fail(str(exc))
    except ResumeDivergence as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    what = "restarting" if live.restarted else "starting"
    typer.echo(f"flashguard serve: {what} {live.scenario.name} seed {live.inputs.seed} at "
               f"{speed:g}x into {journal}; {len(users)} token(s); http://{host}:{port}/")
    uvicorn.run(create_app(live, users), host=host, port=port, log_level="warning")


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)

"""`flashguard market ...`: run the market laboratory alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flashguard.journal.store import Journal
from flashguard.market.results import market_result, write_bars
from flashguard.market.scenario import ScenarioError, builtin_names, load_scenario
from flashguard.market.simulation import Simulation

app = typer.Typer(no_args_is_help=True)
EXIT_BAD_INPUT = 2


@app.command("list")
def list_scenarios() -> None:
    """List the built-in scenarios."""
    console = Console()
    for name in builtin_names():
        sc = load_scenario(name)
        console.print(f"[bold]{name}[/]  {sc.description.splitlines()[0] if sc.description else ''}")


@app.command("run")
def run(
    scenario: Annotated[str, typer.Argument(help="A built-in scenario name or a TOML file.")] = "may6",
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output directory (default: runs/market-<scenario>-<seed>).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print market.json to stdout.")] = False,
) -> None:
    """Run a scenario's market and crowd; write market.json, bars_1s.csv and journal.sqlite."""
    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    seed_used = sc.seed if seed is None else seed
    directory = out if out is not None else Path("runs") / f"market-{sc.name}-{seed_used}"
    directory.mkdir(parents=True, exist_ok=True)
    journal_path = directory / "journal.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{journal_path}{suffix}").unlink(missing_ok=True)
    # the laboratory's record, not a trading run's: group-committed without fsync
    with Journal(journal_path, group=4096, fsync=False) as journal:
        journal.set_meta("scenario", sc.name)
        journal.set_meta("seed", str(seed_used))
        sim = Simulation(sc, seed_used, sink=journal.append)
        sim.run()
    result = market_result(sim)
    (directory / "market.json").write_text(json.dumps(result, indent=2) + "\n")
    write_bars(sim, directory / "bars_1s.csv")
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    _print_summary(result, directory)


def _print_summary(result: dict[str, object], directory: Path) -> None:
    console = Console()
    table = Table(title=f"market run: {result['scenario']} seed {result['seed']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in ("simulated_seconds", "wall_seconds", "messages", "trades"):
        table.add_row(key, str(result[key]))
    crash = result.get("crash")
    if isinstance(crash, dict):
        for key, value in crash.items():
            table.add_row(key, "-" if value is None else f"{value:.2f}")
    halts = result.get("halts")
    table.add_row("halts and pauses", str(len(halts) if isinstance(halts, list) else 0))
    console.print(table)
    console.print(f"wrote {directory}/market.json, bars_1s.csv, journal.sqlite")

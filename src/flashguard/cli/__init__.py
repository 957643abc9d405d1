"""The `flashguard` command. Each group of subcommands lives in its own module."""

from __future__ import annotations

import typer

from flashguard.cli.data import app as data_app
from flashguard.cli.journal import app as journal_app
from flashguard.cli.market import app as market_app
from flashguard.cli.risk import app as risk_app
from flashguard.cli.run import run as run_command
from flashguard.cli.serve import serve as serve_command
from flashguard.cli.sweep import sweep as sweep_command

app = typer.Typer(
    name="flashguard",
    help="flashguard: trade through a flash crash, and the market laboratory that proves it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run_command)
app.command("sweep")(sweep_command)
app.command("serve")(serve_command)
app.add_typer(data_app, name="data", help="Recorded market data (LOBSTER).")
app.add_typer(market_app, name="market", help="The market laboratory: scenarios, venues, the crowd.")
app.add_typer(risk_app, name="risk")
app.add_typer(journal_app, name="journal", help="The event journal of a run.")


def main() -> None:
    app()

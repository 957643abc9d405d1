"""`flashguard journal ...`: the event journal of a run."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from flashguard.journal.export import JournalError, default_out, export, write_jsonl

app = typer.Typer(no_args_is_help=True)


class _Format(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


@app.command("export")
def export_command(
    journal: Annotated[Path, typer.Argument(help="A run's journal.sqlite.")],
    fmt: Annotated[_Format, typer.Option("--format", help="jsonl or parquet.")] = _Format.jsonl,
    out: Annotated[
        str | None,
        typer.Option("--out", help="Output file (default: beside the journal; '-' = stdout, jsonl only)."),
    ] = None,
) -> None:
    """One record per event: seq, t_ns, type and the event's fields. Exit 1 on bad input."""
    try:
        if out == "-":
            if fmt is not _Format.jsonl:
                typer.echo("error: --out - (stdout) is for --format jsonl only", err=True)
                raise typer.Exit(1)
            write_jsonl(journal, sys.stdout.buffer)
            sys.stdout.flush()
            return
        target = Path(out) if out else default_out(journal, fmt.value)
        if target.resolve() == journal.resolve():
            typer.echo(f"error: --out {target} is the journal itself", err=True)
            raise typer.Exit(1)
        n = export(journal, target, fmt.value)
    except (JournalError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{n} records -> {target}")

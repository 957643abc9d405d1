"""`flashguard data ...`: recorded market data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flashguard.market.data.lobster import (
    Book,
    LobsterFormatError,
    Messages,
    MessageType,
    read_messages,
    read_orderbook,
)
from flashguard.market.data.lobster_check import REASONS, CheckResult, check

app = typer.Typer(no_args_is_help=True)

EXIT_MISMATCH = 1
EXIT_BAD_INPUT = 2

_TYPE_NAMES = {
    MessageType.ADD: "add",
    MessageType.PARTIAL_CANCEL: "cancel",
    MessageType.DELETE: "delete",
    MessageType.EXECUTE_VISIBLE: "execute",
    MessageType.EXECUTE_HIDDEN: "hidden",
    MessageType.CROSS_TRADE: "cross",
    MessageType.HALT: "halt",
}

_CsvPath = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@app.command("lobster-check")
def lobster_check(
    message_csv: _CsvPath,
    orderbook_csv: _CsvPath,
    levels: Annotated[
        int | None,
        typer.Option("--levels", min=1, help="Compare only the first N levels (default: all)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check that a LOBSTER order-book file follows from its message file, level by level.

    Exit code 0 when no row is mismatched, 1 when some row is, 2 on unreadable input.
    """
    try:
        messages = read_messages(message_csv)
        book = read_orderbook(orderbook_csv)
        result = check(messages, book, levels)
    except (LobsterFormatError, ValueError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if as_json:
        typer.echo(json.dumps(result.summary()))
    else:
        _print_report(Console(), result, messages, book)
    if result.mismatched:
        raise typer.Exit(EXIT_MISMATCH)


def _print_report(console: Console, r: CheckResult, messages: Messages, book: Book) -> None:
    console.print(f"LOBSTER check of {Path(book.path).name} against {Path(messages.path).name}")
    summary = Table(show_header=False)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_row("rows", str(r.rows))
    summary.add_row("levels compared", f"{r.levels} of {r.depth} per side")
    summary.add_row("checked", str(r.checked))
    summary.add_row("undetermined", str(r.undetermined))
    summary.add_row("mismatched", str(r.mismatched))
    summary.add_row("messages that contradict the prior book", str(r.contradictions))
    console.print(summary)

    per_type = Table(title="per message type")
    per_type.add_column("type")
    for name in ("rows", "checked", "undetermined", "mismatched", "partly undetermined"):
        per_type.add_column(name, justify="right")
    for kind, c in sorted(r.by_type.items()):
        per_type.add_row(
            f"{kind} {_TYPE_NAMES[MessageType(kind)]}",
            *(str(v) for v in (c.rows, c.checked, c.undetermined, c.mismatched, c.partly_undetermined)),
        )
    console.print(per_type)

    if r.by_reason:
        reasons = Table(title="rows holding undetermined levels, per reason")
        reasons.add_column("reason")
        reasons.add_column("rows", justify="right")
        reasons.add_column("why")
        for reason, rows in sorted(r.by_reason.items()):
            reasons.add_row(reason, str(rows), REASONS[reason])
        console.print(reasons)

    first = r.first_mismatch
    if first is None:
        console.print(f"[green]OK[/green]: no mismatched row in {r.checked} checked rows")
        return
    m = messages.record(first.row)
    console.print(
        f"[red]MISMATCH[/red]: first at row {first.row} (message line {messages.line(first.row)},"
        f" order-book line {book.line(first.row)}): type {m.type}, order {m.order_id}, "
        f"size {m.size}, price {m.price}, direction {m.direction}"
    )
    levels = Table(title=f"row {first.row}: expected from row {first.row - 1} and the message")
    for name in ("level", "expected", "got", ""):
        levels.add_column(name)
    names = ("ask price", "ask size", "bid price", "bid size")
    for cell, (exp, got) in enumerate(zip(first.expected, first.got, strict=True)):
        mark = "" if exp is None or exp == got else "[red]differs[/red]"
        shown = "undetermined" if exp is None else str(exp)
        levels.add_row(f"{names[cell % 4]} {cell // 4 + 1}", shown, str(got), mark)
    console.print(levels)

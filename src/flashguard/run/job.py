"""The main job: one run, then its ablation when asked for; fresh or resumed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from flashguard.run.ablation import run_ablation
from flashguard.run.inputs import RunInputs
from flashguard.run.resume import resume, stored_inputs
from flashguard.run.runner import start, write_summary


def run_job(inputs: RunInputs, directory: Path, console: Console) -> dict[str, Any]:
    summary = start(inputs, directory, console)
    return _ablate(inputs, directory, console, summary, resuming=False)


def resume_job(directory: Path, console: Console) -> dict[str, Any]:
    inputs = stored_inputs(directory)
    summary = resume(directory, console)
    return _ablate(inputs, directory, console, summary, resuming=True)


def _ablate(
    inputs: RunInputs, directory: Path, console: Console, summary: dict[str, Any], *,
    resuming: bool,
) -> dict[str, Any]:
    if inputs.ablation:
        summary["ablation"] = run_ablation(inputs, directory, console, resuming=resuming)
        write_summary(directory, summary)
    return summary

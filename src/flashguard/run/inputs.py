"""Everything a run depends on, captured at its start and stored in its journal.

A run is a function of these inputs alone (the loop is simulated, every random draw seeded),
so storing them, whole, is what lets `--resume` rebuild the same run after a crash: the
scenario's and the risk matrix's TOML text are kept, not their paths, so editing a file
between the crash and the resume cannot change the run. Strategy specs are kept as given: a
strategy file is imported again by a resume, and if it changed, the resume's check of the
journal reports where the run diverged.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from flashguard.market.scenario import Scenario, parse_scenario, scenario_text
from flashguard.system.risk import RiskMatrix, default_matrix_path
from flashguard.system.risk.layers import LAYERS
from flashguard.system.risk.params import parse_matrix_text

FORMAT = 1  # bump when the meaning of a stored field changes


class RunInputError(ValueError):
    """An input that cannot start a run, naming the field and the value."""


class RunInputs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """scenario: the name or path as given; scenario_toml: its text. risk_source: the
    --config path as given, or the shipped matrix (for messages); risk_toml: its text.
    strategies: specs ("FILE:Class", "module:Class" or a built-in name); empty = the default
    book. disabled: risk layers switched off. snapshot_every_ns: the portfolio snapshot
    interval. ablation: after this run, run it again with each layer disabled in turn and
    with all disabled."""

    scenario: str
    scenario_toml: str
    seed: int
    risk_source: str
    risk_toml: str
    strategies: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()
    snapshot_every_ns: int = 1_000_000_000
    ablation: bool = False
    format: int = FORMAT

    def load_scenario(self) -> Scenario:
        return parse_scenario(self.scenario_toml, self.scenario)

    def load_matrix(self) -> RiskMatrix:
        return parse_matrix_text(self.risk_toml, self.risk_source)

    def variant(self, disabled: tuple[str, ...]) -> RunInputs:
        """The same run with these layers disabled (and no ablation of its own)."""
        return msgspec.structs.replace(
            self, disabled=parse_disabled(",".join(disabled)), ablation=False
        )

    def encode(self) -> str:
        return msgspec.json.encode(self).decode()

    @classmethod
    def decode(cls, text: str, where: str) -> RunInputs:
        try:
            inputs = msgspec.json.decode(text, type=cls)
        except msgspec.DecodeError as exc:
            raise RunInputError(f"{where}: the stored run inputs are unreadable: {exc}") from None
        if inputs.format != FORMAT:
            raise RunInputError(
                f"{where}: run inputs format={inputs.format}, this flashguard reads {FORMAT}"
            )
        return inputs


def parse_disabled(text: str) -> tuple[str, ...]:
    """"L2" or "L1,L3" -> ("L1", "L3"): sorted, unique; an unknown layer is an error."""
    layers = {part.strip().upper() for part in text.split(",") if part.strip()}
    unknown = sorted(layers - set(LAYERS))
    if unknown:
        raise RunInputError(
            f"--disable={text!r}: unknown layer(s) {', '.join(unknown)} (use {', '.join(LAYERS)})"
        )
    return tuple(sorted(layers))


SHIPPED_MATRIX = "the shipped risk matrix (flashguard/config/risk.toml)"


def make_inputs(
    scenario: str,
    seed: int | None = None,
    config: str | Path | None = None,
    strategies: tuple[str, ...] = (),
    disabled: str = "",
    ablation: bool = False,
    snapshot_every_ns: int = 1_000_000_000,
) -> RunInputs:
    """Read and validate every input now, at the edge; errors name the input."""
    scenario_toml, _ = scenario_text(scenario)
    sc = parse_scenario(scenario_toml, scenario)  # ScenarioError names the field
    risk_path = Path(config) if config is not None else default_matrix_path()
    try:
        risk_toml = risk_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RunInputError(f"--config={str(risk_path)!r}: cannot read: {exc.strerror}") from None
    parse_matrix_text(risk_toml, str(risk_path))
    if snapshot_every_ns <= 0:
        raise RunInputError(f"snapshot_every_ns={snapshot_every_ns} must be > 0")
    return RunInputs(
        scenario=scenario, scenario_toml=scenario_toml, seed=sc.seed if seed is None else seed,
        # as given, like the scenario: the journal records it, so an install's location must
        # not make two runs of the same inputs differ
        risk_source=str(config) if config is not None else SHIPPED_MATRIX,
        risk_toml=risk_toml, strategies=tuple(strategies),
        disabled=parse_disabled(disabled), snapshot_every_ns=snapshot_every_ns,
        ablation=ablation,
    )

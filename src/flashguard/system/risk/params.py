"""The risk-parameter matrix: every threshold and action of every layer, in one TOML file.

Validated with pydantic v2 in strict mode: unknown keys are errors, nothing is coerced (a
quoted "10" is not an integer), and every error is reported at once with its dotted path and
the offending value. Money limits are whole currency units, times are milliseconds (or
seconds where the name says so), rates are basis points or fractions as named.

`[strategies.NAME]`, `[venues.NAME]` and `[instruments.SYMBOL]` tables inherit every key they
leave out from `[strategy_defaults]`, `[venue_defaults]` and `[instrument_defaults]`; a
strategy, venue or instrument with no table of its own runs on the defaults.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Action = Literal["reduce_gross", "reduce_only"]
# what becomes of a HALTED strategy's position: held as it is, or unwound by the risk layer
OnHalt = Literal["hold", "flatten"]
# a VenueStatus that may engage the kill switch ("open" never does; "disconnected" always does)
StoppedStatus = Literal["limit_state", "paused", "halted", "auction", "closed", "disconnected"]
ANY_INSTRUMENT = "*"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StrategyParams(_Strict):
    """Layer 1 limits for each order of the strategy, and its layer 2 triggers."""

    instruments: list[str] = Field(min_length=1)  # allow-list; "*" allows any instrument
    # --- layer 1, per order
    max_order_qty: int = Field(gt=0)  # lots
    max_order_notional: int = Field(gt=0)  # currency
    market_order_markup_bps: int = Field(ge=0)  # a market order is valued this far above
    collar_bps: int = Field(gt=0)  # aggressive price vs last trade and vs reference
    fat_finger_bps: int = Field(gt=0)  # any price this far from the reference
    reference_max_age_ms: int = Field(gt=0)
    duplicate_window_ms: int = Field(ge=0)  # 0 disables the duplicate-order rule
    max_open_orders: int = Field(gt=0)  # working + in flight, all venues
    max_position: int = Field(gt=0)  # lots per instrument, counting working + in flight
    # --- layer 2, the strategy as a whole
    capital: int = Field(gt=0)  # currency; the base of the concentration limit
    drawdown_reduce: int = Field(gt=0)  # currency below the high-water mark -> REDUCING
    drawdown_halt: int = Field(gt=0)  # currency below the high-water mark -> HALTED
    vol_level1_bps: float = Field(gt=0)  # realized volatility -> cut order sizes
    vol_level2_bps: float = Field(gt=0)  # realized volatility -> HALTED
    vol_size_cut: float = Field(gt=0, lt=1)  # fraction cut from order sizes at level 1
    max_concentration: float = Field(gt=0)  # one instrument's exposure / capital -> REDUCING
    max_messages: int = Field(gt=0)  # per message_window_ms -> HALTED (runaway)
    message_window_ms: int = Field(gt=0)
    max_executions: int = Field(gt=0)  # fills per execution_window_ms -> HALTED
    execution_window_ms: int = Field(gt=0)
    # "flatten": on a halt the risk layer works the strategy's positions to flat (the
    # strategy itself still sends nothing); never for an agency strategy (the client's)
    on_halt: OnHalt = "hold"

    @model_validator(mode="after")
    def _ordered(self) -> StrategyParams:
        problems = []
        if self.drawdown_reduce >= self.drawdown_halt:
            problems.append(
                f"drawdown_reduce={self.drawdown_reduce} must be below "
                f"drawdown_halt={self.drawdown_halt}"
            )
        if self.vol_level1_bps >= self.vol_level2_bps:
            problems.append(
                f"vol_level1_bps={self.vol_level1_bps} must be below "
                f"vol_level2_bps={self.vol_level2_bps}"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def allows(self, instrument: str) -> bool:
        return ANY_INSTRUMENT in self.instruments or instrument in self.instruments


class VenueParams(_Strict):
    """The message throttle of one venue session. Cancels have their own budget, so a burst
    of orders can never use up the room a cancel needs."""

    max_msgs_per_s: int = Field(gt=0)  # new orders and amendments
    burst: int = Field(gt=0)
    cancel_msgs_per_s: int = Field(gt=0)
    cancel_burst: int = Field(gt=0)


class InstrumentParams(_Strict):
    price_increment_ticks: int = Field(gt=0)  # a venue's minimum price step, in ticks
    lot_multiple: int = Field(gt=0)  # orders in whole multiples of this many lots
    luld_band_bps: int = Field(ge=0)  # own band estimate around the mean trade price; 0 = off
    luld_window_s: int = Field(gt=0)  # the mean trade price is taken over this window
    vol_bucket_ms: int = Field(gt=0)  # realized volatility samples the mark this often
    vol_window: int = Field(ge=2)  # and sums squared returns over this many samples


class PortfolioParams(_Strict):
    """Layer 3: all strategies together."""

    capital: int = Field(gt=0)
    mark_price: Literal["mid", "last"]
    max_gross: int = Field(gt=0)  # currency
    max_net: int = Field(gt=0)  # currency, absolute
    max_concentration: float = Field(gt=0)  # one instrument's |exposure| / capital
    var_method: Literal["historical", "parametric", "ewma"]
    var_confidence: float = Field(gt=0.5, lt=1)
    es_confidence: float = Field(gt=0.5, lt=1)
    ewma_lambda: float = Field(gt=0, lt=1)
    var_interval_ms: int = Field(gt=0)  # P&L sampling interval (the VaR horizon)
    var_window: int = Field(ge=2)  # samples of history
    var_min_samples: int = Field(ge=2)  # no VaR decision before this many samples
    max_var: int = Field(gt=0)  # currency
    max_es: int = Field(gt=0)  # currency
    reduce_fraction: float = Field(gt=0, le=1)  # of each position, on a reduce_gross action
    on_var_breach: list[Action]
    on_es_breach: list[Action]
    on_gross_breach: list[Action]
    on_net_breach: list[Action]
    on_concentration_breach: list[Action]

    @model_validator(mode="after")
    def _samples(self) -> PortfolioParams:
        if self.var_min_samples > self.var_window:
            raise ValueError(
                f"var_min_samples={self.var_min_samples} must not exceed "
                f"var_window={self.var_window}"
            )
        return self


class KillSwitchParams(_Strict):
    authorised: list[str] = Field(min_length=1)  # who may reset it
    max_drawdown: int = Field(gt=0)  # currency below the portfolio's high-water mark
    max_messages: int = Field(gt=0)  # all strategies, per message_window_ms
    message_window_ms: int = Field(gt=0)
    # statuses that engage it besides "disconnected" (a lost connection), which always does
    engage_on_venue_status: list[StoppedStatus]
    cooldown_after_reopen_s: int = Field(ge=0)  # 0: no cool-down


class StressParams(_Strict):
    """Layer 2's first level: the market stress (and early drawdown) that moves strategies to
    capital preservation before a hard limit cuts or halts them (the strategy engine's
    regime; `flashguard.system.strategy.regime.RegimeParams` has the full meaning)."""

    vol_sample_ms: int = Field(default=1_000, gt=0)  # the mid is sampled this often
    vol_window: int = Field(default=30, ge=2)  # samples of realized volatility
    vol_bps: float = Field(default=25.0, gt=0)  # realized volatility above this is stress
    vpin_cdf: float = Field(default=0.9, gt=0, le=1)  # the causal VPIN CDF above this
    vpin_calibrate_s: int = Field(default=600, ge=0)  # volume that sizes the buckets; 0: off
    vpin_bucket_minutes: float = Field(default=0.25, gt=0)  # of that volume per bucket
    vpin_window: int = Field(default=50, ge=2)  # buckets
    vpin_sigma_min_changes: int = Field(default=10, ge=2)  # earlier bars before classifying (a run has no past days: ready within the first hour)
    vpin_min_values: int = Field(default=20, ge=2)  # VPIN values before the CDF counts
    drawdown_fraction: float = Field(default=0.5, gt=0)  # of drawdown_reduce: preservation
    calm_s: int = Field(default=30, ge=0)  # without any reason before back to normal


class RiskMatrix(_Strict):
    kill_switch: KillSwitchParams
    portfolio: PortfolioParams
    strategy_defaults: StrategyParams
    strategies: dict[str, StrategyParams] = {}
    venue_defaults: VenueParams
    venues: dict[str, VenueParams] = {}
    instrument_defaults: InstrumentParams
    instruments: dict[str, InstrumentParams] = {}
    stress: StressParams = StressParams()

    def strategy(self, name: str) -> StrategyParams:
        return self.strategies.get(name, self.strategy_defaults)

    def venue(self, name: str) -> VenueParams:
        return self.venues.get(name, self.venue_defaults)

    def instrument(self, symbol: str) -> InstrumentParams:
        return self.instruments.get(symbol, self.instrument_defaults)


class MatrixError(ValueError):
    """Every problem found in a matrix, each as `path: message [input: value]`."""

    def __init__(self, source: str, errors: list[str]) -> None:
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: {len(errors)} error(s)\n" + "\n".join(errors))


_INHERITING = {
    "strategies": "strategy_defaults",
    "venues": "venue_defaults",
    "instruments": "instrument_defaults",
}


def _inherit(raw: Mapping[str, Any]) -> tuple[dict[str, Any], set[tuple[str, str, str]]]:
    """Fill each named table from its defaults table. Returns the merged document and the
    (section, name, key) paths whose value was inherited, so an error in a default is
    reported once, at the default, not again under every table that inherited it."""
    data = dict(raw)
    inherited: set[tuple[str, str, str]] = set()
    for section, defaults_key in _INHERITING.items():
        entries, defaults = raw.get(section), raw.get(defaults_key)
        if not isinstance(entries, dict) or not isinstance(defaults, dict):
            continue
        merged: dict[str, Any] = {}
        for name, entry in entries.items():
            if isinstance(entry, dict):
                merged[name] = {**defaults, **entry}
                inherited.update((section, name, k) for k in defaults if k not in entry)
            else:
                merged[name] = entry
        data[section] = merged
    return data, inherited


def _describe(err: Mapping[str, Any]) -> str:
    path = ".".join(str(p) for p in err["loc"]) or "<root>"
    if err["type"] in ("missing", "value_error"):
        return f"{path}: {err['msg']}"
    return f"{path}: {err['msg']} [input: {err['input']!r}]"


def _echo(err: Mapping[str, Any], raw: Mapping[str, Any], inherited: set[Any],
          at_defaults: set[tuple[str, str]]) -> bool:
    """An error in a named table that only repeats one of its defaults table: a field it
    inherited, or a cross-field rule (`key=value ...`) broken the same way in the defaults
    table by keys the named table does not set itself."""
    loc = tuple(str(p) for p in err["loc"])
    if loc[:3] in inherited:
        return True
    if len(loc) == 2 and loc[0] in _INHERITING and err["type"] == "value_error":
        entry = raw.get(loc[0], {}).get(loc[1], {})
        own = isinstance(entry, dict) and any(f"{k}=" in err["msg"] for k in entry)
        return (_INHERITING[loc[0]], err["msg"]) in at_defaults and not own
    if err["type"] == "missing" and len(loc) == 3 and loc[0] in _INHERITING:
        defaults = raw.get(_INHERITING[loc[0]])
        return isinstance(defaults, dict) and loc[2] not in defaults
    return False


def parse_matrix(raw: Mapping[str, Any], source: str = "<matrix>") -> RiskMatrix:
    data, inherited = _inherit(raw)
    try:
        return RiskMatrix.model_validate(data)
    except ValidationError as exc:
        found = exc.errors()
        at_defaults = {(str(e["loc"][0]), e["msg"]) for e in found if len(e["loc"]) == 1}
        errors = [_describe(e) for e in found if not _echo(e, raw, inherited, at_defaults)]
        raise MatrixError(source, errors) from None


def parse_matrix_text(text: str, source: str = "<matrix>") -> RiskMatrix:
    """A matrix from its TOML text; `source` names it in errors."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MatrixError(source, [f"<file>: not valid TOML: {exc}"]) from None
    return parse_matrix(raw, source)


def load_matrix(path: str | Path) -> RiskMatrix:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise MatrixError(str(p), [f"<file>: cannot read: {exc.strerror}"]) from None
    return parse_matrix_text(text, str(p))


def default_matrix_path() -> Path:
    """The matrix shipped with flashguard, which the built-in scenarios use."""
    return Path(str(resources.files("flashguard") / "config" / "risk.toml"))


def load_default_matrix() -> RiskMatrix:
    return load_matrix(default_matrix_path())

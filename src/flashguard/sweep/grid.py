"""GRID_TOML: the risk-matrix parameter sets a sweep tries.

Parameters are dotted paths into the risk matrix ("stress.vol_bps",
"strategies.market_maker.on_halt"). A file holds exactly one of two forms:

    [grid]                                   # a Cartesian product; names from the values
    "stress.vol_bps" = [20.0, 25.0]
    "kill_switch.max_drawdown" = [1_000_000, 2_000_000]

    [[set]]                                  # named parameter sets
    name = "tight"
    "stress.vol_bps" = 15.0

Keys may be quoted dotted paths (as above) or TOML's own nested tables (`[set.stress]`,
`stress.vol_bps = 15.0`): both name the same parameter. An optional top-level
`base = "risk.toml"` (relative to the grid file) is the matrix every set starts from; the
default is the shipped one.

Each set is applied to the base's TOML (parsed, the keys set, written back with tomli_w) and
validated like any `--config`: every problem of every set is reported at once, before a
single run starts, naming the set, the parameter and the value.
"""

from __future__ import annotations

import copy
import itertools
import tomllib
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel

from flashguard.system.risk import MatrixError, RiskMatrix, default_matrix_path
from flashguard.system.risk.params import parse_matrix_text

Value = Any  # a TOML value: bool, int, float, str or a list of them


class GridError(ValueError):
    """A grid file that cannot make a sweep; the message names the field and the value."""


@dataclass(frozen=True, slots=True)
class ParamSet:
    """One set: its name, the parameters it sets (path -> value, in the file's order), the
    matrix TOML text it makes, and every swept parameter's effective value under it (what a
    run sees, inherited or default included: the results' parameter columns)."""

    name: str
    params: dict[str, Value]
    risk_toml: str
    values: dict[str, Value]


@dataclass(frozen=True, slots=True)
class Grid:
    source: str  # the grid file as given (for messages)
    base: str  # the base matrix as given, or "shipped"
    paths: tuple[str, ...]  # every parameter any set sets, in first-seen order
    sets: tuple[ParamSet, ...]


def grid_text(name_or_path: str | Path) -> tuple[str, Path | None]:
    """(TOML text, the file's folder for a relative `base`) of a grid file, or of a grid
    shipped with flashguard by name ("grid-example")."""
    text = str(name_or_path)
    shipped = resources.files("flashguard") / "config" / f"{text}.toml"
    if "/" not in text and not text.endswith(".toml") and shipped.is_file():
        return shipped.read_text(encoding="utf-8"), None
    path = Path(text)
    try:
        return path.read_text(encoding="utf-8"), path.parent
    except OSError as exc:
        raise GridError(f"--grid={text!r}: cannot read: {exc.strerror}") from None


def load_grid(name_or_path: str | Path) -> Grid:
    text, folder = grid_text(name_or_path)
    return parse_grid(text, str(name_or_path), folder)


def parse_grid(text: str, source: str, folder: Path | None = None) -> Grid:
    """Every set, applied and validated. `folder` resolves a relative `base`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise GridError(f"{source}: not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - {"base", "grid", "set"})
    if unknown:
        raise GridError(f"{source}: unknown top-level key(s) {', '.join(unknown)} "
                        "(expected base, and [grid] or [[set]])")
    if ("grid" in raw) == ("set" in raw):
        found = "both [grid] and [[set]]" if "grid" in raw else "neither [grid] nor [[set]]"
        raise GridError(f"{source}: {found}: a grid file has exactly one of them")
    base_name, base_toml = _base(raw.get("base"), source, folder)
    base_raw = tomllib.loads(base_toml)
    if "grid" in raw:
        named = _cartesian(raw["grid"], source)
    else:
        named = _named(raw["set"], source)
    paths = tuple(dict.fromkeys(p for _, params in named for p in params))
    problems = [f"{source}: parameter {p!r}: {why}" for p in paths
                if (why := _unknown_path(p)) is not None]
    if problems:
        raise GridError("\n".join(problems))
    sets = []
    for name, params in named:
        made = _apply(base_raw, base_name, name, params, paths, source)
        if isinstance(made, list):
            problems.extend(made)
        else:
            sets.append(made)
    if problems:
        raise GridError(f"{source}: {len(problems)} error(s)\n" + "\n".join(problems))
    return Grid(source=source, base=base_name, paths=paths, sets=tuple(sets))


def _base(given: object, source: str, folder: Path | None) -> tuple[str, str]:
    if given is None:
        return "shipped", default_matrix_path().read_text(encoding="utf-8")
    if not isinstance(given, str) or not given:
        raise GridError(f"{source}: base={given!r}: expected the path of a risk matrix")
    path = Path(given)
    if not path.is_absolute() and folder is not None:
        path = folder / path
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GridError(f"{source}: base={given!r}: cannot read: {exc.strerror}") from None
    try:
        parse_matrix_text(text, given)
    except MatrixError as exc:
        raise GridError(f"{source}: base={given!r} is not a valid risk matrix:\n{exc}") from None
    return given, text


def _leaves(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Value]]:
    """(dotted path, value) of every non-table value, in order. A risk-matrix value is never
    a table, so a table is always a step of the path."""
    out: list[tuple[str, Value]] = []
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(_leaves(value, f"{path}."))
        else:
            out.append((path, value))
    return out


def _cartesian(table: object, source: str) -> list[tuple[str, dict[str, Value]]]:
    if not isinstance(table, dict) or not table:
        raise GridError(f"{source}: [grid] must map parameters to lists of values, got {table!r}")
    axes = _leaves(table)
    for path, values in axes:
        if not isinstance(values, list) or not values:
            raise GridError(f"{source}: grid.{path}={values!r}: expected a non-empty list of "
                            "values to try")
        seen: list[Value] = []
        for v in values:
            if v in seen:
                raise GridError(f"{source}: grid.{path}={values!r}: {v!r} is listed twice")
            seen.append(v)
    labels = _short_names([p for p, _ in axes])
    named = []
    for combo in itertools.product(*(values for _, values in axes)):
        params = {p: v for (p, _), v in zip(axes, combo, strict=True)}
        name = ",".join(f"{labels[p]}={_show(v)}" for p, v in params.items())
        named.append((name, params))
    return named


def _named(sets: object, source: str) -> list[tuple[str, dict[str, Value]]]:
    if not isinstance(sets, list) or not sets:
        raise GridError(f"{source}: [[set]] must be a list of tables, got {sets!r}")
    named = []
    names: set[str] = set()
    for i, entry in enumerate(sets, start=1):
        where = f"{source}: set #{i}"
        if not isinstance(entry, dict):
            raise GridError(f"{where}: expected a table, got {entry!r}")
        body = dict(entry)
        name = body.pop("name", None)
        if not isinstance(name, str) or not name.strip():
            raise GridError(f"{where}: name={name!r}: every set needs a non-empty name")
        if any(c in name for c in "/\\\n") or name != name.strip():
            raise GridError(f"{where}: name={name!r}: no slashes, newlines or outer spaces "
                            "(a set's name names its run directories)")
        if name in names:
            raise GridError(f"{where}: name={name!r}: another set already has this name")
        names.add(name)
        named.append((name, dict(_leaves(body))))
    return named


def _short_names(paths: list[str]) -> dict[str, str]:
    """The shortest dotted suffix of each path that no other path ends with: vol_bps,
    kill_switch.max_drawdown and strategy_defaults.max_drawdown (not max_drawdown twice)."""
    out = {}
    for p in paths:
        parts = p.split(".")
        for k in range(1, len(parts) + 1):
            suffix = ".".join(parts[-k:])
            if not any(q != p and (q == suffix or q.endswith("." + suffix)) for q in paths):
                break
        out[p] = suffix
    return out


def _show(v: Value) -> str:
    """A value as a set's name shows it: 20, 25.5, hold, true, [reduce_only]."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "[" + "+".join(_show(x) for x in v) + "]"
    return str(v)


# --- paths into the matrix ------------------------------------------------------------


def _model(annotation: object) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _unknown_path(path: str) -> str | None:
    """None when path names one parameter of the matrix; otherwise why not."""
    parts = path.split(".")
    field = RiskMatrix.model_fields.get(parts[0])
    if field is None:
        return f"unknown section {parts[0]!r} (the matrix has {', '.join(RiskMatrix.model_fields)})"
    table = _model(field.annotation)
    rest = parts[1:]
    if table is None:  # a named section: strategies.NAME.key
        _, value = typing.get_args(field.annotation)
        table = _model(value)
        assert table is not None
        if len(rest) != 2:
            return f"expected {parts[0]}.NAME.PARAMETER"
        rest = rest[1:]
    if len(rest) != 1:
        return f"expected {parts[0]}.PARAMETER" if rest else "names a table, not a parameter"
    if rest[0] not in table.model_fields:
        return (f"unknown parameter {rest[0]!r} in {parts[0]} "
                f"(it has {', '.join(table.model_fields)})")
    return None


def effective(matrix: RiskMatrix, path: str) -> Value:
    """What a run uses for path under this matrix: a named strategy, venue or instrument
    without its own table uses the defaults, as the risk layers do."""
    parts = path.split(".")
    if len(parts) == 3:
        section, name, key = parts
        lookup = {"strategies": matrix.strategy, "venues": matrix.venue,
                  "instruments": matrix.instrument}[section]
        return _plain(getattr(lookup(name), key))
    section, key = parts
    return _plain(getattr(getattr(matrix, section), key))


def _plain(v: Any) -> Value:
    return list(v) if isinstance(v, list | tuple) else v


def _apply(
    base_raw: dict[str, Any], base_name: str, name: str, params: dict[str, Value],
    paths: tuple[str, ...], source: str,
) -> ParamSet | list[str]:
    """The set's matrix, or its problems (each naming the set, the parameter and the value)."""
    where = f"set {name!r}"
    doc = copy.deepcopy(base_raw)
    problems = []
    for path, value in params.items():
        table = doc
        parts = path.split(".")
        for step in parts[:-1]:
            table = table.setdefault(step, {})
            if not isinstance(table, dict):
                problems.append(f"{where}: {path}={value!r}: {step!r} is not a table in the base")
                break
        else:
            table[parts[-1]] = value
    if problems:
        return problems
    text = tomli_w.dumps(doc)
    try:
        matrix = parse_matrix_text(text, f"{source} {where}")
    except MatrixError as exc:
        return [f"{where}: {_with_value(err, params)}" for err in exc.errors]
    values = {p: effective(matrix, p) for p in paths}
    return ParamSet(name=name, params=dict(params), risk_toml=text, values=values)


def _with_value(err: str, params: dict[str, Value]) -> str:
    """A matrix error with the set's value of its parameter when it does not already show
    one (a cross-field rule such as drawdown_reduce < drawdown_halt names the table)."""
    path = err.split(":", 1)[0]
    own = {p: v for p, v in params.items() if p == path or p.startswith(path + ".")}
    if "[input:" in err or not own:
        return err
    return f"{err} (set here: {', '.join(f'{p}={v!r}' for p, v in own.items())})"

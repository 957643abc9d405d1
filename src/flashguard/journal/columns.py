"""The columns of a flat export: seq, t_ns, type, then every field of the event types present.

Derived from the event catalog (core/events.py), not from the data, so a column's type never
depends on which values a batch happened to hold, and an empty column still has its type.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args

import msgspec
import pyarrow as pa

from flashguard.core.events import AnyEvent

_ARROW = {
    msgspec.inspect.IntType: pa.int64(),
    msgspec.inspect.FloatType: pa.float64(),
    msgspec.inspect.StrType: pa.string(),
    msgspec.inspect.BoolType: pa.bool_(),
}

_HEAD = (("seq", pa.int64()), ("t_ns", pa.int64()), ("type", pa.string()))


def _catalog() -> dict[str, list[tuple[str, pa.DataType]]]:
    """tag -> [(field, arrow type)] in declaration order, for every event in AnyEvent."""
    out: dict[str, list[tuple[str, pa.DataType]]] = {}
    for cls in get_args(AnyEvent):
        info = msgspec.inspect.type_info(cls)
        assert isinstance(info, msgspec.inspect.StructType)
        fields = []
        for f in info.fields:
            arrow = _ARROW.get(type(f.type))
            if arrow is None:
                raise TypeError(f"{cls.__name__}.{f.name}: no flat column type for {f.type!r}")
            fields.append((f.name, arrow))
        out[str(info.tag)] = fields
    return out


CATALOG = _catalog()


class ColumnConflict(ValueError):
    """Two event types give one field name different types: they cannot share a column."""


def schema_for(tags: Iterable[str]) -> pa.Schema:
    """The union of the columns of these event types; catalog order, so it is deterministic."""
    wanted = set(tags)
    unknown = sorted(wanted - CATALOG.keys())
    if unknown:
        raise KeyError(f"unknown event type(s) {unknown}: not in core.events.AnyEvent")
    columns: dict[str, pa.DataType] = dict(_HEAD)
    owner: dict[str, str] = {}
    for tag, fields in CATALOG.items():
        if tag not in wanted:
            continue
        for name, arrow in fields:
            seen = columns.get(name)
            if seen is None:
                columns[name] = arrow
                owner[name] = tag
            elif seen != arrow:
                raise ColumnConflict(
                    f"field {name!r} is {arrow} in {tag} but {seen} in {owner.get(name, 'the header')}"
                )
    return pa.schema(list(columns.items()))

"""Every event survives the journal's JSON encoding, tagged with its type."""

from __future__ import annotations

import json
from typing import Any, get_args

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashguard.core import events
from flashguard.core.events import AnyEvent, Event, decode, encode

EVENT_CLASSES: list[type[Event]] = list(get_args(AnyEvent))

_I64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_BY_TYPE: dict[Any, st.SearchStrategy[Any]] = {
    int: _I64,
    str: st.text(max_size=12),
    bool: st.booleans(),
    # JSON has no NaN or infinity; finite floats must round-trip exactly
    float: st.floats(allow_nan=False, allow_infinity=False),
}


def _events_of(cls: type[Event]) -> st.SearchStrategy[Event]:
    fields = msgspec.structs.fields(cls)
    return st.builds(cls, **{f.name: _BY_TYPE[f.type] for f in fields})


def _tag(cls: type[Event]) -> str:
    tag = cls.__struct_config__.tag
    assert isinstance(tag, str)
    return tag


def test_every_event_class_is_in_the_decodable_union() -> None:
    defined = {
        obj
        for obj in vars(events).values()
        if isinstance(obj, type) and issubclass(obj, Event) and obj is not Event
    }
    assert defined == set(EVENT_CLASSES)


def test_tags_are_unique() -> None:
    tags = [_tag(cls) for cls in EVENT_CLASSES]
    assert len(tags) == len(set(tags))


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
@given(data=st.data())
def test_round_trip(cls: type[Event], data: st.DataObject) -> None:
    event = data.draw(_events_of(cls))
    raw = encode(event)
    back = decode(raw)
    assert type(back) is cls
    assert back == event
    assert json.loads(raw)["type"] == _tag(cls)
    assert encode(back) == raw


def test_encoding_is_plain_json_with_the_fields() -> None:
    fill = events.OrderFilled(
        t_ns=5, venue="XNAS", instrument="ES", order_id=9, client_order_id="c9", owner=3,
        side=1, price=401, qty=2, leaves_qty=1, maker=True, trade_id=77,
    )
    expected = {
        "type": "fill", "t_ns": 5, "venue": "XNAS", "instrument": "ES", "order_id": 9,
        "client_order_id": "c9", "owner": 3, "side": 1, "price": 401, "qty": 2,
        "leaves_qty": 1, "maker": True, "trade_id": 77,
    }
    assert expected.items() <= json.loads(encode(fill)).items()


def test_decode_refuses_an_unknown_type() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"type"):
        decode(b'{"type": "no_such_event", "t_ns": 1}')


def test_decode_refuses_a_missing_field() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"order_id"):
        decode(b'{"type": "cancel_order", "t_ns": 1, "venue": "X", "instrument": "ES", "owner": 1}')

"""Instruments convert between Decimal edges and the integer tick/lot grid, exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashguard.core.instruments import Instrument, InstrumentError

ES = Instrument("ES", tick_size="0.25", lot_size="1", multiplier="50")
BLOCK = Instrument("XYZ", tick_size="0.01", lot_size="100")


@pytest.mark.parametrize(
    ("price", "ticks"),
    [
        (Decimal("4000.25"), 16_001),
        ("4000.50", 16_002),
        (4000, 16_000),
        ("0.25", 1),
        ("-0.75", -3),  # some futures trade below zero
        (Decimal("4000.2500"), 16_001),
    ],
)
def test_price_to_ticks(price: Decimal | str | int, ticks: int) -> None:
    assert ES.price_to_ticks(price) == ticks


def test_ticks_to_price_is_exact_decimal() -> None:
    assert ES.ticks_to_price(16_001) == Decimal("4000.25")
    assert BLOCK.ticks_to_price(1) == Decimal("0.01")
    assert str(BLOCK.ticks_to_price(12_345)) == "123.45"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_ticks_round_trip(ticks: int) -> None:
    assert ES.price_to_ticks(ES.ticks_to_price(ticks)) == ticks
    assert BLOCK.price_to_ticks(str(BLOCK.ticks_to_price(ticks))) == ticks


@given(st.integers(min_value=0, max_value=10**12))
def test_lots_round_trip(lots: int) -> None:
    assert BLOCK.qty_to_lots(BLOCK.lots_to_qty(lots)) == lots
    assert BLOCK.lots_to_qty(lots) == Decimal(lots * 100)


def test_qty_to_lots() -> None:
    assert BLOCK.qty_to_lots("300") == 3
    assert BLOCK.qty_to_lots(Decimal("1E+3")) == 10
    assert ES.qty_to_lots(7) == 7


@pytest.mark.parametrize("price", ["4000.10", "0.01", Decimal("-0.26")])
def test_off_grid_price_names_field_and_value(price: Decimal | str) -> None:
    with pytest.raises(InstrumentError, match=rf"price={price}\b.*tick_size=0\.25.*ES"):
        ES.price_to_ticks(price)


@pytest.mark.parametrize("qty", ["150", "1", "99.99"])
def test_off_grid_qty_names_field_and_value(qty: str) -> None:
    with pytest.raises(InstrumentError, match=rf"qty={qty}\b.*lot_size=100.*XYZ"):
        BLOCK.qty_to_lots(qty)


def test_floats_are_rejected_everywhere() -> None:
    with pytest.raises(InstrumentError, match=r"price=4000\.25.*float"):
        ES.price_to_ticks(4000.25)  # type: ignore[arg-type]
    with pytest.raises(InstrumentError, match=r"qty=1\.0.*float"):
        ES.qty_to_lots(1.0)  # type: ignore[arg-type]
    with pytest.raises(InstrumentError, match=r"tick_size=0\.25.*float"):
        Instrument("ES", tick_size=0.25)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", r"price='abc' is not a number"), ("NaN", r"price='NaN' is not finite"),
     ("Infinity", r"price='Infinity' is not finite")],
)
def test_non_numbers_are_rejected(value: str, message: str) -> None:
    with pytest.raises(InstrumentError, match=message):
        ES.price_to_ticks(value)


def test_a_price_too_large_for_the_grid_is_an_instrument_error() -> None:
    # 1e30 / 0.25 needs more digits than the default Decimal context holds; the caller should
    # still get an InstrumentError naming the field, not a bare decimal.InvalidOperation.
    with pytest.raises(InstrumentError, match=r"price=1e30"):
        ES.price_to_ticks("1e30")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tick_size": "0"}, r"tick_size='0' must be > 0"),
        ({"tick_size": "-0.01"}, r"tick_size='-0.01' must be > 0"),
        ({"lot_size": "0"}, r"lot_size='0' must be > 0"),
        ({"multiplier": "-50"}, r"multiplier='-50' must be > 0"),
        ({"lot_size": "ten"}, r"lot_size='ten' is not a number"),
    ],
)
def test_bad_instrument_definitions_name_the_field(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InstrumentError, match=message):
        Instrument("ES", **kwargs)


def test_empty_symbol_is_rejected() -> None:
    with pytest.raises(InstrumentError, match=r"symbol"):
        Instrument("")


def test_notional_and_tick_value() -> None:
    # 4 E-minis at 4000.25: 4000.25 points x 50 USD x 4 contracts
    assert ES.notional(ES.price_to_ticks("4000.25"), 4) == Decimal("800050.00")
    assert ES.tick_value() == Decimal("12.50")
    # 3 round lots of 100 shares at 12.34
    assert BLOCK.notional(1_234, 3) == Decimal("3702.00")
    assert BLOCK.tick_value() == Decimal("1.00")


@given(st.integers(min_value=-(10**9), max_value=10**9), st.integers(min_value=0, max_value=10**6))
def test_notional_is_linear_in_ticks_and_lots(ticks: int, lots: int) -> None:
    assert ES.notional(ticks, lots) == ticks * lots * ES.tick_value()

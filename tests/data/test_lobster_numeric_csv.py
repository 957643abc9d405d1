"""The numeric CSV parser is exact (times to the nanosecond), fast path and plain path agree,
and a malformed field is named by file, line, column and value."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.market.data import numeric_csv
from flashguard.market.data.numeric_csv import CsvFormatError, parse_numeric_csv

COLS = ("time", "size")
DECS = (9, 0)


def parse(text: bytes, first_line: int = 1) -> np.ndarray:
    return parse_numeric_csv(text, COLS, DECS, path="f.csv", first_line=first_line)


def test_times_become_exact_integer_nanoseconds() -> None:
    got = parse(b"34200.000000001,1\n57599.999999999,2\n34200.5,3\n-0.25,4\n7,5\n")
    assert got[:, 0].tolist() == [
        34_200_000_000_001,
        57_599_999_999_999,
        34_200_500_000_000,
        -250_000_000,
        7_000_000_000,
    ]
    assert got[:, 1].tolist() == [1, 2, 3, 4, 5]


def test_crlf_trailing_newlines_and_empty_text() -> None:
    assert parse(b"1.5,2\r\n3.25,-4\r\n\r\n").tolist() == [[1_500_000_000, 2], [3_250_000_000, -4]]
    assert parse(b"").shape == (0, 2)
    assert parse(b"\n\n").shape == (0, 2)


def test_eighteen_digits_fit_and_nineteen_are_refused() -> None:
    big = b"0.5,999999999999999999\n"
    assert parse(big)[0, 1] == 999_999_999_999_999_999
    with pytest.raises(CsvFormatError, match=r"line 1: column size='9999999999999999999' has more"):
        parse(b"0.5,9999999999999999999\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"1.5,2\n1,2,3\n", r"f\.csv: line 11: expected 2 columns \(time,size\), found 3"),
        (b"1.5,2\n1,+2\n", r"f\.csv: line 11: column size='\+2' is not a number"),
        (b"1.5,2\n1, 2\n", r"line 11: column size=' 2' is not a number"),
        (b"1.5,2\n1,2.0\n", r"line 11: column size='2.0' is not an integer"),
        (b"1.0000000001,2\n", r"line 10: column time='1.0000000001' has more than 9 decimals"),
        (b"1.5,2\n-,2\n", r"line 11: column time='-' is not a number"),
        (b"1.5,\n", r"line 10: column size='' is not a number"),
        (b"1.5,2\n\n1.5,2\n", r"line 11: expected 2 columns"),
        (b"1.5,2-\n", r"line 10: column size='2-' is not a number"),
        (b"1..5,2\n", r"line 10: column time='1..5' is not a number"),
        (b"1.5,x\n", r"line 10: column size='x' is not a number"),
    ],
)
def test_malformed_fields_are_named(text: bytes, message: str) -> None:
    with pytest.raises(CsvFormatError, match=message):
        parse(text, first_line=10)


def test_lines_are_counted_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numeric_csv, "_CHUNK_BYTES", 64)
    rows = [f"{i}.{i:03d},{i}".encode() for i in range(200)]
    rows[150] = b"150.1,oops"
    with pytest.raises(CsvFormatError, match=r"line 152: column size='oops'"):
        parse(b"\n".join(rows), first_line=2)
    rows[150] = b"150.1,150"
    got = parse(b"\n".join(rows), first_line=2)
    assert got.shape == (200, 2)
    assert got[150].tolist() == [150_100_000_000, 150]
    assert got[199].tolist() == [199_199_000_000, 199]


_digits = st.text(alphabet="0123456789", min_size=1, max_size=8)
_time = st.builds(
    lambda sign, whole, frac: f"{sign}{whole}{'.' + frac if frac else ''}",
    st.sampled_from(["", "-"]),
    _digits,
    st.one_of(st.just(""), st.text(alphabet="0123456789", min_size=1, max_size=9)),
)
_int = st.builds(lambda sign, d: sign + d, st.sampled_from(["", "-"]), _digits)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_time, _int), min_size=1, max_size=40))
def test_values_equal_decimal_arithmetic(rows: list[tuple[str, str]]) -> None:
    text = "".join(f"{t},{n}\n" for t, n in rows).encode()
    got = parse(text)
    assert got[:, 0].tolist() == [int(Decimal(t) * 10**9) for t, _ in rows]
    assert got[:, 1].tolist() == [int(n) for _, n in rows]


_field = st.text(alphabet="0123456789.-,x", min_size=0, max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_field, _field), min_size=1, max_size=8))
def test_fast_path_accepts_exactly_what_the_plain_path_accepts(rows: list[tuple[str, str]]) -> None:
    chunk = "".join(f"{a},{b}\n" for a, b in rows).encode()
    try:
        plain = numeric_csv._parse_plain(chunk, COLS, DECS, "f.csv", 1)
    except CsvFormatError:
        plain = None
    fast = numeric_csv._parse_fast(chunk, 2, DECS)
    if plain is None:
        assert fast is None
    elif fast is not None:  # the fast path may decline valid rare forms ("5.", "-.5", "7")
        assert fast.tolist() == plain.tolist()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "-"]),
            _digits,
            st.text(alphabet="0123456789", min_size=1, max_size=9),
            _int,
        ),
        min_size=1,
        max_size=40,
    )
)
def test_fast_path_takes_lobster_shaped_rows_exactly(rows: list[tuple[str, str, str, str]]) -> None:
    chunk = "".join(f"{s}{w}.{f},{n}\n" for s, w, f, n in rows).encode()
    fast = numeric_csv._parse_fast(chunk, 2, DECS)
    assert fast is not None
    assert fast[:, 0].tolist() == [int(Decimal(f"{s}{w}.{f}") * 10**9) for s, w, f, _ in rows]
    assert fast[:, 1].tolist() == [int(n) for *_, n in rows]

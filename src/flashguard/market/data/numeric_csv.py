"""Exact, fast parsing of all-numeric CSV text into int64 columns.

Recorded market data comes in files of millions of rows: a row-by-row Python parse (or
`np.loadtxt`) is slow, and a float parse would round times kept to the nanosecond. A column
may carry `decimals` implied digits (seconds with decimals=9 become integer nanoseconds), and
the value is exact.

The grammar of a field: an optional '-', digits, and (only in a column with decimals) at most
one '.' followed by at most that many digits; at least one digit in all, at most 18 positions
(integer digits plus decimals) so the value fits int64. Nothing else: no spaces, no '+'.

How it is fast: a chunk of lines is checked against the grammar with a few numpy passes over
its bytes, then its decimal points are turned into separators and numpy's C parser reads every
field as an integer; the two halves of a decimal field are recombined from the measured length
of the fraction. A chunk the fast path cannot take (a malformed line, or a decimal field
without a '.') is parsed by plain Python, which follows the same grammar and names the file,
line, column and value of the first bad field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

_CHUNK_BYTES = 1 << 20  # small enough for the per-byte temporaries to stay in cache
_MAX_POSITIONS = 18  # 18 decimal digits always fit int64; 19 may not
_POW10 = np.array([10**k for k in range(_MAX_POSITIONS + 1)], dtype=np.int64)

# Byte classes: anything unlisted is invalid (0).
_DIGIT, _MINUS, _DOT, _COMMA, _NEWLINE = 1, 2, 3, 4, 5
_CLASS = np.zeros(256, dtype=np.uint8)
_CLASS[ord("0") : ord("9") + 1] = _DIGIT
_CLASS[ord("-")] = _MINUS
_CLASS[ord(".")] = _DOT
_CLASS[ord(",")] = _COMMA
_CLASS[ord("\n")] = _NEWLINE


class CsvFormatError(ValueError):
    """A malformed file; the message names the file, line, column and value."""


RowCheck = Callable[[NDArray[np.int64], int], None]


def parse_numeric_csv(
    text: bytes,
    columns: Sequence[str],
    decimals: Sequence[int],
    *,
    path: str,
    first_line: int,
    offset: int = 0,
    check_rows: RowCheck | None = None,
) -> NDArray[np.int64]:
    """Parse rows of len(columns) numeric fields into an int64 array of shape (rows, columns).

    The rows are text[offset:] (so a header needs no copy of a large file to skip), lines ended
    by '\\n' or '\\r\\n'; first_line is the file line number of the first row, for error
    messages. decimals[c] is the number of implied decimal digits of column c: "1.5" with
    decimals=3 parses to 1500. check_rows(values, line of values[0]) runs on each chunk of
    rows as it is parsed, while it is small and in cache, to validate what the values mean.
    """
    ncols = len(columns)
    if ncols == 0 or len(decimals) != ncols:
        raise ValueError(f"columns={list(columns)} and decimals={list(decimals)} do not pair up")
    if any(not 0 <= d < _MAX_POSITIONS for d in decimals):
        raise ValueError(f"decimals={list(decimals)} must each be in 0..{_MAX_POSITIONS - 1}")
    size = len(text)
    while size and text[size - 1] in b"\r\n":  # trailing blank lines are no rows
        size -= 1
    rows = text.count(b"\n", offset, size) + 1 if size > offset else 0
    out = np.empty((rows, ncols), dtype=np.int64)
    view = memoryview(text)
    filled = 0
    start = offset
    while start < size:
        end = text.find(b"\n", min(start + _CHUNK_BYTES, size), size)
        stop = size if end < 0 else end + 1
        chunk = bytes(view[start:stop])
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n")
        if stop == size:
            chunk += b"\n"
        values = _parse_fast(chunk, ncols, decimals)
        if values is None:
            values = _parse_plain(chunk, columns, decimals, path, first_line + filled)
        if check_rows is not None:
            check_rows(values, first_line + filled)
        out[filled : filled + len(values)] = values
        filled += len(values)
        start = stop
    return out[:filled]


def _parse_fast(chunk: bytes, ncols: int, decimals: Sequence[int]) -> NDArray[np.int64] | None:
    """Values of whole lines ending in '\\n', or None when the chunk does not fit the fast
    path (malformed, or a decimal field without its point)."""
    a = np.frombuffer(chunk, dtype=np.uint8)
    cls = _CLASS[a]
    if not cls.all():
        return None  # a byte outside the grammar
    sep_pos = np.flatnonzero(cls >= _COMMA)
    nfields = sep_pos.size
    ends_line = cls[sep_pos] == _NEWLINE
    nrows = int(np.count_nonzero(ends_line))
    # Every line has exactly ncols fields: newlines close fields ncols-1, 2*ncols-1, ...
    if nfields != nrows * ncols or not ends_line[ncols - 1 :: ncols].all():
        return None
    starts = np.empty(nfields, dtype=np.int64)
    starts[0] = 0
    starts[1:] = sep_pos[:-1] + 1
    digits = sep_pos - starts  # field lengths for now; signs and points come off below

    minus_pos = np.flatnonzero(cls == _MINUS)
    minus_field = np.searchsorted(sep_pos, minus_pos)
    if (minus_pos != starts[minus_field]).any():
        return None  # a '-' that does not open its field
    negative = np.zeros(nfields, dtype=bool)
    negative[minus_field] = True
    digits -= negative

    dec_cols = [c for c, d in enumerate(decimals) if d]
    dot_pos = np.flatnonzero(cls == _DOT)
    # Exactly one point in each field of a decimal column and none elsewhere.
    dot_field = (np.arange(nrows)[:, None] * ncols + np.array(dec_cols, dtype=np.int64)).ravel()
    if dot_pos.size != dot_field.size or (np.searchsorted(sep_pos, dot_pos) != dot_field).any():
        return None
    whole = dot_pos - starts[dot_field] - negative[dot_field]
    frac = sep_pos[dot_field] - dot_pos - 1
    places = np.tile(np.array([decimals[c] for c in dec_cols], dtype=np.int64), nrows)
    if (whole < 1).any() or (frac < 1).any() or (frac > places).any():
        return None  # "-.5" and "5." are valid, but rare enough for the plain path
    if (whole + places > _MAX_POSITIONS).any():
        return None
    digits[dot_field] = 1  # decimal fields are checked above
    if (digits < 1).any() or (digits > _MAX_POSITIONS).any():
        return None

    split = chunk.replace(b".", b",").replace(b"\n", b",")
    flat = np.fromstring(split, dtype=np.int64, sep=",")  # text mode: C parsing, no floats
    width = ncols + len(dec_cols)
    if flat.size != nrows * width:  # pragma: no cover - the checks above exclude it
        return None
    wide = flat.reshape(nrows, width)
    if not dec_cols:
        return wide
    out = np.empty((nrows, ncols), dtype=np.int64)
    frac_len = frac.reshape(nrows, len(dec_cols))
    sign = np.where(negative.reshape(nrows, ncols), -1, 1)
    src = 0
    for c in range(ncols):
        if decimals[c]:
            k = dec_cols.index(c)
            scale = _POW10[decimals[c] - frac_len[:, k]]
            # "-0.5" reads its whole part as 0, so the sign comes from the text
            out[:, c] = sign[:, c] * (np.abs(wide[:, src]) * _POW10[decimals[c]] + wide[:, src + 1] * scale)
            src += 2
        else:
            out[:, c] = wide[:, src]
            src += 1
    return out


def parse_field(raw: str, decimals: int) -> int | str:
    """One field by the grammar above: its integer value, or what is wrong with it."""
    body = raw[1:] if raw.startswith("-") else raw
    whole, point, frac = body.partition(".")
    if not (whole + frac).isascii() or not (whole + frac).isdigit():
        return "is not a number"
    if point and decimals == 0:
        return "is not an integer"
    if len(frac) > decimals:
        return f"has more than {decimals} decimals"
    if len(whole) + decimals > _MAX_POSITIONS:
        return f"has more than {_MAX_POSITIONS} digits"
    scale: int = 10**decimals
    value = int(whole or "0") * scale + int(frac.ljust(decimals, "0") or "0")
    return -value if raw.startswith("-") else value


def _parse_plain(
    chunk: bytes, columns: Sequence[str], decimals: Sequence[int], path: str, first_line: int
) -> NDArray[np.int64]:
    rows: list[list[int]] = []
    for offset, raw_line in enumerate(chunk.split(b"\n")[:-1]):
        line = first_line + offset
        fields = raw_line.decode("utf-8", errors="replace").split(",")
        if len(fields) != len(columns):
            raise CsvFormatError(
                f"{path}: line {line}: expected {len(columns)} columns "
                f"({','.join(columns)}), found {len(fields)}: {raw_line[:200]!r}"
            )
        row: list[int] = []
        for name, places, raw in zip(columns, decimals, fields, strict=True):
            value = parse_field(raw, places)
            if isinstance(value, str):
                raise CsvFormatError(f"{path}: line {line}: column {name}={raw!r} {value}")
            row.append(value)
        rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(columns))

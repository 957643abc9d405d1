"""The market as the report sees it: one value per venue per second.

Either from the run's 1-second bars (bars_1s.csv) or, without them, from the quotes and trades
in the journal: the last quote of each second (a quote is state: it holds until the next one)
and the last trade of each second (carried forward: the last price known). Prices stay in
ticks here; NaN marks "not known yet" or "that side of the book is empty".
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import Quote, Trade

CONSOLIDATED = "ALL"
BAR_COLUMNS = ("t_ns", "venue", "last", "mid", "best_bid", "best_ask", "bid_size", "ask_size", "volume")

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class VenueSeries:
    last: Floats  # last trade price (ticks), carried forward
    bid: Floats  # NaN while the side is empty
    ask: Floats
    bid_size: Floats  # top-of-book lots; 0 for an empty side
    ask_size: Floats
    volume: Floats  # lots traded in the second

    @property
    def mid(self) -> Floats:
        return (self.bid + self.ask) / 2

    @property
    def spread(self) -> Floats:
        return self.ask - self.bid

    @property
    def depth(self) -> Floats:
        return self.bid_size + self.ask_size

    @property
    def price(self) -> Floats:
        """The last trade, or the mid before the first trade."""
        return np.where(np.isnan(self.last), self.mid, self.last)


@dataclass(frozen=True, slots=True, eq=False)
class MarketSeries:
    t_ns: NDArray[np.int64]  # start of each second on the grid
    venues: dict[str, VenueSeries]

    @property
    def main_venue(self) -> str | None:
        """The consolidated feed if there is one, else the first venue by name."""
        if CONSOLIDATED in self.venues:
            return CONSOLIDATED
        return min(self.venues) if self.venues else None


def grid(first_ns: int, last_ns: int) -> NDArray[np.int64]:
    start = first_ns // NS_PER_SECOND
    stop = last_ns // NS_PER_SECOND
    return np.arange(start, stop + 1, dtype=np.int64) * NS_PER_SECOND


def _ffill(values: Floats) -> Floats:
    """Carry the last non-NaN value forward."""
    idx = np.where(np.isnan(values), 0, np.arange(values.size))
    np.maximum.accumulate(idx, out=idx)
    out = values[idx]
    if values.size and np.isnan(values[0]):
        first = np.flatnonzero(~np.isnan(values))
        out[: first[0] if first.size else values.size] = np.nan
    return out


class MarketBuilder:
    """Feed quotes and trades of one instrument in journal order; get per-second series."""

    def __init__(self) -> None:
        # venue -> second -> value; the dict keeps the last write of each second
        self._quotes: dict[str, dict[int, tuple[int, int, int, int]]] = {}
        self._last: dict[str, dict[int, int]] = {}
        self._volume: dict[str, dict[int, int]] = {}
        self._last_trade_id: dict[str, int] = {}

    def on_quote(self, q: Quote) -> None:
        self._quotes.setdefault(q.venue, {})[q.t_ns // NS_PER_SECOND] = (
            q.bid, q.bid_qty, q.ask, q.ask_qty
        )

    def on_trade(self, t: Trade) -> None:
        # A trade journaled twice (the venue's feed and the consolidated feed) counts once;
        # trade ids rise on each venue.
        if t.trade_id <= self._last_trade_id.get(t.venue, -1):
            return
        self._last_trade_id[t.venue] = t.trade_id
        sec = t.t_ns // NS_PER_SECOND
        for venue in (t.venue, CONSOLIDATED):
            self._last.setdefault(venue, {})[sec] = t.price
            vol = self._volume.setdefault(venue, {})
            vol[sec] = vol.get(sec, 0) + t.qty

    def build(self, t_ns: NDArray[np.int64]) -> MarketSeries:
        n = t_ns.size
        base = int(t_ns[0]) // NS_PER_SECOND if n else 0
        venues: dict[str, VenueSeries] = {}
        for venue in sorted(self._quotes.keys() | self._last.keys()):
            quoted, (bid, bq, ask, aq) = _place(self._quotes.get(venue, {}), base, n, 4)
            _, (last,) = _place(self._last.get(venue, {}), base, n, 1)
            _, (volume,) = _place(self._volume.get(venue, {}), base, n, 1)
            bid_side, ask_side = bid > 0, ask > 0
            venues[venue] = VenueSeries(
                last=_ffill(last),
                bid=_hold(np.where(bid_side, bid, np.nan), quoted),
                ask=_hold(np.where(ask_side, ask, np.nan), quoted),
                bid_size=_hold(np.where(bid_side, bq, 0.0), quoted),
                ask_size=_hold(np.where(ask_side, aq, 0.0), quoted),
                volume=np.nan_to_num(volume),
            )
        return MarketSeries(t_ns, venues)


def _place(
    by_second: Mapping[int, object], base: int, n: int, width: int
) -> tuple[NDArray[np.bool_], list[Floats]]:
    """Per-second values onto the grid: (which seconds have one, one column per value)."""
    present = np.zeros(n, dtype=bool)
    cols = np.full((width, n), np.nan)
    if by_second:
        idx = np.fromiter(by_second.keys(), dtype=np.int64, count=len(by_second)) - base
        vals = np.array(list(by_second.values()), dtype=np.float64).reshape(len(by_second), width)
        keep = (idx >= 0) & (idx < n)
        present[idx[keep]] = True
        cols[:, idx[keep]] = vals[keep].T
    return present, list(cols)


def _hold(values: Floats, quoted: NDArray[np.bool_]) -> Floats:
    """Carry each quoted second's value (NaN included: an empty side stays empty) forward."""
    idx = np.where(quoted, np.arange(values.size), 0)
    np.maximum.accumulate(idx, out=idx)
    out = values[idx]
    first = np.flatnonzero(quoted)
    out[: first[0] if first.size else values.size] = np.nan
    return out


class BarsError(ValueError):
    """A bars file that does not have the expected columns or values."""


def _number(path: Path, line: int, field: str, text: str) -> float:
    if text == "" or text.lower() in ("nan", "null", "none"):
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise BarsError(f"{path} line {line}: {field}={text!r} is not a number") from None


def read_bars(path: str | Path) -> tuple[dict[str, list[tuple[float, ...]]], int, int]:
    """Rows per venue (t_ns, last, best_bid, best_ask, bid_size, ask_size, volume) and the
    first and last t_ns. Best bid/ask 0 = an empty side, as in a Quote."""
    p = Path(path)
    rows: dict[str, list[tuple[float, ...]]] = {}
    first = last = None
    with p.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in BAR_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise BarsError(f"{p}: missing column(s) {missing}; expected {list(BAR_COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            try:
                t = int(row["t_ns"])
            except ValueError:
                raise BarsError(f"{p} line {line}: t_ns={row['t_ns']!r} is not an integer") from None
            vals = [_number(p, line, c, row[c]) for c in BAR_COLUMNS[2:]]
            _mid, bid, ask, bsz, asz, vol = vals[1:]
            rows.setdefault(row["venue"], []).append(
                (t, vals[0], bid, ask, bsz, asz, vol)
            )
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
    if first is None or last is None:
        raise BarsError(f"{p}: no rows")
    return rows, first, last


def series_from_bars(rows: dict[str, list[tuple[float, ...]]], t_ns: NDArray[np.int64]) -> MarketSeries:
    n = t_ns.size
    base = int(t_ns[0]) // NS_PER_SECOND
    venues: dict[str, VenueSeries] = {}
    for venue in sorted(rows):
        a = np.array(rows[venue], dtype=np.float64).reshape(-1, 7)
        idx = a[:, 0].astype(np.int64) // NS_PER_SECOND - base
        keep = (idx >= 0) & (idx < n)
        idx, a = idx[keep], a[keep]
        cols = []
        for j in range(1, 7):
            col = np.full(n, np.nan)
            col[idx] = a[:, j]
            cols.append(col)
        last, bid, ask, bsz, asz, vol = cols
        present = np.zeros(n, dtype=bool)
        present[idx] = True
        bid = np.where(bid > 0, bid, np.nan)
        ask = np.where(ask > 0, ask, np.nan)
        venues[venue] = VenueSeries(
            last=_ffill(last),
            bid=_hold(bid, present),
            ask=_hold(ask, present),
            bid_size=_hold(np.nan_to_num(bsz), present),
            ask_size=_hold(np.nan_to_num(asz), present),
            volume=np.nan_to_num(vol),
        )
    return MarketSeries(t_ns, venues)

"""What the charts draw: downsampling that keeps extremes, markers bucketed per lane, venue
status spans, and per-second market series from quotes, trades or bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import OrderRejected, Quote, Trade, VenueStatus
from flashguard.report import panels
from flashguard.report.market import MarketBuilder, grid, read_bars, series_from_bars
from flashguard.report.panels import Marker, downsample
from flashguard.report.status import interruptions, status_spans, trading_changes

S = NS_PER_SECOND


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6) | st.just(float("nan")), min_size=1, max_size=3000),
    st.integers(4, 500),
)
def test_downsample_keeps_order_size_and_the_extremes(values: list[float], max_points: int) -> None:
    y = np.array(values)
    idx = downsample(y, max_points)
    assert np.all(np.diff(idx) > 0)
    assert idx.size <= max(max_points, 1) or y.size <= max_points
    known = ~np.isnan(y)
    if known.any():
        kept = y[idx]
        assert np.nanmin(kept) == np.nanmin(y) and np.nanmax(kept) == np.nanmax(y)


def test_many_rejections_become_at_most_max_markers_that_count_them_all() -> None:
    n = 5000
    rejects = [
        OrderRejected(10 * S + i * S // 10, "A", "ES", 0, f"c{i}", 1, "r", "L1", "price_collar")
        for i in range(n)
    ]
    raw = [(r.layer, r.t_ns, "reject", "L1 rejected: price_collar") for r in rejects]
    markers: list[Marker] = panels._bucketed(raw, 10 * S, 10 * S + n * S // 10)
    assert len(markers) <= panels.MAX_MARKERS
    assert sum(m.count for m in markers) == n
    assert all(m.lane == "L1" for m in markers)
    big = max(markers, key=lambda m: m.count)
    assert f"{big.count} decisions" in big.text and f"price_collar ×{big.count}" in big.text


def test_status_spans_and_interruptions() -> None:
    st_ = [
        VenueStatus(0, "A", "ES", "auction", "pre-open"),
        VenueStatus(5 * S, "A", "ES", "open", ""),
        VenueStatus(10 * S, "A", "ES", "limit_state", ""),
        VenueStatus(12 * S, "A", "ES", "limit_state", "repeat"),
        VenueStatus(25 * S, "A", "ES", "paused", ""),
        VenueStatus(325 * S, "A", "ES", "open", ""),
        VenueStatus(400 * S, "A", "ES", "closed", ""),
    ]
    spans = [(s.status, s.start_ns // S, s.end_ns // S) for s in status_spans(st_, 500 * S)]
    assert spans == [("auction", 0, 5), ("limit_state", 10, 25), ("paused", 25, 325),
                     ("closed", 400, 500)]
    (i,) = interruptions(st_, 500 * S)
    assert (i.start_ns, i.end_ns, i.statuses, i.reopened) == (10 * S, 325 * S,
                                                             ("limit_state", "paused"), True)
    assert [s.t_ns // S for s in trading_changes(st_)] == [10, 25, 325]


def test_many_status_spans_merge_to_a_drawable_number() -> None:
    flicker = []
    for i in range(2000):
        flicker.append(VenueStatus(i * 2 * S, "A", "ES", "limit_state", ""))
        flicker.append(VenueStatus(i * 2 * S + S // 2, "A", "ES", "open", ""))
    merged = panels._merged_spans(status_spans(flicker, 4000 * S))
    assert len(merged) <= panels.MAX_SPANS
    assert merged[0].start_ns == 0 and merged[-1].end_ns == 3998 * S + S // 2


def test_quotes_hold_until_the_next_and_an_empty_side_is_nan() -> None:
    b = MarketBuilder()
    b.on_quote(Quote(1 * S + 5, "A", "ES", 99, 3, 101, 4))
    b.on_quote(Quote(1 * S + 9, "A", "ES", 98, 2, 102, 5))  # last of the second wins
    b.on_quote(Quote(4 * S, "A", "ES", 0, 0, 103, 6))  # bid side emptied
    b.on_trade(Trade(2 * S, "A", "ES", 1, 100, 7, 1, 1, 2))
    b.on_trade(Trade(2 * S, "A", "ES", 1, 100, 7, 1, 1, 2))  # the same print seen twice
    b.on_trade(Trade(3 * S, "B", "ES", 1, 104, 1, 1, 1, 2))
    m = b.build(grid(0, 5 * S))
    a = m.venues["A"]
    assert np.isnan(a.bid[0]) and list(a.bid[1:4]) == [98, 98, 98]
    assert np.isnan(a.bid[4]) and np.isnan(a.bid[5])
    assert list(a.bid_size[1:]) == [2, 2, 2, 0, 0]
    assert list(a.ask[1:]) == [102, 102, 102, 103, 103]
    assert list(a.volume) == [0, 0, 7, 0, 0, 0]
    assert list(m.venues["ALL"].volume) == [0, 0, 7, 1, 0, 0]
    assert list(m.venues["ALL"].last[2:]) == [100, 104, 104, 104]
    assert m.main_venue == "ALL"


def test_bars_and_quotes_give_the_same_series(tmp_path: Path) -> None:
    b = MarketBuilder()
    lines = ["t_ns,venue,last,mid,best_bid,best_ask,bid_size,ask_size,volume"]
    rng = np.random.default_rng(7)
    for i in range(50):
        bid = int(1000 + rng.integers(-5, 5))
        q = Quote(i * S, "A", "ES", bid, 3 + i, bid + 2, 4 + i)
        t = Trade(i * S + 1, "A", "ES", i + 1, bid + 1, 2, 1, 1, 2)
        b.on_quote(q)
        b.on_trade(t)
        lines.append(f"{i * S},A,{bid + 1},{bid + 1},{bid},{bid + 2},{3 + i},{4 + i},2")
    path = tmp_path / "bars_1s.csv"
    path.write_text("\n".join(lines) + "\n")
    rows, first, last = read_bars(path)
    g = grid(first, last)
    from_bars = series_from_bars(rows, g).venues["A"]
    from_journal = b.build(g).venues["A"]
    for name in ("last", "bid", "ask", "bid_size", "ask_size", "volume"):
        assert np.array_equal(getattr(from_bars, name), getattr(from_journal, name)), name


def test_a_bad_bars_file_names_the_field_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bars_1s.csv"
    path.write_text("t_ns,venue,last\n1,A,2\n")
    with pytest.raises(ValueError, match="missing column"):
        read_bars(path)
    path.write_text(
        "t_ns,venue,last,mid,best_bid,best_ask,bid_size,ask_size,volume\n1,A,x,1,1,1,1,1,1\n"
    )
    with pytest.raises(ValueError, match="line 2: last='x'"):
        read_bars(path)


def test_each_status_span_shades_the_price_panel_as_add_vrect_would() -> None:
    """The spans are set as shapes in one assignment (add_vrect revalidates every shape at
    each call: minutes on a crash day); each is exactly the shape add_vrect(row=1) makes."""
    import numpy as np
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from flashguard.report.html import figure
    from flashguard.report.panels import ROWS, Line, Panels
    from flashguard.report.status import StatusSpan

    t = np.array([0, 60_000_000_000], dtype=np.int64)
    spans = [StatusSpan("XNAS", "paused", 10_000_000_000, 15_000_000_000, "stop logic"),
             StatusSpan("BATS", "limit_state", 20_000_000_000, 35_000_000_000, "band")]
    p = Panels(unit="ticks", price=[Line("XNAS", t, np.array([5000.0, 4990.0]))],
               vpin=[Line("vpin", t, np.array([0.1, 0.95]))], spans=spans,
               first_ns=0, last_ns=60_000_000_000)
    fig = figure(p, "t")
    ref = make_subplots(rows=len(ROWS), cols=1, shared_xaxes=True)
    for row in (1, 7):  # add_hline and add_vrect skip an empty subplot
        ref.add_trace(go.Scatter(x=[0], y=[0]), row=row, col=1)
    ref.add_hline(y=0.9, line={"dash": "dash", "width": 0.8, "color": "#e15759"}, row=7, col=1)
    for s in spans:
        ref.add_vrect(x0=s.start_ns / 1e6, x1=s.end_ns / 1e6,
                      fillcolor="#f28e2b" if s.status == "paused" else "#edc948",
                      opacity=0.18 if s.status == "limit_state" else 0.3, line_width=0,
                      layer="below", row=1, col=1)
    got = [go.layout.Shape(sh).to_plotly_json() for sh in fig.layout.shapes]
    want = [sh.to_plotly_json() for sh in ref.layout.shapes]
    for g, w in zip(got, want, strict=True):
        g.pop("fillcolor", None), w.pop("fillcolor", None)  # colours: the status table
    assert got == want
